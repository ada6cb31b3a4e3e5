"""The store: every table the book publishes, declared once, checked when saved, read by the pages.

The store is the contract between computing and showing. :data:`TABLES` declares each table:
its name, what it holds, the producer in :mod:`jsna.compute` that makes it, its key, its
columns (name, type, one-line description) and, when it is published, the file name of its
download. Nothing else names a table:

* the producers shape their results with :meth:`StoreTable.select`;
* :func:`save` checks every table against its declaration before writing any (a missing,
  undeclared or wrongly typed column, or a duplicate key, stops the build naming the table and
  the column) and writes them as parquet with a manifest;
* :class:`Store` reads only declared tables, checks their columns again, and gives lists back
  as lists;
* the downloads are the tables declared with a ``download`` file (:func:`download_csv`);
* ``python -m jsna store describe`` and the book's "What the store holds" page print the
  declarations (:func:`describe`).
"""

from __future__ import annotations

import io
import json
import os
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property, wraps
from pathlib import Path

import numpy as np
import pandas as pd

from jsna.errors import BuildError
from jsna.files import digest, write_if_changed

KINDS = ("str", "int", "float", "bool", "list[str]", "list[int]")


@dataclass(frozen=True)
class Column:
    name: str
    kind: str
    description: str


@dataclass(frozen=True)
class StoreTable:
    """One declared table of the store."""

    name: str
    description: str
    #: The function of :mod:`jsna.compute` that returns it (``module:function``).
    producer: str
    #: Columns that identify a row (no two rows share them); empty: the table has one row.
    key: tuple[str, ...]
    columns: tuple[Column, ...]
    #: File name of its CSV download under ``downloads/``, or None when it is not published as one.
    download: str | None = None

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    def select(self, df: pd.DataFrame) -> pd.DataFrame:
        """The declared columns of ``df``, in declared order; raises naming a missing column."""
        missing = [c for c in self.column_names if c not in df.columns]
        if missing:
            raise BuildError(f"store table {self.name!r}: the producer did not make column {missing[0]!r}")
        return df[self.column_names]

    def empty(self) -> pd.DataFrame:
        """A table with the declared columns and types and no rows."""
        dtypes = {"str": "object", "int": "int64", "float": "float64", "bool": "bool", "list[str]": "object", "list[int]": "object"}
        return pd.DataFrame({c.name: pd.Series(dtype=dtypes[c.kind]) for c in self.columns})


# --------------------------------------------------------------------------------------------
# The declarations
# --------------------------------------------------------------------------------------------
#: Columns that mean the same in every table that has them.
COMMON: dict[str, tuple[str, str]] = {
    "indicator_id": ("str", "the indicator's id in the catalogue (data/indicators.yml)"),
    "indicator_name": ("str", "the indicator's title"),
    "area_code": ("str", "the area's code in the data's geography.csv"),
    "area_name": ("str", "the area's name (the display name parameters/places.yml gives, if any)"),
    "area_type": ("str", "the area's type (parameters/place_types.yml)"),
    "parent_code": ("str", "the code of the area it lies in"),
    "parent_name": ("str", "the name of the area it lies in"),
    "period": ("str", "the period as Fingertips labels it: 2020, 2018 - 20, 2019/20, 2017/18 - 19/20"),
    "period_start": ("int", "first year of the period (the year a financial or academic year ends)"),
    "period_end": ("int", "last year of the period"),
    "years": ("int", "years pooled in the period (1, 3 or 5)"),
    "sex": ("str", "Persons, Male or Female"),
    "age": ("str", "the ages the indicator covers, as Fingertips writes them"),
    "unit": ("str", "the unit of the value: %, years, per 100,000, people..."),
    "value": ("float", "the value; empty when not calculated or not published (see note and statistic)"),
    "lower_95_0": ("float", "lower 95% confidence limit"),
    "upper_95_0": ("float", "upper 95% confidence limit"),
    "lower_99_8": ("float", "lower 99.8% confidence limit"),
    "upper_99_8": ("float", "upper 99.8% confidence limit"),
    "count": ("float", "the numerator (events), rounded by disclosure control where it applies; empty when suppressed"),
    "denominator": ("float", "the denominator (population or people at risk)"),
    "statistic": ("str", "what the value is, or why there is none"),
    "method": ("str", "how the value and its limits were calculated"),
    "polarity": ("str", "Fingertips polarity: RAG - High is good, RAG - Low is good, BOB - Blue orange blue, Not applicable"),
    "note": ("str", "[c] and the reason when disclosure control withheld the figure; empty otherwise"),
    "category_type": ("str", "the breakdown: Local deprivation quintile or Local deprivation decile"),
    "category": ("int", "the quantile, 1 = most deprived"),
    "year": ("int", "calendar year"),
    "age_band": ("str", "five-year age band (0-4 ... 85-89, 90+)"),
    "population": ("int", "people"),
    "share": ("float", "percentage of the place's total"),
    "imd_decile": ("int", "national Index of Multiple Deprivation decile, 1 = most deprived"),
    "source": ("str", "where the figure comes from"),
    "quarter": ("str", "financial-year quarter the row is as at: 2022-23 Q2"),
    "quarter_index": ("int", "a running number of quarters, for ordering"),
    "kpi_id": ("str", "the KPI's id (PI 2257)"),
    "kpi_name": ("str", "what the KPI measures"),
    "directorate": ("str", "the council directorate that owns it"),
    "council_priority": ("str", "the Council Plan priority it reports under"),
    "decimals": ("int", "decimal places it is reported to"),
    "frequency": ("str", "quarterly or monthly"),
    "target": ("float", "its target"),
    "time": ("int", "months since year 0 of the month the period ends in (orders quarters and months)"),
    "real": ("bool", "True for the council's published values, False for the synthetic demonstration history"),
    "score": ("str", "on target, tolerance, below target or missing"),
    "score_symbol": ("str", "the score's shape: ★ ▲ ▼ ○"),
}


def _columns(*specs: str | tuple[str, str, str]) -> tuple[Column, ...]:
    """Columns by name (described in :data:`COMMON`) or as (name, kind, description)."""
    out = []
    for spec in specs:
        name, kind, description = (spec, *COMMON[spec]) if isinstance(spec, str) else spec
        if kind not in KINDS:
            raise ValueError(f"column {name!r}: kind {kind!r} is not one of {KINDS}")
        out.append(Column(name, kind, description))
    return tuple(out)


