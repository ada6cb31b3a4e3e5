"""Disclosure control that survives subtraction: the small-number rule, secondary suppression
across every published relation, and an audit of what is published.

The policy (``parameters/disclosure.yml``, :mod:`jsna.inputs.disclosure`) says which indicators
are covered and the rule: counts from 1 to 7 are withheld, every other count is rounded to the
nearest 5, and values and limits are calculated from the rounded count (NHS Digital's
methodology for Hospital Episode Statistics, 2018). Three steps enforce it:

1. **Cells and relations.** Every count a covered indicator publishes is a *cell*: one
   indicator, area (or deprivation quantile of an area), period and sex, in the indicator table
   or the breakdowns table. Cells are tied by the additive *relations* the book publishes
   (:func:`relations`): an area and its children of each type (wards in a township, townships
   in the borough, practices in a network), an area and its deprivation quantiles, persons and
   men and women, a pooled period and its single years. A member of a relation that is not
   published is a *latent* cell: unknown to a reader, but still tied by the relation.
   Before that, a covered indicator keeps only the periods the pages show
   (:func:`shown_periods`): overlapping periods of rounded counts can be subtracted from each
   other until the rounding is undone.
2. **Secondary suppression** (:func:`protect`). Starting from the cells the rule withholds, a
   mixed-integer programme (HiGHS) chooses the fewest further cells (small counts first) so
   that, within every relation, each withheld cell is hidden by at least ``protection`` worth of
   uncertainty from the others (a withheld or latent cell counts fully, a rounded one by its
   rounding interval, an exact one not at all). The audit then checks the whole system; a cell
   it can still narrow adds a constraint and the programme is solved again.
3. **The audit** (:func:`audit`). For every withheld cell, two linear programmes find the
   smallest and largest value it can take given everything published: exact cells as they are,
   rounded counts as intervals (``r - 2`` to ``r + 2``), withheld and latent cells anything from
   0 (to the denominator, for a proportion), and every relation. A range of fewer than
   ``protection`` whole numbers fails the build, naming the cell. Most cells are settled by
   small programmes around them (one range inside the true one, one around it); the rest by the
   whole group's. The build runs it on the tables it computed (:func:`disclosure_tables`), and
   again on the store it published, read back (:func:`audit_published`), and checks the
   downloads say the same.

A withheld cell is withheld everywhere it appears (its row in a table, its point in a chart, its
line in a download) and every withheld cell carries the same note, so a reader cannot tell a
count the rule hides from one hidden to protect it.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import highspy
import numpy as np
import pandas as pd
from scipy import sparse
from scipy.sparse import csgraph

from jsna.compute.methods import METHODS
from jsna.errors import BuildError
from jsna.inputs.disclosure import Policy
from jsna.inputs.places import AreaTypes

#: What identifies a cell (an indicator-table cell has no category: "" and 0).
KEY = ["indicator_id", "area_code", "category_type", "category", "years", "period_end", "sex"]
VALUES = ["value", "lower_95_0", "upper_95_0", "lower_99_8", "upper_99_8"]
QUANTILES = {"Local deprivation quintile": 5, "Local deprivation decile": 10}
EXACT, ROUNDED, SUPPRESSED, LATENT = "exact", "rounded", "withheld", "latent"
INFINITY = highspy.kHighsInf


# --------------------------------------------------------------------------------------------
# Cells
# --------------------------------------------------------------------------------------------
@dataclass
class Cells:
    """The cells of the covered indicators and the relations between them.

    ``frame`` has one row per cell: the :data:`KEY`, ``table`` ("indicators", "breakdowns" or
    "" for a latent cell), ``row`` (its row in that table), ``count`` (exact when protecting,
    as published when auditing), ``status`` (exact, rounded, withheld, latent), ``primary``
    (withheld by the rule itself) and ``upper`` (the largest value a withheld cell could take).
    ``relations`` lists, for each relation, the positions of its cells, the total first.
    """

    frame: pd.DataFrame
    relations: list[np.ndarray] = field(default_factory=list)

    def of(self, position: int) -> dict:
        return self.frame.iloc[position][KEY].to_dict()


def covered_ids(catalogue: list[dict], policy: Policy) -> dict[str, bool]:
    """Covered indicator id -> whether the rule applies below the authority only."""
    return {entry["id"]: cover.below_authority for entry in catalogue if (cover := policy.cover_of(entry)) is not None}


def cells(indicators: pd.DataFrame, breakdowns: pd.DataFrame, covered: dict[str, bool], methods: dict[str, str], policy: Policy,
          authority: str, *, published: bool) -> pd.DataFrame:  # fmt: skip
    """The covered cells of both tables, each with its status.

    ``covered`` maps each covered indicator to whether the rule applies below the authority
    only; ``methods`` each indicator to its method. With ``published``, the tables are as
    published (withheld cells carry the note; other covered counts are rounded); otherwise they
    hold exact counts, and the status is what the rule alone gives (1 to 7 withheld, other
    positive counts rounded).
    """
    frames = []
    for name, table in (("indicators", indicators), ("breakdowns", breakdowns)):
        rows = table.loc[table["indicator_id"].isin(list(covered))]
        frames.append(pd.DataFrame({
            "indicator_id": rows["indicator_id"].to_numpy(), "area_code": rows["area_code"].to_numpy(),
            "category_type": rows["category_type"].to_numpy() if "category_type" in rows else "",
            "category": rows["category"].to_numpy() if "category" in rows else 0,
            "years": rows["years"].to_numpy(), "period_end": rows["period_end"].to_numpy(), "sex": rows["sex"].to_numpy(),
            "table": name, "row": rows.index.to_numpy(), "count": rows["count"].to_numpy(float),
            "denominator": rows["denominator"].to_numpy(float), "note": rows["note"].fillna("").astype(str).to_numpy(),
        }))  # fmt: skip
    out = pd.concat(frames, ignore_index=True)
    out["category"] = out["category"].astype(int)
    exact_here = (out["indicator_id"].map(covered).astype(bool) & (out["area_code"] == authority) & (out["table"] == "indicators")).to_numpy()
    if published:
        withheld = out["note"].str.startswith(policy.shown_as).to_numpy()
        primary = np.zeros(len(out), bool)
    else:
        count = out["count"].to_numpy()
        withheld = primary = (~exact_here) & (count >= policy.suppress_from) & (count <= policy.suppress_to)
    exact = exact_here | (out["count"].to_numpy() == 0)
    out["status"] = np.where(withheld, SUPPRESSED, np.where(exact, EXACT, ROUNDED))
    out["primary"] = primary
    proportion = out["indicator_id"].map(methods).map(lambda m: METHODS[m].funnel == "proportion").astype(bool)
    out["upper"] = np.where(proportion, out["denominator"], INFINITY)
    return out.drop(columns=["note"])


# --------------------------------------------------------------------------------------------
# Relations
# --------------------------------------------------------------------------------------------
def relations(frame: pd.DataFrame, geography: pd.DataFrame, area_types: AreaTypes) -> Cells:
    """The additive relations between the cells, adding a latent cell for every member that is
    not published. Each relation is [total, part, part, ...]."""
    frame = frame.reset_index(drop=True)
    keys = list(map(tuple, frame[KEY].to_numpy().tolist()))
    position = {key: i for i, key in enumerate(keys)}
    latent: list[tuple] = []

    def at(key: tuple) -> int:
        if key not in position:
            position[key] = len(keys) + len(latent)
            latent.append(key)
        return position[key]

    found: list[list[int]] = []
    children = _children(geography, area_types)
    by_key = {key: i for i, key in enumerate(keys)}
    for key in keys:
        indicator, area, category_type, category, years, end, sex = key
        if sex == "Persons":  # persons = men + women
            parts = [(indicator, area, category_type, category, years, end, s) for s in ("Male", "Female")]
            if any(p in by_key for p in parts):
                found.append([by_key[key], *map(at, parts)])
        if years > 1:  # a pooled period = its single years
            parts = [(indicator, area, category_type, category, 1, end - offset, sex) for offset in range(years)]
            found.append([by_key[key], *map(at, parts)])
        if category_type == "":
            for child_codes in children.get(area, ()):  # an area = its children of each type
                parts = [(indicator, code, "", 0, years, end, sex) for code in child_codes]
                if any(p in by_key for p in parts):
                    found.append([by_key[key], *map(at, parts)])
        elif category == 1:  # an area = its deprivation quantiles
            parts = [(indicator, area, category_type, q, years, end, sex) for q in range(1, QUANTILES[category_type] + 1)]
            found.append([at((indicator, area, "", 0, years, end, sex)), *map(at, parts)])
    if latent:
        extra = pd.DataFrame(latent, columns=KEY).assign(table="", row=-1, count=np.nan, denominator=np.nan, status=LATENT, primary=False, upper=INFINITY)
        frame = pd.concat([frame, extra], ignore_index=True)
    return Cells(frame, [np.array(members, dtype=np.int64) for members in found])


def _children(geography: pd.DataFrame, area_types: AreaTypes) -> dict[str, list[list[str]]]:
    """Area -> for each child type, the codes of its children of that type."""
    kind = geography.set_index("area_code")["area_type"]
    out: dict[str, list[list[str]]] = {}
    for parent, rows in geography.dropna(subset=["parent_code"]).groupby("parent_code", sort=False):
        if parent not in kind.index:
            continue
        groups = [rows.loc[rows["area_type"] == t, "area_code"].tolist() for t in area_types.children(kind[parent])]
        out[parent] = [g for g in groups if g]
    return out


# --------------------------------------------------------------------------------------------
# The audit: how narrowly can each withheld cell be pinned down?
# --------------------------------------------------------------------------------------------
def bounds(frame: pd.DataFrame, policy: Policy) -> tuple[np.ndarray, np.ndarray]:
    """What a reader knows of each cell: its exact count, the interval its published rounded count
    stands for (never a count the rule would withhold), or 0 to its upper bound if withheld."""
    count = frame["count"].to_numpy(float)
    status = frame["status"].to_numpy()
    half = policy.round_to // 2
    shown = np.round(count / policy.round_to) * policy.round_to  # the published count (exact counts are rounded here too)
    lower = np.where(status == EXACT, count, np.where(status == ROUNDED, np.maximum(shown - half, policy.suppress_to + 1), 0.0))
    upper = np.where(status == EXACT, count, np.where(status == ROUNDED, shown + half, frame["upper"].to_numpy(float)))
    return lower, upper


def _matrix(cells: Cells) -> sparse.csr_matrix:
    """Relations x cells: +1 for a relation's total, -1 for each part (each relation sums to 0)."""
    sizes = np.array([len(m) for m in cells.relations], dtype=np.int64)
    rows = np.repeat(np.arange(len(cells.relations)), sizes)
    columns = np.concatenate(cells.relations) if cells.relations else np.zeros(0, dtype=np.int64)
    values = -np.ones(len(columns))
    values[np.cumsum(sizes) - sizes] = 1.0  # each relation's first member is its total
    return sparse.csr_matrix((values, (rows, columns)), shape=(len(cells.relations), len(cells.frame)))


