"""Geography kits: the real Dudley kit read as published, a second authority's kit in other
layouts, what is refused and how, and the parameters a kit implies.

Expected figures are read independently from the kit's files with the csv module, not through
the code under test.
"""

from __future__ import annotations

import csv
import gzip
import shutil
from pathlib import Path

import numpy as np
import pytest
import yaml

from jsna.errors import DataError
from jsna.inputs.kit import (
    AGED_85_89_SHARE,
    UNDER_ONE_SHARE,
    kit_parameters,
    load_kit,
    readable_name,
    write_kit_parameters,
)
from jsna.inputs.places import load_area_types, load_chapters

ROOT = Path(__file__).resolve().parent.parent
DUDLEY = ROOT / "data" / "kits" / "dudley"
EXAMPLETON = ROOT / "tests" / "kits" / "exampleton"


def rows(path: Path) -> list[dict]:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="module")
def dudley():
    return load_kit(DUDLEY)


@pytest.fixture(scope="module")
def exampleton():
    return load_kit(EXAMPLETON)


# --------------------------------------------------------------------------------------------
# Dudley: the real published files
# --------------------------------------------------------------------------------------------
def test_dudley_kit_has_the_real_lsoas_wards_and_townships(dudley) -> None:
    lookup = rows(DUDLEY / "dudley_lsoa11_msoa11_ward_lookup.csv")
    assert len(dudley.small_areas) == len(lookup) == 201
    assert dudley.wards["code"].tolist() == [f"E050012{n}" for n in range(36, 60)]
    assert dict(zip(dudley.small_areas["code"], dudley.small_areas["ward_code"])) == {r["lsoa11_code"]: r["ward17_code"] for r in lookup}
    townships = rows(DUDLEY / "dudley_townships.csv")
    assert dudley.localities["code"].tolist() == [f"XT000000{n}" for n in range(1, 6)]
    assert dict(zip(dudley.wards["code"], dudley.wards["locality_code"])) == {r["ward_code"]: r["township_code"] for r in townships}
    assert dudley.locality_words == ("township", "townships") and dudley.authority_words == ("borough", "boroughs")


def test_dudley_population_and_deprivation_are_the_published_figures(dudley) -> None:
    published = rows(DUDLEY / "dudley_population_lsoa11_persons_syoa_mid2017_2019_2020.csv")
    ages = [c for c in published[0] if c.isdigit() or c == "90+"]
    totals = {}
    for r in published:
        totals[int(r["year"])] = totals.get(int(r["year"]), 0) + sum(int(r[a]) for a in ages)
    assert totals == {2017: 319419, 2019: 321596, 2020: 322363}  # the README's figures
    assert dudley.population.groupby("year")["population"].sum().round().astype(int).to_dict() == totals
    assert set(dudley.population["sex"]) == {"Persons"} and dudley.population_modelled == ("the split by sex",)
    first = next(r for r in published if r["year"] == "2019")
    band = dudley.population.set_index(["code", "year", "age_band"])["population"]
    assert band[(first["lsoa11_code"], 2019, "5-9")] == sum(int(first[str(a)]) for a in range(5, 10))
    imd = {r["lsoa11_code"]: (float(r["imd2019_score"]), int(float(r["IMD_decile"]))) for r in rows(DUDLEY / "dudley_imd2019_lsoa11.csv")}
    assert {c: (s, d) for c, s, d in dudley.deprivation[["code", "imd_score", "imd_decile"]].itertuples(index=False)} == imd


