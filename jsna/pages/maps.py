"""Maps: Vega-Lite ``geoshape`` charts of the book's own boundaries (no tile server).

Every map reads the one shapes file the build writes into the book
(:mod:`jsna.book.geometry`, ``_static/boundaries/<kind>.json``) and joins the figures to it by
``area_code``; the figures are the store's, the same as the chapter's charts and tables. Each
map shows the comparison in colour and, for readers who cannot tell colours apart, as a glyph
on each area (▲ ● ▼, as the charts' legends); its data table is the accessible view; and it
carries the attribution the ONS licence asks for. Projection: transverse Mercator centred on
2°W, the meridian of the British National Grid, fitted to the areas drawn.
"""

from __future__ import annotations

import altair as alt
import pandas as pd

from jsna.pages import charts, text
from jsna.pages.escape import html_text
from jsna.pages.html import MISSING, decimals, html_table, published_table, window
from jsna.store import Store

#: The ONS/OS attribution every map carries (OGL v3.0).
ATTRIBUTION = ("Source: Office for National Statistics licensed under the Open Government Licence v3.0. "
               "Contains OS data © Crown copyright and database right 2024.")  # fmt: skip
#: From a place's page (``<type>/<slug>/<chapter>.html``, :mod:`jsna.book.plan`) to the book's root.
BOOK_ROOT = "../.."
PROJECTION = {"type": "transverseMercator", "rotate": [2, 0, 0]}
DECILE_COLOURS = ["#08306b", "#08519c", "#2171b5", "#4292c6", "#6baed6", "#9ecae1", "#c6dbef", "#deebf7", "#eff3ff", "#fbfdff"]


def shapes(kind: str) -> alt.Data:
    """The book's shapes file of ``kind`` ("wards", "small_areas"), as a map reads it."""
    return alt.Data(url=f"{BOOK_ROOT}/_static/boundaries/{kind}.json", format=alt.DataFormat(property="features", type="json"))


def has_shapes(store: Store, kind: str) -> bool:
    return bool((store.table("boundaries")["kind"] == kind).any())


def label_points(store: Store, kind: str, codes: list[str]) -> pd.DataFrame:
    points = store.table("boundaries")
    return points.loc[(points["kind"] == kind) & points["area_code"].isin(codes)]


def ward_map(store: Store, code: str, indicator_id: str, sex: str = "Persons") -> charts.Figure | None:
    """The wards within ``code``, each shaded by its comparison with the authority (Fingertips'
    categories and colours, and a glyph), for the period and window the compare-areas chart of
    the same page uses; None when the book has no ward shapes or the wards no values."""
    if not has_shapes(store, "wards"):
        return None
    ward_type, entry = store.neighbourhood_type, store.entry(indicator_id)
    wards = [c for c in store.within(code, ward_type) if c in set(store.of(indicator_id)["area_code"])]
    if not wards:
        return None
    years = window(store, entry, ward_type)
    place_row = store.latest(indicator_id, code, sex=sex, years=years)
    if place_row is None:
        return None
    period, unit, authority = place_row["period"], entry["unit"], store.name(store.authority(code))
    rows = store.at(indicator_id, wards, sex=sex, years=years, period=period)
    if rows["value"].notna().sum() == 0:
        return None
    digits = decimals(unit)
    values = rows.assign(
        area_name=[store.name(c) for c in rows["area_code"]],
        comparison=rows["compared_to_authority"].map(charts.comparison_key),
        shown=[_shown(r, digits) for r in rows.itertuples()],
    )[["area_code", "area_name", "comparison", "shown", "value", "lower_95_0", "upper_95_0", "note"]]
    values["glyph"] = values["comparison"].map(charts.COMPARISON_GLYPH).fillna("")
    colour = charts.comparison_colour(values["comparison"], f"Compared with {authority}")
    title = text.indicator_subject(entry["title"], sex)
    base = alt.Chart(shapes("wards")).transform_lookup(
        lookup="properties.area_code", from_=alt.LookupData(data=values, key="area_code", fields=["area_name", "comparison", "shown"])
    )
    fill = base.mark_geoshape(stroke="#ffffff", strokeWidth=1).encode(
        color=colour.legend(orient="bottom", columns=2),
        tooltip=[alt.Tooltip("area_name:N", title="Ward"), alt.Tooltip("shown:N", title=f"{period} (95% interval)"),
                 alt.Tooltip("comparison:N", title=f"Compared with {authority}")],
    )  # fmt: skip
    points = label_points(store, "wards", wards).merge(values[["area_code", "glyph"]], on="area_code")
    glyphs = alt.Chart(points).mark_text(fontSize=11, color="#000000").encode(longitude="longitude:Q", latitude="latitude:Q", text="glyph:N")
    chart = alt.layer(fill, glyphs).project(**PROJECTION).properties(
        title=charts.chart_title(f"{title}: {store.name(code)}'s wards", f"{period}. {ATTRIBUTION}"), width=340, height=300
    )
    counts = values["comparison"].value_counts()
    summary = ", ".join(f"{n} {label.lower()}" for label, n in counts.items())
    alt_text = (f"Map of the {text.area_count(len(values), store.words(ward_type))} of {store.name(code)}, each shaded and marked by how "
                f"{text.lower_first(title)} in {period} compares with {authority}: {summary}. The table below gives every ward's value.")  # fmt: skip
    table = published_table(rows.assign(area_name=values["area_name"], comparison=values["comparison"]),
                            {"area_name": "Ward", "value": "Value", "lower_95_0": "Lower 95% limit", "upper_95_0": "Upper 95% limit",
                             "comparison": f"Compared with {authority}"})  # fmt: skip
    return charts.show(chart, alt_text=alt_text, table=table, name=f"map-{indicator_id}-{sex.lower()}-{code}", note=ATTRIBUTION)


