"""Benchmark jsna.stats against PHStatsMethods (DHSC's Python port of PHEindicatormethods).

Run on demand, not a test::

    .venv/bin/python benchmarks/stats_bench.py

Each ``bench_*`` function builds its own seeded synthetic national-scale data set (10,000 areas;
DSRs on the full 19 ESP 2013 age bands), times ``jsna.stats`` and PHStatsMethods on the same
data, and prints both times, the speed ratio and the largest relative difference in the value
and limit columns. The targets are a ratio of at least 50x and differences within 1e-9
relative. To add a method, write ``bench_<name>()`` returning the :func:`report` dict and call
it from :func:`main`.
"""

from __future__ import annotations

import contextlib
import importlib.metadata
import io
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import PHStatsMethods as phsm  # noqa: E402

from jsna.stats._common import limit_columns  # noqa: E402

N_AREAS = 10_000
SEED = 20_240_401
LEVELS = (0.95, 0.998)
TARGET_SPEEDUP = 50.0
TARGET_RELATIVE = 1e-9

AGE_BANDS = [f"{lower}-{lower + 4}" for lower in range(0, 90, 5)] + ["90+"]


def area_codes(n: int = N_AREAS) -> np.ndarray:
    return np.array([f"E{i:08d}" for i in range(n)])


def timed(fn: Callable[[], pd.DataFrame], repeat: int = 1) -> tuple[float, pd.DataFrame]:
    """Best wall time of ``repeat`` runs of ``fn`` (its output silenced) and the last result."""
    best = np.inf
    result = None
    for _ in range(repeat):
        with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
            warnings.simplefilter("ignore")
            start = time.perf_counter()
            result = fn()
            best = min(best, time.perf_counter() - start)
    return best, result


def max_relative_difference(ours: pd.DataFrame, theirs: pd.DataFrame, key: str, pairs: dict[str, str]) -> float:
    """Largest |ours - theirs| / |theirs| over the paired columns, rows matched on ``key``.

    Both missing counts as equal; one missing and not the other counts as infinite.
    """
    merged = ours.merge(theirs, on=key, how="outer", suffixes=("", "_theirs"), indicator=True)
    if (merged["_merge"] != "both").any():
        return float("inf")
    worst = 0.0
    for ours_col, theirs_col in pairs.items():
        a = merged[ours_col].to_numpy(dtype=float)
        b = merged[theirs_col if theirs_col != ours_col else f"{theirs_col}_theirs"].to_numpy(dtype=float)
        both_missing = np.isnan(a) & np.isnan(b)
        one_missing = np.isnan(a) ^ np.isnan(b)
        if one_missing.any():
            return float("inf")
        with np.errstate(divide="ignore", invalid="ignore"):
            rel = np.abs(a - b) / np.maximum(np.abs(b), np.finfo(float).tiny)
        rel = np.where(both_missing | (a == b), 0.0, rel)
        worst = max(worst, float(np.max(rel, initial=0.0)))
    return worst


def column_pairs() -> dict[str, str]:
    """Our value/limit column names -> PHStatsMethods' names."""
    pairs = {"value": "Value"}
    for level in LEVELS:
        lower, upper = limit_columns(level)
        suffix = f"{level * 100:g}".replace(".", "_")
        pairs[lower] = f"lower_{suffix}_ci"
        pairs[upper] = f"upper_{suffix}_ci"
    return pairs


def report(name: str, rows: int, ours_s: float, theirs_s: float, max_rel: float) -> dict:
    ratio = theirs_s / ours_s if ours_s > 0 else float("inf")
    speed_ok = ratio >= TARGET_SPEEDUP
    equal_ok = max_rel <= TARGET_RELATIVE
    print(
        f"{name:<16} rows={rows:>7,}  jsna={ours_s * 1000:9.1f} ms  PHStatsMethods={theirs_s * 1000:10.1f} ms  "
        f"ratio={ratio:8.1f}x [{'met' if speed_ok else 'NOT met'}]  "
        f"max rel diff={max_rel:.2e} [{'met' if equal_ok else 'NOT met'}]"
    )
    return {"name": name, "rows": rows, "jsna_s": ours_s, "phsm_s": theirs_s, "ratio": ratio, "max_rel": max_rel,
            "speed_ok": speed_ok, "equal_ok": equal_ok}