def test_dudley_practices_networks_and_the_two_unallocated(dudley) -> None:
    mapping = rows(DUDLEY / "dudley_gp_practice_pcn_map_2022-01.csv")
    sizes = {r["CODE"]: int(r["NUMBER_OF_PATIENTS"]) for r in rows(DUDLEY / "dudley_gp_practice_list_size_2021-01.csv")
             if r["SEX"] == "ALL" and r["AGE"] == "ALL"}  # fmt: skip
    assert len(dudley.practices) == 43 and dudley.practices["list_size"].sum() == sum(sizes.values()) == 327966
    assert len(dudley.networks) == 6 and "Dudley and Netherton PCN" in set(dudley.networks["name"])
    unallocated = {r["PRACTICE_CODE"] for r in mapping if r["PCN_CODE"] == "U"}
    assert unallocated == {"M87001", "M87605"}
    placed = dudley.practices.set_index("code").loc[sorted(unallocated), "network_code"]
    assert (placed != "U").all() and placed.isin(dudley.networks["code"]).all()
    assert len(dudley.placed) == 2 and all("postcode district" in text for text in dudley.placed)
    # Each went where most practices of its postcode district are (computed here from the file).
    for code in unallocated:
        me = next(r for r in mapping if r["PRACTICE_CODE"] == code)
        district = me["PRACTICE_POSTCODE"].split()[0]
        neighbours = [r["PCN_CODE"] for r in mapping if r["PCN_CODE"] != "U" and r["PRACTICE_POSTCODE"].split()[0] == district]
        assert placed[code] == max(sorted(set(neighbours)), key=neighbours.count)


def test_dudley_boundaries_cover_every_ward_and_small_area(dudley) -> None:
    assert set(dudley.boundaries) == {"wards", "small_areas"}
    assert all(path.is_file() for path, _ in dudley.boundaries.values())


def test_readable_names() -> None:
    assert readable_name("DUDLEY AND NETHERTON PCN") == "Dudley and Netherton PCN"
    assert readable_name("ST JAMES MEDICAL PRACTICE") == "St James Medical Practice"
    assert readable_name("DR. B. K. PRASHARA") == "Dr. B. K. Prashara"
    assert readable_name("Already Mixed case") == "Already Mixed case"


# --------------------------------------------------------------------------------------------
# Exampleton: another authority, other layouts
# --------------------------------------------------------------------------------------------
def test_second_kit_reads_a_long_population_by_sex_in_five_year_bands(exampleton) -> None:
    assert exampleton.authority.code == "E06000999" and exampleton.region.name == "South West"
    assert len(exampleton.wards) == 18 and exampleton.locality_words is None and exampleton.localities.empty
    assert exampleton.wards["locality_code"].isna().all()
    published = rows(EXAMPLETON / "population_sex_5yr.csv.gz")
    assert set(exampleton.population["sex"]) == {"Male", "Female"}
    total = sum(int(r["population"]) for r in published)
    assert exampleton.population["population"].sum() == pytest.approx(total)
    code = published[0]["lsoa_code"]
    under_five = sum(int(r["population"]) for r in published if r["lsoa_code"] == code and r["mid_year"] == "2020" and r["sex"] == "F" and r["age"] == "0-4")
    over_85 = sum(int(r["population"]) for r in published if r["lsoa_code"] == code and r["mid_year"] == "2020" and r["sex"] == "F" and r["age"] == "85+")
    band = exampleton.population.set_index(["code", "year", "sex", "age_band"])["population"]
    assert band[(code, 2020, "Female", "0")] == pytest.approx(under_five * UNDER_ONE_SHARE)
    assert band[(code, 2020, "Female", "1-4")] == pytest.approx(under_five * (1 - UNDER_ONE_SHARE))
    assert band[(code, 2020, "Female", "85-89")] == pytest.approx(over_85 * AGED_85_89_SHARE)
    assert len(exampleton.population_modelled) == 2 and "the split by sex" not in exampleton.population_modelled


def test_second_kit_recognises_the_iod_file_7_headings(exampleton) -> None:
    published = {r["LSOA code (2011)"]: float(r["Index of Multiple Deprivation (IMD) Score"]) for r in rows(EXAMPLETON / "imd2019.csv")}
    assert dict(zip(exampleton.deprivation["code"], exampleton.deprivation["imd_score"])) == published


