"""What the inequalities chapter shows: the gap, where it falls, what drives it, what to act on.

Like :mod:`jsna.pages.indicators`, these functions select from the store the build wrote (the
indicator table, the ``breakdowns``, ``inequality_gaps`` and ``le_decomposition`` tables of
:mod:`jsna.compute.inequalities`) and turn it into figures, tables and sentences; nothing is computed
here that a reader could not recompute from the published tables.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from jsna.pages import charts, text
from jsna.pages.escape import html_text, markdown_text
from jsna.pages.html import (
    MISSING,
    badge,
    definition_link,
    html_table,
    published_table,
    trend_cell,
)
from jsna.pages.indicators import (
    ENGLAND,
    TIERS,
    compare_areas_figure,
    funnel_figure,
    indicator_list,
    latest_rows,
    place_comparator,
    priorities,
    priority_lead,
    trend_figure,
)
from jsna.store import Store

DECILE, QUINTILE = "Local deprivation decile", "Local deprivation quintile"
LIFE_EXPECTANCY = ("life_expectancy_birth", "life_expectancy_65")
LE_SII = {"life_expectancy_birth": "life_expectancy_birth_sii", "life_expectancy_65": "life_expectancy_65_sii"}
SEXES = ("Male", "Female")
SERIES_NAME = {"Male": "Men", "Female": "Women", "Persons": "Persons"}
#: The rows of the Marmot summary: the six objectives and the outcomes they are judged by.
MARMOT = {key: words for key, words in text.MARMOT_OBJECTIVES.items() if key != "context"}
SII_CALCULATED = "Slope index of inequality"
LE_MISSING_NOTE = "[x] not available: too few deaths or people to calculate a life expectancy."


def story_intro(store: Store, code: str) -> str:
    """The chapter's comparison story in one Markdown paragraph, for its top (names escaped)."""
    name = store.name(code)
    wards = store.words(store.neighbourhood_type)[1]
    within = f"its {wards}, its deprivation groups" + (" and its primary care networks" if store.is_authority(code) else "")
    return markdown_text(
        f"This chapter compares {name} with England in its priority list and in the Marmot summary, each indicator at the latest "
        f"period England publishes a value for. To show the gap within {name}, {within} are compared with {name} as a whole. "
        '"Not compared" (no England value for the period, or no better or worse direction) is its own category: it is never '
        "counted as similar or as not worse, and the lists say how many indicators it covers."
    )


def quantile_label(quantile: int, n: int) -> str:
    """A quantile as tables write it: "1 (most deprived)", "2", ..., "10 (least deprived)"."""
    return f"{quantile} (most deprived)" if quantile == 1 else f"{quantile} (least deprived)" if quantile == n else str(quantile)




# --------------------------------------------------------------------------------------------
# Selections
# --------------------------------------------------------------------------------------------
def latest_gap(store: Store, indicator_id: str, code: str, sex: str, category_type: str, years: int | None = None) -> pd.Series | None:
    """The latest gap row with a slope index (longest window unless ``years``), else None."""
    gaps = store.rows_of("inequality_gaps", indicator_id)
    rows = gaps.loc[(gaps["area_code"] == code) & (gaps["sex"] == sex) & (gaps["category_type"] == category_type)
                    & (gaps["statistic"] == SII_CALCULATED)]  # fmt: skip
    if rows.empty:
        return None
    rows = rows.loc[rows["years"] == (years if years is not None else rows["years"].max())]
    return None if rows.empty else rows.sort_values("period_end").iloc[-1]


def quantile_rows(store: Store, gap: pd.Series) -> pd.DataFrame:
    """The breakdown rows behind one gap row, most deprived first."""
    b = store.rows_of("breakdowns", gap["indicator_id"])
    keys = ["area_code", "category_type", "years", "period_end", "sex"]
    mask = np.logical_and.reduce([(b[k] == gap[k]).to_numpy() for k in keys])
    return b.loc[mask].sort_values("category")


