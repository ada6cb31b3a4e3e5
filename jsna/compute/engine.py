"""The indicator engine's shared steps: which areas a row counts towards, and an indicator's
numerator and denominator summed by area, period, sex (and age band).

A small area counts towards its ward, its township and the authority; a practice towards its
network and the authority (:func:`area_lookup`). An indicator's numerator and denominator are
filtered as the catalogue says, pooled into periods of one or more years and summed for every
area they count towards (:func:`indicator_inputs`: on a dense grid of areas, years, sexes and
age bands, from the tables' columns coded as integers once per :class:`Context`); a method of
:mod:`jsna.compute.methods` then turns them into values. A deprivation quantile of an area is
computed exactly as an area is, with a lookup whose "areas" are the quantiles
(:mod:`jsna.compute.inequalities`).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from jsna.inputs.periods import period_label
from jsna.inputs.tables import AGE_START, Inputs

#: Every value column a method returns; the store keeps them as floats.
NUMERIC = ["value", "lower_95_0", "upper_95_0", "lower_99_8", "upper_99_8", "count", "denominator"]
#: The columns that identify one computed value.
GROUP = ["indicator_id", "area_code", "years", "period_end", "sex"]


@dataclass(frozen=True)
class Codes:
    """A column as integer codes: row ``i`` holds ``labels[codes[i]]``, or is missing (-1).
    The labels are sorted (as a sorted ``groupby`` orders them) and keep the column's dtype."""

    codes: np.ndarray
    labels: pd.Index

    @classmethod
    def of(cls, values: pd.Series) -> Codes:
        codes, labels = pd.factorize(values, sort=True)
        return cls(codes, labels)

    def rows_where(self, labelled: np.ndarray | pd.Index) -> np.ndarray:
        """Which rows hold a label for which ``labelled`` (one flag per label) is true; a missing
        value never is."""
        return np.append(np.asarray(labelled, dtype=bool), False)[self.codes]

    def take(self, rows: np.ndarray) -> Codes:
        """The codes of some rows (a mask or positions), with the same labels."""
        return Codes(self.codes[rows], self.labels)

    def renamed(self, names: dict) -> Codes:
        """The same rows with labels renamed by ``names`` (several may become one)."""
        renamed = pd.Index(self.labels.to_series().replace(names))
        labels = renamed.unique().sort_values()
        return Codes(np.append(labels.get_indexer(renamed), -1)[self.codes], labels)

    def relabelled(self, labels: pd.Index) -> Codes:
        """The same values coded against ``labels`` (sorted, holding every label of these)."""
        position = np.append(labels.get_indexer(self.labels), -1)
        return Codes(position[self.codes], labels)


@dataclass(frozen=True)
class Context:
    """What a method computes from: the inputs, the area lookup, the catalogue by id, the
    inequality tables already computed (for methods that summarise them), and the input tables'
    columns as :class:`Codes` (each computed once, when first asked for, by :meth:`codes`)."""

    inputs: Inputs
    lookup: pd.DataFrame
    catalogue: dict[str, dict]
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    coded: dict[tuple[str, str], Codes] = field(default_factory=dict, compare=False, repr=False)

    def codes(self, table: str, column: str) -> Codes:
        """Column ``column`` of input table ``table`` as codes."""
        if (table, column) not in self.coded:
            self.coded[table, column] = Codes.of(self.inputs[table][column])
        return self.coded[table, column]


def area_lookup(inputs: Inputs) -> pd.DataFrame:
    """Every (base area, area it counts towards) pair, with the latter's type.

    Base areas are small areas and practices; each counts towards itself and all its ancestors
    up to the authority. The authority is a base area too (it counts towards itself only), for
    the tables that hold authority totals (e.g. reablement).
    """
    geography, types = inputs.geography, inputs.area_types
    parent = geography.set_index("area_code")["parent_code"]
    kind = geography.set_index("area_code")["area_type"]
    authority = types.with_role("authority")
    base_types = [types.with_role("small_area"), types.with_role("practice"), authority]
    base = geography.loc[geography["area_type"].isin(base_types), ["area_code"]]
    frames = []
    current = pd.DataFrame({"base_code": base["area_code"].to_numpy(), "area_code": base["area_code"].to_numpy()})
    while len(current):
        current = current.assign(area_type=current["area_code"].map(kind).to_numpy())
        frames.append(current)
        current = current.loc[current["area_type"] != authority]
        current = current.assign(area_code=current["area_code"].map(parent).to_numpy()).drop(columns="area_type")
        current = current.dropna(subset=["area_code"])
    return pd.concat(frames, ignore_index=True)


