"""Benchmark of growth.zscores (run by hand: ``python bench/zscore.py``; not a test).

1. 1,000,000 generated rows, all eight indicators, one core: rows per second.
2. The same computation with ``pygrowup2`` on a sample, per row, and the speed ratio
   (``pip install pygrowup2`` first; the bench says so when it is missing).
3. ``python -m growth.csvio`` (= ``tumbuh zscore``) end to end on a generated 100,000-row CSV.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from growth.zscores import compute_zscores  # noqa: E402


def generate(n: int, seed: int = 1) -> dict[str, np.ndarray]:
    """Plausible-to-odd inputs: ages 0-1856 days, sizes around the WHO medians +/- noise."""
    rng = np.random.default_rng(seed)
    age = rng.integers(0, 1857, n).astype(np.float64)
    months = age / 30.4375
    lenhei = np.round(50 + 45 * np.sqrt(months / 60) * 1.2 + rng.normal(0, 4, n), 1)
    weight = np.round(3.3 + 0.25 * months * (1 - months / 150) * 3 + rng.normal(0, 1.2, n), 2)
    return {
        "sex": rng.integers(1, 3, n),
        "age_days": age,
        "weight": np.clip(weight, 0.5, None),
        "lenhei": np.clip(lenhei, 40, None),
        "measure": rng.choice(np.array([1, 2, 0], dtype=np.int8), n, p=[0.45, 0.45, 0.1]),
        "headc": np.round(35 + 15 * np.sqrt(months / 60) + rng.normal(0, 1.5, n), 1),
        "armc": np.round(13 + 3 * np.sqrt(months / 60) + rng.normal(0, 1.2, n), 1),
        "triskin": np.round(rng.uniform(3, 15, n), 1),
        "subskin": np.round(rng.uniform(3, 12, n), 1),
        "oedema": rng.random(n) < 0.01,
    }


def bench_ours(n: int, repeat: int) -> float:
    data = generate(n)
    compute_zscores(**generate(1000))  # load the tables outside the timing
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        compute_zscores(**data)
        best = min(best, time.perf_counter() - t0)
    rate = n / best
    print(f"growth.zscores: {n:,} rows, 8 indicators: {best:.3f} s  = {rate:,.0f} rows/s")
    return rate


def bench_pygrowup(sample: int, our_rate: float) -> None:
    try:
        from pygrowup import Observation  # type: ignore[import-not-found]
    except ImportError:
        print("pygrowup2 not installed: run `pip install pygrowup2` to compare (bench only).")
        return
    data = generate(sample, seed=2)
    t0 = time.perf_counter()
    for i in range(sample):
        sex = Observation.MALE if data["sex"][i] == 1 else Observation.FEMALE
        obs = Observation(sex=sex, age_in_days=int(data["age_days"][i]) or 1)
        lh = float(data["lenhei"][i])
        w = float(data["weight"][i])
        calls = (
            lambda: obs.lhfa(lh, recumbent=data["measure"][i] == 1),  # noqa: B023
            lambda: obs.wfa(w),  # noqa: B023
            lambda: obs.wfl(w, lh) if lh <= 110 else obs.wfh(w, lh),  # noqa: B023
            lambda: obs.bmifa(w / (lh / 100) ** 2),  # noqa: B023
            lambda: obs.hcfa(float(data["headc"][i])),  # noqa: B023
            lambda: obs.acfa(float(data["armc"][i])),  # noqa: B023
            lambda: obs.tsfa(float(data["triskin"][i])),  # noqa: B023
            lambda: obs.ssfa(float(data["subskin"][i])),  # noqa: B023
        )
        for call in calls:
            try:
                call()
            except Exception:  # noqa: BLE001 - pygrowup raises on out-of-range values
                pass
    elapsed = time.perf_counter() - t0
    rate = sample / elapsed
    print(f"pygrowup2:      {sample:,} rows, 8 indicators: {elapsed:.3f} s  = {rate:,.0f} rows/s")
    print(f"ratio: growth.zscores is {our_rate / rate:,.0f} times faster")


def bench_cli(n: int) -> None:
    data = generate(n, seed=3)
    with tempfile.TemporaryDirectory() as tmp:
        src, dst = Path(tmp) / "in.csv", Path(tmp) / "out.csv"
        measure = np.array(["NA", "l", "h"])[data["measure"]]
        oedema = np.where(data["oedema"], "y", "n")
        cols = [data["sex"].astype(str), data["age_days"].astype(int).astype(str)]
        cols += [np.char.mod("%.2f", data["weight"]), np.char.mod("%.1f", data["lenhei"]), measure]
        cols += [np.char.mod("%.1f", data[c]) for c in ("headc", "armc", "triskin", "subskin")]
        cols.append(oedema)
        lines = [",".join(r) for r in zip(*cols, strict=True)]
        header = "sex,age_days,weight,lenhei,measure,headc,armc,triskin,subskin,oedema"
        src.write_text(header + "\n" + "\n".join(lines) + "\n")
        env = dict(os.environ, PYTHONPATH=str(ROOT))
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-m", "growth.csvio", str(src), "-o", str(dst)],
                       check=True, env=env)  # fmt: skip
        elapsed = time.perf_counter() - t0
    print(f"python -m growth.csvio: {n:,}-row CSV end to end (incl. interpreter start): "
          f"{elapsed:.2f} s")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--pygrowup-sample", type=int, default=2_000)
    parser.add_argument("--csv-rows", type=int, default=100_000)
    args = parser.parse_args()
    rate = bench_ours(args.rows, args.repeat)
    bench_pygrowup(args.pygrowup_sample, rate)
    bench_cli(args.csv_rows)


if __name__ == "__main__":
    main()
