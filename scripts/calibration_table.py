"""Print the borough's computed values next to the real published figures for the same period.

    .venv/bin/python scripts/calibration_table.py [--store _build/store]

For the demonstration data this shows how close the synthetic borough lands to Dudley's real
published values (data/reference/comparators.csv, area E08000027); on real data it is a check
that the book reproduces the published figures.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
BOROUGH = "E08000027"


def calibration_table(store: Path, comparators: Path) -> pd.DataFrame:
    indicators = pd.read_parquet(store / "indicators.parquet")
    published = pd.read_csv(comparators)
    published = published.loc[published["area_code"] == BOROUGH, ["indicator_id", "period", "sex", "value"]]
    borough = indicators.loc[indicators["area_code"] == BOROUGH]
    table = published.merge(borough, on=["indicator_id", "period", "sex"], how="left", suffixes=("_published", ""))
    table["difference"] = table["value"] - table["value_published"]
    columns = ["indicator_name", "period", "sex", "value", "lower_95_0", "upper_95_0", "value_published", "difference"]
    return table[columns].rename(columns={"value": "book", "value_published": "published Dudley"})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", type=Path, default=ROOT / "_build" / "store")
    parser.add_argument("--comparators", type=Path, default=ROOT / "data" / "reference" / "comparators.csv")
    args = parser.parse_args()
    print(calibration_table(args.store, args.comparators).to_markdown(index=False, floatfmt=".2f"))


if __name__ == "__main__":
    main()
