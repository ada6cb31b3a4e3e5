"""The reader of OHID Fingertips CSV exports (jsna.inputs.fingertips) and ``python -m jsna fingertips``.

The exports here are written by hand, cell by cell and line ending by line ending, so that every
line number the tests expect is counted from the text itself; the real export in
``data/fingertips/`` is checked against the csv module reading it independently.
"""

from __future__ import annotations

import csv
import gzip
import math
from pathlib import Path

import pandas as pd
import pytest

from jsna.__main__ import main
from jsna.errors import DataError
from jsna.inputs.fingertips import (
    Export,
    Skipped,
    extraction_date,
    normalise_period,
    read_export,
    read_exports,
    source_text,
)
from jsna.inputs.periods import period_label

ROOT = Path(__file__).resolve().parent.parent
REAL = ROOT / "data" / "fingertips" / "ft_countyua-pre419_drugs-mental-health_eastmidlands.csv"
SHARED = ROOT.parent / "shared" / "realdata" / "fingertips" / REAL.name

#: Fingertips headers and the short names these tests use to fill them (independent of COLUMNS).
WEB = {
    "Indicator ID": "id", "Indicator Name": "name", "Parent Code": "parent", "Parent Name": "parent_name",
    "Area Code": "area", "Area Name": "area_name", "Area Type": "type", "Sex": "sex", "Age": "age",
    "Category Type": "ctype", "Category": "cat", "Time period": "period", "Value": "value",
    "Lower CI 95.0 limit": "lo95", "Upper CI 95.0 limit": "hi95", "Lower CI 99.8 limit": "lo998",
    "Upper CI 99.8 limit": "hi998", "Count": "count", "Denominator": "denominator", "Value note": "note",
    "Recent Trend": "trend", "Compared to England value or percentiles": "vs_england",
    "Compared to Region value or percentiles": "vs_region", "Time period Sortable": "sortable",
    "New data": "new", "Compared to goal": "goal",
}  # fmt: skip
API = {h: s for h, s in WEB.items() if h != "Compared to Region value or percentiles"}
API = {**dict(list(API.items())[:22]), "Compared to percentiles": "vs_percentiles", **dict(list(API.items())[22:]),
       "Time period range": "range"}  # fmt: skip

#: The columns of Export.rows, in order.
NORMALISED = [
    "indicator_id", "indicator_name", "parent_code", "parent_name", "area_code", "area_name", "area_type", "sex", "age",
    "category_type", "category", "period", "value", "lower_95", "upper_95", "lower_998", "upper_998", "count",
    "denominator", "value_note", "recent_trend", "compared_to_england", "compared_to_region", "compared_to_percentiles",
    "period_sortable", "period_range", "new_data", "compared_to_goal",
    "file", "line", "extracted", "annual", "start_year", "end_year", "year_type", "breakdown", "note",
]  # fmt: skip

DEFAULT = {
    "id": "90402", "name": "Children leaving care", "parent": "E12000005", "parent_name": "West Midlands region",
    "area": "E08000027", "area_name": "Dudley", "type": "County & UA", "sex": "Persons", "age": "<18 yrs",
    "period": "2017/18", "value": "1", "trend": "Cannot be calculated", "vs_england": "Similar", "vs_region": "Similar",
    "sortable": "20170000", "vs_percentiles": "Not compared", "range": "1y",
}  # fmt: skip


def record(layout: dict[str, str], **cells: str) -> str:
    """One CSV record of ``layout``'s columns, quoted where a cell needs it (no line ending)."""
    values = {**DEFAULT, **cells}
    out = []
    for short in layout.values():
        cell = values.get(short, "")
        out.append('"' + cell.replace('"', '""') + '"' if any(c in cell for c in ',"\r\n') else cell)
    return ",".join(out)


def header(layout: dict[str, str], **renamed: str) -> str:
    return ",".join(renamed.get(h, h) for h in layout)


def write(path: Path, parts: list[str], *, bom: bool = False, encoding: str = "utf-8") -> Path:
    """Write records and line endings exactly as given."""
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + "".join(parts).encode(encoding))
    return path


# --------------------------------------------------------------------------------------------
# A web export (26 columns) with every trap; physical lines in the comments
# --------------------------------------------------------------------------------------------
DECILES = "County & UA deprivation deciles in England (IMD2019, 4/21 geog.)"