def fitted_line(rows: pd.DataFrame, gap: pd.Series) -> pd.DataFrame:
    """The slope-index line at each quantile's relative rank (the midpoint of its population share)."""
    share = rows["denominator"].to_numpy(dtype=float) / rows["denominator"].sum()
    rank = np.cumsum(share) - share / 2
    return pd.DataFrame({"category": rows["category"].to_numpy(), "fitted": gap["intercept"] + gap["sii"] * rank})


# --------------------------------------------------------------------------------------------
# 1. Life expectancy: wards, deprivation deciles, the slope index over time
# --------------------------------------------------------------------------------------------
def ward_life_expectancy_figures(store: Store, code: str) -> list[charts.Figure]:
    """Life expectancy at birth and at 65 for men and women in every ward (pooled years), ranked."""
    wards = store.within(code, store.neighbourhood_type)
    if not wards:
        return []
    against = place_comparator(store, code, wards)
    return [
        compare_areas_figure(store, code, indicator_id, sex=sex, area_type=store.neighbourhood_type, against=against)
        for indicator_id in LIFE_EXPECTANCY for sex in SEXES
        if not store.rows(indicator_id, code, sex=sex, years=3).empty
    ]  # fmt: skip


def ward_life_expectancy_tables(store: Store, code: str) -> list[charts.Html]:
    """Every ward's life expectancy at birth and at 65 (pooled years), men and women, with 95%
    limits and the comparison with the place (the borough's wards with the borough, a township's
    with the township), as the ranked charts: one table per indicator."""
    wards = store.within(code, store.neighbourhood_type)
    compared = "compared_to_parent" if all(store.parent(ward) == code for ward in wards) else "compared_to_authority"
    tables = []
    for indicator_id in LIFE_EXPECTANCY:
        latest = {sex: store.latest(indicator_id, code, sex=sex, years=3) for sex in SEXES}
        latest = {sex: row for sex, row in latest.items() if row is not None}
        if not latest:
            continue
        body = []
        for ward in wards:
            cells = [html_text(store.name(ward))]
            for sex, place_row in latest.items():
                found = store.at(indicator_id, [ward], sex=sex, years=3, period=place_row["period"])
                r = None if found.empty else found.iloc[0]
                if r is None or pd.isna(r["value"]):
                    cells.append(MISSING)
                else:
                    cells.append(f"{r['value']:.1f} <small>({r['lower_95_0']:.1f} to {r['upper_95_0']:.1f})</small> {badge(r[compared])}")
            body.append(cells)
        period = next(iter(latest.values()))["period"]
        singular = store.words(store.neighbourhood_type)[0]
        head = [html_text(singular.capitalize()), *(f"{SERIES_NAME[sex]}, years (95% interval)" for sex in latest)]
        caption = f"{text.subject(store.entry(indicator_id)['title'])} in each {singular} of {store.name(code)}, {period}, compared with {store.name(code)}"
        notes = [LE_MISSING_NOTE] if any(MISSING in c for row in body for c in row) else []
        tables.append(html_table(head, body, caption=caption, notes=notes))
    return tables



