"""Plain-language sentences generated from computed values and comparison flags.

Nothing here is typed by hand for a particular place: every sentence is built from a row of the
indicator store, so the words always agree with the numbers. Places are named as the book names
them (:meth:`jsna.store.Store.name`) and kinds of place with the words of
``parameters/place_types.yml`` (:meth:`jsna.store.Store.words`): the caller passes them in.
"""

from __future__ import annotations

import math

import pandas as pd

#: How a Fingertips comparison label reads in a sentence.
COMPARISON_WORDS = {
    "Better": "significantly better than",
    "Worse": "significantly worse than",
    "Similar": "not significantly different from",
    "Higher": "significantly higher than",
    "Lower": "significantly lower than",
}
SEX_WORDS = {"Male": "men", "Female": "women", "Persons": "people"}


def number(value: float, unit: str = "", decimals: int | None = None) -> str:
    """A figure as a reader sees it: thousands separated, sensible decimals, "%" attached."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "[x]"
    if decimals is None:
        decimals = 0 if unit == "people" or abs(value) >= 1000 else 1
    text = f"{value:,.{decimals}f}"
    if unit == "%":
        return text + "%"
    if unit == "years":
        return text + " years"
    return text


def comparison_phrase(label: str, benchmark_name: str, benchmark_value: float, unit: str) -> str:
    """"significantly worse than England (78.7 years)", or "" when not compared."""
    words = COMPARISON_WORDS.get(str(label).split(" ")[0])
    if words is None or benchmark_value is None or pd.isna(benchmark_value):
        return ""
    return f"{words} {benchmark_name} ({number(benchmark_value, unit)})"


def finding(row: pd.Series, place: str, *, subject: str | None = None) -> str:
    """One sentence about one store row for ``place`` (its name as the book writes it), e.g.

    "Life expectancy at birth for men in Dudley was 77.6 years in 2020, significantly worse than
    England (78.7 years)."
    """
    title = (subject or row["indicator_name"]).split(" (")[0]
    who = f" for {SEX_WORDS[row['sex']]}" if row["sex"] != "Persons" else ""
    if pd.isna(row["value"]):
        reason = "it is not published" if str(row.get("note", "")).startswith("[c]") else "it could not be calculated"
        return f"{title}{who} in {place} is not shown for {row['period']}: {reason}."
    sentence = f"{title}{who} in {place} was {number(row['value'], row['unit'])} in {row['period']}"
    phrase = comparison_phrase(row.get("compared_to_england"), "England", row.get("england_value"), row["unit"])
    if phrase:
        sentence += f", {phrase}"
    return sentence + "."


def share_sentence(part: str, value: float, place: str, period: str) -> str:
    """"About 1 in 5 residents of Dudley (19.8%) were aged 65 and over in 2022." """
    ratio = round(100 / value) if value > 0 else None
    about = f"About 1 in {ratio} residents" if ratio and ratio <= 20 else "Residents"
    return f"{about} of {place} ({number(value, '%')}) {part} in {period}."


# --------------------------------------------------------------------------------------------
# Indicators, comparisons and trends in words
# --------------------------------------------------------------------------------------------
#: Where the head noun of an indicator title ends ("admissions for COPD" -> "admissions").
_HEAD_ENDS = (" for ", " at ", " from ", " in ", " of ", " aged ", " due ", " caused ", " received ", " by ", " with ", " considered ", ",", ":")


def subject(title: str) -> str:
    """An indicator title without its unit: "Life expectancy at birth (years)" -> "Life expectancy at birth"."""
    return title.split(" (")[0].strip()


def lower_first(words: str) -> str:
    """"Life expectancy" -> "life expectancy", but "COPD admissions" stays as it is."""
    if len(words) > 1 and words[0].isupper() and words[1].islower():
        return words[0].lower() + words[1:]
    return words


def is_plural(title: str) -> bool:
    """Whether an indicator title's head noun is plural ("Emergency admissions for COPD": yes).

    The head noun is the last word before the first preposition or comma; it is plural when it
    is "children" or "people" or ends in "s" (but not "ss", "us" or "is": "status", "prevalence").
    """
    head = subject(title)
    cut = min((i for i in (head.find(end) for end in _HEAD_ENDS) if i > 0), default=len(head))
    words = head[:cut].split()
    last = words[-1].lower() if words else ""
    return last in ("children", "people") or (last.endswith("s") and not last.endswith(("ss", "us", "is")))


def verb(title: str, singular: str = "is", plural: str = "are") -> str:
    return plural if is_plural(title) else singular


def indicator_subject(title: str, sex: str) -> str:
    """"Life expectancy at birth for men": the title without its unit, with the sex if not persons."""
    who = f" for {SEX_WORDS[sex]}" if sex in ("Male", "Female") else ""
    return subject(title) + who


def value_text(value: float, unit: str, decimals: int | None = None) -> str:
    """A value with its unit as a reader sees it: "77.6 years", "12.3%", "415.1 per 100,000"."""
    shown = number(value, unit, 1 if decimals is None and unit not in ("people", "count") else decimals)
    if shown == "[x]" or unit in ("%", "years", "people", "count", ""):
        return shown
    return f"{shown} {unit}"


def area_count(n: int, words: tuple[str, str]) -> str:
    """"1 township", "5 townships", "2 primary care networks": ``words`` is (singular, plural)."""
    one, many = words
    return f"{n} {one if n == 1 else many}"


def possessive(name: str) -> str:
    return f"{name}'s"


def trend_words(label: str) -> str:
    """The recent-trend marker in a sentence, "" when there is none to state."""
    label = str(label or "")
    if label in ("", "Could not be calculated"):
        return ""
    return label[0].lower() + label[1:]


def trend_judgement(label: str) -> int:
    """+1 getting worse, -1 getting better, 0 otherwise (for ordering findings)."""
    label = str(label or "")
    return 1 if label.endswith("getting worse") else -1 if label.endswith("getting better") else 0


def comparison_judgement(label: str) -> int:
    """+2 significantly worse, -2 significantly better, 0 otherwise (for ordering findings)."""
    key = str(label).split(" ")[0]
    return {"Worse": 2, "Better": -2}.get(key, 0)


def compare_areas_title(subject_words: str, plural: bool, labels: list[str], comparator: str, area_words: tuple[str, str]) -> str:
    """"Life expectancy at birth for men is significantly worse than Dudley's in 3 of 5 townships".

    Areas that could not be compared are their own category: never counted as "not significantly
    different"; the title says how many there were ("; 2 could not be compared")."""
    total = len(labels)
    counts = {key: sum(str(label).split(" ")[0] == key for label in labels) for key in COMPARISON_WORDS}
    compared = sum(counts.values())
    missing = total - compared
    be = "are" if plural else "is"
    first, second = ("Worse", "Better") if counts["Worse"] or counts["Better"] else ("Lower", "Higher")
    if compared == 0:
        return f"{subject_words} could not be compared with {possessive(comparator)} in any of the {area_count(total, area_words)}"
    tail = f"; {missing} could not be compared" if missing else ""
    if counts[first] == 0 and counts[second] == 0:
        where = f"any of the {area_count(total, area_words)}" if not missing else f"any of the {compared} {area_words[0] if compared == 1 else area_words[1]} compared"
        return f"{subject_words} {be} not significantly different from {possessive(comparator)} in {where}" + (f" ({missing} of {total} could not be compared)" if missing else "")
    if counts[first] == 0:
        first, second = second, first
    words = f"{subject_words} {be} significantly {first.lower()} than {possessive(comparator)} in {counts[first]} of {area_count(total, area_words)}"
    if counts[second]:
        words += f" and {second.lower()} in {counts[second]}"
    return words + tail