def web_export(path: Path) -> Path:
    return write(path, [
        header(WEB, **{"Indicator ID": "IndicatorID", "Lower CI 95.0 limit": "Lower_CI_95.0_limit",
                       "Time period": "time_period", "Upper CI 95.0 limit": "UpperCI95.0limit"}), "\r\n",  # 1
        record(WEB, name="Children leaving care:\nrate per 10,000 children aged under 18", value="55.5",  # 2-3
               lo95="50.1", hi95="60.2", count="1,234", denominator="64,000"), "\n",
        record(WEB, area="E12000005", area_name="West Midlands region", type="Region", parent="E92000001",  # 4
               value="Cannot be calculated", count="*"), "\r",
        record(WEB, value="70.1", ctype=DECILES, cat="Most deprived decile (IMD2019)"), "\r\n",  # 5
        record(WEB, id="93014", name="Suicide rate", period="2015-17", value="12.5", lo95="-",  # 6-8
               note="Value for 2015 - 17\r\nincludes\npartial data"), "\n",
        record(WEB, id="93014", name="Suicide rate", area="", period="2015 - 17", value="9"), "\n",  # 9: no area
        record(WEB, id="93014", name="Suicide rate", area="E92000001", area_name="England", type="England",  # 10
               parent="", parent_name="", period="2015 -17", value="10.0"), "\r",
        record(WEB, id="91126", name="Unemployment", period="2017", value="4.5", count="x"), "\r\n",  # 11
        record(WEB, id="93015", name="Early years", period="2013/14 - 15/16", value="20"), "\n",  # 12
        record(WEB, id="93015", name="Early years", period="2019/20 Q3", value="21"), "\n",  # 13
        record(WEB, id="93015", name="Early years", period="Mar 2020", value=".."), "\n",  # 14
        record(WEB, id="9040x", value="3"), "\r\n",  # 15: not an indicator id
        record(WEB, id="", period=""), "\r\n",  # 16: neither id nor period
        record(WEB, sex="Male", value=""), "\r\n",  # 17: a blank value is kept
        "\r\n",  # a blank line at the end is no record
    ], bom=True)  # fmt: skip


def api_export(path: Path) -> Path:
    return write(path, [
        header(API), "\n",  # 1
        record(API, id="91126", name="Unemployment", period="2017", value="4.5", count=""), "\n",  # 2: as line 11 of web
        record(API, id="92901", name="Ethnic\r\nbreakdown", period="2016 - 18", value="33.3",  # 3-4
               hi95="Cannot be calculated", count="12,345.5", range="3y"), "\r",
        record(API, id="92901", name="Ethnic breakdown", period="2016 - 18", value="31", ctype="Ethnic groups",  # 5
               cat="Asian", range="3y"), "\r",
        record(API, id="92901", name="Ethnic breakdown", period="2016 - 18", value="40", area="E92000001",  # 6
               area_name="England", type="England", parent="", parent_name="", range="3y"), "\n",
    ])  # fmt: skip


def value(rows: pd.DataFrame, column: str, **where: object) -> object:
    chosen = rows
    for name, wanted in where.items():
        chosen = chosen[chosen[name] == wanted]
    assert len(chosen) == 1, (where, len(chosen))
    return chosen[column].iloc[0]