_LIMITS = ("lower_95_0", "upper_95_0", "lower_99_8", "upper_99_8")
_SCORECARD = (
    "quarter", "kpi_id", "kpi_name", "directorate", "council_priority", "unit", "decimals", "polarity", "frequency",
    ("last_year_period", "str", "the period a year earlier"), ("last_year_value", "float", "its value a year earlier"),
    ("previous_period", "str", "the period before"), ("previous_value", "float", "its value in the period before"),
    ("period", "str", "the period whose value the quarter reports (the quarter, or its last month)"), ("value", "float", "the value"),
    ("value_source", "str", "where the value comes from"), "target",
    ("tolerance_limit", "float", "the far edge of the tolerance band"), "score", "score_symbol",
    ("short_term_trend", "str", "against the previous period: improving, consistent, worsening, not compared"),
    ("short_term_symbol", "str", "its arrow"), ("annual_trend", "str", "against the same period a year earlier"),
    ("annual_symbol", "str", "its arrow"), ("benchmark", "str", "the report's benchmark text"),
)  # fmt: skip
_XMR_LIMITS = (
    ("mean", "float", "the centre line"), ("lower_process_limit", "float", "mean - 2.66 x mean moving range"),
    ("upper_process_limit", "float", "mean + 2.66 x mean moving range"), ("lower_two_sigma", "float", "the lower two-sigma line"),
    ("upper_two_sigma", "float", "the upper two-sigma line"),
)  # fmt: skip

