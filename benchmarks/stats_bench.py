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


LE_TARGET_S = 2.0
SII_AREAS = 1_000
SII_REPETITIONS = 100_000
SII_TARGET_S = 10.0


def timing_report(name: str, rows: int, seconds: float, target_s: float, sane: bool, note: str) -> dict:
    """Line for a method with no PHStatsMethods equivalent: time against an absolute target."""
    speed_ok = seconds < target_s
    print(
        f"{name:<16} rows={rows:>7,}  jsna={seconds * 1000:9.1f} ms  target < {target_s:g} s "
        f"[{'met' if speed_ok else 'NOT met'}]  check [{'passed' if sane else 'FAILED'}]  ({note})"
    )
    return {"name": name, "rows": rows, "jsna_s": seconds, "phsm_s": float("nan"), "ratio": float("nan"),
            "max_rel": float("nan"), "speed_ok": speed_ok, "equal_ok": sane}


def bench_life_expectancy() -> dict:
    """10,000 areas x 20 age bands (0, 1-4, ..., 90+); target under 2 seconds.

    PHStatsMethods has no life expectancy; accuracy is tested in tests/test_stats_life_expectancy.py.
    """
    from jsna.stats.life_expectancy import AGE_BANDS as LE_BANDS
    from jsna.stats.life_expectancy import life_expectancy

    rng = np.random.default_rng(SEED + 3)
    n_bands = len(LE_BANDS)
    shares = np.array([0.011, 0.045, 0.06, 0.058, 0.056, 0.062, 0.068, 0.067, 0.064, 0.062,
                       0.068, 0.07, 0.066, 0.058, 0.055, 0.052, 0.036, 0.027, 0.017, 0.008])
    death_rate = np.geomspace(1e-4, 0.24, n_bands)
    death_rate[0] = 4e-3  # infant mortality
    totals = rng.uniform(20_000, 400_000, N_AREAS)
    population = np.maximum(1, np.round(totals[:, None] * shares * rng.uniform(0.8, 1.2, (N_AREAS, n_bands))))
    deaths = rng.poisson(population * death_rate * rng.uniform(0.7, 1.4, (N_AREAS, 1)))
    deaths[:, -1] = np.maximum(deaths[:, -1], 1)
    df = pd.DataFrame({"area": np.repeat(area_codes(), n_bands), "age_band": np.tile(LE_BANDS, N_AREAS),
                       "deaths": deaths.ravel(), "population": population.ravel()})

    seconds, out = timed(lambda: life_expectancy(df, "deaths", "population", group_by="area"), 3)
    shown = out.dropna(subset=["value"])
    sane = bool(len(shown) > 0.9 * len(out)) and bool(
        ((shown["lower_99_8"] <= shown["lower_95_0"]) & (shown["lower_95_0"] <= shown["value"])
         & (shown["value"] <= shown["upper_95_0"]) & (shown["upper_95_0"] <= shown["upper_99_8"])).all()
    )
    return timing_report("life_expectancy", len(df), seconds, LE_TARGET_S, sane,
                         "check: limits bracket values; no PHStatsMethods equivalent; accuracy in tests/test_stats_life_expectancy.py")


def bench_sii() -> dict:
    """1,000 areas x 10 deciles, 100,000 simulations for the limits; target under 10 seconds.

    Also times (for information) rates sampled log-normally without transform, the R default for
    rates, where the draws cannot be combined before the refit.
    """
    from jsna.stats.inequality import sii

    rng = np.random.default_rng(SEED + 4)
    n = SII_AREAS * 10
    slope = rng.normal(10, 3, SII_AREAS)
    base = rng.uniform(70, 80, SII_AREAS)
    decile = np.tile(np.arange(1, 11), SII_AREAS)
    value = np.repeat(base, 10) + np.repeat(slope, 10) * (decile - 0.5) / 10 + rng.normal(0, 0.8, n)
    df = pd.DataFrame({"area": np.repeat(area_codes(SII_AREAS), 10), "decile": decile,
                       "population": rng.integers(4_000, 30_000, n), "value": value, "se": rng.uniform(0.4, 1.6, n)})
    df["rate"] = rng.uniform(400, 900, n)
    df["lower"], df["upper"] = df["rate"] * 0.9, df["rate"] * 1.11

    seconds, out = timed(lambda: sii(df, "decile", "population", "value", se="se", group_by="area",
                                     repetitions=SII_REPETITIONS, seed=SEED))
    sane = bool(
        ((out["sii_lower_99_8"] <= out["sii_lower_95_0"]) & (out["sii_lower_95_0"] <= out["sii"])
         & (out["sii"] <= out["sii_upper_95_0"]) & (out["sii_upper_95_0"] <= out["sii_upper_99_8"])).all()
    )
    result = timing_report("sii", len(df), seconds, SII_TARGET_S, sane,
                           f"check: limits bracket values; {SII_REPETITIONS:,} simulations; no PHStatsMethods equivalent")
    rate_s, _ = timed(lambda: sii(df, "decile", "population", "rate", lower="lower", upper="upper",
                                  value_type="rate", group_by="area", repetitions=SII_REPETITIONS, seed=SEED))
    print(f"{'sii (rates)':<16} rows={len(df):>7,}  jsna={rate_s * 1000:9.1f} ms  "
          "(log-normal sampling, transform=False; for information)")
    return result


