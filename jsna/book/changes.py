"""What changed between two stores: the comparison behind an edition's "What changed" page, its
``downloads/changes.csv`` and ``changes.json``, and a pull request's review of published figures.

:func:`compare_stores` reads two store folders (the parquet files the build writes) and returns
:class:`Changes`:

* ``details``: one row per change, indicator by indicator, place by place and period by period
  (:data:`KINDS` says what each ``kind`` is): indicators added, removed or redefined (any
  catalogue field); periods added or removed; values revised in periods both stores publish
  (old and new value, and whether the new one lies outside the old 95% interval); values newly
  calculated or no longer calculated; comparisons with England or with the parent area that
  changed category ("Similar" -> "Worse"); recent trends that changed; cells newly withheld by
  disclosure control or published again;
* ``tables``: every store table, key by key (rows added, removed and changed), so that a change
  the indicator comparison does not cover (a KPI, an inequality gap) still shows.

Only what the stores hold is compared; nothing is recomputed. A store written by an older
version of the package is read as it is (its parquet files), so editions published before a
table or a column was declared can still be compared: what one side lacks is added or removed.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from jsna.store import TABLES, Store

#: Every kind of change, in the order pages and summaries give them, with words for one and many.
KINDS: dict[str, tuple[str, str]] = {
    "indicator_added": ("indicator added", "indicators added"),
    "indicator_removed": ("indicator removed", "indicators removed"),
    "indicator_redefined": ("definition changed", "definitions changed"),
    "period_added": ("new period", "new periods"),
    "period_removed": ("period no longer published", "periods no longer published"),
    "value_revised": ("value revised", "values revised"),
    "value_published": ("value now calculated", "values now calculated"),
    "value_withdrawn": ("value no longer calculated", "values no longer calculated"),
    "england_category": ("comparison with England changed", "comparisons with England changed"),
    "parent_category": ("comparison with the parent area changed", "comparisons with the parent area changed"),
    "trend": ("recent trend changed", "recent trends changed"),
    "suppressed": ("figure newly withheld", "figures newly withheld"),
    "released": ("figure published again", "figures published again"),
}
#: The columns of :attr:`Changes.details` (and of ``changes.csv``).
DETAIL_COLUMNS = [
    "kind", "indicator_id", "indicator_name", "chapter", "area_code", "area_name", "area_type", "sex", "years", "period",
    "field", "old", "new", "beyond_old_interval",
]  # fmt: skip
#: The columns of :attr:`Changes.tables`.
TABLE_COLUMNS = ["table", "rows_old", "rows_new", "added", "removed", "changed", "note"]
#: The key of an indicator row, and of a series of periods (one indicator, place, sex and window).
KEY = ["indicator_id", "area_code", "years", "period_end", "sex"]
SERIES = ["indicator_id", "area_code", "years", "sex"]
#: What a withheld cell's note starts with (jsna.compute.disclosure; the GSS shorthand).
WITHHELD = "[c]"


@dataclass(frozen=True)
class Changes:
    """Every change from the ``old`` store to the ``new`` one."""

    details: pd.DataFrame
    tables: pd.DataFrame
    #: Indicator titles and chapters, from both stores' catalogues (the new one wins).
    indicators: pd.DataFrame = field(repr=False, default_factory=pd.DataFrame)

    @property
    def counts(self) -> dict[str, int]:
        """How many changes of each kind (every kind, zero included, in :data:`KINDS` order)."""
        found = self.details["kind"].value_counts()
        return {kind: int(found.get(kind, 0)) for kind in KINDS}

    @property
    def empty(self) -> bool:
        """True when no published figure and no table changed."""
        return self.details.empty and not (self.tables[["added", "removed", "changed"]].to_numpy().sum() > 0)

    def of(self, kind: str) -> pd.DataFrame:
        if kind not in KINDS:
            raise KeyError(f"{kind!r} is not a kind of change ({', '.join(KINDS)})")
        return self.details.loc[self.details["kind"] == kind]

    def by_indicator(self) -> pd.DataFrame:
        """One row per indicator with any change: its title, chapter and the count of each kind."""
        if self.details.empty:
            return pd.DataFrame(columns=["indicator_id", "indicator_name", "chapter", *KINDS])
        counts = pd.crosstab(self.details["indicator_id"], self.details["kind"]).reindex(columns=list(KINDS), fill_value=0)
        names = self.details.drop_duplicates("indicator_id").set_index("indicator_id")[["indicator_name", "chapter"]]
        return names.join(counts).reset_index().sort_values(["chapter", "indicator_id"], kind="stable").reset_index(drop=True)

    def summary(self) -> list[str]:
        """The changes in plain words, most important first: one sentence each."""
        c, out = self.counts, []
        for kind, verb in (("indicator_added", "added"), ("indicator_removed", "removed")):
            rows = self.of(kind)
            if len(rows):
                out.append(f"{_many(len(rows), 'indicator')} {_was(len(rows))} {verb}: {_listed(rows['indicator_name'].tolist())}.")
        redefined = self.of("indicator_redefined")
        if len(redefined):
            n = redefined["indicator_id"].nunique()
            out.append(f"{_many(n, 'indicator')} {_was(n, 'has', 'have')} a changed definition "
                       f"({_listed(sorted(set(redefined['field'])))}).")  # fmt: skip
        new_periods = self.of("period_added")
        if len(new_periods):
            n = new_periods["indicator_id"].nunique()
            out.append(f"{_many(n, 'indicator')} {_was(n, 'has', 'have')} a new period of data ({_many(len(new_periods), 'new figure')}).")
        if c["period_removed"]:
            out.append(f"{_many(c['period_removed'], 'figure')} for periods no longer published {_was(c['period_removed'])} dropped.")
        if c["value_revised"]:
            beyond = int(self.of("value_revised")["beyond_old_interval"].astype(bool).sum())
            out.append(f"{_many(c['value_revised'], 'value')} {_was(c['value_revised'])} revised in periods both editions publish"
                       f"{f', {beyond} of them by more than the old 95% confidence interval' if beyond else ''}.")  # fmt: skip
        if c["value_published"] or c["value_withdrawn"]:
            out.append(f"{_many(c['value_published'], 'value')} can now be calculated and {c['value_withdrawn']} can no longer be.")
        for kind, whom in (("england_category", "England"), ("parent_category", "the area each place lies in")):
            rows = self.of(kind)
            if len(rows):
                examples = "; ".join(f"{r.indicator_name}, {r.area_name}, {r.period}{_sex(r.sex)}: {r.old} → {r.new}" for r in _notable(rows).head(3).itertuples())
                out.append(f"{_many(len(rows), 'comparison')} with {whom} changed category (for example {examples}).")
        if c["trend"]:
            out.append(f"{_many(c['trend'], 'recent trend')} changed.")
        if c["suppressed"] or c["released"]:
            out.append(f"{_many(c['suppressed'], 'figure')} {_was(c['suppressed'])} newly withheld by disclosure control "
                       f"and {c['released']} {_was(c['released'])} published again.")  # fmt: skip
        other = self.tables.loc[(self.tables[["added", "removed", "changed"]].sum(axis=1) > 0) & ~self.tables["table"].isin(["indicators", "catalogue"])]
        if len(other):
            out.append(f"Other tables of the store changed: {_listed(other['table'].tolist())}.")
        return out or ["No published figure changed."]

    def one_line(self) -> str:
        """A short summary for a list of editions: "2 indicators added; 3 values revised; ..."."""
        c = self.counts
        parts = [f"{c[k]} {KINDS[k][0] if c[k] == 1 else KINDS[k][1]}" for k in ("indicator_added", "indicator_removed", "indicator_redefined") if c[k]]
        new = self.of("period_added")["indicator_id"].nunique()
        if new:
            parts.append(f"{_many(new, 'indicator')} with a new period")
        parts += [f"{c[k]} {KINDS[k][0] if c[k] == 1 else KINDS[k][1]}" for k in ("value_revised", "england_category", "parent_category", "trend", "suppressed", "released") if c[k]]
        return "; ".join(parts) if parts else ("no published figure changed" if self.empty else "no indicator changed; other tables did")

    def to_csv(self) -> str:
        """The details as CSV, one change a row (text cells neutralised for spreadsheets)."""
        from jsna.store import csv_safe

        return csv_safe(self.details).to_csv(index=False, lineterminator="\n")

    def to_dict(self) -> dict:
        """Counts, the per-indicator counts, the per-table counts and every change (JSON-ready)."""
        return {
            "counts": self.counts,
            "summary": self.summary(),
            "indicators": _records(self.by_indicator()),
            "tables": _records(self.tables),
            "changes": _records(self.details),
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=1, ensure_ascii=False) + "\n"


# --------------------------------------------------------------------------------------------
# The comparison
# --------------------------------------------------------------------------------------------
def compare_stores(old: Store | Path | str, new: Store | Path | str) -> Changes:
    """Every change from store ``old`` to store ``new`` (folders, or :class:`jsna.store.Store`)."""
    old_folder, new_folder = (Path(s.folder) if isinstance(s, Store) else Path(s) for s in (old, new))
    for folder in (old_folder, new_folder):
        if not (folder / "manifest.json").exists():
            raise FileNotFoundError(f"no store in {folder} (no manifest.json)")
    cat_old, cat_new = (_read(f, "catalogue") for f in (old_folder, new_folder))
    ind_old, ind_new = (_indicator_rows(_read(f, "indicators")) for f in (old_folder, new_folder))
    titles = _titles(cat_old, cat_new, ind_old, ind_new)
    parts = [_catalogue_changes(cat_old, cat_new), _row_changes(ind_old, ind_new, titles)]
    details = pd.concat([p for p in parts if len(p)], ignore_index=True) if any(len(p) for p in parts) else pd.DataFrame(columns=DETAIL_COLUMNS)
    details = _finish(details, titles)
    return Changes(details, _table_changes(old_folder, new_folder), titles)


def _read(folder: Path, name: str) -> pd.DataFrame | None:
    """A table as its parquet file holds it (None when the store has no such table)."""
    path = folder / f"{name}.parquet"
    return pd.read_parquet(path) if path.exists() else None


def _indicator_rows(df: pd.DataFrame | None) -> pd.DataFrame:
    """The indicator rows, with the text columns the comparison reads made plain strings."""
    if df is None:
        return pd.DataFrame(columns=[*KEY, "value"])
    df = df.copy()
    for column in ("note", "recent_trend", "compared_to_england", "compared_to_parent", "period", "area_name", "area_type", "indicator_name"):
        if column in df:
            df[column] = df[column].astype(object).where(df[column].notna(), "").astype(str)
    return df.drop_duplicates(KEY, keep="first")


def _titles(cat_old, cat_new, ind_old, ind_new) -> pd.DataFrame:
    """indicator_id -> indicator_name, chapter (and its order), from whichever store has it."""
    frames = []
    for catalogue, rows in ((cat_new, ind_new), (cat_old, ind_old)):
        if catalogue is not None and len(catalogue):
            frames.append(pd.DataFrame({"indicator_id": catalogue["indicator_id"].astype(str), "indicator_name": catalogue.get("title", catalogue["indicator_id"]).astype(str),
                                        "chapter": catalogue["chapter"].astype(str) if "chapter" in catalogue else ""}))  # fmt: skip
        if len(rows) and "indicator_name" in rows:
            named = rows.drop_duplicates("indicator_id")
            frames.append(pd.DataFrame({"indicator_id": named["indicator_id"].astype(str), "indicator_name": named["indicator_name"], "chapter": ""}))
    if not frames:
        return pd.DataFrame(columns=["indicator_id", "indicator_name", "chapter", "order"])
    titles = pd.concat(frames, ignore_index=True).drop_duplicates("indicator_id", keep="first").reset_index(drop=True)
    titles["order"] = range(len(titles))
    return titles


def _catalogue_changes(old: pd.DataFrame | None, new: pd.DataFrame | None) -> pd.DataFrame:
    """Indicators added, removed, and (one row per field) redefined."""
    if old is None or new is None:
        return pd.DataFrame(columns=DETAIL_COLUMNS)
    old, new = old.set_index("indicator_id"), new.set_index("indicator_id")
    rows = [{"kind": "indicator_added", "indicator_id": i} for i in new.index if i not in old.index]
    rows += [{"kind": "indicator_removed", "indicator_id": i} for i in old.index if i not in new.index]
    fields = [c for c in new.columns if c in old.columns]
    for i in (i for i in new.index if i in old.index):
        for name in fields:
            before, after = _text(old.at[i, name]), _text(new.at[i, name])
            if before != after:
                rows.append({"kind": "indicator_redefined", "indicator_id": i, "field": name, "old": before, "new": after})
    for name in (c for c in new.columns if c not in old.columns):  # a field the old catalogue did not have
        rows += [{"kind": "indicator_redefined", "indicator_id": i, "field": name, "old": "", "new": _text(new.at[i, name])}
                 for i in new.index if i in old.index and _text(new.at[i, name])]  # fmt: skip
    return pd.DataFrame(rows, columns=DETAIL_COLUMNS) if rows else pd.DataFrame(columns=DETAIL_COLUMNS)


def _row_changes(old: pd.DataFrame, new: pd.DataFrame, titles: pd.DataFrame) -> pd.DataFrame:
    """Changes cell by cell for indicators both stores have (added or removed indicators are
    listed once by the catalogue comparison, not row by row)."""
    both = set(old["indicator_id"]) & set(new["indicator_id"])
    old, new = old.loc[old["indicator_id"].isin(both)], new.loc[new["indicator_id"].isin(both)]
    merged = old.merge(new, on=KEY, how="outer", suffixes=("_old", "_new"), indicator=True)
    only_new, only_old, common = (merged.loc[merged["_merge"] == side] for side in ("right_only", "left_only", "both"))
    out = [_cells(only_new, "period_added", "new", new="value"), _cells(only_old, "period_removed", "old", old="value")]

    withheld_old = _col(common, "note_old", "").str.startswith(WITHHELD)
    withheld_new = _col(common, "note_new", "").str.startswith(WITHHELD)
    out.append(_cells(common.loc[~withheld_old & withheld_new], "suppressed", "new", old="value", new=WITHHELD))
    out.append(_cells(common.loc[withheld_old & ~withheld_new], "released", "new", old=WITHHELD, new="value"))
    plain = common.loc[~withheld_old & ~withheld_new]
    v_old, v_new = _col(plain, "value_old", np.nan).astype(float), _col(plain, "value_new", np.nan).astype(float)
    revised = plain.loc[v_old.notna() & v_new.notna() & ~np.isclose(v_old.fillna(0), v_new.fillna(0), rtol=1e-9, atol=1e-12)]
    out.append(_cells(revised, "value_revised", "new", old="value", new="value", interval=True))
    out.append(_cells(plain.loc[v_old.isna() & v_new.notna()], "value_published", "new", new="value"))
    out.append(_cells(plain.loc[v_old.notna() & v_new.isna()], "value_withdrawn", "new", old="value"))
    for kind, column in (("england_category", "compared_to_england"), ("parent_category", "compared_to_parent")):
        if f"{column}_old" in plain and f"{column}_new" in plain:  # a cell withheld on either side is listed as such, not as compared
            before, after = plain[f"{column}_old"].fillna(""), plain[f"{column}_new"].fillna("")
            out.append(_cells(plain.loc[before != after], kind, "new", old=column, new=column))
    out.append(_trend_changes(old, new))
    frames = [f for f in out if len(f)]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=DETAIL_COLUMNS)


def _col(df: pd.DataFrame, name: str, default) -> pd.Series:
    return df[name] if name in df else pd.Series(default, index=df.index)


def _cells(rows: pd.DataFrame, kind: str, side: str, *, old: str | None = None, new: str | None = None, interval: bool = False) -> pd.DataFrame:
    """Detail rows for merged indicator rows: the place and period from ``side`` (old or new),
    and ``old``/``new`` from those columns ("value" formatted as a number; a constant otherwise)."""
    if rows.empty:
        return pd.DataFrame(columns=DETAIL_COLUMNS)

    def pick(column: str) -> pd.Series:
        for name in (f"{column}_{side}", column, f"{column}_{'old' if side == 'new' else 'new'}"):
            if name in rows:
                return rows[name]
        return pd.Series("", index=rows.index)

    def values(column: str | None, which: str) -> pd.Series:
        if column is None:
            return pd.Series("", index=rows.index)
        name = f"{column}_{which}"
        if name not in rows:  # a constant such as "[c]"
            return pd.Series(column, index=rows.index)
        return rows[name].map(_number) if column == "value" else rows[name].fillna("").astype(str)

    out = pd.DataFrame({
        "kind": kind, "indicator_id": rows["indicator_id"].astype(str), "area_code": rows["area_code"].astype(str),
        "area_name": pick("area_name").astype(str), "area_type": pick("area_type").astype(str), "sex": rows["sex"].astype(str),
        "years": rows["years"].astype("int64"), "period": pick("period").astype(str), "period_end": rows["period_end"].astype("int64"),
        "old": values(old, "old"), "new": values(new, "new"),
    })  # fmt: skip
    out["field"] = {"england_category": "compared_to_england", "parent_category": "compared_to_parent"}.get(kind, "value")
    if interval:
        lower, upper, after = (rows[c].astype(float) for c in ("lower_95_0_old", "upper_95_0_old", "value_new"))
        out["beyond_old_interval"] = ((after < lower) | (after > upper)).fillna(False).to_numpy()
    return out


def _trend_changes(old: pd.DataFrame, new: pd.DataFrame) -> pd.DataFrame:
    """Recent trends, series by series: the trend of the latest period that has one, in each store.

    Fingertips' recent trend is set on the rows summaries show (the latest period), so a new
    period moves it: comparing period by period would report every series with a new year.
    A series only one store has (a new place, a new sex) is not a changed trend.
    """
    if "recent_trend" not in old or "recent_trend" not in new:
        return pd.DataFrame(columns=DETAIL_COLUMNS)

    def latest(df: pd.DataFrame) -> pd.DataFrame:
        df = df.loc[df["recent_trend"] != ""].sort_values("period_end", kind="stable")
        return df.drop_duplicates(SERIES, keep="last").set_index(SERIES)

    keep = ["recent_trend", "period", "period_end", "area_name", "area_type"]
    series_both = old[SERIES].drop_duplicates().merge(new[SERIES].drop_duplicates(), on=SERIES)
    merged = series_both.merge(latest(old)[keep].reset_index(), on=SERIES, how="left").merge(
        latest(new)[keep].reset_index(), on=SERIES, how="left", suffixes=("_old", "_new"))
    was, now = merged["recent_trend_old"].fillna(""), merged["recent_trend_new"].fillna("")
    merged = merged.loc[(was != now)].sort_values(SERIES, kind="stable")
    rows = []
    for r in merged.to_dict("records"):
        side = "new" if isinstance(r["recent_trend_new"], str) else "old"
        rows.append({
            "kind": "trend", "indicator_id": r["indicator_id"], "area_code": r["area_code"], "years": int(r["years"]), "sex": r["sex"],
            "area_name": r[f"area_name_{side}"], "area_type": r[f"area_type_{side}"], "period": r[f"period_{side}"],
            "period_end": int(r[f"period_end_{side}"]), "field": "recent_trend",
            "old": f"{r['recent_trend_old']} ({r['period_old']})" if isinstance(r["recent_trend_old"], str) else "(none)",
            "new": f"{r['recent_trend_new']} ({r['period_new']})" if isinstance(r["recent_trend_new"], str) else "(none)",
        })  # fmt: skip
    return pd.DataFrame(rows) if rows else pd.DataFrame(columns=DETAIL_COLUMNS)


def _finish(details: pd.DataFrame, titles: pd.DataFrame) -> pd.DataFrame:
    """Titles and chapters filled in, every column present, a stable order."""
    details = details.drop(columns=["indicator_name", "chapter"], errors="ignore").merge(
        titles[["indicator_id", "indicator_name", "chapter", "order"]], on="indicator_id", how="left"
    )
    details["indicator_name"] = details["indicator_name"].fillna(details["indicator_id"])
    details["chapter"] = details["chapter"].fillna("")
    for column in DETAIL_COLUMNS:
        if column not in details:
            details[column] = "" if column != "beyond_old_interval" else False
    for column in ("area_code", "area_name", "area_type", "sex", "period", "field", "old", "new"):
        details[column] = details[column].fillna("").astype(str)
    details["years"] = pd.to_numeric(details["years"], errors="coerce").astype("Int64")
    details["beyond_old_interval"] = details["beyond_old_interval"].fillna(False).astype(bool)
    details["kind_order"] = details["kind"].map({k: i for i, k in enumerate(KINDS)})
    if "period_end" not in details:
        details["period_end"] = np.nan
    details = details.sort_values(["order", "kind_order", "area_code", "sex", "years", "period_end", "field"], kind="stable", na_position="last")
    return details[DETAIL_COLUMNS].reset_index(drop=True)


def _table_changes(old: Path, new: Path) -> pd.DataFrame:
    """Every table either store has, compared key by key (the declared key, when both have it)."""
    names = sorted({p.stem for p in old.glob("*.parquet")} | {p.stem for p in new.glob("*.parquet")},
                   key=lambda n: (list(TABLES).index(n) if n in TABLES else len(TABLES), n))  # fmt: skip
    rows = []
    for name in names:
        if (old / f"{name}.parquet").exists() and (new / f"{name}.parquet").exists() and \
                (old / f"{name}.parquet").read_bytes() == (new / f"{name}.parquet").read_bytes():  # the build is deterministic
            rows.append([name, *[len(pd.read_parquet(old / f"{name}.parquet", columns=[]))] * 2, 0, 0, 0, ""])
            continue
        a, b = _read(old, name), _read(new, name)
        if a is None or b is None:
            rows.append([name, 0 if a is None else len(a), 0 if b is None else len(b), int(a is None), int(b is None), 0,
                         "only in the new store" if a is None else "only in the old store"])  # fmt: skip
            continue
        key = [k for k in (TABLES[name].key if name in TABLES else ()) if k in a and k in b]
        columns = [c for c in b.columns if c in a.columns]
        note = "" if list(a.columns) == list(b.columns) else "columns differ: " + ", ".join(sorted(set(a.columns) ^ set(b.columns)))
        if not key or a.duplicated(key).any() or b.duplicated(key).any():
            same = _frame_text(a[columns]).equals(_frame_text(b[columns])) and not note
            rows.append([name, len(a), len(b), 0, 0, 0 if same else 1, note or ("" if same else "compared as a whole (no key)")])
            continue
        joined = a[columns].merge(b[columns], on=key, how="outer", suffixes=("_old", "_new"), indicator=True)
        both = joined.loc[joined["_merge"] == "both"]
        differ = np.zeros(len(both), dtype=bool)
        for column in (c for c in columns if c not in key):
            differ |= _differ(both[f"{column}_old"], both[f"{column}_new"])
        counts = joined["_merge"].value_counts()
        rows.append([name, len(a), len(b), int(counts.get("right_only", 0)), int(counts.get("left_only", 0)), int(differ.sum()), note])
    return pd.DataFrame(rows, columns=TABLE_COLUMNS)


def _differ(a: pd.Series, b: pd.Series) -> np.ndarray:
    """Cell by cell, whether two columns differ (missing equals missing; lists by their items)."""
    if pd.api.types.is_numeric_dtype(a) and pd.api.types.is_numeric_dtype(b) and not pd.api.types.is_bool_dtype(a):
        x, y = a.to_numpy(dtype=float, na_value=np.nan), b.to_numpy(dtype=float, na_value=np.nan)
        return ~((x == y) | (np.isnan(x) & np.isnan(y)))
    if _has_lists(a) or _has_lists(b):
        return a.map(_exact).to_numpy() != b.map(_exact).to_numpy()
    x = a.astype(object).where(a.notna(), "").astype(str).to_numpy()
    y = b.astype(object).where(b.notna(), "").astype(str).to_numpy()
    return x != y


def _has_lists(column: pd.Series) -> bool:
    found = column.dropna()
    return column.dtype == object and len(found) > 0 and isinstance(found.iloc[0], (list, tuple, np.ndarray))


def _frame_text(df: pd.DataFrame) -> pd.DataFrame:
    """Every cell as exact text (missing as ""), so that cells compare by value, lists included."""
    return df.apply(lambda column: column.map(_exact))


def _exact(value) -> str:
    if isinstance(value, (list, tuple, np.ndarray)):
        return json.dumps([_exact(v) for v in value])
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA or value is pd.NaT:
        return ""
    if isinstance(value, (float, np.floating)):
        return repr(float(value))
    return str(value)


# --------------------------------------------------------------------------------------------
# Words
# --------------------------------------------------------------------------------------------
def _number(value) -> str:
    """A value as the changelog writes it: full precision, no exponent for ordinary figures."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    value = float(value)
    return str(int(value)) if value.is_integer() and abs(value) < 1e15 else format(value, ".10g")