def life_expectancy_by_deprivation_figure(store: Store, code: str, indicator_id: str) -> charts.Figure | charts.Html:
    """Life expectancy of men and women in each local deprivation decile (the borough) or quintile
    (a township), with 95% limits and the slope-index line; where no slope index could be
    calculated for either sex (a place with too few neighbourhoods, or a quantile without a
    value), a paragraph that says so and why."""
    category_type = DECILE if store.is_authority(code) else QUINTILE
    source = LE_SII[indicator_id] if category_type == DECILE else indicator_id
    entry = store.entry(indicator_id)
    frames, lines, gaps = [], [], []
    for sex in SEXES:
        gap = latest_gap(store, source, code, sex, category_type, years=3)
        if gap is None:
            continue
        rows = quantile_rows(store, gap)
        frames.append(rows.assign(series=SERIES_NAME[sex]))
        lines.append(fitted_line(rows, gap).assign(series=SERIES_NAME[sex]))
        gaps.append(gap)
    if not frames:
        return charts.Html(f"<p>{html_text(not_calculated(store, source, code, category_type, entry['title']))}</p>")
    n = int(gaps[0]["quantiles"])
    data, fitted = pd.concat(frames, ignore_index=True), pd.concat(lines, ignore_index=True)
    name, period, part = store.name(code), gaps[0]["period"], text.QUANTILE_PART[n]
    title = " ".join(
        f"{SERIES_NAME[g['sex']]} in the most deprived {part} can expect to live {g['least_deprived'] - g['most_deprived']:.1f} years "
        f"less than in the least deprived." for g in gaps
    )  # fmt: skip
    title = f"{text.subject(entry['title'])}, {name}, {period}: {title[0].lower()}{title[1:]}"
    sii = "; ".join(f"{SERIES_NAME[g['sex']].lower()} {g['sii']:.1f} years ({g['sii_lower_95_0']:.1f} to {g['sii_upper_95_0']:.1f})" for g in gaps)
    subtitle = f"Slope index of inequality (dashed line): {sii}. Lines show 95% confidence intervals."
    chart = charts.quantile_values(data[["category", "series", "value", "lower_95_0", "upper_95_0"]], title=title, subtitle=subtitle,
                                   unit="years", n=n, kind=category_type.split()[-1], fitted=fitted[["category", "series", "fitted"]])  # fmt: skip
    table = published_table(
        data.assign(fitted=data.merge(fitted, on=["category", "series"], how="left")["fitted"].to_numpy(),
                    quantile=[quantile_label(int(q), n) for q in data["category"]]),
        {"series": "Sex", "quantile": category_type, "period": "Period", "count": "Deaths", "denominator": "Person-years",
         "value": "Life expectancy", "lower_95_0": "Lower 95% limit", "upper_95_0": "Upper 95% limit", "fitted": "Slope-index line"},
    )  # fmt: skip
    alt_text = (
        f"Chart of {text.lower_first(text.subject(entry['title']))} for men and women in each of the {n} local deprivation "
        f"{part}s of {name} in {period}, most deprived on the left, with 95% confidence intervals and a dashed slope-index line. {title} {subtitle}"
    )
    return charts.show(chart, alt_text=alt_text, table=table, name=f"le-deprivation-{indicator_id}-{code}")


def not_calculated(store: Store, indicator_id: str, code: str, category_type: str, title: str) -> str:
    """Why a place has no slope index of ``indicator_id``, in words: the inequality step's reason
    for its latest period, or (no row at all) that its neighbourhoods could not be grouped."""
    gaps = store.rows_of("inequality_gaps", indicator_id)
    rows = gaps.loc[(gaps["area_code"] == code) & (gaps["category_type"] == category_type)].sort_values("period_end")
    kind = category_type.split()[-1]
    if rows.empty:
        why = f"its neighbourhoods could not be grouped into {kind}s with a value in each"
    else:
        last = rows.iloc[-1]
        why = f"{last['period']}: {str(last['statistic']).removeprefix('Not calculated: ')}"
    return (f"{text.subject(title)} by local deprivation {kind} is not shown for {store.name(code)}: no slope index of "
            f"inequality could be calculated ({why}).")


def sii_trend_figures(store: Store, code: str) -> list[charts.Figure]:
    """How the slope index of inequality in life expectancy has changed (the Fingertips indicator)."""
    return [trend_figure(store, code, LE_SII[i], sex=sex) for i in LIFE_EXPECTANCY for sex in SEXES if not store.rows(LE_SII[i], code, sex=sex).empty]