#: The ESP 2013 has one band for ages 0 to 4.
ESP_BANDS = {"0": "0-4", "1-4": "0-4"}


@dataclass(frozen=True)
class _Rows:
    """Rows of a table of counts as arrays: base area, sex and age band as :class:`Codes` (no
    sex column: ``sex`` is None; not by age: ``band`` is None), year, and the value counted."""

    base: Codes
    year: np.ndarray
    sex: Codes | None
    band: Codes | None
    x: np.ndarray

    def take(self, rows: np.ndarray) -> _Rows:
        """Some of the rows (a mask or positions)."""

        def part(codes: Codes | None) -> Codes | None:
            return None if codes is None else codes.take(rows)

        return _Rows(self.base.take(rows), self.year[rows], part(self.sex), part(self.band), self.x[rows])

    def followed_by(self, other: _Rows) -> _Rows:
        """These rows and then ``other``'s (coded against the same labels)."""

        def joined(first: Codes | None, second: Codes | None) -> Codes | None:
            return None if first is None else Codes(np.concatenate([first.codes, second.codes]), first.labels)

        return _Rows(
            joined(self.base, other.base), np.concatenate([self.year, other.year]), joined(self.sex, other.sex),
            joined(self.band, other.band), np.concatenate([self.x, other.x]),
        )  # fmt: skip


def _select(context: Context, spec: dict, by_age: bool, esp_bands: bool) -> _Rows:
    """The rows of a table that ``spec`` selects (its ``where``: age limits by band start, IMD
    deciles of the small area, or allowed values of any column), with its ``column`` counted,
    by age band if asked (in the ESP's bands with ``esp_bands``)."""
    name, inputs = spec["table"], context.inputs
    df = inputs[name]
    where = dict(spec.get("where", {}))
    mask = np.ones(len(df), dtype=bool)
    if "age" in where:
        band = context.codes(name, "age_band")
        start, limits = band.labels.map(AGE_START), where.pop("age")
        allowed = np.ones(len(band.labels), dtype=bool)
        if "min" in limits:
            allowed &= start >= limits["min"]
        if "max" in limits:
            allowed &= start <= limits["max"]
        mask &= band.rows_where(allowed)
    if "imd_decile" in where:
        area = context.codes(name, "area_code")
        decile = area.labels.map(inputs["deprivation"].set_index("area_code")["imd_decile"])
        mask &= area.rows_where(decile.isin(where.pop("imd_decile")))
    for column, allowed in where.items():
        values = context.codes(name, column)
        mask &= values.rows_where(values.labels.isin(allowed))
    band = None
    if by_age:
        band = context.codes(name, "age_band")
        if esp_bands:
            band = band.renamed(ESP_BANDS)
    rows = _Rows(
        base=context.codes(name, "area_code"),
        year=df["year"].to_numpy(dtype=np.int64),
        sex=context.codes(name, "sex") if "sex" in df.columns else None,
        band=band,
        x=df[spec["column"]].to_numpy(dtype=np.float64),
    )
    return rows.take(mask)


def _with_persons(rows: _Rows, sexes: list[str]) -> _Rows:
    """Keep the requested sexes, adding "Persons" rows (all sexes) where asked; a table without
    sex counts as "Persons"."""
    if rows.sex is None:
        return replace(rows, sex=Codes(np.zeros(len(rows.x), dtype=np.intp), pd.Index(["Persons"])))
    chosen = rows.take(rows.sex.rows_where(rows.sex.labels.isin(sexes)))
    if "Persons" not in sexes:
        return chosen
    labels = rows.sex.labels.append(pd.Index(["Persons"], dtype=rows.sex.labels.dtype)).unique().sort_values()
    persons = replace(rows, sex=Codes(np.full(len(rows.x), labels.get_loc("Persons")), labels))
    return replace(chosen, sex=chosen.sex.relabelled(labels)).followed_by(persons)