def _lp(matrix: sparse.csr_matrix, rhs: np.ndarray, lower: np.ndarray, upper: np.ndarray) -> highspy.Highs:
    """A linear programme: columns within their bounds, each row of ``matrix`` equal to ``rhs``."""
    highs = highspy.Highs()
    highs.setOptionValue("output_flag", False)
    lp = highspy.HighsLp()
    lp.num_row_, lp.num_col_ = matrix.shape
    lp.col_cost_ = np.zeros(matrix.shape[1])
    lp.col_lower_, lp.col_upper_ = lower.astype(float), upper.astype(float)
    lp.row_lower_ = lp.row_upper_ = rhs.astype(float)
    lp.a_matrix_.format_ = highspy.MatrixFormat.kRowwise
    lp.a_matrix_.start_, lp.a_matrix_.index_, lp.a_matrix_.value_ = matrix.indptr, matrix.indices.astype(np.int32), matrix.data
    highs.passModel(lp)
    return highs


def _extremes(highs: highspy.Highs, target: int, n: int, known: float | None = None, wanted: float | None = None,
              binding: set[int] | None = None) -> tuple[float, float] | None:  # fmt: skip
    """The smallest and largest whole values of column ``target`` (None if infeasible).

    ``known`` is the target's value in a feasible solution: when the largest value is at least
    ``wanted`` whole numbers above it, the smallest is not sought (the range is wide enough).
    Into ``binding`` go the columns whose bounds hold the target in (non-zero reduced cost).
    """
    every = np.arange(n, dtype=np.int32)
    ends = {}
    for sense in (highspy.ObjSense.kMaximize, highspy.ObjSense.kMinimize):
        cost = np.zeros(n)
        cost[target] = 1.0
        highs.changeColsCost(n, every, cost)
        highs.changeObjectiveSense(sense)
        highs.run()
        state = highs.getModelStatus()
        if state == highspy.HighsModelStatus.kUnbounded:
            ends[sense] = math.inf if sense == highspy.ObjSense.kMaximize else -math.inf
        elif state == highspy.HighsModelStatus.kOptimal:
            ends[sense] = highs.getInfo().objective_function_value
            if binding is not None:
                binding.update(np.flatnonzero(np.abs(np.array(highs.getSolution().col_dual)) > 1e-9).tolist())
        else:
            return None
        if known is not None and wanted is not None and ends[sense] - known >= wanted - 1 + 1e-6:
            return math.ceil(known - 1e-6), math.floor(ends[sense] + 1e-6) if math.isfinite(ends[sense]) else math.inf
    low, high = ends[highspy.ObjSense.kMinimize], ends[highspy.ObjSense.kMaximize]
    return math.ceil(low - 1e-6), (math.floor(high + 1e-6) if math.isfinite(high) else math.inf)