def test_web_export_with_every_trap(tmp_path):
    export = read_export(web_export(tmp_path / "web.csv"))
    rows = export.rows
    assert list(rows.columns) == NORMALISED
    assert rows["line"].tolist() == [2, 4, 5, 6, 10, 11, 12, 13, 14, 17]
    assert [str(s) for s in export.skipped] == [
        "web.csv:9: no area code",
        "web.csv:15: indicator id '9040x' is not a whole number",
        "web.csv:16: no indicator id; no time period",
    ]
    first = rows.iloc[0]
    assert first["indicator_name"] == "Children leaving care:\nrate per 10,000 children aged under 18"
    assert (first["value"], first["lower_95"], first["upper_95"]) == (55.5, 50.1, 60.2)
    assert (first["count"], first["denominator"]) == (1234.0, 64000.0)
    assert math.isnan(first["lower_998"]) and first["note"] == ""
    assert rows["indicator_id"].dtype == "int64" and first["indicator_id"] == 90402

    region = rows[rows["area_code"] == "E12000005"].iloc[0]
    assert math.isnan(region["value"]) and math.isnan(region["count"])
    assert region["note"] == "value 'Cannot be calculated' read as missing; count '*' read as missing"
    assert region["recent_trend"] == "Cannot be calculated"  # a text column keeps its words

    assert rows["breakdown"].tolist() == [False, False, True] + [False] * 7
    decile = rows[rows["breakdown"]].iloc[0]
    assert (decile["category_type"], decile["category"], decile["value"]) == (DECILES, "Most deprived decile (IMD2019)", 70.1)

    suicide = rows[rows["indicator_id"] == 93014]
    assert suicide["period"].tolist() == ["2015 - 17", "2015 - 17"]  # "2015-17" and "2015 -17"
    assert suicide["value_note"].iloc[0] == "Value for 2015 - 17\r\nincludes\npartial data"
    assert suicide["note"].iloc[0] == "lower_95 '-' read as missing"
    assert suicide[["start_year", "end_year"]].astype(int).values.tolist() == [[2015, 2017], [2015, 2017]]

    periods = rows.drop_duplicates("period").set_index("period")
    assert periods.loc["2017/18", ["annual", "start_year", "end_year", "year_type"]].tolist() == [True, 2018, 2018, "financial"]
    assert periods.loc["2017", ["annual", "start_year", "end_year", "year_type"]].tolist() == [True, 2017, 2017, "calendar"]
    assert periods.loc["2013/14 - 15/16", ["start_year", "end_year", "year_type"]].tolist() == [2014, 2016, "financial"]
    for odd in ("2019/20 Q3", "Mar 2020"):
        assert not periods.loc[odd, "annual"] and periods.loc[odd, "year_type"] == ""
        assert pd.isna(periods.loc[odd, "start_year"]) and pd.isna(periods.loc[odd, "end_year"])
    assert math.isnan(value(rows, "value", period="Mar 2020"))
    male = value(rows, "value", sex="Male")
    assert math.isnan(male) and value(rows, "note", sex="Male") == ""
    assert rows["file"].unique().tolist() == ["web.csv"] and rows["extracted"].isna().all()
    assert rows["compared_to_percentiles"].eq("").all() and rows["period_range"].eq("").all()


def test_api_export_and_both_layouts_together(tmp_path):
    api = read_export(api_export(tmp_path / "api_2024-03-05.csv"))
    rows = api.rows
    assert rows["line"].tolist() == [2, 3, 5, 6] and api.skipped == []
    assert rows["extracted"].unique().tolist() == ["2024-03-05"]
    assert rows["compared_to_region"].eq("").all()
    assert rows["compared_to_percentiles"].eq("Not compared").all()
    assert value(rows, "period_range", line=3) == "3y"
    assert value(rows, "count", line=3) == 12345.5
    assert math.isnan(value(rows, "upper_95", line=3))
    assert value(rows, "indicator_name", line=3) == "Ethnic\r\nbreakdown"
    assert rows["breakdown"].tolist() == [False, False, True, False]
    assert value(rows, "category", line=5) == "Asian"
    assert value(rows, "start_year", line=6) == 2016 and value(rows, "year_type", line=6) == "calendar"

    web = web_export(tmp_path / "web.csv")
    both = read_exports([web, tmp_path / "api_2024-03-05.csv"], extracted="2020-01-01")
    # the unemployment row of the API file is the web file's line 11 again (same figures): kept once
    assert len(both.rows) == 10 + 4 - 1
    kept = both.rows[both.rows["indicator_id"] == 91126]
    assert kept[["file", "line", "extracted"]].values.tolist() == [["web.csv", 11, "2020-01-01"]]
    assert both.files == [("web.csv", "2020-01-01"), ("api_2024-03-05.csv", "2024-03-05")]
    assert len(both.skipped) == 3