def _sum_by_area(rows: _Rows, lookup: pd.DataFrame, first: int, last: int) -> tuple[np.ndarray, np.ndarray, dict[str, pd.Index]]:
    """Sums of ``x`` and numbers of rows on a dense grid: area x year x sex x age band.

    Each row counts towards every area its base area belongs to in ``lookup`` (once per pair);
    rows of base areas not in it, or with a missing sex or age band, count nowhere (as an inner
    join and ``groupby`` drop them). A missing ``x`` adds nothing but still makes its cell
    present, as a ``groupby`` sum does. Returns the sums and counts, shaped (area, year, sex,
    band) for the years ``first`` to ``last`` (one band when not by age), and the labels of the
    area, sex and band axes.
    """
    bases = pd.Index(pd.unique(lookup["base_code"]))
    base = rows.base.relabelled(bases).codes
    area_of_pair, areas = pd.factorize(lookup["area_code"], sort=True)
    # The pairs by area, so that each area's sum is of one run of them (every area has a pair).
    pairs = np.argsort(area_of_pair, kind="stable")
    base_of_pair = bases.get_indexer(lookup["base_code"])[pairs]
    first_pair = np.flatnonzero(np.diff(area_of_pair[pairs], prepend=-1))
    band = Codes(np.zeros(len(rows.x), dtype=np.intp), pd.Index([None])) if rows.band is None else rows.band
    keep = (base >= 0) & (rows.sex.codes >= 0) & (band.codes >= 0)
    shape = (len(bases), last - first + 1, len(rows.sex.labels), len(band.labels))
    cell = np.ravel_multi_index((base[keep], rows.year[keep] - first, rows.sex.codes[keep], band.codes[keep]), shape)
    size = int(np.prod(shape))
    # (a weighted bincount of no rows at all gives integers)
    by_base = np.bincount(cell, weights=np.nan_to_num(rows.x[keep], nan=0.0), minlength=size).astype(np.float64).reshape(shape)
    rows_by_base = np.bincount(cell, minlength=size).reshape(shape)
    sums = np.add.reduceat(by_base[base_of_pair], first_pair, axis=0)
    present = np.add.reduceat(rows_by_base[base_of_pair], first_pair, axis=0)
    return sums, present, {"area_code": areas, "sex": rows.sex.labels, "age_band": band.labels}


def _pool(grid: np.ndarray, windows: list[int]) -> np.ndarray:
    """Sums over every window of ``windows`` years ending in each year of ``grid``'s year axis
    (axis 1): shaped (area, window, period end, ...); zero where a window would start before the
    first year (an incomplete window)."""
    before = np.concatenate([np.zeros_like(grid[:, :1]), np.cumsum(grid, axis=1)], axis=1)
    out = np.zeros((grid.shape[0], len(windows)) + grid.shape[1:], dtype=grid.dtype)
    for i, years in enumerate(windows):
        out[:, i, years - 1 :] = before[:, years:] - before[:, :-years]
    return out


@dataclass(frozen=True)
class _Sums:
    """An indicator's numerator or denominator: the cells at least one input row counts towards,
    in sorted order, as positions on each axis of the grid (area, window, period end, sex, age
    band), and their sums; with the labels of the area, sex and band axes, the windows and the
    year of the first period end."""

    cells: tuple[np.ndarray, ...]
    x: np.ndarray
    labels: dict[str, pd.Index]
    windows: list[int]
    first: int


def _aggregate(context: Context, indicator: dict, spec: dict, by_age: bool, esp_bands: bool) -> _Sums:
    """One indicator's numerator or denominator summed by area, period, sex (and age band).

    The cells are those a sorted ``groupby`` of the rows pooled into complete windows and
    joined to the lookup would give, in its order. The sums are formed on a dense grid
    (:func:`_sum_by_area`, :func:`_pool`); the counts are whole numbers, far below 2**53, so
    every sum is exact whatever the order of addition.
    """
    rows = _with_persons(_select(context, spec, by_age, esp_bands), indicator["sex"])
    years = context.inputs[spec["table"]]["year"]
    first, last = int(years.min()), int(years.max())
    lookup = context.lookup
    wanted = lookup.loc[lookup["area_type"].isin(indicator["areas"]), ["base_code", "area_code"]]
    sums, present, labels = _sum_by_area(rows, wanted, first, last)
    windows = sorted(indicator["windows"])
    present = _pool(present, windows) > 0
    return _Sums(np.nonzero(present), _pool(sums, windows)[present], labels, windows, first)