def sii_table(store: Store, code: str) -> charts.Html:
    """The slope and relative indices of inequality in life expectancy for every period, men and women."""
    body = []
    for indicator_id in LIFE_EXPECTANCY:
        rows = store.rows_of("inequality_gaps", LE_SII[indicator_id])
        rows = rows.loc[rows["area_code"] == code]
        if rows.empty:
            continue
        body.append(text.subject(store.entry(indicator_id)["title"]))
        for period, group in rows.sort_values("period_end").groupby("period_end", sort=True):
            by_sex = group.set_index("sex")
            cells = [html_text(group["period"].iloc[0])]
            for sex in SEXES:
                r = by_sex.loc[sex] if sex in by_sex.index else None
                if r is None or r["statistic"] != SII_CALCULATED:
                    cells += [MISSING, MISSING]
                    continue
                cells += [f"{r['sii']:.1f} <small>({r['sii_lower_95_0']:.1f} to {r['sii_upper_95_0']:.1f})</small>",
                          f"{r['rii']:.3f} <small>({r['rii_lower_95_0']:.3f} to {r['rii_upper_95_0']:.3f})</small>"]  # fmt: skip
            body.append(cells)
    head = ["Period", "Men: SII, years", "Men: RII", "Women: SII, years", "Women: RII"]
    caption = f"Inequality in life expectancy across the local deprivation deciles of {store.name(code)} (95% intervals), three years pooled"
    note = (f"SII, slope index of inequality: the modelled gap in years between the most and least deprived ends of {store.name(code)}. "
            "RII, relative index of inequality: the ratio of the modelled values at the two ends. PHE method, as Fingertips.")  # fmt: skip
    return html_table(head, body, caption=caption, notes=[note])


# --------------------------------------------------------------------------------------------
# 2. Key indicators by deprivation quintile
# --------------------------------------------------------------------------------------------
def breakdown_indicators(store: Store, code: str, *, every_sex: bool = False) -> list[tuple[pd.Series, str]]:
    """(entry, sex) for every indicator broken down by quintile for this place, catalogue order:
    the catalogue's sexes, or with ``every_sex`` also men and women where the breakdown has them."""
    found = []
    for _, entry in store.flagged("deprivation_breakdown").iterrows():
        for sex in ("Persons", "Male", "Female") if every_sex else entry["sex"]:
            if latest_gap(store, entry["indicator_id"], code, sex, QUINTILE) is not None:
                found.append((entry, sex))
    return found


def quintile_table(store: Store, code: str) -> charts.Html:
    """Every key indicator in the most and least deprived fifth, the ratio and the slope index."""
    body = []
    for entry, sex in breakdown_indicators(store, code):
        gap = latest_gap(store, entry["indicator_id"], code, sex, QUINTILE)
        digits = 1
        ratio = gap["ratio"]
        body.append([
            f"{definition_link(entry, sex)} <small>{html_text(gap['period'])}</small>", text.number(gap["most_deprived"], "", digits),
            text.number(gap["least_deprived"], "", digits), f"{ratio:.2f}" if np.isfinite(ratio) else MISSING,
            f"{gap['sii']:.1f} <small>({gap['sii_lower_95_0']:.1f} to {gap['sii_upper_95_0']:.1f})</small>",
        ])  # fmt: skip
    head = ["Indicator and period", "Most deprived fifth", "Least deprived fifth", "Ratio, most to least", "SII (95% interval)"]
    caption = f"Key indicators by local deprivation quintile, {store.name(code)} (values in each indicator's unit)"
    note = ("SII, slope index of inequality, in the indicator's unit: negative when the value is higher at the most deprived end. "
            "Quintiles rank the place's own neighbourhoods by deprivation score into five groups of equal numbers of neighbourhoods.")  # fmt: skip
    return html_table(head, body, caption=caption, notes=[note])