def test_real_export(tmp_path):
    if SHARED.exists():
        assert REAL.read_bytes() == SHARED.read_bytes()
    with REAL.open(newline="", encoding="utf-8-sig") as f:
        table = list(csv.reader(f))
    head, body = table[0], table[1:]
    export = read_export(REAL, extracted="2024-03-05")
    rows = export.rows
    assert len(rows) == len(body) == 87 and export.skipped == []
    assert rows["indicator_id"].nunique() == 8
    assert sorted(rows["indicator_id"].unique()) == [1730, 10101, 11202, 11501, 90402, 91126, 91872, 92863]
    assert set(rows["area_type"]) == {"England", "Region", "County & UA (pre 4/19)"}
    assert set(rows.loc[rows["area_type"] == "England", "area_code"]) == {"E92000001"}
    assert set(rows.loc[rows["area_type"] == "Region", "area_code"]) == {"E12000004"}
    upper_tier = set(rows.loc[rows["area_type"] == "County & UA (pre 4/19)", "area_code"])
    assert len(upper_tier) == 9 and {"E06000015", "E06000016", "E06000017", "E10000007"} <= upper_tier
    assert rows["annual"].all() and not rows["breakdown"].any()
    assert rows["extracted"].eq("2024-03-05").all()

    column = {name: head.index(name) for name in head}
    for line, cells in enumerate(body, start=2):  # no record of this file spans two lines
        mine = rows[rows["line"] == line].iloc[0]
        assert mine["indicator_id"] == int(cells[column["Indicator ID"]])
        assert mine["area_code"] == cells[column["Area Code"]]
        assert mine["period"] == cells[column["Time period"]]
        for header_name, name in (("Value", "value"), ("Count", "count"), ("Denominator", "denominator"),
                                  ("Lower CI 95.0 limit", "lower_95"), ("Upper CI 99.8 limit", "upper_998")):  # fmt: skip
            text = cells[column[header_name]]
            assert (math.isnan(mine[name]) if text == "" else mine[name] == float(text)), (line, name)
    assert value(rows, "value", indicator_id=91872, area_code="E06000015") == 27.79  # Derby, IMD 2015
    assert value(rows, "value", indicator_id=91872, area_code="E92000001") == 21.7776074153916
    leaving_care = rows[rows["indicator_id"] == 90402]
    assert set(leaving_care["period"]) == {"2015/16"}
    assert set(leaving_care["end_year"]) == {2016} and set(leaving_care["year_type"]) == {"financial"}

    summary = export.summary()
    assert "87 rows" in summary and "8 indicators" in summary
    assert "County & UA (pre 4/19) (9 areas)" in summary and "Region (1 area)" in summary
    assert "90402 Children leaving care: rate per 10,000 children aged under 18: period 2015/16, 11 rows" in summary
    assert "extracted 5 March 2024" in summary


# --------------------------------------------------------------------------------------------
# Headers
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("written", ["IndicatorID", "indicator_id", "INDICATOR ID", "Indicator.ID", " Indicator  ID "])
def test_renamed_indicator_id_header_is_recognised(tmp_path, written):
    path = write(tmp_path / "x.csv", [header(WEB, **{"Indicator ID": written}), "\n", record(WEB), "\n"])
    assert read_export(path).rows["indicator_id"].tolist() == [90402]


@pytest.mark.parametrize("written", ["Lower_CI_95.0_limit", "LowerCI95.0limit", "Lower.CI.95.0.limit", "lower ci 95.0 limit"])
def test_renamed_interval_header_keeps_its_dot(tmp_path, written):
    path = write(tmp_path / "x.csv", [header(WEB, **{"Lower CI 95.0 limit": written}), "\n", record(WEB, lo95="0.5"), "\n"])
    assert read_export(path).rows["lower_95"].tolist() == [0.5]


def test_unknown_header_is_named_with_close_matches(tmp_path):
    path = write(tmp_path / "x.csv", [header(WEB, **{"Indicator Name": "Indicator Nmae"}), "\n", record(WEB), "\n"])
    with pytest.raises(DataError) as caught:
        read_export(path)
    message = str(caught.value)
    assert message.startswith(f"{path}, line 1, column 'Indicator Nmae'")
    assert "unknown column 'Indicator Nmae'" in message and "did you mean 'Indicator Name'" in message


def test_interval_without_its_decimal_is_unknown(tmp_path):
    path = write(tmp_path / "x.csv", [header(WEB, **{"Lower CI 95.0 limit": "Lower CI 950 limit"}), "\n"])
    with pytest.raises(DataError, match=r"unknown column 'Lower CI 950 limit'.*'Lower CI 95.0 limit'"):
        read_export(path)


