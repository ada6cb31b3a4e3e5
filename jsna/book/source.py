"""The Jupyter Book source (``<out>/book``): configuration, the table of contents made from the
plan, the static pages, the pages the build writes (indicator definitions, what the store
holds, each place's hub page, each chapter's list of places) and the vendored chart libraries.

Every file is written only when its content changes. Names, titles and descriptions come from
the data and the parameters: they are written through :mod:`jsna.pages.escape` (Markdown text
in headings, lists and paragraphs; HTML text in the definitions' HTML blocks).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pandas as pd
import yaml

from jsna import store as store_tables
from jsna.book.find import find_my_area
from jsna.book.plan import Plan
from jsna.book.publish import periods_available
from jsna.config import Settings
from jsna.errors import BuildError
from jsna.files import write_if_changed
from jsna.inputs.places import Place
from jsna.inputs.postcodes import FILE as POSTCODE_FILE
from jsna.inputs.provenance import Provenance, load_provenance
from jsna.inputs.release import Release, load_release
from jsna.pages import charts
from jsna.pages.escape import html_attr, html_text, markdown_text
from jsna.pages.text import MARMOT_OBJECTIVES, listing

#: Vendored browser libraries: npm package -> file in its build folder.
VENDORED_JS = {"vega": "vega.min.js", "vega-lite": "vega-lite.min.js"}
#: Pages the build writes itself rather than copying from chapters/.
GENERATED_PAGES = {"about/definitions", "about/store"}


def definitions_page(catalogue: pd.DataFrame, indicators: pd.DataFrame | None = None, release: Release | None = None) -> str:
    """Every indicator's metadata in plain words, one table each, anchored by its id (charts
    link here): what it measures, why it matters, the method and which way is better in words,
    unit, ages, sexes, the periods the store has (``indicators``), the source, the Fingertips
    indicator id as text (no link: no request leaves the site) and the Marmot objective; the
    release and its data vintage once, above. No code word (a method's or an indicator's id, a
    Fingertips polarity) is shown: the ids are only anchors."""
    periods = periods_available(indicators if indicators is not None else pd.DataFrame(columns=["indicator_id", "years", "period_end", "period", "value"]))
    catalogue = catalogue.assign(
        marmot=catalogue["marmot"].map(MARMOT_OBJECTIVES).fillna(catalogue["marmot"]),
        periods=catalogue["indicator_id"].map(lambda i: periods["periods"].get(i, "None published in this release")),
        age=catalogue["age"].map(_age_words),
        sex=catalogue["sex"].map(_sex_words),
        fingertips=catalogue["fingertips_id"].map(lambda i: f"Indicator {i} on OHID Fingertips (fingertips.phe.org.uk)" if i else ""),
    )  # fmt: skip
    lines = [
        "# Indicator definitions", "",
        "What each indicator measures, why it matters, how it is calculated and where the data come from. The same table is "
        '<a href="../downloads/indicator-definitions.csv">available as a CSV file</a>.', "",
    ]  # fmt: skip
    if release is not None:
        lines += [f'<p class="jsna-edition">These definitions are for release {_html_line(release.release)}. Data: {_html_line(release.data_vintage)}</p>', ""]
    for chapter, rows in catalogue.groupby("chapter", sort=False):
        lines += [f"## {markdown_text(str(chapter).replace('_', ' ').capitalize())}", ""]
        for row in rows.itertuples():
            cells = "".join(
                f'<tr><th scope="row">{label}</th><td>{_html_line(_cell(getattr(row, name)))}</td></tr>'
                for name, label in DEFINITION_ROWS if _cell(getattr(row, name)).strip()
            )
            lines += [f'<h3 id="{html_attr(_one_line(row.indicator_id))}">{_html_line(row.title)}</h3>', "", f'<table class="jsna-data">{cells}</table>', ""]
    return "\n".join(lines) + "\n"


#: The rows of each indicator's table on the definitions page: (catalogue column, heading);
#: a row whose value is empty (no rationale, no Fingertips indicator) is left out.
DEFINITION_ROWS = [
    ("definition", "What it measures"), ("rationale", "Why it matters"), ("method_words", "Method"), ("polarity_words", "Better or worse"),
    ("unit", "Unit"), ("age", "Age"), ("sex", "Published for"), ("periods", "Periods available"), ("source", "Source"),
    ("fingertips", "Fingertips"), ("marmot", "Marmot objective"),
]  # fmt: skip
#: The catalogue's sexes in words.
SEX_WORDS = {"Persons": "everyone (persons)", "Male": "men", "Female": "women"}


def _sex_words(sexes) -> str:
    """["Persons", "Male", "Female"] -> "Everyone (persons), men and women"."""
    words = listing([SEX_WORDS.get(s, s) for s in _cell(sexes).split(", ")])
    return words[:1].upper() + words[1:]


def _age_words(age: str) -> str:
    """A Fingertips age label in words: "65+ yrs" -> "Aged 65 and over", "<1 yr" -> "Aged under 1",
    "0-14 yrs" -> "Aged 0 to 14", "65 yrs" -> "Aged 65"; anything else as it is."""
    age = str(age).strip()
    for pattern, words in ((r"(\d+)\+ yrs?", "Aged {0} and over"), (r"<(\d+) yrs?", "Aged under {0}"),
                           (r"(\d+)-(\d+) yrs?", "Aged {0} to {1}"), (r"(\d+) yrs?", "Aged {0}")):  # fmt: skip
        found = re.fullmatch(pattern, age)
        if found:
            return words.format(*found.groups())
    return age


def _one_line(value) -> str:
    """``value`` with line breaks as spaces: a blank line in the text would end the HTML block
    it is in, and Markdown would parse the rest."""
    return re.sub(r"[\r\n\u2028\u2029]+", " ", str(value))


def _html_line(value) -> str:
    """``value`` as HTML text on one line, for the HTML blocks of a Markdown page."""
    return html_text(_one_line(value))


def _cell(value) -> str:
    """A catalogue value as the definitions page writes it: lists as "Persons, Male, Female"."""
    if isinstance(value, (list, tuple)) or hasattr(value, "tolist"):
        return ", ".join(str(v) for v in list(value))
    return str(value)


def store_page() -> str:
    """What the store holds: every declared table and column (:func:`jsna.store.describe`)."""
    return store_tables.describe() + "\n"


def stage_book(settings: Settings, plan: Plan, tables: dict[str, pd.DataFrame]) -> None:
    """Write configuration, table of contents, static pages and assets into ``book/``."""
    release = load_release(settings.release)
    config = yaml.safe_load((settings.root / "_config.yml").read_text(encoding="utf-8"))
    config["title"] = release.title  # Sphinx writes it raw in places and escaped in others: load_release refuses markup
    words = BookWords.of(plan, tables, release, load_provenance(settings.data))
    shaped = set(tables["boundaries"].loc[tables["boundaries"]["kind"] == "wards", "area_code"])
    finder = find_my_area(plan, tables["geography"], shaped, postcodes=(settings.data / POSTCODE_FILE).is_file())
    config.setdefault("parse", {})["myst_substitutions"] = {**words.substitutions(), "find_my_area": finder}
    config.setdefault("html", {})["announcement"] = words.banner()
    config["html"]["extra_footer"] = words.footer() + config["html"].get("extra_footer", "")
    write_if_changed(settings.book / "_config.yml", yaml.safe_dump(config, sort_keys=False, allow_unicode=True))
    write_if_changed(settings.book / "_toc.yml", yaml.safe_dump(make_toc(settings, plan), sort_keys=False, allow_unicode=True))
    for page in static_pages(settings):
        write_if_changed(settings.book / page, (settings.root / "chapters" / page).read_bytes())
    write_if_changed(settings.book / "about" / "definitions.md", definitions_page(tables["catalogue"], tables["indicators"], release))
    write_if_changed(settings.book / "about" / "store.md", store_page())
    static = settings.root / "chapters" / "_static"
    for path in sorted(static.rglob("*")):
        if path.is_file():
            write_if_changed(settings.book / "_static" / path.relative_to(static), path.read_bytes())
    for package, filename in VENDORED_JS.items():
        source = settings.root / "node_modules" / package / "build" / filename
        if not source.exists():
            raise BuildError(f"{source} is missing: run 'npm ci' (make book does) to vendor {package} from the npm registry")
        write_if_changed(settings.book / "_static" / "vendor" / filename, source.read_bytes())
    write_if_changed(settings.book / "_static" / charts.CONFIG_SCRIPT, charts.config_script().encode("utf-8"))
    for place in plan.places_with_pages():
        write_if_changed(settings.book / place.folder / "index.md", place_page(plan, place))
    for chapter in plan.chapters.values():
        if any(job.chapter == chapter.id for job in plan.jobs):
            write_if_changed(settings.book / "by-chapter" / f"{chapter.id}.md", chapter_page(plan, chapter.id))


#: The input tables a reader knows by another name, for the notices.
TABLE_WORDS = {"geography": "the geography (areas, their codes and names, and the GP practices)", "deprivation": "deprivation (IMD)",
               "population": "the resident population", "practice_population": "the practices' registered patients"}  # fmt: skip


#: The kinds of input table (``provenance.yml``) in the order the sources list them, with their heading.
SOURCE_KINDS = (("real", "Real published figures"), ("modelled", "Modelled from published figures"), ("synthetic", "Synthetic"))


@dataclass(frozen=True)
class BookWords:
    """The words the static pages and the banner use for this book: its authority and region,
    the kinds of place it has pages for, what its comparators are, and what its local data are
    (real, modelled or synthetic: the release's flag and the data's ``provenance.yml``)."""

    release: Release
    authority: str
    the_authority: str
    region: str
    country: str
    places_by: str
    comparators: str
    provenance: Provenance | None

    @classmethod
    def of(cls, plan: Plan, tables: dict[str, pd.DataFrame], release: Release, provenance: Provenance | None) -> BookWords:
        types, geography = plan.area_types, tables["geography"].set_index("area_code")
        name = {role: str(geography.loc[geography["area_type"] == types.with_role(role), "area_name"].iloc[0]) for role in ("country", "region", "authority")}
        authority_type = types[types.with_role("authority")]
        the_authority = places_by = types.the_authority()
        below = [t for t in types if t.parent == authority_type.id and any(p.type == t.id for p in plan.places_with_pages())]
        if below:
            count = sum(p.type == below[0].id for p in plan.places_with_pages())
            places_by += f", then each of its {count} {below[0].plural if count != 1 else below[0].singular}"
        indicators = tables["indicators"]
        compared = [name[role] for role, column in (("country", "england_value"), ("region", "region_value")) if indicators[column].notna().any()]
        return cls(release, name["authority"], the_authority, name["region"], name["country"], places_by, " and ".join(compared), provenance)

    def notice(self) -> str:
        """What the local figures are, in a Markdown paragraph (the start page's and the data page's
        notice); words from the data and the parameters are escaped as text."""
        authority = markdown_text(self.authority)
        if not self.release.synthetic:
            return f"The figures in this book are computed from {authority}'s own data; the data page says where each comes from."
        if self.provenance is None:
            return f"**This is a demonstration.** The local figures in this book are synthetic, not real statistics about {authority} or its residents."
        text = (f"**This is a demonstration.** The events in this book (births, deaths, hospital admissions, disease registers and "
                f"the rest) are synthetic: generated so that the methods can be shown and tested openly. They are not real statistics "
                f"about {authority} or its residents.")  # fmt: skip
        real = [TABLE_WORDS.get(t, t.replace("_", " ")) for t in self.provenance.of_kind("real")]
        if real:
            text += f" Real published figures: {markdown_text(listing(real))}."
        if self.comparators:
            text += f" The comparators for {markdown_text(self.comparators)} are real published figures."
        return text

    def edition(self) -> str:
        """Which edition this is, in words: "Release 2026.1-demo, published 15 January 2026"."""
        day = self.release.date
        return f"Release {self.release.release}, published {day.day} {day:%B %Y}"

    def footer(self) -> str:
        """The release, its publication date and the data vintage, for the foot of every page (HTML)."""
        return f'<p class="jsna-edition">{html_text(self.edition())}. Data: {html_text(self.release.data_vintage)}</p>'

    def banner(self) -> str:
        """The announcement on every page (HTML: the theme writes it as it is)."""
        return html_text(f"{self.edition()}. {self.warning()}")

    def warning(self) -> str:
        """What the banner (and every page of a brief) says while the local figures are synthetic
        (text; "" when they are real)."""
        if not self.release.synthetic:
            return ""
        real = "on the real geography and population of " + self.authority if self.provenance and self.provenance.of_kind("real") else "for " + self.authority
        return f"Local events in this book are synthetic demonstration data {real}, not real statistics about {self.authority}."

    def source_summary(self) -> list[str]:
        """The input tables by kind, named as a reader knows them, one sentence per kind (text; a
        brief's sources): what :meth:`sources` lists with each table's source; then the comparators."""
        if self.provenance is None:
            lines = ["The data folder does not say where its tables come from (no provenance.yml)."]
        else:
            lines = [f"{heading}: {listing([TABLE_WORDS.get(n, n.replace('_', ' ')) for n in names])}."
                     for kind, heading in SOURCE_KINDS if (names := self.provenance.of_kind(kind))]  # fmt: skip
        if self.comparators:
            lines.append(f"The comparators for {self.comparators} are real published figures.")
        return lines

    def sources(self) -> str:
        """Every input table by kind, with its source (a Markdown list; the data page)."""
        if self.provenance is None:
            return "The data folder does not say where its tables come from (no provenance.yml)."
        lines = []
        for kind, heading in SOURCE_KINDS:
            names = self.provenance.of_kind(kind)
            if not names:
                continue
            lines.append(f"- **{heading}:**")
            if kind == "synthetic":
                lines.append(f"  {markdown_text(listing([n.replace('_', ' ') for n in names]))}: {markdown_text(self.provenance.tables[names[0]][1])}")
            else:
                lines += [f"  - {markdown_text(TABLE_WORDS.get(n, n.replace('_', ' ')))}: {markdown_text(self.provenance.tables[n][1])}" for n in names]
        return "\n".join(lines)

    def substitutions(self) -> dict[str, str]:
        """The MyST substitutions of the static pages (``{{ authority }}``...): parsed as Markdown,
        so every word from the data or the parameters is escaped as text."""
        words = {"release": self.release.release, "data_vintage": self.release.data_vintage, "authority": self.authority,
                 "the_authority": self.the_authority, "region": self.region, "places_by": self.places_by,
                 "comparators": self.comparators or self.country}  # fmt: skip
        return {**{k: markdown_text(v) for k, v in words.items()}, "notice": self.notice(), "data_sources": self.sources()}


def static_pages(settings: Settings) -> list[str]:
    """Pages named in the skeleton table of contents, copied from ``chapters/``."""
    skeleton = yaml.safe_load((settings.root / "_toc.yml").read_text(encoding="utf-8"))
    files = [skeleton["root"]]
    for part in skeleton.get("parts", []):
        files += [chapter["file"] for chapter in part.get("chapters", [])]
    return [f"{name}.md" for name in files if name not in GENERATED_PAGES]


def make_toc(settings: Settings, plan: Plan) -> dict:
    """The skeleton ``_toc.yml`` with the parts the plan generates put in place of its markers."""
    skeleton = yaml.safe_load((settings.root / "_toc.yml").read_text(encoding="utf-8"))
    parts = []
    for part in skeleton["parts"]:
        if part.get("generated") == "places":
            parts += place_parts(plan)
        elif part.get("generated") == "chapters":
            chapters = [{"file": f"by-chapter/{c}"} for c in plan.chapters if any(j.chapter == c for j in plan.jobs)]
            if chapters:
                parts.append({"caption": "By chapter", "chapters": chapters})
        else:
            parts.append(part)
    return {"format": "jb-book", "root": skeleton["root"], "parts": parts}


def place_parts(plan: Plan) -> list[dict]:
    """One part per area type with pages, in the order of ``place_types.yml``, captioned with the
    type's word ("Borough" for one place, "Townships" for several)."""
    parts = []
    for area_type in plan.area_types:
        chapters = []
        for place in plan.places_with_pages():
            if place.type != area_type.id:
                continue
            sections = [{"file": job.output.removesuffix(".ipynb")} for job in plan.jobs_for(place)]
            chapters.append({"file": f"{place.folder}/index", "sections": sections})
        if chapters:
            caption = area_type.singular if len(chapters) == 1 else area_type.plural
            parts.append({"caption": caption[0].upper() + caption[1:], "chapters": chapters})
    return parts


def place_page(plan: Plan, place: Place) -> str:
    """A place's hub page: what it is and links to its chapters. Names, titles and descriptions
    are Markdown-escaped; link targets are the plan's chapter ids and slugged folders."""
    described = plan.area_types[place.type].described_as or f"a {plan.area_types[place.type].singular}"
    lines = [f"# {markdown_text(place.title)}", "", f"{markdown_text(place.name)} is {markdown_text(described)} ({markdown_text(place.code)}).", ""]
    children = [p for p in plan.places_with_pages() if p.parent == place.code]
    lines += ["## Chapters", ""]
    for job in plan.jobs_for(place):
        chapter = plan.chapters[job.chapter]
        lines.append(f"- [{markdown_text(chapter.title)}](./{job.chapter}.ipynb): {markdown_text(chapter.description)}")
    if children:
        lines += ["", "## Places within " + markdown_text(place.title), ""]
        lines += [f"- [{markdown_text(child.title)}](/{child.folder}/index.md)" for child in children]
    lines += ["", "```{tableofcontents}", "```", ""]
    return "\n".join(lines)


def chapter_page(plan: Plan, chapter_id: str) -> str:
    chapter = plan.chapters[chapter_id]
    lines = [f"# {markdown_text(chapter.title)}: every place", "", markdown_text(chapter.description), ""]
    for job in plan.jobs:
        if job.chapter == chapter_id:
            lines.append(f"- [{markdown_text(job.place_name)}](/{job.output})")
    return "\n".join(lines) + "\n"
