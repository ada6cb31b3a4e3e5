"""Writes tests/kits/exampleton: an invented authority's geography kit, in layouts other than
Dudley's, to show the book builds for an authority from its kit alone.

Exampleton differs from Dudley in everything the kit can vary: invented codes (E06000999,
wards E05999001-18, LSOAs E01999001-), another region (South West), 18 wards in no locality
grouping, deprivation under the column names of the IoD 2019 File 7, a long population by sex
in five-year bands (0-4 and 85+ as ONS publishes them), practices with their list sizes in the
same file, no unallocated practice and no boundaries. Run once; the files are committed.

:func:`write_kit` makes the same kind of kit for any number of invented authorities (the scale
benchmark's, ``benchmarks/scale_bench.py``): authority ``k`` has its own codes (E06000k, wards
E05(800+k)nnn, small areas E01(800+k)nnn, practices Ykknnn, networks Ukknnn), name and seed.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

OUT = Path(__file__).parent / "exampleton"
WARDS = ["Abbey", "Brookside", "Castle Hill", "Dene", "Eastgate", "Fairfield", "Greenbank", "Harbour", "Ironbridge",
         "Kingsmead", "Longford", "Marsh End", "Northgate", "Orchard", "Priory", "Queensway", "Riverside", "Westcliff"]  # fmt: skip
BANDS = ["0-4"] + [f"{a}-{a + 4}" for a in range(5, 85, 5)] + ["85+"]


def main() -> None:
    write_kit(OUT, authority=("E06000999", "Exampleton"), region=("E12000009", "South West"), ward_codes="E05999", area_codes="E01999",
              practice_prefix="Y99", networks=[("U99001", "EXAMPLETON NORTH PCN"), ("U99002", "EXAMPLETON CENTRAL PCN"),
                                                ("U99003", "WESTCLIFF AND HARBOUR PCN")], seed=2026)  # fmt: skip


def synthetic_kit(out: Path, k: int, *, wards: int = 20) -> Path:
    """Invented authority number ``k`` (1-99): its own codes, name and seed; a kit.yml included."""
    names = [f"{WARDS[i % len(WARDS)]}{'' if i < len(WARDS) else f' {i // len(WARDS) + 1}'}" for i in range(wards)]
    networks = [(f"U{k:02d}{j:03d}", f"TESTSHIRE {k} NETWORK {j}") for j in (1, 2, 3)]
    name = f"Testshire {k}"
    write_kit(out, authority=(f"E06000{k:03d}", name), region=("E12000009", "South West"), ward_codes=f"E05{800 + k:03d}",
              area_codes=f"E01{800 + k:03d}", practice_prefix=f"Y{k:02d}", networks=networks, seed=1000 + k, wards=names)  # fmt: skip
    (out / "kit.yml").write_text(KIT_YML.format(code=f"E06000{k:03d}", name=name), encoding="utf-8")
    return out


KIT_YML = """# An invented authority for the scale benchmark (tests/kits/make_exampleton.py, synthetic_kit).
authority: {{code: {code}, name: {name}, singular: district, plural: districts}}
region: {{code: E12000009, name: South West}}
lookup: {{file: lsoa_ward_lookup.csv, source: Invented for the benchmark (ONS lookup layout)}}
deprivation: {{file: imd2019.csv, source: Invented for the benchmark (IoD 2019 File 7 layout)}}
population: {{file: population_sex_5yr.csv.gz, source: Invented for the benchmark (long, by sex, five-year bands)}}
practices: {{file: practices.csv, year: 2021, source: Invented for the benchmark}}
"""


def write_kit(out: Path, *, authority: tuple[str, str], region: tuple[str, str], ward_codes: str, area_codes: str, practice_prefix: str,
              networks: list[tuple[str, str]], seed: int, wards: list[str] = WARDS) -> None:  # fmt: skip
    """The kit's data files (lookup, deprivation, population, practices) for one invented authority."""
    rng = np.random.default_rng(seed)
    out.mkdir(parents=True, exist_ok=True)
    place = authority[1]
    lookup, n = [], 0
    for w, ward in enumerate(wards, start=1):
        for _ in range(int(rng.integers(4, 8))):
            n += 1
            lookup.append({"LSOA11CD": f"{area_codes}{n:03d}", "LSOA11NM": f"{place} {n:03d}A", "WD19CD": f"{ward_codes}{w:03d}", "WD19NM": ward})
    lookup = pd.DataFrame(lookup)
    lookup.to_csv(out / "lsoa_ward_lookup.csv", index=False)
    score = np.round(np.clip(rng.gamma(2.2, 10.0, n), 1.5, 80.0), 3)
    decile = np.clip(11 - np.ceil(score / 8.0), 1, 10).astype(int)
    pd.DataFrame({"LSOA code (2011)": lookup["LSOA11CD"], "LSOA name (2011)": lookup["LSOA11NM"],
                  "Index of Multiple Deprivation (IMD) Score": score,
                  "Index of Multiple Deprivation (IMD) Decile (where 1 is most deprived 10% of LSOAs)": decile}).to_csv(out / "imd2019.csv", index=False)  # fmt: skip
    shape = np.array([5.8, 6.0, 5.9, 5.6, 6.2, 6.8, 6.7, 6.3, 6.0, 6.4, 7.0, 6.9, 6.2, 5.7, 5.5, 4.3, 3.0, 2.2], dtype=float)
    shape /= shape.sum()
    rows = []
    for code in lookup["LSOA11CD"]:
        total = rng.normal(1650, 180)
        for year in (2019, 2020, 2021):
            for sex, share in (("M", 0.49), ("F", 0.51)):
                counts = rng.poisson(total * share * shape * (1 + 0.004 * (year - 2019)))
                rows += [{"lsoa_code": code, "mid_year": year, "sex": sex, "age": band, "population": int(c)} for band, c in zip(BANDS, counts)]
    pd.DataFrame(rows).to_csv(out / "population_sex_5yr.csv.gz", index=False, compression={"method": "gzip", "mtime": 0})
    practices = []
    for p in range(12):
        code, name = networks[p % 3]
        practices.append({"practice_code": f"{practice_prefix}{p + 1:03d}", "practice_name": f"{['THE', 'ST', 'NEW'][p % 3]} {wards[p % len(wards)].upper()} SURGERY",
                          "postcode": f"EX{p % 3 + 1} {p + 1}AB", "pcn_code": code, "pcn_name": name, "list_size": int(rng.integers(4000, 16000))})  # fmt: skip
    pd.DataFrame(practices).to_csv(out / "practices.csv", index=False)


if __name__ == "__main__":
    main()