def test_missing_required_column(tmp_path):
    layout = {h: s for h, s in WEB.items() if h not in ("Area Code", "Sex")}
    path = write(tmp_path / "x.csv", [header(layout), "\n", record(layout), "\n"])
    with pytest.raises(DataError, match=r"line 1: missing column\(s\) 'Area Code', 'Sex'"):
        read_export(path)


def test_column_twice(tmp_path):
    path = write(tmp_path / "x.csv", [header(WEB, **{"Area Name": "area_code"}), "\n"])
    with pytest.raises(DataError, match="'Area Code' is in the header twice"):
        read_export(path)


# --------------------------------------------------------------------------------------------
# Broken files: an error with the file and line, nothing returned
# --------------------------------------------------------------------------------------------
def test_record_with_too_many_cells_names_its_physical_line(tmp_path):
    path = write(tmp_path / "x.csv", [
        header(WEB), "\r\n",  # 1
        record(WEB, name="two\nlines"), "\r\n",  # 2-3
        record(WEB, note="one\rtwo\r\nthree"), "\r",  # 4-6
        record(WEB, area="E08000028") + ",extra", "\n",  # 7
    ])  # fmt: skip
    with pytest.raises(DataError) as caught:
        read_export(path)
    assert caught.value.line == 7
    assert "line 7: cannot be read as CSV: the record has 27 cells where the header has 26" in str(caught.value)


def test_record_with_too_few_cells(tmp_path):
    path = write(tmp_path / "x.csv", [header(API), "\n", record(API), "\n", "90402,Short", "\n"])
    with pytest.raises(DataError, match="line 3: .*2 cells where the header has 27"):
        read_export(path)


def test_unterminated_quote(tmp_path):
    path = write(tmp_path / "x.csv", [header(WEB), "\n", record(WEB), "\n", record(WEB, area="E1").replace("E1", '"E1', 1), "\n",
                                      record(WEB), "\n"])  # fmt: skip
    with pytest.raises(DataError, match=r"line 3: .*never closed"):
        read_export(path)


def test_not_utf8(tmp_path):
    path = write(tmp_path / "x.csv", [header(WEB), "\n", record(WEB), "\n", record(WEB, area_name="Ashby-de-la-Zouché"), "\n"],
                 encoding="latin-1")  # fmt: skip
    with pytest.raises(DataError, match="line 3: is not UTF-8") as caught:
        read_export(path)
    assert caught.value.path == str(path)


def test_header_only_and_empty_files(tmp_path):
    export = read_export(write(tmp_path / "h.csv", [header(API), "\r\n"]))
    assert len(export.rows) == 0 and export.skipped == []
    assert list(export.rows.columns) == NORMALISED
    assert export.rows["indicator_id"].dtype == "int64" and export.rows["value"].dtype == "float64"
    assert "0 rows" in export.summary()
    with pytest.raises(DataError, match="line 1: the file is empty"):
        read_export(write(tmp_path / "e.csv", ["\r\n"]))


def test_a_bad_file_among_good_ones_returns_nothing(tmp_path):
    good = web_export(tmp_path / "good.csv")
    bad = write(tmp_path / "bad.csv", [header(WEB), "\n", record(WEB) + ",", "\n"])
    with pytest.raises(DataError, match="bad.csv, line 2"):
        read_exports([good, bad])


# --------------------------------------------------------------------------------------------
# Duplicates
# --------------------------------------------------------------------------------------------
def test_conflicting_duplicate_names_both_lines(tmp_path):
    path = write(tmp_path / "x.csv", [
        header(WEB), "\n",  # 1
        record(WEB, name="Leaving\ncare", value="5"), "\n",  # 2-3
        record(WEB, area="E08000028", value="7"), "\n",  # 4
        record(WEB, value="6", period="2017/18"), "\n",  # 5: line 2's figure again, another value
    ])  # fmt: skip
    with pytest.raises(DataError) as caught:
        read_export(path)
    message = str(caught.value)
    assert caught.value.line == 5 and "also at line 2" in message and "value 6 here, 5 there" in message


def test_conflicting_duplicate_across_files(tmp_path):
    one = write(tmp_path / "one.csv", [header(WEB), "\n", record(WEB, value="5"), "\n"])
    two = write(tmp_path / "two.csv", [header(API), "\n", record(API, area="E08000028"), "\n", record(API, value="5.5"), "\n"])
    with pytest.raises(DataError) as caught:
        read_exports([one, two])
    assert str(caught.value).startswith(f"{two}, line 3: ")
    assert f"also at line 2 of {one}" in str(caught.value)