def test_kit_parameters_use_the_kits_words_and_no_locality(exampleton, tmp_path) -> None:
    written = write_kit_parameters(exampleton, tmp_path)
    assert set(written) == {"place_types.yml", "places.yml", "release.yml", "chapters.yml", "disclosure.yml", "spc.yml"}
    types = load_area_types(tmp_path / "place_types.yml", load_chapters(tmp_path / "chapters.yml", ROOT))
    assert types.with_role("authority") == "district" and types.playing("locality") is None
    assert types["ward"].parent == "district" and types.the_authority() == "the district"
    assert "services" not in types["district"].chapters
    places = yaml.safe_load((tmp_path / "places.yml").read_text())["places"]
    assert places == [{"all": "district"}, {"all": "ward"}, {"all": "pcn"}]
    release = yaml.safe_load((tmp_path / "release.yml").read_text())
    assert release["title"].startswith("Exampleton ") and "Dudley" not in (tmp_path / "release.yml").read_text()


def test_dudley_kit_parameters_match_the_projects_place_types(dudley) -> None:
    files = kit_parameters(dudley, ROOT / "parameters")
    declared = yaml.safe_load(files["place_types.yml"])["area_types"]
    assert list(declared) == ["country", "region", "borough", "township", "ward", "small_area", "pcn", "practice"]
    assert declared["township"]["role"] == "locality" and declared["township"]["title"] == "{name} township"
    assert declared["ward"]["parent"] == "township"


# --------------------------------------------------------------------------------------------
# What a kit refuses, and how it says so
# --------------------------------------------------------------------------------------------
def broken_kit(tmp_path: Path, edit_file: str | None = None, change=None, kit_yml=None) -> DataError:
    folder = tmp_path / "kit"
    shutil.copytree(EXAMPLETON, folder)
    if kit_yml is not None:
        spec = yaml.safe_load((folder / "kit.yml").read_text())
        kit_yml(spec)
        (folder / "kit.yml").write_text(yaml.safe_dump(spec, sort_keys=False))
    if edit_file is not None:
        path = folder / edit_file
        lines = path.read_text(encoding="utf-8").splitlines()
        path.write_text("\n".join(change(lines)) + "\n", encoding="utf-8")
    with pytest.raises(DataError) as raised:
        load_kit(folder)
    return raised.value


def test_a_folder_without_kit_yml(tmp_path) -> None:
    with pytest.raises(DataError, match="not a geography kit: no kit.yml"):
        load_kit(tmp_path)


def test_an_unknown_part_of_kit_yml(tmp_path) -> None:
    error = broken_kit(tmp_path, kit_yml=lambda spec: spec.update(wards={"file": "x.csv"}))
    assert "unknown part 'wards'" in str(error) and error.line is not None


def test_a_column_that_cannot_be_found_says_how_to_name_it(tmp_path) -> None:
    error = broken_kit(tmp_path, "lsoa_ward_lookup.csv", lambda lines: ["LSOA,WD19CD,WD19NM,LSOA11NM"] + lines[1:])
    assert error.line == 1 and "no column for small_area_code" in str(error) and "kit.yml" in str(error)


def test_a_bad_code_in_the_lookup_names_its_line(tmp_path) -> None:
    error = broken_kit(tmp_path, "lsoa_ward_lookup.csv", lambda lines: lines[:5] + ["E0199,Bad,E05999001,Abbey"] + lines[5:])
    assert error.row == 5 and error.line == 6 and error.column == "small_area_code" and "9-character ONS code" in str(error)


def test_a_small_area_without_deprivation(tmp_path) -> None:
    error = broken_kit(tmp_path, "imd2019.csv", lambda lines: lines[:-1])
    assert "of the lookup has no deprivation score" in str(error) and "imd2019.csv" in str(error)