def _shown(row, digits: int) -> str:
    if pd.isna(row.value):
        return MISSING
    limits = f" ({row.lower_95_0:.{digits}f} to {row.upper_95_0:.{digits}f})" if pd.notna(row.lower_95_0) else ""
    return f"{row.value:.{digits}f}{limits}"


def deprivation_map(store: Store, code: str) -> charts.Figure | None:
    """The small areas within ``code`` shaded by their national IMD decile (1 = the most deprived
    10% of England), with each decile's number on the area; None without small-area shapes."""
    if not has_shapes(store, "small_areas"):
        return None
    small = store.within(code, store.type_of_role("small_area"))
    points = label_points(store, "small_areas", small)
    if points.empty:
        return None
    values = points.assign(area_name=[store.name(c) for c in points["area_code"]], decile=points["imd_decile"].astype(int))
    base = alt.Chart(shapes("small_areas")).transform_lookup(
        lookup="properties.area_code", from_=alt.LookupData(data=values[["area_code", "area_name", "decile"]], key="area_code", fields=["area_name", "decile"])
    ).transform_filter("isValid(datum.decile)")
    fill = base.mark_geoshape(stroke="#ffffff", strokeWidth=0.4).encode(
        color=alt.Color("decile:O", title="National deprivation decile (1 = most deprived)", scale=alt.Scale(domain=list(range(1, 11)), range=DECILE_COLOURS),
                        legend=alt.Legend(orient="bottom", columns=10)),
        tooltip=[alt.Tooltip("area_name:N", title="Neighbourhood"), alt.Tooltip("decile:O", title="IMD decile")],
    )  # fmt: skip
    labels = alt.Chart(values).mark_text(fontSize=7).encode(
        longitude="longitude:Q", latitude="latitude:Q", text="decile:O",
        color=alt.condition("datum.decile <= 5", alt.value("#ffffff"), alt.value("#000000")),
    )
    most = int((values["decile"] <= 2).sum())
    name = store.name(code)
    title = f"{most} of {name}'s {len(values)} neighbourhoods are among the 20% most deprived in England"
    chart = alt.layer(fill, labels).project(**PROJECTION).properties(
        title=charts.chart_title(title, f"Index of Multiple Deprivation 2019, by LSOA. {ATTRIBUTION}"), width=520, height=440
    )
    counts = values["decile"].value_counts().sort_index()
    alt_text = (f"Map of the {len(values)} small areas (LSOAs) of {name}, each shaded and numbered by its national deprivation decile, from 1 "
                f"(most deprived 10% of England) to 10. " + "; ".join(f"decile {d}: {n}" for d, n in counts.items()) + ".")  # fmt: skip
    table = values.sort_values(["decile", "area_name"])[["area_name", "area_code", "decile"]].rename(
        columns={"area_name": "Neighbourhood", "area_code": "Code", "decile": "IMD decile (1 = most deprived)"}
    )
    return charts.show(chart, alt_text=alt_text, table=table, name=f"map-deprivation-{code}", note=ATTRIBUTION)


