"""Public health statistics exactly as OHID's Fingertips computes them, vectorised.

The methods follow the R package PHEindicatormethods v2. Each takes a DataFrame and column
names, works on many groups at once and returns one tidy row per group; see
:mod:`jsna.stats._common` for the conventions every method shares.
"""

from jsna.stats._common import DEFAULT_CONFIDENCE, z_value
from jsna.stats.compare import compare, recent_trend
from jsna.stats.decomposition import arriaga
from jsna.stats.funnel import funnel_limits, funnel_significance
from jsna.stats.inequality import sii
from jsna.stats.life_expectancy import life_expectancy
from jsna.stats.proportions import proportion
from jsna.stats.rates import ESP2013, crude_rate, dsr, isr
from jsna.stats.spc import SpcRules, xmr
from jsna.stats.winter import excess_winter_deaths

__all__ = [
    "DEFAULT_CONFIDENCE",
    "ESP2013",
    "SpcRules",
    "arriaga",
    "compare",
    "crude_rate",
    "dsr",
    "excess_winter_deaths",
    "funnel_limits",
    "funnel_significance",
    "isr",
    "life_expectancy",
    "proportion",
    "recent_trend",
    "sii",
    "xmr",
    "z_value",
]