TABLES: dict[str, StoreTable] = {
    t.name: t
    for t in (
        StoreTable(
            "indicators", "every indicator for every area, period and sex, with its comparisons and recent trend",
            "jsna.compute.indicators:indicator_tables", ("indicator_id", "area_code", "years", "period_end", "sex"),
            _columns(
                "indicator_id", "indicator_name", "area_code", "area_name", "area_type", "parent_code", "parent_name",
                "period", "period_start", "period_end", "years", "sex", "age", "unit", "value", *_LIMITS, "count", "denominator",
                "statistic", "method", "polarity",
                ("england_value", "float", "England's published value for the period"),
                ("compared_to_england", "str", "Fingertips comparison with England: Better, Similar, Worse, Higher, Lower, Not compared"),
                ("parent_value", "float", "the value of the area it lies in"), ("compared_to_parent", "str", "comparison with that area"),
                ("authority_value", "float", "the authority's value"), ("compared_to_authority", "str", "comparison with the authority"),
                ("region_value", "float", "the region's published value"),
                ("recent_trend", "str", "Fingertips recent trend of the five periods to this one, on the rows summaries show; empty otherwise"),
                "note",
            ),
            download="indicators.csv",
        ),
        StoreTable(
            "funnels", "each practice's value against its size, with funnel limits around the authority's value",
            "jsna.compute.indicators:funnel_tables", ("indicator_id", "period", "area_code"),
            _columns(
                "indicator_id", "period", "years", "area_code", "area_name", "parent_code", "count", "denominator", "value",
                ("baseline", "float", "the authority's value the limits are drawn around"), *_LIMITS,
                ("significance", "str", "where the practice falls: High (0.001), High (0.025), Not significant, Low (0.025), Low (0.001)"),
            ),
        ),
        StoreTable(
            "funnel_lines", "the funnel limits on a grid of denominators, to draw them", "jsna.compute.indicators:funnel_tables",
            ("indicator_id", "period", "denominator"), _columns("indicator_id", "period", "denominator", *_LIMITS),
        ),
        StoreTable(
            "breakdowns", "indicators for each local deprivation quintile (or decile) of a place",
            "jsna.compute.inequalities:inequality_tables",
            ("indicator_id", "area_code", "category_type", "years", "period_end", "sex", "category"),
            _columns(
                "indicator_id", "indicator_name", "area_code", "area_name", "area_type", "category_type", "category", "period",
                "period_start", "period_end", "years", "sex", "unit", "polarity", "value", *_LIMITS, "count", "denominator",
                "statistic", "note",
            ),
            download="inequality-breakdowns.csv",
        ),
        StoreTable(
            "inequality_gaps", "the slope and relative indices of inequality and the gap between the ends, per breakdown series",
            "jsna.compute.inequalities:inequality_tables", ("indicator_id", "area_code", "category_type", "years", "period_end", "sex"),
            _columns(
                "indicator_id", "area_code", "category_type", "years", "period_end", "sex", "period",
                ("quantiles", "int", "number of quantiles (5 or 10)"),
                ("sii", "float", "slope index of inequality in the indicator's unit, most to least deprived end"),
                *((f"sii_{c}", "float", f"SII {c.split('_')[0]} {c.split('_', 1)[1].replace('_', '.')}% limit") for c in _LIMITS),
                ("rii", "float", "relative index of inequality: fitted least over most deprived end"),
                *((f"rii_{c}", "float", f"RII {c.split('_')[0]} {c.split('_', 1)[1].replace('_', '.')}% limit") for c in _LIMITS),
                ("intercept", "float", "the fitted value at the most deprived end"),
                ("most_deprived", "float", "the value of the most deprived quantile"), ("least_deprived", "float", "the value of the least deprived quantile"),
                ("gap", "float", "least minus most deprived"), ("ratio", "float", "most over least deprived"),
                "statistic", "method",
            ),
            download="inequality-gaps.csv",
        ),
        StoreTable(
            "le_decomposition", "the gap in life expectancy between the most and least deprived fifths by age and cause (Arriaga)",
            "jsna.compute.inequalities:inequality_tables", ("area_code", "period_end", "sex", "age_band", "cause"),
            _columns(
                "area_code", "period", "period_end", "years", "sex", ("start_age", "int", "first age of the band"),
                ("age_band", "str", "life-table age band (0, 1-4, 5-9 ... 90+)"), ("cause", "str", "cause of death as the deaths table codes it"),
                ("cause_name", "str", "the cause in words"), ("contribution", "float", "years of the gap this age and cause make up"),
                ("e0_most_deprived", "float", "life expectancy at birth of the most deprived fifth"),
                ("e0_least_deprived", "float", "life expectancy at birth of the least deprived fifth"), ("gap", "float", "least minus most deprived"),
            ),
            download="life-expectancy-gap-by-cause-and-age.csv",
        ),
        StoreTable(
            "disclosure_summary", "what disclosure control withheld, indicator by indicator (parameters/disclosure.yml)",
            "jsna.compute.disclosure:disclosure_tables", ("indicator_id",),
            _columns(
                "indicator_id", ("cells", "int", "counts the indicator publishes (areas, quantiles, periods, sexes)"),
                ("withheld_by_rule", "int", "counts of 1 to 7, withheld by the rule"),
                ("withheld_to_protect", "int", "counts withheld so that no other withheld count can be worked out"),
                ("share_withheld", "float", "percentage of its counts withheld"),
                ("narrowest_range", "float", "the fewest whole numbers the audit could narrow any of its withheld counts to"),
            ),
        ),
        StoreTable(
            "age_structure", "population by place, year, sex and five-year band (residents; registered patients for networks)",
            "jsna.compute.profiles:profile_tables", ("area_code", "year", "sex", "age_band"),
            _columns("area_code", "year", "sex", "age_band", "population", "share"),
        ),
        StoreTable(
            "deprivation_profile", "residents of each place by national deprivation decile", "jsna.compute.profiles:profile_tables",
            ("area_code", "year", "imd_decile"), _columns("area_code", "year", "imd_decile", "population", "share"),
        ),
        StoreTable(
            "england_age_structure", "England's population by sex and five-year band (ONS Census 2021)", "jsna.compute.profiles:profile_tables",
            ("sex", "age_band"), _columns("area_code", "area_name", "period", "sex", "age_band", "population", "source", "share"),
        ),
        StoreTable(
            "geography", "every area, with its type and parent", "jsna.compute.profiles:profile_tables", ("area_code",),
            _columns("area_code", "area_name", "area_type", "parent_code"),
        ),
        StoreTable(
            "boundaries", "the areas the maps have a shape for (the shapes themselves are written into the book once)",
            "jsna.compute.profiles:profile_tables", ("kind", "area_code"),
            _columns(("kind", "str", "wards or small_areas: the boundary file"), "area_code",
                     ("longitude", "float", "where the map labels the area: the centroid of its largest polygon"),
                     ("latitude", "float", "the label point's latitude"),
                     ("imd_decile", "float", "a small area's national IMD decile (1 = most deprived 10%); empty for wards")),
        ),
        StoreTable(
            "area_types", "the kinds of area and what the book does with each (parameters/place_types.yml)", "jsna.compute.profiles:profile_tables",
            ("id",),
            _columns(
                ("id", "str", "the type as geography.csv writes it"), ("singular", "str", "one of them in a sentence"),
                ("plural", "str", "several in a sentence"), ("role", "str", "country, region, authority, small_area, practice, or empty"),
                ("parent", "str", "the type its areas lie in"), ("title", "str", "how a place is titled; {name} is its name"),
                ("described_as", "str", "how its page introduces a place"), ("pooled", "bool", "figures shown for pooled years"),
                ("deprivation_quintiles", "bool", "split by local deprivation quintile"), ("chapters", "list[str]", "the chapters its places get"),
                ("type_order", "int", "its order in the book"), ("population", "str", "residents or registered patients"),
            ),
        ),
        StoreTable(
            "catalogue", "every indicator's definition (data/indicators.yml)", "jsna.compute.indicators:catalogue_table", ("indicator_id",),
            _columns(
                "indicator_id", ("title", "str", "the indicator's title"), ("definition", "str", "what it measures"),
                ("method", "str", "its method (python -m jsna store describe lists them)"),
                ("method_words", "str", "the method in plain words, with how its 95% limits are calculated"), "unit", "age",
                ("sex", "list[str]", "the sexes it is published for"), "polarity",
                ("polarity_words", "str", "the polarity in plain words: Higher is better, Lower is better, No judgement of better or worse"),
                ("areas", "list[str]", "the area types it is published for"), ("windows", "list[int]", "the period lengths, in years"),
                ("year_type", "str", "calendar, financial or academic"), "source", ("chapter", "str", "the chapter it is shown in"),
                ("disclosure", "str", "the disclosure rule it is published under (empty: none)"),
                ("funnel", "bool", "practices compared in a funnel plot"), ("marmot", "str", "the Marmot policy objective it measures"),
                ("deprivation_breakdown", "bool", "broken down by local deprivation quintile"),
                ("fingertips_id", "str", "its OHID Fingertips indicator id (empty: none)"),
                ("rationale", "str", "why it matters to a Health and Wellbeing Board, in plain words (empty: not written)"),
            ),
            download="indicator-definitions.csv",
        ),
        StoreTable(
            "kpi_definitions", "the council's key performance indicators", "jsna.compute.performance:kpi_tables", ("kpi_id",),
            _columns(
                "kpi_id", "kpi_name", "directorate", "council_priority", ("unit", "str", "%, GBP or number"), "decimals", "polarity", "target",
                ("tolerance", "float", "the tolerance band"), ("tolerance_basis", "str", "absolute or percent of target"),
                ("benchmark", "str", "the report's benchmark text"), "frequency", "source",
            ),
        ),
        StoreTable(
            "kpi_history", "every KPI value, scored against the target", "jsna.compute.performance:kpi_tables", ("kpi_id", "period"),
            _columns(
                "kpi_id", "kpi_name", ("unit", "str", "%, GBP or number"), "decimals", "polarity", ("period", "str", "quarter or month"),
                "quarter", "time", ("value", "float", "the value"), "target", "score", "score_symbol", "real", "source",
            ),
        ),
        StoreTable(
            "kpi_scorecards", "every quarter's scorecard, as the quarterly performance report", "jsna.compute.performance:kpi_tables",
            ("quarter", "kpi_id"),
            _columns(
                *_SCORECARD, "quarter_index", ("score_run", "int", "quarters running with this score, this one included"),
                ("score_before_run", "str", "the score before the run"), ("quarter_before_run", "str", "the quarter before the run"),
            ),
        ),
        StoreTable(
            "kpi_summary", "the dashboard counts of each quarter, per directorate and in all", "jsna.compute.performance:kpi_tables",
            ("quarter", "directorate"),
            _columns(
                ("directorate", "str", "the directorate, or All directorates"),
                *((name, "int", words) for name, words in (
                    ("kpis_due", "KPIs due"), ("kpis_reported", "KPIs reported"), ("kpis_missing", "KPIs missing"),
                    ("score_on_target", "on target"), ("score_tolerance", "in tolerance"), ("score_below_target", "below target"),
                    ("score_missing", "missing"), ("short_term_improving", "improving on the previous period"),
                    ("short_term_consistent", "consistent with the previous period"), ("short_term_worsening", "worsening on the previous period"),
                    ("short_term_not_compared", "not compared with the previous period"), ("annual_improving", "improving on a year earlier"),
                    ("annual_consistent", "consistent with a year earlier"), ("annual_worsening", "worsening on a year earlier"),
                    ("annual_not_compared", "not compared with a year earlier"), ("actions_due", "directorate actions due"),
                    ("actions_updated", "actions updated"), ("actions_not_updated", "actions not updated"),
                    ("actions_complete", "actions complete"), ("actions_ahead", "actions ahead"), ("actions_on_target", "actions on target"),
                    ("actions_behind", "actions behind"),
                )),
                "quarter",
            ),
        ),  # fmt: skip
        StoreTable(
            "kpi_actions", "the directorate plan actions of every quarter", "jsna.compute.performance:kpi_tables", ("reference", "period"),
            _columns(
                ("reference", "str", "the action's reference"), ("title", "str", "the action"), "directorate",
                ("period", "str", "the quarter"), ("status", "str", "complete, ahead, on target, behind, not updated"),
                ("progress", "str", "the progress narrative"), "source", ("status_symbol", "str", "the status's shape"),
            ),
        ),
        StoreTable(
            "kpi_exceptions", "the KPIs below target in each quarter, with the exception report's narratives",
            "jsna.compute.performance:kpi_tables", ("quarter", "kpi_id"),
            _columns(
                *_SCORECARD, ("has_narrative", "bool", "the service wrote an exception report"),
                ("performance", "str", "what the data is telling us"), ("impact", "str", "the impact"),
                ("assurance", "str", "the assurance"), ("narrative_source", "str", "where the narrative comes from"),
            ),
        ),
        StoreTable(
            "kpi_xmr_points", "Making Data Count XmR points of each KPI as at each quarter", "jsna.compute.performance:kpi_tables",
            ("quarter", "kpi_id", "time"),
            _columns(
                "quarter", "kpi_id", "time", ("value", "float", "the value"), ("baseline", "bool", "used to work out the limits"),
                ("moving_range", "float", "absolute difference from the point before"), *_XMR_LIMITS,
                *((flag, "bool", f"special cause: {flag.replace('_', ' ')}") for flag in (
                    "above_upper_limit", "below_lower_limit", "shift_above", "shift_below", "trend_up", "trend_down",
                    "two_of_three_above", "two_of_three_below",
                )),
                ("special_cause", "str", "improvement, concern or neither; empty for none"),
                ("special_cause_direction", "str", "high or low; empty for none"), ("period", "str", "quarter or month"), "real", "source",
                "quarter_index",
            ),
        ),  # fmt: skip
        StoreTable(
            "kpi_xmr_summary", "each KPI's control chart as at each quarter: limits, icons and what they mean",
            "jsna.compute.performance:kpi_tables", ("quarter", "kpi_id"),
            _columns(
                "quarter", "kpi_id", ("time", "int", "time of the latest point"), ("value", "float", "the latest value"),
                ("points", "int", "points in the series"), ("baseline_points", "int", "points the limits are worked out from"),
                *_XMR_LIMITS[:1], ("moving_range_mean", "float", "mean moving range"), *_XMR_LIMITS[1:],
                ("polarity", "str", "high, low or neither: which way is an improvement"), "target",
                ("latest_rules", "str", "the special-cause rules the latest point meets"), ("variation_icon", "str", "the variation icon"),
                ("variation", "str", "the variation in words"), ("assurance_icon", "str", "the assurance icon"),
                ("assurance", "str", "the assurance in words"), ("description", "str", "the chart in a sentence"), "note", "method",
                ("period", "str", "the latest period"), ("first_period", "str", "the first period of the series"), "quarter_index",
            ),
        ),
        StoreTable(
            "kpi_spc_rules", "the special-cause rules the control charts used (parameters/spc.yml)", "jsna.compute.performance:kpi_tables", (),
            _columns(
                ("outside_limits", "bool", "a point outside the process limits"),
                ("shift", "float", "run length of a shift (empty: off)"), ("trend", "float", "run length of a trend (empty: off)"),
                ("two_of_three", "bool", "2 of 3 points beyond a two-sigma line"), ("minimum_points", "int", "fewest points for limits"),
                ("conflict", "str", "what a point flagged both ways is shown as"),
            ),
        ),
    )
}