def test_identical_duplicates_are_dropped_and_breakdowns_are_not_duplicates(tmp_path):
    one = write(tmp_path / "one.csv", [header(WEB), "\n", record(WEB, value="1,234"), "\n", record(WEB, value="5", ctype=DECILES,
                                                                                                  cat="Second decile"), "\n"])  # fmt: skip
    two = write(tmp_path / "two.csv", [header(API), "\n", record(API, value="1234", vs_england="Worse", period="2017/ 18"), "\n"])
    rows = read_exports([one, two]).rows
    assert rows[["file", "line", "value", "breakdown"]].values.tolist() == [["one.csv", 2, 1234.0, False], ["one.csv", 3, 5.0, True]]


# --------------------------------------------------------------------------------------------
# Periods, dates and sources
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "written, label, year_type",
    [
        ("2017", "2017", "calendar"),
        ("2015 - 17", "2015 - 17", "calendar"),
        ("2015-17", "2015 - 17", "calendar"),
        ("2015 -17", "2015 - 17", "calendar"),
        (" 2015  -  17 ", "2015 - 17", "calendar"),
        ("2017/18", "2017/18", "financial"),
        ("2013/14 - 15/16", "2013/14 - 15/16", "financial"),
        ("2013/14-15/16", "2013/14 - 15/16", "financial"),
        ("1999/00", "1999/00", "financial"),
        ("2019/20 Q3", "2019/20 Q3", ""),
        ("Mar 2020", "Mar 2020", ""),
        ("2017/19", "2017/19", ""),
        ("2013/14 - 15/17", "2013/14 - 15/17", ""),
        ("2020 Q1", "2020 Q1", ""),
    ],
)
def test_normalise_period(written, label, year_type):
    assert normalise_period(written) == (label, year_type)


def test_annual_labels_are_the_books_labels(tmp_path):
    labels = ["2017", "2015-17", "2017/18", "2013/14 - 15/16", "2015 - 14"]
    path = write(tmp_path / "x.csv", [header(WEB), "\n"] + [part for i, p in enumerate(labels)
                                                             for part in (record(WEB, period=p, area=f"E0{i}"), "\n")])  # fmt: skip
    rows = read_export(path).rows
    assert rows["annual"].tolist() == [True, True, True, True, False]  # "2015 - 14" is no window of years
    for _, row in rows[rows["annual"]].iterrows():
        book = period_label(pd.Series([row["start_year"]]), pd.Series([row["end_year"]]), row["year_type"]).iloc[0]
        assert book == row["period"]


@pytest.mark.parametrize(
    "name, default, expected",
    [
        ("fingertips_2024-03-05.csv", None, "2024-03-05"),
        ("phof_20240305.csv", "2020-01-01", "2024-03-05"),
        ("ft_2015-2017_2024-03-05.csv.gz", None, "2024-03-05"),
        ("export.csv", "2023-11-30", "2023-11-30"),
        ("export.csv", None, None),
        ("indicator_90402.csv", None, None),
        ("ft_2024-13-05.csv", None, None),
    ],
)
def test_extraction_date(name, default, expected):
    assert extraction_date(Path("somewhere") / name, default) == expected


def test_extraction_date_parameter_must_be_a_date(tmp_path):
    with pytest.raises(ValueError, match="YYYY-MM-DD"):
        read_export(web_export(tmp_path / "web.csv"), extracted="05/03/2024")


def test_source_text():
    assert source_text(90402, "2024-03-05") == "OHID Fingertips, indicator 90402, extracted 5 March 2024"
    assert source_text(1730, "2022-09-29") == "OHID Fingertips, indicator 1730, extracted 29 September 2022"
    assert source_text(91126, None) == "OHID Fingertips, indicator 91126, extraction date not recorded"


