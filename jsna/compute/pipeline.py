"""Run every producer of the store, in the order their data need.

The inequality tables come first (the ``le_sii`` indicators are rows of them), then the
indicator table, the funnel plots made from it, the population profiles, the KPI tables and the
catalogue. Which tables each producer returns is declared in :data:`jsna.store.TABLES`.
"""

from __future__ import annotations

import pandas as pd

from jsna.compute.indicators import catalogue_table, funnel_tables, indicator_tables
from jsna.compute.inequalities import inequality_tables
from jsna.compute.performance import kpi_tables
from jsna.compute.profiles import profile_tables
from jsna.inputs.kpis import KPIData
from jsna.inputs.tables import Inputs
from jsna.stats import SpcRules


def compute_store(inputs: Inputs, catalogue: list[dict], kpis: KPIData, rules: SpcRules) -> dict[str, pd.DataFrame]:
    """Every table of the store, by name."""
    inequality = inequality_tables(inputs, catalogue)
    indicators = indicator_tables(inputs, catalogue, inequality)
    return {
        **indicators,
        **funnel_tables(indicators["indicators"], catalogue, inputs.area_types),
        **inequality,
        **profile_tables(inputs),
        **catalogue_table(catalogue),
        **kpi_tables(kpis, rules),
    }