def trend_title(subject_words: str, plural: bool, place: str, label: str, latest: str, *, to: str = "") -> str:
    """The title of a trend chart: the recent trend in words, or the value when there is none.

    ``to`` names the period the trend ends in when it is not the chart's last (the period the
    page's summary shows, the latest England has a value for): "(five periods to 2020/21)"."""
    trend = trend_words(label)
    up_to = f" (five periods to {to})" if to else ""
    if trend == "no significant change":
        return f"There has been no significant recent change in {lower_first(subject_words)} in {place}{up_to}"
    if trend:
        return f"{subject_words} in {place} {'are' if plural else 'is'} {trend}{up_to}"
    return f"{subject_words} in {place} {'were' if plural else 'was'} {latest}"


def headline_sentence(row: pd.Series, place: str, benchmark: str, benchmark_value: float, label: str) -> str:
    """A finding from a store row's flags for ``place``, e.g. "Emergency hospital admissions for COPD in Dudley
    (468.2 per 100,000 in 2019/20) are significantly worse than England (415.1 per 100,000) and
    getting worse." """
    return story_sentence(row, place, [(benchmark, benchmark_value, label)])


def story_sentence(row: pd.Series, place: str, comparisons: list[tuple[str, float, str]]) -> str:
    """A finding against each comparator of the page's story that it could be compared with
    (``comparisons``: (name, value, label)), and its recent trend, e.g. "Children in relative low
    income families in Lye ward (39.5% in 2021/22) are significantly worse than Stourbridge
    township (35.3%) and England (30.1%)." Comparators it could not be compared with are left
    out (the page counts them separately)."""
    words = indicator_subject(row["indicator_name"], row["sex"])
    plural = is_plural(row["indicator_name"])
    start = f"{words} in {place} ({value_text(row['value'], row['unit'])} in {row['period']}) {'are' if plural else 'is'}"
    usable = [(name, value, str(label)) for name, value, label in comparisons if comparison_phrase(label, name, value, row["unit"])]
    keys = [label.split(" ")[0] for _, _, label in usable]
    if len(usable) > 1 and len(set(keys)) == 1:
        names = [f"{name} ({number(value, row['unit'])})" for name, value, _ in usable]
        phrase = f"{COMPARISON_WORDS[keys[0]]} {listing(names)}"
    else:
        phrase = " and ".join(comparison_phrase(label, name, value, row["unit"]) for name, value, label in usable)
    trend = trend_words(row.get("recent_trend", ""))
    trend = "" if trend == "no significant change" else trend
    if phrase and trend:
        # "... worse than England and getting worse": the direction is implied by the judgement.
        short = trend.split(" and ")[-1]
        judgements = [comparison_judgement(label) for _, _, label in usable]
        lead = next((j for j in judgements if j), 0)
        joiner = " but " if lead == 0 and "Similar" in keys or lead * trend_judgement(row["recent_trend"]) < 0 else " and "
        if len(usable) > 1:  # "... than A (1.0) and B (2.0), and getting worse"
            joiner = "," + joiner
        return f"{start} {phrase}{joiner}{short}."
    return f"{start} {phrase or trend}."