ARRIAGA_TARGET_S = 2.0
XMR_SERIES, XMR_POINTS, XMR_TARGET_S = 10_000, 36, 5.0


def bench_arriaga() -> dict:
    """10,000 areas x 2 groups x 20 age bands x 8 causes; target under 2 seconds.

    The check: in every area the contributions add up to the gap in life expectancy (1e-9).
    """
    from jsna.stats.decomposition import arriaga
    from jsna.stats.life_expectancy import AGE_BANDS as LE_BANDS

    rng = np.random.default_rng(SEED + 5)
    n_bands, n_causes = len(LE_BANDS), 8
    rate = np.geomspace(2e-4, 0.2, n_bands)
    shape = (N_AREAS, 2, n_bands, n_causes)
    population = np.broadcast_to(rng.integers(2_000, 20_000, (N_AREAS, 2, n_bands))[..., None], shape)
    excess = np.array([1.3, 1.0])[None, :, None, None]  # the reference group dies faster
    deaths = rng.poisson(population * rate[None, None, :, None] / n_causes * excess * rng.uniform(0.5, 1.5, shape))
    deaths[:, :, -1, 0] = np.maximum(deaths[:, :, -1, 0], 1)
    index = np.indices(shape).reshape(4, -1)
    df = pd.DataFrame({"area": area_codes()[index[0]], "group": index[1] + 1, "age_band": np.asarray(LE_BANDS)[index[2]],
                       "cause": index[3], "deaths": deaths.ravel(), "population": population.ravel()})  # fmt: skip
    seconds, out = timed(lambda: arriaga(df, "deaths", "population", group="group", reference=1, comparison=2, cause="cause",
                                         group_by="area"), 3)  # fmt: skip
    totals = out.groupby("area", observed=True).agg(total=("contribution", "sum"), gap=("gap", "first"))
    sane = bool(np.allclose(totals["total"], totals["gap"], rtol=0, atol=1e-9))
    return timing_report("arriaga", len(df), seconds, ARRIAGA_TARGET_S, sane, "check: contributions sum to the gap")


def bench_xmr() -> dict:
    """10,000 series x 36 points of Making Data Count XmR with every rule; target under 5 seconds.

    The check: every point's limits are the series mean -/+ 2.66 x its mean moving range.
    """
    from jsna.stats.spc import xmr

    rng = np.random.default_rng(SEED + 6)
    n = XMR_SERIES * XMR_POINTS
    df = pd.DataFrame({"series": np.repeat(area_codes(XMR_SERIES), XMR_POINTS), "month": np.tile(np.arange(XMR_POINTS), XMR_SERIES),
                       "value": rng.normal(100, 10, n) + np.tile(np.linspace(0, 15, XMR_POINTS), XMR_SERIES) * rng.integers(0, 2, n)})  # fmt: skip
    seconds, (points, summary) = timed(lambda: xmr(df, "value", period="month", group_by="series", polarity="high", target=105), 3)
    by_series = df.groupby("series")["value"]
    mr_bar = df.assign(mr=by_series.diff().abs()).groupby("series")["mr"].mean()
    expected = (by_series.mean() + 2.66 * mr_bar).reindex(summary["series"]).to_numpy()
    sane = bool(np.allclose(summary["upper_process_limit"].to_numpy(), expected, rtol=1e-12))
    return timing_report("xmr", n, seconds, XMR_TARGET_S, sane, "check: limits = mean +/- 2.66 x mean moving range")


def main() -> list[dict]:
    print(f"jsna.stats vs PHStatsMethods {importlib.metadata.version('PHStatsMethods')}: {N_AREAS:,} areas, seed {SEED}")
    print(f"targets: at least {TARGET_SPEEDUP:g}x faster, values and limits equal to {TARGET_RELATIVE:g} relative\n")
    results = [bench_proportion(), bench_crude_rate(), bench_dsr()]
    results += [bench_life_expectancy(), bench_sii(), bench_arriaga(), bench_xmr()]
    met = all(r["speed_ok"] and r["equal_ok"] for r in results)
    print(f"\nall targets {'met' if met else 'NOT met'}")
    return results


if __name__ == "__main__":
    main()
