"""``tumbuh thresholds``: a coordinator's correction of a TPK cut-off from the command line."""

from __future__ import annotations

from bot.cli import main


def test_thresholds_list_and_set(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("TUMBUH_DATABASE_URL", f"sqlite:///{tmp_path}/cli.db")
    monkeypatch.chdir(tmp_path)
    assert main(["thresholds", "list"]) == 0
    out = capsys.readouterr().out
    assert "hb_nonpregnant            12  default" in out and "lila_kek" in out
    assert main(["thresholds", "set", "hb_nonpregnant", "11.5"]) == 0
    assert "hb_nonpregnant          11.5  set for national" in capsys.readouterr().out
    assert main(["thresholds", "set", "hb_nonpregnant", "115"]) == 2
    assert "between" in capsys.readouterr().err
    assert main(["thresholds", "set", "nope", "1"]) == 2
    assert main(["thresholds", "list", "--area", "99.99"]) == 2
    assert "no area" in capsys.readouterr().err