def bench_proportion() -> dict:
    from jsna.stats.proportions import proportion

    rng = np.random.default_rng(SEED)
    denominator = rng.integers(50, 20_000, N_AREAS)
    numerator = rng.binomial(denominator, rng.uniform(0.02, 0.6, N_AREAS))
    df = pd.DataFrame({"area": area_codes(), "numerator": numerator, "denominator": denominator})

    ours_s, ours = timed(lambda: proportion(df, "numerator", "denominator", group_by="area", multiplier=100), 3)
    theirs_s, theirs = timed(
        lambda: phsm.ph_proportion(df.copy(), "numerator", "denominator", "area", confidence=list(LEVELS), multiplier=100)
    )
    return report("proportion", len(df), ours_s, theirs_s, max_relative_difference(ours, theirs, "area", column_pairs()))


def bench_crude_rate() -> dict:
    from jsna.stats.rates import crude_rate

    rng = np.random.default_rng(SEED + 1)
    population = rng.integers(1_000, 400_000, N_AREAS)
    # PHStatsMethods' byars_upper raises on a count of 0, so the shared data have counts >= 1;
    # zero counts are covered by the tests against the published formulas instead.
    count = np.maximum(rng.poisson(population * rng.uniform(1e-5, 2e-3, N_AREAS)), 1)
    df = pd.DataFrame({"area": area_codes(), "count": count, "population": population})

    ours_s, ours = timed(lambda: crude_rate(df, "count", "population", group_by="area"), 3)
    theirs_s, theirs = timed(
        lambda: phsm.ph_rate(df.copy(), "count", "population", "area", confidence=list(LEVELS), multiplier=100_000)
    )
    return report("crude_rate", len(df), ours_s, theirs_s, max_relative_difference(ours, theirs, "area", column_pairs()))


def bench_dsr() -> dict:
    from jsna.stats.rates import dsr

    rng = np.random.default_rng(SEED + 2)
    areas = np.repeat(area_codes(), len(AGE_BANDS))
    bands = np.tile(AGE_BANDS, N_AREAS)
    population = rng.integers(200, 12_000, len(areas))
    # death rates rising steeply with age
    age_rate = np.tile(np.geomspace(5e-5, 0.15, len(AGE_BANDS)), N_AREAS)
    scale = rng.uniform(0.02, 1.5, N_AREAS)
    scale[::100] = 0.002  # 1% of areas with too few events for a DSR (value and limits missing)
    area_scale = np.repeat(scale, len(AGE_BANDS))
    count = rng.poisson(population * age_rate * area_scale)
    df = pd.DataFrame({"area": areas, "age_band": bands, "count": count, "population": population})

    ours_s, ours = timed(lambda: dsr(df, "count", "population", group_by="area"), 3)
    theirs_s, theirs = timed(
        lambda: phsm.ph_dsr(
            df.copy(), "count", "population", "age_band", group_cols="area", confidence=list(LEVELS),
            multiplier=100_000, euro_standard_pops=True,
        )
    )
    return report("dsr", len(df), ours_s, theirs_s, max_relative_difference(ours, theirs, "area", column_pairs()))


def main() -> list[dict]:
    print(f"jsna.stats vs PHStatsMethods {importlib.metadata.version('PHStatsMethods')}: {N_AREAS:,} areas, seed {SEED}")
    print(f"targets: at least {TARGET_SPEEDUP:g}x faster, values and limits equal to {TARGET_RELATIVE:g} relative\n")
    results = [bench_proportion(), bench_crude_rate(), bench_dsr()]
    met = all(r["speed_ok"] and r["equal_ok"] for r in results)
    print(f"\nall targets {'met' if met else 'NOT met'}")
    return results


if __name__ == "__main__":
    main()