@dataclass(frozen=True)
class Audit:
    """The range every withheld cell can be narrowed to, and those narrower than the policy allows.

    ``binding`` gives, for each failing cell (by position in the cells), the published cells
    whose bounds pin it: withholding one of them is what can widen its range.
    """

    ranges: pd.DataFrame  # KEY, table, row, lowest, highest, possible (whole numbers in the range)
    failing: pd.DataFrame
    binding: dict[int, list[int]] = field(default_factory=dict)

    @property
    def narrowest(self) -> float:
        return float(self.ranges["possible"].min()) if len(self.ranges) else math.inf


def audit(cells: Cells, policy: Policy, *, targets: np.ndarray | None = None, hops: tuple[int, ...] = (3, 4)) -> Audit:
    """Minimise and maximise every withheld cell (or those in ``targets``) over everything published.

    Each group of tied cells is one linear programme. A cell's range is first sought in a small
    programme over the cells within a few relations of it, every other cell held at one
    feasible solution of the whole group: that range can only be narrower than the true one, so
    when it is wide enough the cell is safe. Otherwise the whole group's programme (HiGHS,
    starting from its last basis) gives the true range. Groups are audited in parallel.
    """
    lower, upper = bounds(cells.frame, policy)
    status = cells.frame["status"].to_numpy()
    targets = np.flatnonzero(status == SUPPRESSED) if targets is None else np.asarray(targets, dtype=np.int64)
    matrix = _matrix(cells)
    jobs = []
    for component, relation_ids in _components(cells, targets):
        chosen = np.flatnonzero(np.isin(component, targets))
        jobs.append((matrix[relation_ids][:, component].tocsr(), component, lower[component], upper[component], status[component], chosen,
                     policy.protection, hops))  # fmt: skip
    records, binding = [], {}
    for found, pinned in _run_groups(jobs):
        records += found
        binding.update(pinned)
    out = cells.frame.iloc[[r[0] for r in records]][KEY + ["table", "row"]].copy()
    out["lowest"] = [r[1] for r in records]
    out["highest"] = [r[2] for r in records]
    out["possible"] = out["highest"] - out["lowest"] + 1
    out = out.reset_index(drop=True)
    return Audit(out, out.loc[out["possible"] < policy.protection].reset_index(drop=True), binding)


