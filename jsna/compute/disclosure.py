"""Small-number rules, applied to the indicator store before anything can be published.

Default rule (NHS Digital, hospital data below national level): a count of 1 to 7 is
suppressed, and so are the value and limits computed from it; other counts are rounded to the
nearest 5. An indicator opts in with ``disclosure: hospital`` in the catalogue.

Altair embeds chart data in the page, so suppression has to happen here, in the data layer:
a count suppressed in a table but present in a chart spec would be a leak.

Suppressed cells are written with the Government Statistical Service shorthand "[c]" in the
``note`` column (never "*", which screen readers read badly).

Not yet done: secondary suppression across geographies that do not nest (wards and networks).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

SUPPRESSED = "[c]"


@dataclass(frozen=True)
class Rule:
    """Counts from ``low`` to ``high`` are suppressed; other counts are rounded to ``round_to``."""

    low: int = 1
    high: int = 7
    round_to: int = 5

    @property
    def note(self) -> str:
        return f"{SUPPRESSED} value not published: fewer than {self.high + 1} events"


HOSPITAL = Rule()
RULES = {"hospital": HOSPITAL}
VALUE_COLUMNS = ["value", "lower_95_0", "upper_95_0", "lower_99_8", "upper_99_8"]


def apply(store: pd.DataFrame, catalogue: list[dict]) -> pd.DataFrame:
    """Return a copy of the store with every indicator's disclosure rule applied."""
    out = store.copy()
    if "note" not in out.columns:
        out["note"] = ""
    out["note"] = out["note"].fillna("")
    for entry in catalogue:
        rule = RULES.get(entry.get("disclosure", ""))
        if rule is None:
            continue
        rows = (out["indicator_id"] == entry["id"]).to_numpy()
        count = out["count"].to_numpy()
        small = rows & (count >= rule.low) & (count <= rule.high)
        out.loc[small, VALUE_COLUMNS + ["count"]] = np.nan
        out.loc[small, "note"] = rule.note
        rounded = rows & ~small & np.isfinite(count)
        out.loc[rounded, "count"] = np.round(count[rounded] / rule.round_to) * rule.round_to
    return out