def _text(value) -> str:
    """A catalogue cell as text (lists as "a, b")."""
    if isinstance(value, (list, tuple, np.ndarray)):
        return ", ".join(str(v) for v in list(value))
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return str(value)


def _records(df: pd.DataFrame) -> list[dict]:
    return json.loads(df.to_json(orient="records", force_ascii=False))


def _many(n: int, word: str) -> str:
    return f"{n:,} {word}" + ("" if n == 1 else "s")


def _was(n: int, one: str = "was", many: str = "were") -> str:
    return one if n == 1 else many


def _listed(items: list[str]) -> str:
    items = [str(i) for i in items]
    if len(items) > 6:
        return ", ".join(items[:5]) + f" and {len(items) - 5} more"
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _sex(sex: str) -> str:
    return "" if sex in ("Persons", "") else f" ({sex.lower()})"


#: Categories that say a place differs significantly: a change to or from them comes first.
SIGNIFICANT = ("Worse", "Better", "Higher", "Lower")


def _notable(rows: pd.DataFrame) -> pd.DataFrame:
    """Comparisons that changed, those that became significantly worse first, then better."""
    rank = rows["new"].map(lambda c: 0 if str(c).startswith("Worse") else 1 if str(c).startswith(SIGNIFICANT) else 2)
    return rows.assign(_rank=rank.to_numpy()).sort_values("_rank", kind="stable")