def locator_map(store: Store, code: str) -> charts.Figure | None:
    """A small map of the authority's wards with the place's own wards (or the ward itself) picked out."""
    if not has_shapes(store, "wards"):
        return None
    ward_type = store.neighbourhood_type
    authority = store.authority(code)
    every = store.within(authority, ward_type)
    mine = [code] if store.area_type(code) == ward_type else store.within(code, ward_type)
    if not mine or store.registered(code) or code == authority:
        return None
    values = pd.DataFrame({"area_code": every, "area_name": [store.name(c) for c in every]}).assign(here=lambda d: d["area_code"].isin(mine))
    values["where"] = values["here"].map({True: store.name(code), False: f"Elsewhere in {store.name(authority)}"})
    chart = alt.Chart(shapes("wards")).transform_lookup(
        lookup="properties.area_code", from_=alt.LookupData(data=values, key="area_code", fields=["area_name", "where"])
    ).mark_geoshape(stroke="#ffffff", strokeWidth=0.8).encode(
        color=alt.Color("where:N", title=None, scale=alt.Scale(domain=[store.name(code), f"Elsewhere in {store.name(authority)}"], range=["#1f5f8b", "#d9d9d9"]),
                        legend=alt.Legend(orient="bottom")),
        tooltip=[alt.Tooltip("area_name:N", title="Ward")],
    ).project(**PROJECTION).properties(title=charts.chart_title(f"Where {store.name(code)} is", ATTRIBUTION), width=260, height=230)  # fmt: skip
    table = values.loc[values["here"], ["area_name", "area_code"]].rename(columns={"area_name": "Ward", "area_code": "Code"})
    alt_text = (f"Map of {store.name(authority)}'s {text.area_count(len(every), store.words(ward_type))}, with "
                f"{store.name(code)} ({text.area_count(len(mine), store.words(ward_type))}) shaded dark blue and the rest grey.")  # fmt: skip
    return charts.show(chart, alt_text=alt_text, table=table, name=f"map-locator-{code}", note=ATTRIBUTION)


# --------------------------------------------------------------------------------------------
# Where the risks of long-term care cluster
# --------------------------------------------------------------------------------------------
#: The four risk factors for older people entering long-term care (the Worcestershire analysis
#: in the seed documents): the indicator of each the book has for wards, or None.
CARE_RISKS = {"stroke": "stroke_admissions", "falls": "falls_admissions_65", "urinary tract infections": "uti_admissions_65", "dementia": None}


def care_risk_table(store: Store, code: str) -> pd.DataFrame:
    """Each ward within ``code``: for each risk with ward figures, its comparison with the
    authority (the ward's pooled period, as its profile shows it), and how many it is
    significantly worse on."""
    ward_type = store.neighbourhood_type
    wards = store.within(code, ward_type)
    rows = pd.DataFrame({"area_code": wards, "Ward": [store.name(c) for c in wards]})
    for risk, indicator_id in CARE_RISKS.items():
        if indicator_id is None or store.of(indicator_id).empty:
            continue
        entry = store.entry(indicator_id)
        years = window(store, entry, ward_type)
        latest = store.latest(indicator_id, store.authority(code), years=years)
        if latest is None:
            continue
        found = store.at(indicator_id, wards, sex="Persons", years=years, period=latest["period"]).set_index("area_code")
        verdict = found["compared_to_authority"].map(charts.comparison_key) if len(found) else pd.Series(dtype=str)
        rows[f"{risk.capitalize()} ({latest['period']})"] = rows["area_code"].map(verdict).fillna("Not compared")
    risks = [c for c in rows.columns if c not in ("area_code", "Ward")]
    rows["Worse on"] = (rows[risks] == "Worse").sum(axis=1)
    return rows.sort_values(["Worse on", "Ward"], ascending=[False, True], ignore_index=True)