def quintile_figures(store: Store, code: str) -> list[charts.Figure]:
    """For each key indicator: its value in each deprivation fifth, for persons, men and women
    where the data record sex."""
    figures = []
    by_indicator: dict[str, list[str]] = {}
    for entry, sex in breakdown_indicators(store, code, every_sex=True):
        by_indicator.setdefault(entry["indicator_id"], []).append(sex)
    for indicator_id, sexes in by_indicator.items():
        entry = store.entry(indicator_id)
        frames, lines, gaps = [], [], []
        for sex in sexes:
            gap = latest_gap(store, indicator_id, code, sex, QUINTILE)
            rows = quantile_rows(store, gap)
            frames.append(rows.assign(series=SERIES_NAME[sex]))
            lines.append(fitted_line(rows, gap).assign(series=SERIES_NAME[sex]))
            gaps.append(gap)
        data, fitted = pd.concat(frames, ignore_index=True), pd.concat(lines, ignore_index=True)
        name, unit = store.name(code), entry["unit"]
        title = text.gap_sentence(entry["title"], gaps[0]["sex"], unit, gaps[0]["most_deprived"], gaps[0]["least_deprived"], 5, name)
        title = title.rstrip(".").split(" (")[0]
        sii = "; ".join(f"{SERIES_NAME[g['sex']].lower() + ' ' if g['sex'] != 'Persons' else ''}{g['sii']:.1f} "
                        f"({g['sii_lower_95_0']:.1f} to {g['sii_upper_95_0']:.1f})" for g in gaps)  # fmt: skip
        subtitle = f"{gaps[0]['period']}. Slope index of inequality (dashed line), {unit}: {sii}. Lines show 95% confidence intervals."
        chart = charts.quantile_values(data[["category", "series", "value", "lower_95_0", "upper_95_0"]], title=title, subtitle=subtitle,
                                       unit=unit, n=5, kind="quintile", fitted=fitted[["category", "series", "fitted"]])  # fmt: skip
        table = published_table(data.assign(quantile=[quantile_label(int(q), 5) for q in data["category"]]), {"series": "Sex", "quantile": QUINTILE, "period": "Period", "count": "Count", "denominator": "Denominator",
                                       "value": "Value", "lower_95_0": "Lower 95% limit", "upper_95_0": "Upper 95% limit"})  # fmt: skip
        alt_text = (f"Chart of {text.lower_first(text.subject(entry['title']))} in each local deprivation fifth of {name}, most deprived "
                    f"on the left, with 95% confidence intervals and a dashed slope-index line. {title}. {subtitle}")  # fmt: skip
        note = "[c] Some counts are suppressed." if data["note"].astype(str).str.startswith("[c]").any() else ""
        figures.append(charts.show(chart, alt_text=alt_text, table=table, name=f"quintiles-{indicator_id}-{code}", note=note))
    return figures


# --------------------------------------------------------------------------------------------
# 3. The gap decomposed by age and cause
# --------------------------------------------------------------------------------------------
#: Age groups of the decomposition by age (start ages of the 20 life-table bands they gather).
AGE_GROUPS = [("Under 1", 0, 0), ("1-14", 1, 10), ("15-34", 15, 30), ("35-49", 35, 45), ("50-64", 50, 60), ("65-74", 65, 70),
              ("75-84", 75, 80), ("85 and over", 85, 90)]  # fmt: skip
#: Segment colours, each at least 3:1 against white (WCAG 1.4.11); the data table gives every value.
CAUSE_COLOURS = ["#1f5f8b", "#b3541e", "#4f7d35", "#7a5195", "#8c6d1f", "#2f7a7a", "#a33b5b", "#5f5f5f", "#a0522d"]
AGE_COLOURS = ["#4292c6", "#2171b5", "#08519c", "#08306b", "#6a51a3", "#54278f", "#a50f15", "#67000d"]


def decomposition_rows(store: Store, code: str) -> pd.DataFrame:
    """The latest period's decomposition for the place (empty when there is none)."""
    table = store.table("le_decomposition")
    table = table.loc[table["area_code"] == code]
    if table.empty:
        return table
    return table.loc[table["period_end"] == table["period_end"].max()]