def producers() -> dict[str, list[str]]:
    """Each producer (``module:function``) and the tables it returns, in declaration order."""
    out: dict[str, list[str]] = {}
    for table in TABLES.values():
        out.setdefault(table.producer, []).append(table.name)
    return out


# --------------------------------------------------------------------------------------------
# Checking and writing
# --------------------------------------------------------------------------------------------
def _kind_ok(series: pd.Series, kind: str) -> bool:
    if kind == "int":
        return pd.api.types.is_integer_dtype(series) and not pd.api.types.is_bool_dtype(series)
    if kind == "float":
        return pd.api.types.is_float_dtype(series)
    if kind == "bool":
        return pd.api.types.is_bool_dtype(series)
    values = series.dropna() if series.dtype == object else series
    if kind == "str":
        if isinstance(series.dtype, pd.StringDtype):
            return True
        if series.dtype == object:
            return all(isinstance(v, str) for v in values)
        return pd.api.types.is_float_dtype(series) and bool(series.isna().all())  # a column with no value at all
    item = str if kind == "list[str]" else (int, np.integer)
    return series.dtype == object and all(
        isinstance(v, (list, tuple, np.ndarray)) and all(isinstance(x, item) and not isinstance(x, bool) for x in v) for v in values
    )


def check(name: str, df: pd.DataFrame) -> None:
    """Raise :class:`BuildError` unless ``df`` is exactly what table ``name`` declares."""
    declared = TABLES.get(name)
    if declared is None:
        raise BuildError(f"store table {name!r} is not declared in jsna/store.py (the tables are {', '.join(TABLES)})")
    extra = [c for c in df.columns if c not in declared.column_names]
    if extra:
        raise BuildError(f"store table {name!r}: column {extra[0]!r} is not declared (declare it in jsna/store.py or drop it in the producer)")
    missing = [c for c in declared.column_names if c not in df.columns]
    if missing:
        raise BuildError(f"store table {name!r}: declared column {missing[0]!r} is missing")
    if list(df.columns) != declared.column_names:
        raise BuildError(f"store table {name!r}: columns are not in the declared order ({', '.join(declared.column_names)})")
    for column in declared.columns:
        if not _kind_ok(df[column.name], column.kind):
            raise BuildError(f"store table {name!r}: column {column.name!r} should hold {column.kind} values, not {df[column.name].dtype}")
    if declared.key:
        duplicated = df.duplicated(list(declared.key), keep=False)
        if duplicated.any():
            row = df.loc[duplicated, list(declared.key)].iloc[0]
            described = ", ".join(f"{k}={row[k]}" for k in declared.key)
            raise BuildError(f"store table {name!r}: {int(duplicated.sum())} rows share a key ({described}); the key is {', '.join(declared.key)}")
    elif len(df) != 1:
        raise BuildError(f"store table {name!r} has no key, so it must have exactly one row, not {len(df)}")