def test_an_age_that_is_neither_a_year_nor_a_band(tmp_path) -> None:
    folder = tmp_path / "kit"
    shutil.copytree(EXAMPLETON, folder)
    table = rows(folder / "population_sex_5yr.csv.gz")
    table[3]["age"] = "15-21"
    with gzip.open(folder / "population_sex_5yr.csv.gz", "wt", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(table[0]))
        writer.writeheader()
        writer.writerows(table)
    with pytest.raises(DataError, match=r"age 15-21 is neither a single year"):
        load_kit(folder)


def test_a_practice_with_no_network_and_no_neighbour(tmp_path) -> None:
    def unallocate(lines):
        cells = lines[1].split(",")
        cells[2], cells[3] = "ZZ9 9ZZ", "U"
        return [lines[0], ",".join(cells)] + lines[2:]

    error = broken_kit(tmp_path, "practices.csv", unallocate, kit_yml=lambda spec: spec["practices"].update(unallocated="U"))
    assert error.row == 1 and "no network and no other practice in its postcode district (ZZ9)" in str(error)


def test_boundaries_must_cover_every_ward(tmp_path) -> None:
    def with_boundaries(spec):
        spec["boundaries"] = {"wards": {"file": "wards.geojson", "code": "WD19CD"}}

    folder = tmp_path / "kit"
    shutil.copytree(EXAMPLETON, folder)
    (folder / "wards.geojson").write_text('{"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {"WD19CD": "E05999001"}, '
                                          '"geometry": null}]}')  # fmt: skip
    spec = yaml.safe_load((folder / "kit.yml").read_text())
    with_boundaries(spec)
    (folder / "kit.yml").write_text(yaml.safe_dump(spec))
    with pytest.raises(DataError, match=r"no boundary for E05999002 \(17 area\(s\) missing\)"):
        load_kit(folder)


def test_a_locality_file_that_misses_a_ward(tmp_path) -> None:
    folder = tmp_path / "kit"
    shutil.copytree(EXAMPLETON, folder)
    wards = sorted({r["WD19CD"] for r in rows(folder / "lsoa_ward_lookup.csv")})
    (folder / "areas.csv").write_text("ward_code,locality_code,locality_name\n" + "".join(f"{w},XL0000001,North\n" for w in wards[:-1]))
    spec = yaml.safe_load((folder / "kit.yml").read_text())
    spec["localities"] = {"file": "areas.csv", "singular": "locality", "plural": "localities"}
    (folder / "kit.yml").write_text(yaml.safe_dump(spec))
    with pytest.raises(DataError, match=rf"ward {wards[-1]} \(Westcliff\) is in no locality"):
        load_kit(folder)


def test_population_totals_are_whole_people_per_band(exampleton) -> None:
    """Five-year bands other than 0-4 and 85+ are kept exactly as published (no rounding, no split)."""
    middle = exampleton.population.loc[~exampleton.population["age_band"].isin(["0", "1-4", "85-89", "90+"]), "population"]
    assert np.array_equal(middle, middle.round())


# --------------------------------------------------------------------------------------------
# One catalogue for every authority: its areas are levels, resolved to each one's area types
# --------------------------------------------------------------------------------------------
def catalogue_on(types_folder: Path, entries: list[dict], tmp_path: Path) -> list[dict]:
    from jsna.compute.methods import METHODS
    from jsna.inputs.catalogue import load_catalogue

    path = tmp_path / "indicators.yml"
    path.write_text(yaml.safe_dump(entries, sort_keys=False), encoding="utf-8")
    chapters = load_chapters(types_folder / "chapters.yml", ROOT)
    return load_catalogue(path, methods=METHODS, area_types=load_area_types(types_folder / "place_types.yml", chapters), chapters=chapters)


def project_entries() -> list[dict]:
    return yaml.safe_load((ROOT / "data" / "indicators.yml").read_text(encoding="utf-8"))