def _frame(sums: _Sums, indicator: dict, by_age: bool, name: str) -> pd.DataFrame:
    """The sums as rows: area_code, years, period_end, sex (age_band), ``name``, indicator_id."""
    cells, labels = sums.cells, sums.labels
    out = pd.DataFrame(
        {
            "area_code": labels["area_code"].take(cells[0]),
            "years": np.asarray(sums.windows, dtype=np.int64)[cells[1]],
            "period_end": cells[2].astype(np.int64) + sums.first,
            "sex": labels["sex"].take(cells[3]),
        }
    )
    if by_age:
        out["age_band"] = labels["age_band"].take(cells[4])
    out[name] = sums.x
    return out.assign(indicator_id=indicator["id"])


def _sums_at(sums: _Sums, at: _Sums) -> np.ndarray:
    """The sums at the cells of ``at`` (of the same indicator), 0 where ``sums`` has none.

    Both have the same areas and windows; period ends are matched by year, sexes and age
    bands by label (the two tables may hold different ones).
    """
    first = min(sums.first, at.first)
    keys = []
    for one in (sums, at):
        where = list(one.cells)
        where[2] = where[2] + (one.first - first)
        for axis, label in ((3, "sex"), (4, "age_band")):
            if axis < len(where):
                where[axis] = np.append(at.labels[label].get_indexer(one.labels[label]), -1)[where[axis]]
        keys.append(where)
    found = np.all([axis >= 0 for axis in keys[0]], axis=0)
    shape = [max(int(a.max(initial=-1)), int(b.max(initial=-1))) + 1 for a, b in zip(keys[0], keys[1])]
    index = pd.Index(np.ravel_multi_index([axis[found] for axis in keys[0]], shape))
    position = index.get_indexer(np.ravel_multi_index(keys[1], shape))
    return np.append(sums.x[found], 0.0)[position]  # (position -1: none, 0)


def indicator_inputs(context: Context, indicator: dict, *, by_age: bool = False, esp_bands: bool = False) -> pd.DataFrame:
    """Numerator ``count`` and denominator ``denominator`` for one indicator, every area of the
    context's lookup and every period (by age band too with ``by_age``; in the 19 ESP2013 bands
    with ``esp_bands``).

    With a denominator, the rows are the denominator's; a denominator with no events is zero
    events, and events with no denominator cannot be used (they are left out).
    """
    numerator = _aggregate(context, indicator, indicator["numerator"], by_age, esp_bands)
    if "denominator" not in indicator:
        return _frame(numerator, indicator, by_age, "count")
    denominator = _aggregate(context, indicator, indicator["denominator"], by_age, esp_bands)
    out = _frame(denominator, indicator, by_age, "denominator").assign(count=_sums_at(numerator, denominator))
    if numerator.labels["sex"].dtype != denominator.labels["sex"].dtype:
        # one table records sex and the other not: the sexes are as a merge of the two gives them
        out["sex"] = out["sex"].astype(object)
    return out


def describe(table: pd.DataFrame, inputs: Inputs, catalogue: dict[str, dict]) -> pd.DataFrame:
    """Add what each computed row is: indicator name, unit, age and polarity, the area's name,
    type and parent, and the period's first year and label."""
    geography = inputs.geography.set_index("area_code")
    meta = pd.DataFrame(
        [
            {"indicator_id": i, "indicator_name": e["title"], "unit": e["unit"], "age": e["age"],
             "polarity": e["polarity"], "year_type": e["year_type"]}
            for i, e in catalogue.items()
        ]
    )  # fmt: skip
    table = table.merge(meta, on="indicator_id", how="left")
    table["area_name"] = table["area_code"].map(geography["area_name"])
    table["area_type"] = table["area_code"].map(geography["area_type"])
    table["parent_code"] = table["area_code"].map(geography["parent_code"])
    table["parent_name"] = table["parent_code"].map(geography["area_name"])
    table["period_start"] = table["period_end"] - table["years"] + 1
    labels = [period_label(rows["period_start"], rows["period_end"], year_type) for year_type, rows in table.groupby("year_type", sort=False)]
    table["period"] = pd.concat(labels) if labels else pd.Series(dtype=object)
    return table.drop(columns="year_type")