def parquet_bytes(df: pd.DataFrame) -> bytes:
    buffer = io.BytesIO()
    df.to_parquet(buffer, index=False, engine="pyarrow", compression="zstd")
    return buffer.getvalue()


def declaration_digest() -> str:
    """A digest of every declaration: a store written under other declarations is not reused."""
    return digest(json.dumps([[t.name, t.key, [(c.name, c.kind) for c in t.columns], t.download] for t in TABLES.values()]))


def save(folder: Path, tables: dict[str, pd.DataFrame], inputs_key: str) -> None:
    """Check every table, then write them all (each only if changed) and the manifest.

    Nothing is written unless every declared table is present and valid.
    """
    undeclared = sorted(set(tables) - set(TABLES))
    if undeclared:
        raise BuildError(f"store table {undeclared[0]!r} is not declared in jsna/store.py (the tables are {', '.join(TABLES)})")
    absent = [name for name in TABLES if name not in tables]
    if absent:
        raise BuildError(f"store table {absent[0]!r} was not produced (its producer is {TABLES[absent[0]].producer})")
    for name in TABLES:
        check(name, tables[name])
    encoded = {name: parquet_bytes(tables[name]) for name in TABLES}  # all encoded before any write
    for name, data in encoded.items():
        write_if_changed(folder / f"{name}.parquet", data)
    manifest = {"inputs_key": inputs_key, "declarations": declaration_digest(), "tables": list(TABLES)}
    write_if_changed(folder / "manifest.json", json.dumps(manifest, indent=1))


def read_table(folder: Path, name: str) -> pd.DataFrame:
    """One declared table as it was saved: checked against its declaration, lists as lists."""
    if name not in TABLES:
        raise KeyError(f"store table {name!r} is not declared in jsna/store.py")
    df = pd.read_parquet(folder / f"{name}.parquet")
    for column in TABLES[name].columns:
        if column.kind.startswith("list") and column.name in df:
            df[column.name] = pd.Series([v.tolist() if hasattr(v, "tolist") else list(v) for v in df[column.name]], index=df.index, dtype=object)
    check(name, df)
    return df


def read_all(folder: Path, inputs_key: str) -> dict[str, pd.DataFrame] | None:
    """Every stored table if the store was computed from exactly these inputs under these
    declarations, else None."""
    try:
        manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
        if manifest.get("inputs_key") != inputs_key or manifest.get("declarations") != declaration_digest():
            return None
        return {name: read_table(folder, name) for name in TABLES}
    except (OSError, ValueError, KeyError, BuildError):
        return None


def store_digest(folder: Path) -> str:
    """A digest of the stored tables (what notebooks read); the manifest is not part of it."""
    return digest(*(f"{p.name}:{digest(p.read_bytes())}" for p in sorted(folder.glob("*.parquet"))))


#: What a spreadsheet may read as the start of a formula (OWASP, "CSV injection").
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
#: A plain number written as text ("-5", "+1.5", "-1,234.5", "-2e3"): inert in a spreadsheet.
PLAIN_NUMBER = re.compile(r"[+-]?(\d+|\d{1,3}(,\d{3})+)?(\.\d+)?([eE][+-]?\d+)?")


def csv_cell(value):
    """A cell as a CSV download writes it, safe to open in a spreadsheet (OWASP's rule for CSV
    injection): a text cell beginning with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return
    gets a leading ``'`` so that it is read as text, never as a formula.

    Numbers are never changed: a value that is not a ``str`` (a number, a missing value, a
    boolean) is returned as it is, and so is a text cell that is a plain number ("-5", "-2.5",
    "+1,234"): a number cannot run anything, and a published "-2.5" must stay -2.5. Anything
    else that begins with one of those characters ("-2+3", "+1+1", "=HYPERLINK(...)") is
    prefixed.
    """
    if not isinstance(value, str) or not value.startswith(FORMULA_STARTS):
        return value
    if PLAIN_NUMBER.fullmatch(value) and any(c.isdigit() for c in value):
        return value
    return "'" + value


def csv_safe(df: pd.DataFrame) -> pd.DataFrame:
    """``df`` with every text cell and column name through :func:`csv_cell`; numeric, boolean
    and date columns are left untouched."""
    out = df.copy()
    for column in out.columns:
        values = out[column]
        if isinstance(values.dtype, (pd.StringDtype, pd.CategoricalDtype)) or pd.api.types.is_object_dtype(values):
            out[column] = values.map(csv_cell)
    return out.rename(columns={c: csv_cell(c) for c in out.columns if isinstance(c, str)})


def download_csv(name: str, df: pd.DataFrame) -> str:
    """A published table as CSV: lists are written as comma-separated words, and text cells that
    a spreadsheet would read as a formula are neutralised (:func:`csv_cell`)."""
    out = df.copy()
    for column in TABLES[name].columns:
        if column.kind.startswith("list"):
            out[column.name] = [", ".join(str(x) for x in v) for v in out[column.name]]
    return csv_safe(out).to_csv(index=False, lineterminator="\n")


def describe() -> str:
    """The declarations in words: the analyst's reference to what the store holds (Markdown)."""
    lines = ["# What the store holds", "",
             "The build computes these tables from the inputs and writes them as parquet files in the store folder "
             "(`_build/store/`); the book's pages read nothing else. Tables with a download are published as CSV "
             "under `downloads/`.", ""]  # fmt: skip
    for table in TABLES.values():
        lines += [f"## `{table.name}`", "", table.description[0].upper() + table.description[1:] + ".", ""]
        lines.append(f"- Key: {', '.join(f'`{k}`' for k in table.key) if table.key else 'none (one row)'}")
        lines.append(f"- Producer: `{table.producer}`")
        lines.append(f"- Download: `downloads/{table.download}`" if table.download else "- Download: none")
        lines += ["", "| column | type | description |", "|---|---|---|"]
        lines += [f"| `{c.name}` | {c.kind} | {c.description.replace('|', '/')} |" for c in table.columns]
        lines.append("")
    return "\n".join(lines)