def test_the_projects_catalogue_resolves_for_an_authority_without_localities(exampleton, tmp_path) -> None:
    write_kit_parameters(exampleton, tmp_path / "parameters")
    entries = project_entries()
    resolved = {e["id"]: e["areas"] for e in catalogue_on(tmp_path / "parameters", entries, tmp_path)}
    dudley = {e["id"]: e["areas"] for e in catalogue_on(ROOT / "parameters", entries, tmp_path)}
    assert len(resolved) == len(entries) == len(dudley)
    raw = {e["id"]: e["areas"] for e in entries}
    levels = next(i for i, areas in raw.items() if areas == ["authority", "locality", "ward"])
    assert dudley[levels] == ["borough", "township", "ward"] and resolved[levels] == ["district", "ward"]
    network = next(i for i, areas in raw.items() if "network" in areas)
    assert "pcn" in resolved[network] and "practice" in resolved[network]


def test_an_unknown_level_word_is_refused_at_its_line(tmp_path) -> None:
    entry = {**project_entries()[0], "areas": ["authority", "neighbourhood"]}
    with pytest.raises(DataError) as raised:
        catalogue_on(ROOT / "parameters", [entry], tmp_path)
    assert "'neighbourhood' is neither a level (authority, locality, ward, network" in str(raised.value) and raised.value.field == "areas"


def test_an_entry_whose_levels_all_are_absent_is_refused(exampleton, tmp_path) -> None:
    write_kit_parameters(exampleton, tmp_path / "parameters")
    entry = {**project_entries()[0], "areas": ["locality"]}
    with pytest.raises(DataError, match=r"none of the areas \['locality'\] exists in this authority's place types"):
        catalogue_on(tmp_path / "parameters", [entry], tmp_path)


def test_a_kit_of_national_files_and_a_population_file_per_year(dudley, tmp_path) -> None:
    """A national lookup (filtered to the authority by the column holding its code), a population
    file per year without a year column and with ONS's other headings: the same kit as Dudley's."""
    folder = tmp_path / "kit"
    shutil.copytree(DUDLEY, folder)
    lookup = rows(DUDLEY / "dudley_lsoa11_msoa11_ward_lookup.csv")
    other = dict(lookup[0], lsoa11_code="E01999999", ward17_code="E05999999", ward_name="Elsewhere", ltla21_code="E08000099")
    with open(folder / "national_lookup.csv", "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(lookup[0]))
        writer.writeheader()
        writer.writerows([other] + lookup)
    published = rows(DUDLEY / "dudley_population_lsoa11_persons_syoa_mid2017_2019_2020.csv")
    parts = []
    for year in ("2017", "2019", "2020"):
        name = f"sape_mid{year}.csv"
        with open(folder / name, "w", newline="", encoding="utf-8") as handle:
            fields = ["LSOA 2011 Code", "LSOA 2011 Name"] + [c for c in published[0] if c.isdigit() or c == "90+"]
            writer = csv.DictWriter(handle, fieldnames=fields, extrasaction="ignore")
            writer.writeheader()
            writer.writerows({**r, "LSOA 2011 Code": r["lsoa11_code"], "LSOA 2011 Name": r["lsoa11_name"]} for r in published if r["year"] == year)
        parts.append({"file": name, "year": int(year), "source": f"ONS SAPE mid-{year}"})
    spec = yaml.safe_load((folder / "kit.yml").read_text())
    spec["lookup"]["file"] = "national_lookup.csv"
    spec["population"] = parts
    (folder / "kit.yml").write_text(yaml.safe_dump(spec, sort_keys=False))
    kit = load_kit(folder)
    assert kit.small_areas["code"].tolist() == dudley.small_areas["code"].tolist()
    assert kit.population.equals(dudley.population)
    assert kit.sources["population"] == "ONS SAPE mid-2017; ONS SAPE mid-2019; ONS SAPE mid-2020"
    parts[1]["year"] = 2017
    spec["population"] = parts
    (folder / "kit.yml").write_text(yaml.safe_dump(spec, sort_keys=False))
    with pytest.raises(DataError, match="sape_mid2019.csv: the population of 2017 is already in another population file"):
        load_kit(folder)