def _run_groups(jobs: list[tuple]) -> list[tuple[list[tuple], dict[int, list[int]]]]:
    """Audit the groups, the larger ones in a second process when there is more than a little work."""
    import os

    from jsna.processes import process_pool

    work = sum(len(job[5]) for job in jobs)
    workers = min(os.cpu_count() or 1, 2, len(jobs))
    if workers < 2 or work < 200:
        return [_audit_group(*job) for job in jobs]
    order = sorted(range(len(jobs)), key=lambda i: -len(jobs[i][5]))
    with process_pool(workers) as pool:
        done = dict(zip(order, pool.map(_audit_group_job, [jobs[i] for i in order])))
    return [done[i] for i in range(len(jobs))]


def _audit_group_job(job: tuple) -> tuple[list[tuple], dict[int, list[int]]]:
    return _audit_group(*job)


def _audit_group(matrix: sparse.csr_matrix, component: np.ndarray, lower: np.ndarray, upper: np.ndarray, status: np.ndarray,
                 chosen: np.ndarray, protection: int, hops: tuple[int, ...]) -> tuple[list[tuple], dict[int, list[int]]]:  # fmt: skip
    """The ranges of one group's chosen withheld cells, and what pins each one that fails.

    For each cell and each neighbourhood size: an inner range (the neighbourhood free, the rest
    held at a feasible solution) wide enough proves it safe; an outer range (the relations
    beyond the neighbourhood dropped) too narrow proves it unsafe, and the published cells at
    their bounds in it are what pin it. Undecided cells get the whole group's programme.
    """
    whole = _lp(matrix, np.zeros(matrix.shape[0]), lower, upper)
    whole.run()
    if whole.getModelStatus() != highspy.HighsModelStatus.kOptimal:
        raise BuildError(f"disclosure audit: the published figures of a group of {len(component)} cells do not add up")
    point = np.array(whole.getSolution().col_value)
    adjacency = (abs(matrix.T) @ abs(matrix)).astype(bool).tocsr()
    records, pinned = [], {}
    for target in chosen:
        found, held = None, None
        for k in hops:
            near = _neighbourhood(adjacency, int(target), k)
            found = _near_range(matrix, near, int(target), lower, upper, point, protection, inner=True)
            if found is not None and found[1] - found[0] + 1 >= protection:
                break
            held = set()
            found = _near_range(matrix, near, int(target), lower, upper, point, protection, inner=False, binding=held)
            if found is not None and found[1] - found[0] + 1 < protection:
                break
        else:
            held = set()
            found = _extremes(whole, int(target), len(component), binding=held)
        if found is None:
            raise BuildError(f"disclosure audit: the published figures of a group of {len(component)} cells do not add up")
        if found[1] - found[0] + 1 < protection:
            pinned[int(component[target])] = [int(component[c]) for c in sorted(held) if status[c] in (EXACT, ROUNDED)]
        records.append((int(component[target]), *found))
    return records, pinned


def _neighbourhood(adjacency: sparse.csr_matrix, target: int, hops: int) -> np.ndarray:
    """The cells within ``hops`` relations of the target (a mask)."""
    near = np.zeros(adjacency.shape[0], dtype=bool)
    near[target] = True
    for _ in range(hops):
        near |= adjacency @ near
    return near