# --------------------------------------------------------------------------------------------
# Reading: what the pages use
# --------------------------------------------------------------------------------------------
# What a page reads
# --------------------------------------------------------------------------------------------
class Reads:
    """What one page asked a :class:`Store` for, so that a rebuild re-executes a page only when
    something it read changed (:meth:`StoreSlices.reads_digest`). Each read is ``(table, column,
    value)``:

    * ``(table, "", "")``: the whole table;
    * ``(table, column, value)``: the rows whose ``column`` equals ``value`` (one indicator's
      rows, one chapter's catalogue entries) or, for a list column, holds it (the entries
      published for one type of area);
    * ``(table, column, "")``: the set of values the column takes.

    Anything a page reads goes through a :class:`Store` method that records it, so the record is
    complete by construction; reading a table whole is always allowed, and only costs reuse. (No
    page helper may cache what it read across pages: a second page would not record it.)
    """

    def __init__(self):
        self.items: set[tuple[str, str, str]] = set()

    def add(self, table: str, column: str | None = None, value: str | None = None) -> None:
        self.items.add((table, column or "", "" if value is None else str(value)))


#: The reads of every store opened in this process since :func:`take_reads` last ran.
_READS: list[Reads] = []


def take_reads() -> list[list[str]]:
    """Every read recorded since the last call, sorted, and forget them (the notebook runner
    calls this in a final cell of each page)."""
    items = sorted(set().union(*(r.items for r in _READS))) if _READS else []
    _READS.clear()
    return [list(item) for item in items]


class StoreSlices:
    """Digests of the parts of a store folder that pages read, computed once per build."""

    def __init__(self, folder: Path):
        self.folder = Path(folder)
        self._tables: dict[str, pd.DataFrame] = {}
        self._row_hashes: dict[str, np.ndarray] = {}
        self._digests: dict[tuple[str, str, str], str] = {}

    def _table(self, name: str) -> pd.DataFrame:
        if name not in self._tables:
            self._tables[name] = pd.read_parquet(self.folder / f"{name}.parquet")
        return self._tables[name]

    def _hashes(self, name: str) -> np.ndarray:
        """One 64-bit hash per row of a table (lists hashed through their text)."""
        if name not in self._row_hashes:
            df = self._table(name)
            df = df.assign(**{c: df[c].map(repr) for c in df.columns if df[c].dtype == object and df[c].map(lambda v: isinstance(v, (list, np.ndarray))).any()})
            self._row_hashes[name] = pd.util.hash_pandas_object(df, index=False).to_numpy()
        return self._row_hashes[name]

    def digest(self, read: tuple[str, str, str]) -> str:
        if read not in self._digests:
            table, column, value = read
            if not (self.folder / f"{table}.parquet").exists():
                found = "absent"
            elif not column:
                found = digest((self.folder / f"{table}.parquet").read_bytes())
            elif column not in self._table(table):
                found = "no column"
            elif value:
                values = self._table(table)[column]
                if values.dtype == object and len(values) and isinstance(values.iloc[0], (list, np.ndarray)):
                    mask = np.array([value in [str(v) for v in items] for items in values], dtype=bool)  # a list column: rows that hold it
                else:
                    mask = (values.astype(str) == value).to_numpy()
                found = digest(self._hashes(table)[mask].tobytes())
            else:
                found = digest(json.dumps(sorted(self._table(table)[column].astype(str).unique().tolist())))
            self._digests[read] = found
        return self._digests[read]

    def reads_digest(self, reads: list[list[str]]) -> str:
        """A digest of everything a page read, as the store holds it now."""
        return digest(*(f"{'|'.join(read)}={self.digest(tuple(read))}" for read in reads))


# --------------------------------------------------------------------------------------------
@dataclass
class _Kept:
    """The tables of one store folder read in this process and the answers to lookups on them."""

    tables: dict = field(default_factory=dict)
    rows: dict = field(default_factory=dict)
    latest: dict = field(default_factory=dict)
    within: dict = field(default_factory=dict)
    derived: dict = field(default_factory=dict)


#: Store folders read in this process, by path: (the files' sizes and times, what is kept).
_KEPT: dict[Path, tuple[tuple, _Kept]] = {}
#: Folders kept at once (a test run opens many stores; a build, one per authority at a time).
KEPT_FOLDERS = 4
_KEPT_LOCK = threading.Lock()


def _kept(folder: Path) -> _Kept:
    """What every reader of ``folder`` in this process shares. A worker's kernel executes page
    after page against one store, and each page opens it afresh: reading its tables and indexing
    them again took a tenth of a page's time. Kept while the folder's files are unchanged (a
    rebuild that writes the store is seen by their sizes and modification times)."""
    path = folder.resolve()
    with os.scandir(path) as entries:
        stamp = tuple(sorted((e.name, e.stat().st_size, e.stat().st_mtime_ns) for e in entries if e.name.endswith((".parquet", ".json"))))
    with _KEPT_LOCK:  # briefs open the store on several threads at once
        found = _KEPT.pop(path, None)
        kept = found[1] if found and found[0] == stamp else _Kept()
        _KEPT[path] = (stamp, kept)  # the most recently opened last
        while len(_KEPT) > KEPT_FOLDERS:
            del _KEPT[next(iter(_KEPT))]
    return kept


def _kept_property(method: Callable):
    """A property worked out once for every reader of the store in this process
    (:meth:`Store._kept_value`); for what no page records as a read by itself."""
    return cached_property(wraps(method)(lambda self: self._kept_value(method.__name__, lambda: method(self))))