#: Why a row could not be compared with a benchmark, in words (:func:`not_compared_reason`).
NOT_COMPARED_WORDS = {
    "no_benchmark": "no {benchmark} value for that period",
    "no_polarity": "higher is neither better nor worse",
    "no_interval": "no confidence interval",
    "no_value": "no published value",
}
#: Fingertips polarities a comparison can judge.
JUDGED_POLARITIES = ("RAG - High is good", "RAG - Low is good", "BOB - Blue orange blue")


def not_compared_reason(row: pd.Series, value_column: str) -> str:
    """Why ``row`` has no comparison with the benchmark in ``value_column``: a key of
    :data:`NOT_COMPARED_WORDS`, or "" when it was compared."""
    if row is None or pd.isna(row.get("value")):
        return "no_value"
    if pd.isna(row.get(value_column)):
        return "no_benchmark"
    if str(row.get("polarity", "")) not in JUDGED_POLARITIES:
        return "no_polarity"
    if pd.isna(row.get("lower_95_0")) or pd.isna(row.get("upper_95_0")):
        return "no_interval"
    return ""


def not_compared_sentence(reasons: list[str], total: int, benchmark: str, *, subject: str = "indicators") -> str:
    """"4 of 30 indicators could not be compared with England: 3 have no England value for that
    period; for 1 higher is neither better nor worse." ("" when every one was compared).
    ``reasons`` holds one :func:`not_compared_reason` key per indicator that was not compared."""
    if not reasons:
        return ""
    counts = {key: reasons.count(key) for key in NOT_COMPARED_WORDS if key in reasons}
    parts = [f"{n}: {NOT_COMPARED_WORDS[key].format(benchmark=benchmark)}" for key, n in counts.items()]
    return f"{len(reasons)} of {total} {subject} could not be compared with {benchmark} ({'; '.join(parts)})."