def care_risk_section(store: Store, code: str) -> list:
    """The long-term-care section of the Age well chapter: what it shows and where the risks
    cluster (a paragraph), then the map with its table (or the table alone without shapes)."""
    sentence, figure = care_risk_figure(store, code)
    intro = ("Four conditions put older people at risk of moving into long-term care: stroke, falls, dementia and urinary tract "
             f"infections. Ward by ward: how many of them is each ward significantly worse than {store.name(store.authority(code))} on? ")  # fmt: skip
    if figure is None:
        table = care_risk_table(store, code).drop(columns="area_code")
        figure = html_table([html_text(c) for c in table.columns], [[html_text(v) for v in row] for row in table.astype(str).values.tolist()],
                            caption="The long-term care risks on which each ward is significantly worse", notes=[])  # fmt: skip
    return [charts.Html(f"<p>{html_text(intro + sentence)}</p>"), figure]


def care_risk_figure(store: Store, code: str) -> tuple[str, charts.Figure | None]:
    """A sentence on where the risks cluster, and a map of the wards shaded by how many of the
    risks each is significantly worse than the authority on (None without ward shapes)."""
    table = care_risk_table(store, code)
    risks = [c for c in table.columns if c not in ("area_code", "Ward", "Worse on")]
    authority = store.name(store.authority(code))
    missing = [risk for risk, indicator_id in CARE_RISKS.items() if indicator_id is None or store.of(indicator_id).empty]
    top = table.loc[table["Worse on"] == table["Worse on"].max()] if len(table) and table["Worse on"].max() > 0 else table.iloc[:0]
    if top.empty:
        sentence = f"No ward of {store.name(code)} is significantly worse than {authority} on any of the {len(risks)} risks with ward figures."
    else:
        names = text.listing(top["Ward"].tolist())
        worse_on_two = int((table["Worse on"] >= 2).sum())
        sentence = (f"The risks cluster in {names}: significantly worse than {authority} on {int(top['Worse on'].iloc[0])} of the "
                    f"{len(risks)} risks with ward figures. {worse_on_two} of the {len(table)} wards are worse on two or more.")  # fmt: skip
    if missing:
        sentence += f" There are no ward figures for {', '.join(missing)} (the register is counted at GP practices), so it is not in the count."
    if not has_shapes(store, "wards"):
        return sentence, None
    values = table[["area_code", "Ward", "Worse on"]].rename(columns={"Ward": "area_name", "Worse on": "worse"})
    points = label_points(store, "wards", values["area_code"].tolist()).merge(values, on="area_code")
    fill = alt.Chart(shapes("wards")).transform_lookup(
        lookup="properties.area_code", from_=alt.LookupData(data=values, key="area_code", fields=["area_name", "worse"])
    ).mark_geoshape(stroke="#ffffff", strokeWidth=1).encode(
        color=alt.Color("worse:O", title=f"Risks significantly worse than {authority}", scale=alt.Scale(domain=list(range(len(risks) + 1)),
                        range=["#f2f0f7", "#cbc9e2", "#9e9ac8", "#6a51a3", "#3f007d"][: len(risks) + 1]), legend=alt.Legend(orient="bottom")),
        tooltip=[alt.Tooltip("area_name:N", title="Ward"), alt.Tooltip("worse:Q", title="Risks worse than " + authority)],
    )  # fmt: skip
    labels = alt.Chart(points).mark_text(fontSize=11, fontWeight="bold").encode(
        longitude="longitude:Q", latitude="latitude:Q", text="worse:Q",
        color=alt.condition(f"datum.worse >= {max(2, len(risks) - 1)}", alt.value("#ffffff"), alt.value("#000000")),
    )
    chart = alt.layer(fill, labels).project(**PROJECTION).properties(
        title=charts.chart_title(f"How many of the long-term care risks each ward of {store.name(code)} is worse on", ATTRIBUTION), width=520, height=440
    )
    alt_text = (f"Map of the wards of {store.name(code)}, each shaded and numbered by how many of the risks ({', '.join(r.split(' (')[0].lower() for r in risks)}) "
                f"it is significantly worse than {authority} on. {sentence}")  # fmt: skip
    return sentence, charts.show(chart, alt_text=alt_text, table=table.drop(columns="area_code"), name=f"map-care-risks-{code}", note=ATTRIBUTION)