def decomposition_figures(store: Store, code: str) -> list[charts.Figure]:
    """The gap in life expectancy between the most and least deprived fifths, split by cause and
    by age: the "scarf" charts of the Health Inequalities Strategy."""
    rows = decomposition_rows(store, code)
    if rows.empty:
        return []
    name, period = store.name(code), rows["period"].iloc[0]
    gaps = rows.groupby("sex")["gap"].first()
    figures = []
    for by in ("cause", "age"):
        if by == "cause":  # causes largest first
            data = rows.groupby(["sex", "cause_name"], sort=False)["contribution"].sum().reset_index().rename(columns={"cause_name": "segment"})
            order = data.groupby("segment")["contribution"].sum().sort_values(ascending=False).index.tolist()
            colours = CAUSE_COLOURS[: len(order)]
        else:  # age groups youngest first
            band_group = {start: label for label, low, high in AGE_GROUPS for start in range(low, high + 1)}
            data = rows.assign(segment=rows["start_age"].map(band_group)).groupby(["sex", "segment"], sort=False)["contribution"].sum().reset_index()
            order, colours = [group[0] for group in AGE_GROUPS], AGE_COLOURS
        data["row"] = [f"{SERIES_NAME[s]}: {gaps[s]:.1f} years" for s in data["sex"]]
        data["share"] = 100 * data["contribution"] / data["sex"].map(gaps)
        data["position"] = data["segment"].map({s: i for i, s in enumerate(order)})
        top = data.sort_values("contribution", ascending=False).groupby("sex", sort=False).head(1).set_index("sex")
        findings = "; ".join(f"for {SERIES_NAME[s].lower()}, {top.loc[s, 'segment'].lower()} ({top.loc[s, 'share']:.0f}%)" for s in SEXES if s in top.index)
        what = "cause of death" if by == "cause" else "age"
        title = f"Which {'causes' if by == 'cause' else 'ages'} make up the gap in life expectancy in {name}, {period}: the largest part is {findings}"
        subtitle = ("Gap in life expectancy at birth between the most and least deprived fifths, split by "
                    f"{what} (Arriaga's method); the parts add up to the gap. Parts left of zero narrow it.")  # fmt: skip
        chart = charts.scarf(data, title=title, subtitle=subtitle, order=order, colours=colours)
        table = data.assign(sex=data["sex"].map(SERIES_NAME)).sort_values(["sex", "position"])[["sex", "segment", "contribution", "share"]]
        table = table.rename(columns={"sex": "Sex", "segment": "Cause of death" if by == "cause" else "Age group",
                                      "contribution": "Contribution (years)", "share": "Share of the gap (%)"}).round(3)  # fmt: skip
        alt_text = (f"Stacked bar chart, one bar each for men and women, splitting the gap in life expectancy at birth between the most "
                    f"and least deprived fifths of {name} ({period}) by {what}. {title}.")  # fmt: skip
        figures.append(charts.show(chart, alt_text=alt_text, table=table.reset_index(drop=True), name=f"scarf-{by}-{code}"))
    return figures


# --------------------------------------------------------------------------------------------
# 4. What to act on: priorities and the Marmot objectives
# --------------------------------------------------------------------------------------------
def priority_table(store: Store, code: str) -> charts.Html:
    """The priority list, then what to watch, as one table with a heading per tier; the lead says
    how many indicators could not be compared with England and why, and the indicators getting
    worse among them are their own group (never read as "not worse than England")."""
    found = priorities(store, code, watch=True)
    name = store.name(code)
    lead = "".join(f"<p>{html_text(line)}</p>" for line in priority_lead(store, code, found))
    if found.empty:
        return charts.Html(lead)
    body: list = []
    for tier, rows in found.groupby("tier", sort=True):
        body.append(TIERS[int(tier)])
        for r in rows.itertuples():
            entry = store.entry(r.indicator_id)
            compared = badge(r.compared_to_england) + (f" <small>({html_text(r.reason)})</small>" if r.reason else "")
            body.append([f"{definition_link(entry, r.sex)} <small>{html_text(r.period)}</small>", text.number(r.value, "", 1),
                         text.number(r.england_value, "", 1), compared, trend_cell(r.recent_trend)])  # fmt: skip
    head = ["Indicator and period", html_text(name), "England", "Compared with England", "Recent trend"]
    caption = f"Priorities for {name}, then indicators to watch"
    note = ("Within each group, ordered by how far the value is from England's, largest first. [x]: no England value for the period. "
            f"“{TIERS[4]}”: England publishes no value for the period shown, so these may or may not be worse than England.")  # fmt: skip
    return charts.Html(lead + html_table(head, body, caption=caption, notes=[note], wrap=True))