def tally_title(place: str, labels: list[str], benchmark: str) -> str:
    """"In Dudley, 3 of 7 indicators compared are significantly worse than England and 1 is
    better; 2 could not be compared". An indicator not compared is its own category: never
    counted as similar, and always stated."""
    keys = [str(label).split(" ")[0] for label in labels]
    compared = sum(key in ("Better", "Similar", "Worse", "Higher", "Lower") for key in keys)
    missing = len(keys) - compared
    worse, better = keys.count("Worse"), keys.count("Better")
    tail = f"; {missing} could not be compared" if missing else ""
    if compared == 0:
        return f"No indicator for {place} can be compared with {benchmark} for its period"
    if worse == 0 and better == 0:
        return f"In {place}, none of the {compared} indicators compared is significantly better or worse than {benchmark}{tail}"
    parts = []
    if worse:
        parts.append(f"{worse} of {compared} indicators compared {'is' if worse == 1 else 'are'} significantly worse than {benchmark}")
    if better:
        phrase = f"{better} {'is' if better == 1 else 'are'} better" if worse else f"{better} of {compared} indicators compared {'is' if better == 1 else 'are'} significantly better than {benchmark}"
        parts.append(phrase)
    return f"In {place}, " + " and ".join(parts) + tail


def listing(names: list[str]) -> str:
    """"A", "A and B", "A, B and C"."""
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


#: At most this many practices are named in a funnel plot's title; more are named in its subtitle.
TITLE_NAMES = 4


def funnel_title(names: list[str], high: list[bool], subject_words: str, period: str, total: int, baseline: str) -> tuple[str, str]:
    """Title and subtitle of a funnel plot: the practices outside the 99.8% limits, by name (in
    the subtitle instead when there are more than :data:`TITLE_NAMES`, so the title stays short)."""
    if not names:
        return (f"No GP practice is outside the 99.8% limits for {lower_first(subject_words)} in {period}",
                f"All {total} practices are within the range expected from chance variation around {possessive(baseline)} value.")  # fmt: skip
    above = [n for n, h in zip(names, high) if h]
    below = [n for n, h in zip(names, high) if not h]
    parts = ([f"{listing(above)} above"] if above else []) + ([f"{listing(below)} below"] if below else [])
    count = f"{len(names)} of {total} GP practices {'is' if len(names) == 1 else 'are'}"
    title = f"{count} outside the 99.8% limits for {lower_first(subject_words)} in {period}"
    meaning = f"Outside the 99.8% limits: very unlikely to be chance variation around {possessive(baseline)} value."
    if len(names) <= TITLE_NAMES:
        return f"{title}: " + "; ".join(parts), meaning
    return f"{title}: {len(above)} above, {len(below)} below", f"{'; '.join(parts)}. {meaning}"


def range_title(subject_words: str, low: tuple[str, float], high: tuple[str, float], unit: str, period: str) -> str:
    """"Diabetes recorded prevalence ranged from 7.4% in A to 9.3% in B in 2021/22": the finding
    when the places cannot be compared (no polarity)."""
    return f"{subject_words} ranged from {value_text(low[1], unit)} in {low[0]} to {value_text(high[1], unit)} in {high[0]} in {period}"