def _near_range(matrix: sparse.csr_matrix, near: np.ndarray, target: int, lower: np.ndarray, upper: np.ndarray, point: np.ndarray,
                wanted: int, *, inner: bool, binding: set[int] | None = None) -> tuple[float, float] | None:  # fmt: skip
    """The target's range over the relations touching a neighbourhood.

    ``inner``: only the neighbourhood is free, every other cell held at ``point`` (a feasible
    solution), so the range lies inside the true one (it may stop at ``wanted`` whole numbers,
    enough to show the cell is safe). Otherwise the relations' other members are free within
    their bounds and every relation beyond is dropped, so the true range lies inside this one;
    ``binding`` then receives the cells whose bounds hold the target in.
    """
    rows = np.flatnonzero(np.asarray(abs(matrix[:, np.flatnonzero(near)]).sum(axis=1)).ravel() > 0)
    touched = matrix[rows]
    if inner:
        columns = np.flatnonzero(near)
        rhs = -(touched[:, np.flatnonzero(~near)] @ point[~near])
    else:
        columns = np.unique(touched.indices)
        rhs = np.zeros(len(rows))
    highs = _lp(touched[:, columns].tocsr(), rhs, lower[columns], upper[columns])
    position = int(np.searchsorted(columns, target))
    if inner:
        return _extremes(highs, position, len(columns), point[target], wanted)
    local: set[int] = set()
    found = _extremes(highs, position, len(columns), binding=local)
    if binding is not None:
        binding.update(int(columns[c]) for c in local)
    return found


def _member_of(cells: Cells) -> dict[int, list[int]]:
    """Cell -> the relations it is a member of."""
    member_of: dict[int, list[int]] = {}
    for r, members in enumerate(cells.relations):
        for m in members:
            member_of.setdefault(int(m), []).append(r)
    return member_of


def _components(cells: Cells, targets: np.ndarray) -> list[tuple[np.ndarray, list[int]]]:
    """The groups of cells tied to the targets through relations, each with its relations."""
    matrix = abs(_matrix(cells))
    _, labels = csgraph.connected_components(matrix.T @ matrix, directed=False)
    wanted = sorted(set(labels[targets].tolist()))
    first = np.array([int(m[0]) for m in cells.relations], dtype=np.int64)
    return [(np.flatnonzero(labels == label), np.flatnonzero(labels[first] == label).tolist()) for label in wanted]


