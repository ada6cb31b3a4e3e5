"""Plain-language sentences generated from computed values and comparison flags.

Nothing here is typed by hand for a particular place: every sentence is built from a row of the
indicator store, so the words always agree with the numbers.
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


PLACE_SUFFIX = {"township": " township", "ward": " ward"}


def place_name(name: str, area_type: str) -> str:
    """A place's name as the book writes it: "Dudley" (borough), "Dudley township", "Gornal ward"."""
    return name + PLACE_SUFFIX.get(area_type, "")


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


def finding(row: pd.Series, *, subject: str | None = None) -> str:
    """One sentence about one store row, e.g.

    "Life expectancy at birth for men in Dudley was 77.6 years in 2020, significantly worse than
    England (78.7 years)."
    """
    title = (subject or row["indicator_name"]).split(" (")[0]
    who = f" for {SEX_WORDS[row['sex']]}" if row["sex"] != "Persons" else ""
    if pd.isna(row["value"]):
        reason = "it is not published" if str(row.get("note", "")).startswith("[c]") else "it could not be calculated"
        return f"{title}{who} in {place_name(row['area_name'], row['area_type'])} is not shown for {row['period']}: {reason}."
    sentence = f"{title}{who} in {place_name(row['area_name'], row['area_type'])} was {number(row['value'], row['unit'])} in {row['period']}"
    phrase = comparison_phrase(row.get("compared_to_england"), "England", row.get("england_value"), row["unit"])
    if phrase:
        sentence += f", {phrase}"
    return sentence + "."


def share_sentence(part: str, value: float, place: str, period: str) -> str:
    """"About 1 in 5 residents of Dudley (19.8%) were aged 65 and over in 2022." """
    ratio = round(100 / value) if value > 0 else None
    about = f"About 1 in {ratio} residents" if ratio and ratio <= 20 else "Residents"
    return f"{about} of {place} ({number(value, '%')}) {part} in {period}."