# --------------------------------------------------------------------------------------------
# Inequality in words
# --------------------------------------------------------------------------------------------
#: What one local deprivation quantile is called in a sentence.
QUANTILE_PART = {5: "fifth", 10: "tenth"}


def gap_sentence(title: str, sex: str, unit: str, most: float, least: float, n: int, place: str, period: str = "") -> str:
    """The gap between the most and least deprived quantiles of a place in one sentence, e.g.

    "Life expectancy at birth for men is 8.0 years lower in the most deprived tenth of Dudley
    than in the least deprived tenth (73.9 against 81.9 years)."
    """
    words, part = indicator_subject(title, sex), QUANTILE_PART.get(n, "group")
    be = verb(title)
    values = f"({value_text(most, unit)} against {value_text(least, unit)}{', ' + period if period else ''})"
    if pd.isna(most) or pd.isna(least):
        return f"{words} cannot be compared between the most and least deprived {part}s of {place}."
    if unit in ("years", "%"):
        difference = most - least
        amount = f"{abs(difference):.1f} {'years' if unit == 'years' else 'percentage points'}"
        if abs(difference) < 0.05:
            return f"{words} {be} the same in the most and least deprived {part}s of {place} {values}."
        direction = "higher" if difference > 0 else "lower"
        return f"{words} {be} {amount} {direction} in the most deprived {part} of {place} than in the least deprived {part} {values}."
    if least <= 0 or most <= 0:
        return f"{words} in the most deprived {part} of {place} against the least deprived {part}: {values}."
    ratio = most / least
    if 1 / 1.05 < ratio < 1.05:
        return f"{words} {be} about the same in the most and least deprived {part}s of {place} {values}."
    if ratio >= 1:
        return f"{words} {be} {ratio:.1f} times as high in the most deprived {part} of {place} as in the least deprived {part} {values}."
    return f"{words} {be} {1 / ratio:.1f} times as high in the least deprived {part} of {place} as in the most deprived {part} {values}."


def sii_sentence(title: str, sex: str, unit: str, sii: float, lower: float, upper: float, n: int, place: str, period: str) -> str:
    """The slope index of inequality in words: the modelled gap from the most to the least deprived end."""
    words = lower_first(indicator_subject(title, sex))
    if pd.isna(sii):
        return f"The slope index of inequality in {words} could not be calculated for {place} in {period}."
    amount = value_text(abs(sii), unit) if unit in ("years", "%") else f"{number(abs(sii), '', 1)} {unit}".strip()
    if unit == "%":
        amount = f"{abs(sii):.1f} percentage points"
    side = "least" if sii > 0 else "most"
    significant = "" if lower <= 0 <= upper else ", a significant gradient"
    return (
        f"The slope index of inequality in {words} in {place} was {amount} in {period} (95% interval {number(lower, '', 1)} "
        f"to {number(upper, '', 1)}){significant}: the modelled gap across the {n} local deprivation {QUANTILE_PART.get(n, 'group')}s, "
        f"higher at the {side} deprived end."
    )


#: The Marmot Review's policy objectives (Fair Society, Healthy Lives, 2010), in the Review's
#: order, and the two other headings of the catalogue's ``marmot`` field.
MARMOT_OBJECTIVES = {
    "best_start": "Give every child the best start in life",
    "capabilities": "Enable all children, young people and adults to maximise their capabilities and have control over their lives",
    "good_work": "Create fair employment and good work for all",
    "living_standard": "Ensure a healthy standard of living for all",
    "healthy_places": "Create and develop healthy and sustainable places and communities",
    "prevention": "Strengthen the role and impact of ill-health prevention",
    "outcomes": "Outcomes: how long, and how long in good health, people live, and the gap",
    "context": "Context: the size and age of the population",
}