def test_summary_lists_what_the_book_cannot_use(tmp_path):
    export = read_exports([web_export(tmp_path / "web.csv"), api_export(tmp_path / "api_2024-03-05.csv")])
    assert isinstance(export, Export) and isinstance(export.skipped[0], Skipped)
    summary = export.summary()
    assert "web.csv (extraction date not recorded): 10 rows" in summary
    assert "api_2024-03-05.csv (extracted 5 March 2024): 3 rows" in summary
    assert "Overall: 2 files, 13 rows, 5 indicators" in summary
    assert "93015 Early years: period 2013/14 - 15/16 (2 periods not whole years), 3 rows" in summary
    assert "'2019/20 Q3': 1 row" in summary and "'Mar 2020': 1 row" in summary
    assert "value 'Cannot be calculated' read as missing: 1 row" in summary
    assert "category breakdown rows: 1 (Ethnic groups (1))" in summary
    assert "web.csv:9: no area code" in summary and "web.csv:16: no indicator id; no time period" in summary


# --------------------------------------------------------------------------------------------
# python -m jsna fingertips
# --------------------------------------------------------------------------------------------
def test_command_summarises(tmp_path, capsys):
    web = web_export(tmp_path / "web.csv")
    assert main(["fingertips", str(web), str(REAL), "--extracted", "2024-03-05"]) == 0
    out = capsys.readouterr().out
    assert "web.csv (extracted 5 March 2024): 10 rows" in out
    assert "90402 Children leaving care" in out and "91872 Deprivation score (IMD 2015)" in out
    assert "Overall: 2 files, 97 rows, 10 indicators" in out
    assert "web.csv:15: indicator id '9040x' is not a whole number" in out


def test_command_reads_a_folder(capsys):
    assert main(["fingertips", str(REAL.parent)]) == 0
    assert "Overall: 1 file, 87 rows, 8 indicators" in capsys.readouterr().out


def test_command_lists_twenty_rows_not_read_then_a_count(tmp_path, capsys):
    path = write(tmp_path / "x.csv", [header(WEB), "\n"] + [record(WEB, area="") + "\n" for _ in range(25)])
    assert main(["fingertips", str(path)]) == 0
    out = capsys.readouterr().out
    assert "x.csv:21: no area code" in out and "x.csv:22:" not in out and "... and 5 more" in out


def test_command_on_a_bad_file(tmp_path, capsys):
    path = write(tmp_path / "x.csv", [header(WEB, Value="Valeur"), "\n", record(WEB), "\n"])
    assert main(["fingertips", str(path)]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith(f"error: {path}, line 1, column 'Valeur': unknown column 'Valeur'")
    assert "Traceback" not in captured.err


def test_columns_with_no_name_may_only_be_empty(tmp_path):
    path = write(tmp_path / "x.csv", [header(WEB) + ",,", "\n", record(WEB) + ",,", "\n", record(WEB, area="E08000028") + ", ,", "\n"])
    assert read_export(path).rows["area_code"].tolist() == ["E08000027", "E08000028"]
    path = write(tmp_path / "y.csv", [header(WEB) + ",", "\n", record(WEB) + ",", "\n", record(WEB, area="E08000028") + ",oops", "\n"])
    with pytest.raises(DataError, match="line 3: column 27 has no name in the header line but holds 'oops'"):
        read_export(path)


def test_rows_all_left_out(tmp_path):
    export = read_export(write(tmp_path / "x.csv", [header(WEB), "\n", record(WEB, period=""), "\n"]))
    assert len(export.rows) == 0 and [str(s) for s in export.skipped] == ["x.csv:2: no time period"]
    assert export.rows["period"].dtype == export.rows["area_code"].dtype


def test_gzipped_export_reads_as_the_plain_one(tmp_path):
    plain = web_export(tmp_path / "web.csv")
    zipped = tmp_path / "web_2024-03-05.csv.gz"
    zipped.write_bytes(gzip.compress(plain.read_bytes()))
    a, b = read_export(plain).rows, read_export(zipped).rows
    assert b["extracted"].eq("2024-03-05").all()
    pd.testing.assert_frame_equal(a.drop(columns=["file", "extracted"]), b.drop(columns=["file", "extracted"]))


def test_text_after_a_closing_quote(tmp_path):
    path = write(tmp_path / "x.csv", [header(WEB), "\n", record(WEB, name="a\nb"), "\n", record(WEB).replace("Dudley", '"Dud"ley'), "\n"])
    with pytest.raises(DataError, match="line 4: cannot be read as CSV"):
        read_export(path)