# --------------------------------------------------------------------------------------------
class Store:
    """Read-only access to a store folder written by the build.

    Only declared tables can be read; each is checked against its declaration on reading (a
    store from another version of the package fails here, naming the table and column, rather
    than on some page), and list columns come back as lists. Disclosure control happened before
    the store was written (:mod:`jsna.compute.disclosure`): a suppressed row has no value,
    limits, count or comparison, and no area within it carries it as ``parent_value``.
    """

    def __init__(self, folder: str | Path):
        self.folder = Path(folder)
        if not (self.folder / "manifest.json").exists():
            raise FileNotFoundError(f"no store in {self.folder}: run the build first")
        kept = _kept(self.folder)
        #: Tables read and lookups answered, shared by every reader of this store in this process
        #: (:func:`_kept`); each caller gets a shallow copy, which pandas' copy-on-write keeps
        #: apart from the kept answer.
        self._tables, self._rows, self._latest, self._within, self._derived = (
            kept.tables, kept.rows, kept.latest, kept.within, kept.derived)
        #: What this store was asked for: a page is re-executed only when one of these changes.
        self.reads = Reads()
        _READS.append(self.reads)

    def view(self) -> Store:
        """Another reader of the same folder with its own record of reads, sharing the tables
        already read (a brief rendered in a thread records what it reads, as a page does)."""
        return Store(self.folder)

    def _load(self, name: str) -> pd.DataFrame:
        if name not in self._tables:
            self._tables[name] = read_table(self.folder, name)
        return self._tables[name]

    def _kept_value(self, name: str, make: Callable[[], object]):
        """A value worked out from the store once for every reader in this process (a frame is
        handed out as a shallow copy). The caller records what it read."""
        if name not in self._derived:
            self._derived[name] = make()
        value = self._derived[name]
        return value.copy(deep=False) if isinstance(value, (pd.DataFrame, pd.Series)) else value

    def table(self, name: str) -> pd.DataFrame:
        """One declared table, whole (read once, then kept; the caller's is a shallow copy)."""
        self.reads.add(name)
        return self._load(name).copy(deep=False)

    def rows_of(self, name: str, indicator_id: str) -> pd.DataFrame:
        """The rows of one indicator in a table keyed by indicator (funnels, breakdowns, gaps...)."""
        self.reads.add(name, "indicator_id", indicator_id)
        return self._grouped(name).get(indicator_id, self._load(name).iloc[:0]).copy(deep=False)

    def _grouped(self, name: str) -> dict[str, pd.DataFrame]:
        key = "_grouped_" + name
        if key not in self._derived:
            self._derived[key] = {k: rows for k, rows in self._load(name).groupby("indicator_id", sort=True)}
        return self._derived[key]

    # -- indicators -----------------------------------------------------------------------------
    @property
    def indicators(self) -> pd.DataFrame:
        """Every indicator row, whole (a page that reads this is re-executed on any change)."""
        self.reads.add("indicators")
        return self._indicators.copy(deep=False)

    @_kept_property
    def _indicators(self) -> pd.DataFrame:
        df = self._load("indicators").copy()
        df["note"] = df["note"].fillna("").astype(str)
        df["recent_trend"] = df["recent_trend"].fillna("").astype(str)
        return df

    @_kept_property
    def _by_indicator(self) -> dict[str, pd.DataFrame]:
        return {key: rows for key, rows in self._indicators.groupby("indicator_id", sort=True)}

    @property
    def breakdowns(self) -> pd.DataFrame:
        """Indicators by local deprivation quantile."""
        return self.table("breakdowns")

    @property
    def gaps(self) -> pd.DataFrame:
        """Slope and relative indices of inequality and the gap, per breakdown series."""
        return self.table("inequality_gaps")

    def of(self, indicator_id: str) -> pd.DataFrame:
        """Every row of one indicator."""
        self.reads.add("indicators", "indicator_id", indicator_id)
        return self._by_indicator.get(indicator_id, self._indicators.iloc[:0]).copy(deep=False)

    @property
    def catalogue(self) -> pd.DataFrame:
        """Every indicator's definition, whole; :meth:`entries` reads one chapter's."""
        return self.table("catalogue")

    def entries(self, chapter: str | None = None, *, area_type: str | None = None) -> pd.DataFrame:
        """The catalogue entries of one chapter, or published for one type of area, or both (every
        entry when neither is given)."""
        catalogue = self._load("catalogue")
        if chapter is not None:
            self.reads.add("catalogue", "chapter", chapter)
            catalogue = catalogue.loc[catalogue["chapter"] == chapter]
        if area_type is not None:
            if chapter is None:
                self.reads.add("catalogue", "areas", area_type)
            catalogue = catalogue.loc[[area_type in areas for areas in catalogue["areas"]]]
        return self.catalogue if chapter is None and area_type is None else catalogue

    def flagged(self, column: str) -> pd.DataFrame:
        """The catalogue entries with a true flag (``funnel``, ``deprivation_breakdown``)."""
        self.reads.add("catalogue", column, "True")
        catalogue = self._load("catalogue")
        return catalogue.loc[catalogue[column].astype(bool)]

    def entry(self, indicator_id: str) -> pd.Series:
        """One indicator's catalogue entry."""
        self.reads.add("catalogue", "indicator_id", indicator_id)
        catalogue = self._load("catalogue")
        found = catalogue.loc[catalogue["indicator_id"] == indicator_id]
        if found.empty:
            raise KeyError(f"indicator {indicator_id!r} is not in the store's catalogue")
        return found.iloc[0]

    def rows(self, indicator_id: str, code: str, *, sex: str = "Persons", years: int | None = None) -> pd.DataFrame:
        """All periods of one indicator for one place, oldest first (shortest window if not given)."""
        self.reads.add("indicators", "indicator_id", indicator_id)
        key = (indicator_id, code, sex, years)
        if key not in self._rows:
            self._rows[key] = self._indicators.take(self._row_positions(indicator_id, code, sex, years))
        return self._rows[key].copy(deep=False)  # a caller may change its frame: copy-on-write keeps the kept one

    def _row_positions(self, indicator_id: str, code: str, sex: str, years: int | None) -> np.ndarray:
        """Where :meth:`rows` finds its rows: the window's, by period end (as ``sort_values`` orders)."""
        positions = self._positions.get((indicator_id, code, sex))
        if positions is None:
            return np.empty(0, dtype=np.intp)
        columns = self._columns
        windows = columns["years"][positions]
        positions = positions[windows == (years if years is not None else windows.min())]
        return positions[np.argsort(columns["period_end"][positions], kind="quicksort")]

    def latest(self, indicator_id: str, code: str, *, sex: str = "Persons", years: int | None = None) -> pd.Series | None:
        """The period a summary shows: the latest with a published England value, so that it can be
        compared with England as Fingertips does, or the latest of all when England has none.

        England's value depends only on indicator, period and sex, so every place in a table or
        chart is shown for the same period; the period label always says which.
        """
        self.reads.add("indicators", "indicator_id", indicator_id)
        key = (indicator_id, code, sex, years)
        if key not in self._latest:
            positions = self._row_positions(indicator_id, code, sex, years)
            compared = positions[~np.isnan(self._columns["england_value"][positions])]
            chosen = compared if len(compared) else positions
            self._latest[key] = self._indicators.iloc[chosen[-1]] if len(chosen) else None
        found = self._latest[key]
        return None if found is None else found.copy(deep=False)

    @_kept_property
    def _positions(self) -> dict[tuple[str, str, str], np.ndarray]:
        """Where each (indicator, area code, sex) has its rows in the indicators table, in the
        store's order: a page looks up thousands of places' rows, and filtering an indicator's
        table for each took a quarter of a chapter page's time."""
        return self._indicators.groupby(["indicator_id", "area_code", "sex"], sort=False).indices

    @_kept_property
    def _columns(self) -> dict[str, np.ndarray]:
        """The indicators table's columns that choose a place's rows, as arrays."""
        df = self._indicators
        return {"years": df["years"].to_numpy(), "period_end": df["period_end"].to_numpy(),
                "england_value": df["england_value"].to_numpy(dtype=float)}  # fmt: skip

    def at(self, indicator_id: str, codes: list[str], *, sex: str, years: int, period: str) -> pd.DataFrame:
        """One period of one indicator for several places, in the order of ``codes``."""
        df = self.of(indicator_id)
        df = df.loc[df["area_code"].isin(codes) & (df["sex"] == sex) & (df["years"] == years) & (df["period"] == period)]
        return df.set_index("area_code").reindex([c for c in codes if c in set(df["area_code"])]).reset_index()

    # -- places -----------------------------------------------------------------------------------
    @cached_property
    def geography(self) -> pd.DataFrame:
        self.reads.add("geography")
        return self._kept_value("geography", lambda: self._load("geography").set_index("area_code"))

    @cached_property
    def area_types(self) -> pd.DataFrame:
        """The area type registry, indexed by type id, in the book's order."""
        self.reads.add("area_types")
        return self._kept_value("area_types", lambda: self._load("area_types").set_index("id"))

    def type_of_role(self, role: str) -> str:
        """The area type playing ``role``: "authority", "small_area", "practice", "region", "country"."""
        return str(self.area_types.index[self.area_types["role"] == role][0])

    def words(self, area_type: str) -> tuple[str, str]:
        """(singular, plural) of an area type: ("township", "townships")."""
        if area_type not in self.area_types.index:
            return area_type, area_type + "s"
        row = self.area_types.loc[area_type]
        return str(row["singular"]), str(row["plural"])

    def place(self, code: str) -> pd.Series:
        if code not in self.geography.index:
            raise KeyError(f"place {code!r} is not in the store's geography")
        return self.geography.loc[code]

    def name(self, code: str) -> str:
        """The place's name as the book writes it ("Dudley township" is not "Dudley")."""
        place = self.place(code)
        area_type = str(place["area_type"])
        title = str(self.area_types.loc[area_type, "title"]) if area_type in self.area_types.index else "{name}"
        return title.replace("{name}", str(place["area_name"]))

    def area_type(self, code: str) -> str:
        return str(self.place(code)["area_type"])

    @cached_property
    def the_authority(self) -> str:
        """How a sentence names the authority: "the borough" (its type's ``described_as``)."""
        row = self.area_types.loc[self.type_of_role("authority")]
        return str(row["described_as"] or f"the {row['singular']}")

    def is_authority(self, code: str) -> bool:
        return self.area_type(code) == self.type_of_role("authority")

    def parent(self, code: str) -> str | None:
        parent = self.place(code)["parent_code"]
        return None if pd.isna(parent) or parent not in self.geography.index else str(parent)

    def authority(self, code: str) -> str:
        """The authority a place lies in (the place itself for the authority)."""
        while not self.is_authority(code):
            parent = self.parent(code)
            if parent is None:
                raise KeyError(f"place {code!r} is not within the authority")
            code = parent
        return code

    def registered(self, code: str) -> bool:
        """Whether the place's people are registered patients (a network, a practice), not residents."""
        return str(self.area_types.loc[self.area_type(code), "population"]) == "registered patients"

    def pooled(self, area_type: str | None) -> bool:
        """Whether figures for places of ``area_type`` are shown for pooled years."""
        return area_type in self.area_types.index and bool(self.area_types.loc[area_type, "pooled"])

    @cached_property
    def neighbourhood_type(self) -> str:
        """The type small areas lie in (wards): the finest places the book has figures for."""
        return str(self.area_types.loc[self.type_of_role("small_area"), "parent"])

    def within(self, code: str, area_type: str) -> list[str]:
        """Codes of every place of ``area_type`` inside ``code`` (at any depth), by name."""
        self.reads.add("geography")  # also when another reader worked it out
        if (code, area_type) not in self._within:
            geography = self.geography
            found, frontier = [], [code]
            while frontier:
                below = geography.loc[geography["parent_code"].isin(frontier)]
                found += below.index[below["area_type"] == area_type].tolist()
                frontier = below.index.tolist()
            self._within[code, area_type] = sorted(found, key=lambda c: (str(geography.loc[c, "area_name"]), c))
        return list(self._within[code, area_type])

    @cached_property
    def published_types(self) -> set[str]:
        """The area types the indicators table has figures for (a read of that column's values)."""
        self.reads.add("indicators", "area_type", None)
        return set(self._kept_value("published_types", lambda: set(self._indicators["area_type"])))

    def children(self, code: str, indicator_id: str | None = None) -> tuple[list[str], str | None]:
        """The places a place breaks down into (townships of the borough, wards of a township,
        practices of a network), by name, and their type; only those with the indicator if given.

        Child types are the area types whose parent is the place's type, in the book's order,
        among those the indicator store has figures for.
        """
        have = set(self.of(indicator_id)["area_code"]) if indicator_id else None
        published = self.published_types
        types = self.area_types
        for area_type in types.index[types["parent"] == self.area_type(code)]:
            if area_type not in published:
                continue
            codes = [c for c in self.within(code, area_type) if self.parent(c) == code and (have is None or c in have)]
            if codes:
                return codes, str(area_type)
        return [], None
