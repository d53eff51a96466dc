"""The command line: settings errors, registry commands, migrations."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from bot.cli import main


def run_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args],
        capture_output=True, text=True, timeout=60,
        env={**os.environ, **(env or {})},
    )


def test_malformed_setting_is_one_clear_line(tmp_path):
    result = run_cli("run", env={"TUMBUH_CONCURRENCY": "many", "TUMBUH_DATABASE_URL": f"sqlite:///{tmp_path}/x.db"})
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "TUMBUH_CONCURRENCY" in lines[0]
    result = run_cli("run", env={"TUMBUH_RUNTIME": "tdlib"})
    assert "TUMBUH_RUNTIME" in result.stderr and "Traceback" not in result.stderr


def test_run_without_token_says_so(tmp_path):
    env = {"TUMBUH_DATABASE_URL": f"sqlite:///{tmp_path}/x.db", "TUMBUH_TELEGRAM_TOKEN": ""}
    result = run_cli("run", env=env)
    assert result.returncode == 2 and "TUMBUH_TELEGRAM_TOKEN" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.fixture
def cli_db(tmp_path, monkeypatch):
    monkeypatch.setenv("TUMBUH_DATABASE_URL", f"sqlite:///{tmp_path}/cli.db")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_registry_commands(cli_db, capsys):
    areas = cli_db / "areas.csv"
    areas.write_text(
        "code,name,level,parent_code,timezone\n"
        "36,Banten,provinsi,,WIB\n36.02,Lebak,kabupaten,36,\n36.02.01,Malingping,kecamatan,36.02,\n"
        "36.02.01.2001,Malingping Utara,desa,36.02.01,\n"
    )
    assert main(["db", "upgrade"]) == 0
    assert main(["areas", "import", str(areas)]) == 0
    assert "imported 4 areas" in capsys.readouterr().out
    assert main(["posyandu", "add", "--desa", "36.02.01.2001", "--name", "Melati",
                 "--nth-weekday", "2", "--weekday", "tue", "--time", "08:00"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("posyandu 1 Melati: join code ")
    assert main(["invite", "--role", "kader", "--posyandu", "1"]) == 0
    out = capsys.readouterr().out
    assert "https://t.me/" in out and "?start=" in out and "code:" in out
    assert main(["invite", "--role", "bidan", "--area", "36.02.01"]) == 2
    assert "desa" in capsys.readouterr().err


def test_bad_area_file_imports_nothing(cli_db, capsys):
    bad = cli_db / "bad.csv"
    bad.write_text("code,name,level,parent_code,timezone\n36,Banten,provinsi,,WIB\n3602,Lebak,kabupaten,36,\n")
    assert main(["areas", "import", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "nothing imported" in err and "line 3" in err
    assert main(["areas", "import", str(cli_db / "absent.csv")]) == 2


def test_demo_runs_without_a_terminal(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "bot.cli", "demo"], input="/anak\n#1\n", capture_output=True,
        text=True, timeout=60, cwd=tmp_path,
        env={**os.environ, "TUMBUH_DATABASE_URL": f"sqlite:///{tmp_path}/demo.db"},
    )
    assert result.returncode == 0, result.stderr
    assert "Daftar anak (4)" in result.stdout and "Ahmad Fauzi" in result.stdout
    assert "lahir 20/06/2025" in result.stdout
