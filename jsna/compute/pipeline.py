"""Run every producer of the store, in the order their data need.

The indicator rows and the deprivation breakdowns are computed from the exact counts and go
through disclosure control together (their counts are tied: an area is the sum of its
quantiles); then the inequality tables are computed from the published breakdowns, the
indicator table (with the ``le_sii`` rows that summarise them, comparisons and trends), the
funnel plots made from it, the population profiles, the KPI tables and the catalogue. Which
tables each producer returns is declared in :data:`jsna.store.TABLES`.
"""

from __future__ import annotations

import pandas as pd

from jsna.compute import disclosure
from jsna.compute.indicators import (
    catalogue_table,
    funnel_tables,
    indicator_rows,
    indicator_tables,
)
from jsna.compute.inequalities import deprivation_breakdowns, inequality_tables
from jsna.compute.performance import kpi_tables
from jsna.compute.profiles import profile_tables
from jsna.inputs.disclosure import Policy
from jsna.inputs.kpis import KPIData
from jsna.inputs.tables import Inputs
from jsna.stats import SpcRules


def compute_store(inputs: Inputs, catalogue: list[dict], kpis: KPIData, rules: SpcRules, policy: Policy) -> dict[str, pd.DataFrame]:
    """Every table of the store, by name."""
    rows = indicator_rows(inputs, catalogue, {}, summaries=False)
    breakdowns = deprivation_breakdowns(inputs, catalogue)
    protected = disclosure.disclosure_tables(rows, breakdowns, inputs, catalogue, policy)
    inequality = inequality_tables(inputs, catalogue, protected["breakdowns"])
    indicators = indicator_tables(inputs, catalogue, protected["rows"], inequality)
    return {
        **indicators,
        **funnel_tables(indicators["indicators"], catalogue, inputs.area_types),
        **inequality,
        **profile_tables(inputs),
        **catalogue_table(catalogue, policy),
        **kpi_tables(kpis, rules),
        "disclosure_summary": protected["disclosure_summary"],
    }