def marmot_summary(store: Store, code: str) -> charts.Html:
    """Per Marmot objective: how many indicators are better, similar or worse than England, how
    many could not be compared, how many are getting worse, and which are priorities."""
    area_type = store.area_type(code)
    latest = latest_rows(store, code, indicator_list(store, area_type))
    first = priorities(store, code)
    priority = set(zip(first["indicator_id"], first["sex"]))
    body = []
    for key, objective in MARMOT.items():
        found = [(entry, sex, row) for entry, sex, row in latest if entry["marmot"] == key and row is not None]
        if not found:
            body.append([html_text(objective), "0", MISSING, MISSING, MISSING, MISSING, MISSING, "No indicator in this book measures it yet."])
            continue
        labels = [ENGLAND.label(row) for _, _, row in found]
        worse_trend = sum(str(row["recent_trend"]).endswith("getting worse") for _, _, row in found)
        named = [definition_link(entry, sex) for entry, sex, _ in found if (entry["indicator_id"], sex) in priority]
        body.append([html_text(objective), str(len(found)), str(labels.count("Better")), str(labels.count("Similar")),
                     str(labels.count("Worse")), str(labels.count("Not compared")), str(worse_trend), ", ".join(named) or "None"])  # fmt: skip
    head = ["Marmot policy objective", "Indicators", "Better than England", "Similar", "Worse", "Not compared", "Getting worse", "Priorities"]
    caption = f"{store.name(code)} against the six Marmot policy objectives"
    note = ("Each indicator is counted once per sex, at its latest period comparable with England. Not compared: no England value "
            "for the period, no confidence interval, or higher is neither better nor worse; never counted as similar. Higher or "
            "lower (no better or worse direction) count in the total only.")  # fmt: skip
    return html_table(head, body, caption=caption, notes=[note], wrap=True)


# --------------------------------------------------------------------------------------------
# 5. Practices and networks, and the narrative
# --------------------------------------------------------------------------------------------
#: Indicators where variation between practices matters for inequality (access and detection).
PRACTICE_INDICATORS = ("diabetes_prevalence", "chd_prevalence", "emergency_cancer_admissions")


def network_figures(store: Store, code: str) -> list:
    """Primary care networks compared (the borough only: networks do not nest in townships)."""
    if not store.is_authority(code):
        kinds = store.words(store.area_type(code))[1]
        return [charts.Html(f"<p class=\"jsna-note\">GP practices and networks serve patients across {html_text(kinds)}: see "
                            f"{html_text(store.name(store.authority(code)))}'s inequalities page for them.</p>")]  # fmt: skip
    figures: list = []
    networks = [t for t in store.area_types.index if store.area_types.loc[t, "parent"] == store.area_type(code)
                and store.area_types.loc[t, "population"] == "registered patients"]  # fmt: skip
    for indicator_id in PRACTICE_INDICATORS:
        if store.rows(indicator_id, code).empty:
            continue
        for network in networks:
            codes = [c for c in store.within(code, network) if c in set(store.of(indicator_id)["area_code"])]
            if codes:
                figures.append(compare_areas_figure(store, code, indicator_id, area_type=network, against=place_comparator(store, code, codes)))
        if not store.rows_of("funnels", indicator_id).empty:
            figures.append(funnel_figure(store, indicator_id))
    return figures


#: Key indicators whose gap is named in "What stands out"; the rest are counted.
STEEPEST_SHOWN = 1