# --------------------------------------------------------------------------------------------
# Secondary suppression
# --------------------------------------------------------------------------------------------
def _uncertainty(status: np.ndarray, policy: Policy) -> np.ndarray:
    """How much each cell, as published, hides of a relation's other members."""
    return np.where(np.isin(status, [SUPPRESSED, LATENT]), policy.protection, np.where(status == ROUNDED, 2 * (policy.round_to // 2), 0))


def protect(cells: Cells, policy: Policy, *, secondary: bool = True, rounds: int = 50) -> tuple[Cells, Audit, dict]:
    """Choose complementary cells to withhold until the audit passes; return the cells (their
    status updated), the audit of every withheld cell and figures for the build's summary.

    Each round solves the choice (a HiGHS MIP) over the relations of the cells withheld so far;
    once every relation holds, the audit checks the whole system, and for each cell it can
    still narrow, a cut asks for one of the published cells that pin it to be withheld. A cell
    once withheld stays withheld, so withholding only ever widens what a reader could not
    know: a cell the audit found safe stays safe, and each round audits only the cells that
    failed and those newly withheld.
    """
    started = time.perf_counter()
    frame = cells.frame
    status = frame["status"].to_numpy().copy()
    found = audit(cells, policy)
    if not secondary:
        return cells, found, {"seconds": round(time.perf_counter() - started, 2), "rounds": 0}
    ranges = {int(position): row for position, row in zip(_positions(cells, found.ranges), found.ranges.itertuples(index=False))}
    binding = dict(found.binding)
    counts = np.nan_to_num(frame["count"].to_numpy(float), nan=0.0)
    if not len(counts):
        return cells, found, {"seconds": round(time.perf_counter() - started, 2), "rounds": 0}
    # What readers lose: a cell, and a little more for a larger count or an area's own figure.
    cost = 1.0 + counts / (10.0 * max(1.0, counts.max())) + np.where(frame["table"].to_numpy() == "indicators", 0.01, 0.0)
    member_of = _member_of(cells)
    rows: set[tuple[int, int]] = set()
    cuts: list[list[int]] = []
    for round_number in range(1, rounds + 1):
        if not binding:
            current = Cells(frame.assign(status=status), cells.relations)
            order = sorted(ranges)
            table = pd.DataFrame([ranges[p] for p in order]).reset_index(drop=True) if order else found.ranges.iloc[:0]
            result = Audit(table, table.loc[table["possible"] < policy.protection].reset_index(drop=True))
            return current, result, {"seconds": round(time.perf_counter() - started, 2), "rounds": round_number}
        for position, pinning in binding.items():
            if not pinning:
                raise BuildError(f"disclosure: cannot protect {cells.of(position)}: nothing published pins it, yet it is narrow")
            cuts.append(pinning)
        before = status.copy()
        while True:  # choose, then add the relations of newly withheld cells until every one holds
            status = _solve(cells, status, cost, rows, cuts, policy)
            new_rows = set(_unprotected(cells, status, policy, member_of)) - rows
            if not new_rows:
                break
            rows |= new_rows
        changed = np.flatnonzero((status == SUPPRESSED) & (before != SUPPRESSED))
        again = np.array(sorted(set(binding) | set(changed.tolist())), dtype=np.int64)
        current = Cells(frame.assign(status=status), cells.relations)
        checked = audit(current, policy, targets=again)
        for position, row in zip(_positions(current, checked.ranges), checked.ranges.itertuples(index=False)):
            ranges[int(position)] = row
        binding = dict(checked.binding)
    raise BuildError(f"disclosure: secondary suppression did not settle in {rounds} rounds")


def _positions(cells: Cells, table: pd.DataFrame) -> list[int]:
    """The positions in ``cells`` of the rows of a table holding cell keys."""
    index = {key: i for i, key in enumerate(map(tuple, cells.frame[KEY].to_numpy().tolist()))}
    return [index[tuple(key)] for key in table[KEY].to_numpy().tolist()]


def _unprotected(cells: Cells, status: np.ndarray, policy: Policy, member_of: dict[int, list[int]]) -> list[tuple[int, int]]:
    """(relation, withheld cell) pairs where the relation's other members hide too little."""
    hidden = _uncertainty(status, policy)
    out = []
    for position in np.flatnonzero(status == SUPPRESSED):
        for r in member_of.get(int(position), []):
            members = cells.relations[r]
            if hidden[members].sum() - hidden[position] < policy.protection:
                out.append((r, int(position)))
    return out


def _solve(cells: Cells, status: np.ndarray, cost: np.ndarray, rows: set[tuple[int, int]], cuts: list[list[int]], policy: Policy) -> np.ndarray:
    """The cheapest set of cells to withhold that meets every row and cut (a HiGHS MIP).

    A row (relation, cell) says: if the cell is withheld, the relation's other members hide at
    least ``protection``, each hiding ``protection`` when withheld (or latent) and what it hides
    as published otherwise (its rounding interval, or nothing if exact). A cut says: withhold at
    least one of these cells (published when the audit found its neighbour too narrow).
    """
    original = cells.frame["status"].to_numpy()
    # What each cell hides when published (a cell the rule withholds is always withheld).
    as_published = _uncertainty(np.where(original == SUPPRESSED, ROUNDED, original), policy).astype(float)
    involved = sorted({int(m) for r, _ in rows for m in cells.relations[r] if status[int(m)] != LATENT} | {m for cut in cuts for m in cut})
    column = {cell: i for i, cell in enumerate(involved)}
    withheld = set(np.flatnonzero(status == SUPPRESSED).tolist())  # stay withheld
    w = float(policy.protection)
    starts, index, values, row_lower = [0], [], [], []
    for r, cell in sorted(rows):
        constant, terms = 0.0, {column[cell]: -w}
        for m in (int(m) for m in cells.relations[r] if int(m) != cell):
            if status[m] == LATENT:
                constant += w
            else:
                constant += as_published[m]
                terms[column[m]] = terms.get(column[m], 0.0) + (w - as_published[m])
        index += list(terms)
        values += list(terms.values())
        starts.append(len(index))
        row_lower.append(-constant)  # sum (w - u_j) y_j - w y_i >= -(sum u_j + w * latents)
    for cut in cuts:  # at least one of these (all published when the cut was made) withheld
        index += [column[m] for m in cut]
        values += [1.0] * len(cut)
        starts.append(len(index))
        row_lower.append(1.0)
    n = len(involved)
    lp = highspy.HighsLp()
    lp.num_col_, lp.num_row_ = n, len(row_lower)
    lp.col_cost_ = cost[involved].astype(float)
    lp.col_lower_ = np.array([1.0 if cell in withheld else 0.0 for cell in involved])
    lp.col_upper_ = np.ones(n)
    lp.row_lower_, lp.row_upper_ = np.array(row_lower), np.full(len(row_lower), INFINITY)
    lp.a_matrix_.format_ = highspy.MatrixFormat.kRowwise
    lp.a_matrix_.start_, lp.a_matrix_.index_, lp.a_matrix_.value_ = np.array(starts), np.array(index, dtype=np.int32), np.array(values)
    lp.integrality_ = [highspy.HighsVarType.kInteger] * n
    highs = highspy.Highs()
    highs.setOptionValue("output_flag", False)
    highs.passModel(lp)
    highs.run()
    if highs.getModelStatus() != highspy.HighsModelStatus.kOptimal:
        raise BuildError(f"disclosure: the choice of cells to withhold failed ({highs.modelStatusToString(highs.getModelStatus())})")
    chosen = np.array(highs.getSolution().col_value) > 0.5
    out = status.copy()
    for cell, on in zip(involved, chosen):
        out[cell] = SUPPRESSED if on else original[cell]
    return out


def check_relations(cells: Cells) -> None:
    """Every relation without a latent member holds on the exact counts (else the audit would
    reason from a relation the data do not keep)."""
    count = cells.frame["count"].to_numpy(float)
    latent = cells.frame["status"].to_numpy() == LATENT
    for members in cells.relations:
        if latent[members].any():
            continue
        if abs(count[members[0]] - count[members[1:]].sum()) > 1e-6:
            parts = ", ".join(str(cells.of(int(m))) for m in members[1:])
            raise BuildError(f"disclosure: {cells.of(int(members[0]))} is not the sum of {parts}: the relation does not hold")


# --------------------------------------------------------------------------------------------
# Publishing: what the tables say of each cell
# --------------------------------------------------------------------------------------------
def publish(table: pd.DataFrame, name: str, cells: Cells, catalogue: list[dict], policy: Policy) -> pd.DataFrame:
    """The table as published: withheld cells blank with the note; other covered counts rounded,
    their values and limits recomputed from the rounded count by their method, and values of
    covered indicators given to ``policy.decimals`` places."""
    out = table.copy()
    out["note"] = out["note"].fillna("").astype(object)
    frame = cells.frame.loc[cells.frame["table"] == name]
    rows = {status: frame.loc[frame["status"] == status, "row"].to_numpy() for status in (SUPPRESSED, ROUNDED, EXACT)}
    by_id = {entry["id"]: entry for entry in catalogue}
    rounded = rows[ROUNDED]
    if len(rounded):
        exact = out.loc[rounded, "count"].to_numpy(float)
        published = np.round(exact / policy.round_to) * policy.round_to
        smallest = np.maximum(published - policy.round_to // 2, policy.suppress_to + 1)
        out.loc[rounded, "count"] = published
        for indicator, ids in out.loc[rounded].groupby("indicator_id").groups.items():
            entry = by_id[indicator]
            chosen = out.loc[ids].assign(exact_count=exact[np.isin(rounded, ids)])
            multipliers = np.full(len(chosen), float(entry.get("multiplier", 1)))
            again = METHODS[entry["method"]].from_rounded(chosen, multipliers, smallest[np.isin(rounded, ids)])
            columns = [c for c in VALUES + ["statistic", "method"] if c in out]
            out.loc[ids, columns] = again[columns].to_numpy()
    zero = rows[EXACT][out.loc[rows[EXACT], "count"].to_numpy(float) == 0]
    shown = np.concatenate([rounded, zero]).astype(int)
    out.loc[shown, VALUES] = out.loc[shown, VALUES].astype(float).round(policy.decimals)
    withheld = rows[SUPPRESSED]
    out.loc[withheld, VALUES + ["count"]] = np.nan
    out.loc[withheld, "note"] = policy.footnote
    for column in VALUES + ["count"]:
        out[column] = out[column].astype("float64")
    out["note"] = out["note"].astype(table["note"].dtype) if "note" in table else out["note"]
    return out


def summary(cells: Cells, found: Audit, catalogue: list[dict]) -> pd.DataFrame:
    """Per covered indicator: its published cells, those withheld by the rule and to protect
    them, the share withheld and the audit's narrowest range."""
    frame = cells.frame.loc[cells.frame["status"] != LATENT]
    withheld = frame["status"] == SUPPRESSED
    narrowest = found.ranges.groupby("indicator_id")["possible"].min() if len(found.ranges) else pd.Series(dtype=float)
    out = pd.DataFrame({
        "cells": frame.groupby("indicator_id").size(),
        "withheld_by_rule": (withheld & frame["primary"]).groupby(frame["indicator_id"]).sum(),
        "withheld_to_protect": (withheld & ~frame["primary"]).groupby(frame["indicator_id"]).sum(),
    })  # fmt: skip
    out["share_withheld"] = 100.0 * (out["withheld_by_rule"] + out["withheld_to_protect"]) / out["cells"]
    out["narrowest_range"] = narrowest.reindex(out.index).astype(float)
    order = {entry["id"]: i for i, entry in enumerate(catalogue)}
    out = out.reset_index().rename(columns={"index": "indicator_id"})
    out = out.sort_values("indicator_id", key=lambda s: s.map(order)).reset_index(drop=True)
    return out.astype({"cells": "int64", "withheld_by_rule": "int64", "withheld_to_protect": "int64"})


def disclosure_tables(rows: pd.DataFrame, breakdowns: pd.DataFrame, inputs, catalogue: list[dict], policy: Policy, *,
                      secondary: bool = True) -> dict:  # fmt: skip
    """The producer of ``disclosure_summary``; also the indicator rows and breakdowns as published.

    Keeps, for covered indicators, only the periods the pages show (:func:`shown_periods`);
    finds the cells, withholds what the rule and the relations require, audits the result (a
    failure stops the build), then publishes both tables from the same decision.
    """
    authority = inputs.code_of("authority")
    rows = shown_periods(rows, catalogue, policy, inputs.area_types, authority, breakdown=False)
    breakdowns = shown_periods(breakdowns, catalogue, policy, inputs.area_types, authority, breakdown=True)
    methods = {entry["id"]: entry["method"] for entry in catalogue}
    exact = cells(rows, breakdowns, covered_ids(catalogue, policy), methods, policy, inputs.code_of("authority"), published=False)
    found = relations(exact, inputs.geography, inputs.area_types)
    check_relations(found)
    protected, checked, figures = protect(found, policy, secondary=secondary)
    if secondary and not checked.failing.empty:
        raise BuildError(f"disclosure audit: {describe_failure(checked)}")
    return {
        "rows": publish(rows, "indicators", protected, catalogue, policy),
        "breakdowns": publish(breakdowns, "breakdowns", protected, catalogue, policy),
        "disclosure_summary": summary(protected, checked, catalogue),
        "audit": checked,
        "figures": figures,
    }


def shown_periods(table: pd.DataFrame, catalogue: list[dict], policy: Policy, area_types: AreaTypes, authority: str, *,
                  breakdown: bool) -> pd.DataFrame:  # fmt: skip
    """The table without the periods of covered indicators that the pages do not show.

    Overlapping periods of rounded counts (single years and the 3- and 5-year periods that
    contain them) can be subtracted from each other until the rounding is undone, so a covered
    indicator publishes, for each kind of place, only the period lengths the pages read: the
    longest for places whose figures pool years (wards) and for deprivation quantiles; the
    shortest, and the longest (the benchmark its pooled children are drawn against), for the
    others. The authority's own figures under a rule for areas below it are not covered, and
    keep every period. Every period is kept when the policy's ``periods`` is ``all``.
    """
    if policy.periods == "all" or table.empty:
        return table.reset_index(drop=True)
    covers = covered_ids(catalogue, policy)
    windows = {entry["id"]: entry["windows"] for entry in catalogue if entry["id"] in covers}
    ids = table["indicator_id"]

    def each(value) -> pd.Series:  # value(indicator id) for every row, worked out once an indicator
        return ids.map({i: value(i) for i in ids.unique()})

    covered = ids.isin(list(windows))
    if not breakdown:
        below = each(lambda i: covers.get(i, False)).astype(bool)
        covered &= ~(below & (table["area_code"] == authority))
    longest = each(lambda i: max(windows.get(i, [0])))
    shortest = each(lambda i: min(windows.get(i, [0])))
    keep = table["years"] == longest
    if not breakdown:
        pooled = [t.id for t in area_types if t.pooled]
        keep |= (table["years"] == shortest) & ~table["area_type"].isin(pooled)
    return table.loc[~covered | keep].reset_index(drop=True)


def describe_failure(found: Audit) -> str:
    first = found.failing.iloc[0]
    cell = ", ".join(f"{k}={first[k]}" for k in KEY if first[k] not in ("", 0) or k in ("years", "period_end"))
    return (f"{len(found.failing)} withheld cell(s) can be narrowed to fewer than the policy's values; the first, {cell} "
            f"({first['table']}), to {first['lowest']}..{first['highest']}")


def audit_published(indicators: pd.DataFrame, breakdowns: pd.DataFrame, catalogue: pd.DataFrame, geography: pd.DataFrame,
                    area_types: AreaTypes, policy: Policy) -> Audit:  # fmt: skip
    """The audit of the tables as published (read back from the store): which indicators are
    covered is read from the published catalogue's ``disclosure`` column, what is withheld from
    the notes, and the relations from the published geography and rows."""
    names = {cover.name: cover.below_authority for cover in policy.covers}
    covered = {row.indicator_id: names.get(str(row.disclosure).removesuffix(BELOW), False)
               for row in catalogue.itertuples() if str(row.disclosure)}  # fmt: skip
    methods = dict(zip(catalogue["indicator_id"], catalogue["method"]))
    authority = geography.loc[geography["area_type"] == area_types.with_role("authority"), "area_code"].iloc[0]
    found = relations(cells(indicators, breakdowns, covered, methods, policy, authority, published=True), geography, area_types)
    return audit(found, policy)


#: How the catalogue's ``disclosure`` column says a cover applies below the authority only.
BELOW = " (below the authority)"