def findings(store: Store, code: str) -> str:
    """Markdown bullets, the few that matter most: the gap in life expectancy for men and for
    women (the slope index and the gap between the ends, one bullet each), the causes that make
    it up, the steepest gap among the key indicators (the rest counted), and what to act on first
    with how many indicators could not be compared with England. Generated from the computed
    values; each sentence escaped as Markdown text (names and causes come from the data)."""
    name, lines = store.name(code), life_expectancy_gap_lines(store, code)
    rows = decomposition_rows(store, code)
    parts = []
    for sex in SEXES if not rows.empty else ():
        part = rows.loc[rows["sex"] == sex]
        if part.empty:
            continue
        by_cause = part.groupby("cause_name")["contribution"].sum().sort_values(ascending=False)
        total = part["gap"].iloc[0]
        top = ", ".join(f"{c.lower()} ({100 * v / total:.0f}%)" for c, v in by_cause.head(3).items())
        parts.append(f"{top} for {SERIES_NAME[sex].lower()} (a gap of {total:.1f} years)")
    if parts:
        lines.append(f"The largest parts of the gap in life expectancy between the most and least deprived fifths ({rows['period'].iloc[0]}) "
                     f"are {'; and '.join(parts)}.")  # fmt: skip
    steepest = []
    for entry, sex in breakdown_indicators(store, code):
        if entry["indicator_id"] in LIFE_EXPECTANCY:
            continue
        gap = latest_gap(store, entry["indicator_id"], code, sex, QUINTILE)
        if np.isfinite(gap["ratio"]) and gap["ratio"] > 0:
            steepest.append((max(gap["ratio"], 1 / gap["ratio"]), entry, sex, gap))
    steepest.sort(key=lambda item: -item[0])
    for _, entry, sex, gap in steepest[:STEEPEST_SHOWN]:
        sentence = text.gap_sentence(entry["title"], sex, entry["unit"], gap["most_deprived"], gap["least_deprived"], 5, name, gap["period"])
        rest = len(steepest) - STEEPEST_SHOWN
        if rest > 0:
            sentence += f" The gap in {rest} more key indicator{'s is' if rest > 1 else ' is'} in the table “Key indicators by deprivation” below."
        lines.append(sentence)
    found = priorities(store, code, watch=True)
    first = found.loc[found["tier"] == 1]
    lead = priority_lead(store, code, found)
    if not first.empty:
        named = text.listing([text.lower_first(text.indicator_subject(t, s)) for t, s in zip(first["title"], first["sex"])])
        lead[0] = f"{len(first)} indicator{'s are' if len(first) > 1 else ' is'} significantly worse than England and getting worse: {named}."
    lines.append(" ".join(lead))
    return "\n".join(f"- {markdown_text(line)}" for line in lines)


def life_expectancy_gap_lines(store: Store, code: str) -> list[str]:
    """The gap in life expectancy at birth within the place, for men and for women (text, one
    line each): its slope index of inequality across the local deprivation tenths (the authority)
    or fifths (another place), then the gap between the most and least deprived ends."""
    name, lines = store.name(code), []
    category_type = DECILE if store.is_authority(code) else QUINTILE
    for sex in SEXES:
        source = LE_SII["life_expectancy_birth"] if category_type == DECILE else "life_expectancy_birth"
        gap = latest_gap(store, source, code, sex, category_type, years=3)
        if gap is None:
            continue
        n = int(gap["quantiles"])
        lines.append(text.sii_sentence("Life expectancy at birth (years)", sex, "years", gap["sii"], gap["sii_lower_95_0"],
                                       gap["sii_upper_95_0"], n, name, gap["period"]) + " "
                     + text.gap_sentence("Life expectancy at birth (years)", sex, "years", gap["most_deprived"], gap["least_deprived"], n, name, gap["period"]))  # fmt: skip
    return lines


def inequality_headlines(store: Store, code: str) -> list[str]:
    """The gap in life expectancy at birth between the most and least deprived ends of the place,
    for men and for women (sentences; [] when the store has no breakdown for it)."""
    category_type = DECILE if store.is_authority(code) else QUINTILE
    source = LE_SII["life_expectancy_birth"] if category_type == DECILE else "life_expectancy_birth"
    lines = []
    for sex in SEXES:
        gap = latest_gap(store, source, code, sex, category_type, years=3)
        if gap is not None:
            lines.append(text.gap_sentence("Life expectancy at birth (years)", sex, "years", gap["most_deprived"], gap["least_deprived"],
                                           int(gap["quantiles"]), store.name(code), gap["period"]))  # fmt: skip
    return lines
