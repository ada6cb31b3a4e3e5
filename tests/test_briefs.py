"""The printable briefs (``jsna.book.briefs``, ``jsna.pages.brief``): one Markdown source per place,
rendered to a tagged PDF (Pandoc and Typst) and a Word file (Pandoc).

Fast: the escaping helpers against hostile strings read back through Pandoc, and briefs rendered
from a small hand-made store whose place name is hostile (through the ``typst`` package, and
through a ``quarto`` found on the PATH). Slow: a real build of the borough and one ward, whose
briefs are read back as a reader and a screen reader would: the PDF's text in reading order and
its tag tree, the Word file with python-docx, every number against the store, the links from the
site's pages, the zip, and a rebuild that renders nothing.
"""

from __future__ import annotations

import datetime
import html
import json
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import docx
import pandas as pd
import pytest
from pypdf import PdfReader

from jsna.__main__ import main
from jsna.book.briefs import BriefJob, Tools, reference_docx, render_brief
from jsna.config import ROOT
from jsna.inputs.release import load_release
from jsna.pages import brief as content
from jsna.pages import indicators as views
from jsna.pages import text
from jsna.pages.escape import pandoc_attribute, pandoc_text
from jsna.pages.html import MISSING, SUPPRESSED, decimals, label, window
from jsna.store import Store, StoreSlices
from tests.conftest import write_store
from tests.test_escaping import HOSTILE as HOSTILE_STRINGS
from tests.test_views import (
    CATALOGUE,
    GEOGRAPHY,
    T1,
    W1,
    age_structure,
    funnel_tables,
    indicator_rows,
)

#: A place name that is syntax in every language a brief passes through: HTML, Pandoc's Markdown
#: and its YAML metadata, Typst markup (its shorthands too), a spreadsheet formula.
HOSTILE = ("<script>alert(1)</script> -1.5 a-? #x *y* _z_ $m$ =cmd @ref <lbl> [a](b) {#i} \\ \"q\" 'a' `c` -- ... ~ ^s^ /t/ "
           "1. % & &amp; // /* */ = h")  # fmt: skip


def squeeze(value: str) -> str:
    """Text without any whitespace: line breaks fall anywhere in a PDF's lines."""
    return re.sub(r"\s+", "", value)


def pdf_text(path: Path, *args: str) -> str:
    """The PDF's text as poppler extracts it: in reading order, or laid out (``-layout``)."""
    return subprocess.run(["pdftotext", *args, str(path), "-"], capture_output=True, text=True, check=True).stdout


def pdfinfo(path: Path, *args: str) -> str:
    return subprocess.run(["pdfinfo", *args, str(path)], capture_output=True, text=True, check=True).stdout


def structure(path: Path) -> list[dict]:
    """Every element of the PDF's tag tree, depth first (in reading order): its type, its
    alternative text and its children's count."""
    found = []

    def walk(node) -> None:
        node = node.get_object()
        found.append({"type": str(node["/S"]), "alt": node.get("/Alt"), "title": node.get("/T")})
        kids = node.get("/K")
        for kid in kids if isinstance(kids, list) else [kids] if kids is not None else []:
            kid = kid.get_object() if hasattr(kid, "get_object") else kid
            if isinstance(kid, dict) and "/S" in kid:
                walk(kid)

    root = PdfReader(path).trailer["/Root"]
    for kid in (lambda k: k if isinstance(k, list) else [k])(root["/StructTreeRoot"]["/K"]):
        walk(kid)
    return found


def tagged_headings(path: Path) -> list[str]:
    """The headings of the PDF's tag tree, in order, as poppler reads them."""
    return [h for h in re.findall(r'^\s*H\d "(.*)"', pdfinfo(path, "-struct-text"), flags=re.M)]


# --------------------------------------------------------------------------------------------
# The escaping helpers, read back by Pandoc
# --------------------------------------------------------------------------------------------
def pandoc_json(source: str) -> dict:
    from jsna.book.briefs import READER

    tools = Tools.find()
    result = subprocess.run([*tools.pandoc, "-f", READER, "-t", "json"], input=source, capture_output=True, text=True, check=True)
    return json.loads(result.stdout)


def plain(inlines: list[dict]) -> str:
    """The text of inlines that may only be words and spaces: anything else is syntax."""
    out = ""
    for inline in inlines:
        assert inline["t"] in ("Str", "Space"), inline
        out += inline["c"] if inline["t"] == "Str" else " "
    return out


@pytest.mark.parametrize("value", [*HOSTILE_STRINGS, HOSTILE, "St James's", "2018 - 20", "1) a", "iv. b", "#. c", "A. Smith"])
def test_pandoc_text_is_only_text_in_a_paragraph_a_list_a_heading_and_a_cell(value: str) -> None:
    words = " ".join(value.split())
    escaped = pandoc_text(value)
    blocks = pandoc_json(f"{escaped}\n\n- {escaped}\n\n# {escaped}\n\n| {escaped} |\n|---|\n| {escaped} |\n")["blocks"]
    assert [b["t"] for b in blocks] == ["Para", "BulletList", "Header", "Table"], blocks
    assert plain(blocks[0]["c"]) == words
    assert plain(blocks[1]["c"][0][0]["c"]) == words
    assert plain(blocks[2]["c"][2]) == words
    assert "\n" not in escaped


@pytest.mark.parametrize("value", [*HOSTILE_STRINGS, HOSTILE])
def test_pandoc_attribute_holds_the_string(value: str) -> None:
    blocks = pandoc_json(f"![caption](chart){{alt={pandoc_attribute(value)} width=50%}}\n")["blocks"]
    assert blocks[0]["t"] == "Figure"  # Pandoc makes a figure's alt attribute its image's description
    image = blocks[0]["c"][2][0]["c"][0]
    assert "".join(i["c"] if i["t"] == "Str" else " " for i in image["c"][1]) == " ".join(value.split())


def test_ordinary_names_are_left_as_they_are() -> None:
    for name in ("St James's", "Netherton, Woodside and St Andrews", "Brierley Hill township", "2018 - 20", "per 100,000"):
        assert pandoc_text(name) == name


# --------------------------------------------------------------------------------------------
# Briefs from a small hand-made store whose ward is hostile
# --------------------------------------------------------------------------------------------
WORDS = content.BriefWords(
    book="Book *title* #1 <i>", edition="Release 1.0, published 1 January 2026", data_vintage="Data \\ vintage $x$ -2",
    warning="Local events are synthetic <b>demonstration</b> data #1.", sources=("Source = one; ...",), date=datetime.date(2026, 1, 1),
)  # fmt: skip


@pytest.fixture(scope="module")
def hand_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The views' test store (tests/test_views.py) with the ward W1 named :data:`HOSTILE`."""
    folder = tmp_path_factory.mktemp("brief-store")
    geography = pd.DataFrame(GEOGRAPHY, columns=["area_code", "area_name", "area_type", "parent_code"])
    geography.loc[geography["area_code"] == W1, "area_name"] = HOSTILE
    names = dict(zip(geography["area_code"], geography["area_name"]))
    rows = indicator_rows().assign(area_name=lambda d: d["area_code"].map(names), parent_name=lambda d: d["parent_code"].map(lambda c: names.get(c, "")))
    points, lines = funnel_tables()
    structure, england = age_structure()
    structure = pd.concat([structure, structure.loc[structure["area_code"] == T1].assign(area_code=W1)], ignore_index=True)
    return write_store(folder, {"indicators": rows, "catalogue": pd.DataFrame(CATALOGUE), "funnels": points, "funnel_lines": lines,
                                "age_structure": structure, "england_age_structure": england, "geography": geography})  # fmt: skip


def render(store: Path, cache: Path, code: str, tools: Tools | None = None) -> tuple[Path, Path]:
    """Render one brief as the build's workers do; the PDF and Word files."""
    tools = tools or Tools.find()
    cache.mkdir(parents=True, exist_ok=True)
    (cache / "reference.docx").write_bytes(reference_docx(tools, WORDS))
    render_brief(BriefJob(code, code, "key", cache, ROOT, WORDS, tools), Store(store), StoreSlices(store))
    return cache / f"{code}.pdf", cache / f"{code}.docx"


@pytest.fixture(scope="module")
def hostile_brief(hand_store: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return render(hand_store, tmp_path_factory.mktemp("hostile-brief"), W1)


def test_a_hostile_place_name_renders_literally_in_the_pdf(hostile_brief: tuple[Path, Path]) -> None:
    pdf, _ = hostile_brief
    name = f"{HOSTILE} ward"
    said = squeeze(pdf_text(pdf))
    assert said.count(squeeze(name)) >= 5  # title, what it is, the story, the findings, the caption
    for words in (WORDS.book, WORDS.edition, WORDS.warning, WORDS.data_vintage):
        assert squeeze(words) in said, words
    assert "\u2212" not in pdf_text(pdf) and "\u2026" not in pdf_text(pdf)  # no Typst shorthand: "-1.5" and "..." as typed
    assert re.search(r"^Title:\s+(.*)$", pdfinfo(pdf), flags=re.M).group(1) == f"{name}: brief, {WORDS.book}"


def test_a_hostile_place_name_renders_literally_in_the_word_file(hostile_brief: tuple[Path, Path]) -> None:
    _, word = hostile_brief
    document = docx.Document(str(word))
    assert document.core_properties.title == f"{HOSTILE} ward"
    body = " ".join(p.text for p in document.paragraphs)
    assert body.count(f"{HOSTILE} ward") >= 4
    header = document.sections[0].header.paragraphs[0].text
    assert header == f"Demonstration data. {WORDS.warning} {WORDS.edition}"
    alt = [e.get("descr") for e in document.element.body.iter() if e.tag.endswith("}docPr")]
    assert len(alt) == 1 and alt[0].startswith(f"Population pyramid of {HOSTILE} ward")


def test_a_quarto_on_the_path_renders_the_same_source(hand_store: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Quarto wraps Pandoc and Typst: a ``quarto`` on the PATH (here a stand-in that hands each
    command to the real tool and logs it) renders the brief, and the PDF is still PDF/UA-1."""
    real = Tools.find()
    log, bin_dir = tmp_path / "quarto.log", tmp_path / "bin"
    bin_dir.mkdir()
    typst_cli = bin_dir / "typst_cli.py"
    typst_cli.write_text(
        "import datetime, sys, typst\n"
        "args = sys.argv[2:]\n"  # compile IN OUT --root R --pdf-standard=S --creation-timestamp=N
        "options = dict(a.lstrip('-').split('=', 1) for a in args if a.startswith('--') and '=' in a)\n"
        "root = args[args.index('--root') + 1]\n"
        "when = datetime.datetime.fromtimestamp(int(options['creation-timestamp']), datetime.timezone.utc)\n"
        "typst.compile(args[0], output=args[1], root=root, pdf_standards=[options['pdf-standard']], timestamp=when)\n"
    )  # fmt: skip
    quarto = bin_dir / "quarto"
    quarto.write_text(f'#!/bin/sh\necho "$1 $2" >> {log}\ncase "$1" in\n  --version) echo 9.9.9 ;;\n  pandoc) shift; exec {real.pandoc[0]} "$@" ;;\n'
                      f'  typst) shift; exec {sys.executable} {typst_cli} "$@" ;;\nesac\n')  # fmt: skip
    quarto.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}:{Path(sys.executable).parent}:/usr/bin:/bin")
    tools = Tools.find()
    assert tools.pandoc == (str(quarto), "pandoc") and tools.typst == (str(quarto), "typst") and "quarto 9.9.9" in tools.versions
    pdf, word = render(hand_store, tmp_path / "briefs", T1, tools)
    called = log.read_text().split("\n")
    assert "typst compile" in called and sum(line.startswith("pandoc ") for line in called) >= 3  # reference, Typst, Word
    assert "Tagged:          yes" in pdfinfo(pdf) and squeeze("North township") in squeeze(pdf_text(pdf))
    assert docx.Document(str(word)).core_properties.title == "North township"


def test_the_same_brief_is_the_same_files(hand_store: Path, hostile_brief: tuple[Path, Path], tmp_path: Path) -> None:
    """Rendered again, a brief is byte for byte the same (an edition republished must be)."""
    pdf, word = render(hand_store, tmp_path, W1)
    assert pdf.read_bytes() == hostile_brief[0].read_bytes() and word.read_bytes() == hostile_brief[1].read_bytes()


def test_briefs_without_a_build_is_a_clear_error(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    assert main(["briefs", "--out", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: no store in ") and "build the book first" in err and "Traceback" not in err


# --------------------------------------------------------------------------------------------
# A real build: the borough and one ward
# --------------------------------------------------------------------------------------------
BOROUGH, WARD = "E08000027", "E05001236"


@pytest.fixture(scope="module")
def book(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("briefs-book")
    command = [sys.executable, "-m", "jsna", "build", "--out", str(out), "--no-progress", "--places", BOROUGH, WARD]
    result = subprocess.run(command, capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    assert "Briefs: 2 places, PDF and Word (2 rendered, 0 reused)." in result.stdout
    return out


@pytest.fixture(scope="module")
def store(book: Path) -> Store:
    return Store(book / "store")


def brief_path(book: Path, code: str, fmt: str) -> Path:
    return book / "html" / content.BRIEF_DOWNLOADS / content.brief_file(code, fmt)


def profile_page(book: Path, store: Store, code: str) -> str:
    folder = {BOROUGH: "borough/dudley", WARD: "ward/amblecote"}[code]
    return (book / "html" / folder / "profile.html").read_text(encoding="utf-8")


def site_list(page: str, section: str) -> list[str]:
    """The sentences of the list under one heading of a site page, as a reader reads them."""
    found = re.search(rf'id="{section}">.*?<ul[^>]*>(.*?)</ul>', page, flags=re.S)
    assert found, section
    items = re.findall(r"<li>(.*?)</li>", found.group(1), flags=re.S)
    return [" ".join(html.unescape(re.sub(r"<[^>]+>", "", item)).split()) for item in items]


@pytest.mark.slow
@pytest.mark.parametrize("code, section", [(BOROUGH, "at-a-glance"), (WARD, "headline-findings")])
def test_pdf_reads_in_order_with_the_place_edition_warning_and_the_pages_headlines(book: Path, store: Store, code: str, section: str) -> None:
    pdf = brief_path(book, code, "pdf")
    said = pdf_text(pdf)
    pages = said.split("\f")[:-1]
    release = load_release(ROOT / "parameters" / "release.yml")
    edition = f"Release {release.release}, published {release.date.day} {release.date:%B %Y}"
    name = store.name(code)
    headlines = site_list(profile_page(book, store, code), section)
    assert len(headlines) >= 3
    flat = squeeze(said)
    warning = squeeze("Local events in this book are synthetic demonstration data on the real geography and population of Dudley")
    assert all(warning in squeeze(page) for page in pages), "the warning on every page"
    heading = {"at-a-glance": "At a glance", "headline-findings": "Headline findings"}[section]
    order = [name, edition, "What this brief compares", heading, *headlines, "Who lives here", "Every indicator", "Sources", "Open Government Licence"]
    where = [flat.find(squeeze(part)) for part in order]
    assert -1 not in where, [part for part, at in zip(order, where) if at == -1]
    assert where == sorted(where), "the text reads in the order of the page"
    assert 2 <= len(pages) <= 4


@pytest.mark.slow
@pytest.mark.parametrize("code", [BOROUGH, WARD])
def test_pdf_is_tagged_pdf_ua_with_title_language_headings_tables_and_alt_text(book: Path, store: Store, code: str) -> None:
    pdf = brief_path(book, code, "pdf")
    info = pdfinfo(pdf)
    assert re.search(r"^Tagged:\s+yes$", info, flags=re.M)
    assert re.search(r"^Title:\s+(.*)$", info, flags=re.M).group(1) == f"{store.name(code)}: brief, Dudley Joint Strategic Needs Assessment (demonstration)"
    reader = PdfReader(pdf)
    root = reader.trailer["/Root"]
    assert root["/Lang"] == "en-GB" and root["/MarkInfo"]["/Marked"] and root["/ViewerPreferences"]["/DisplayDocTitle"]
    assert re.search(r"<pdfuaid:part>1</pdfuaid:part>", root["/Metadata"].get_object().get_data().decode("utf-8"))
    tags = structure(pdf)
    kinds = [t["type"] for t in tags]
    chapters = views.profile_table(store, code).chapters
    assert kinds.count("/Table") == len(chapters) and kinds.count("/TH") >= len(chapters) * 7
    figures = [t for t in tags if t["type"] == "/Figure"]
    assert len(figures) == 1 and str(figures[0]["alt"]).startswith(f"Population pyramid of {store.name(code)} in ")
    headings = tagged_headings(pdf)
    assert headings[:2] == ["What this brief compares", "At a glance" if code == BOROUGH else "Headline findings"]
    assert [h for h in headings if h in ("Who lives here", "Every indicator", "Sources")] == ["Who lives here", "Every indicator", "Sources"]
    assert [h for h in headings if h in map(views.chapter_words, chapters)] == list(map(views.chapter_words, chapters))


@pytest.mark.slow
@pytest.mark.parametrize("code", [BOROUGH, WARD])
def test_word_file_has_headings_tables_with_header_rows_and_alt_text(book: Path, store: Store, code: str) -> None:
    document = docx.Document(str(brief_path(book, code, "docx")))
    assert document.core_properties.title == store.name(code) and document.core_properties.language == "en-GB"
    headings = [p.text for p in document.paragraphs if p.style.name.startswith("Heading 1")]
    assert headings[0] == "What this brief compares" and headings[-2:] == ["Every indicator", "Sources"]
    chapters = views.profile_table(store, code).chapters
    assert len(document.tables) == len(chapters)
    for table in document.tables:
        assert [c.text for c in table.rows[0].cells][:3] == ["Indicator", "Period", "Value"]
        assert table.rows[0]._tr.trPr is not None and table.rows[0]._tr.trPr.xpath("./w:tblHeader")  # repeated header row
    alt = [e.get("descr") for e in document.element.body.iter() if e.tag.endswith("}docPr")]
    assert len(alt) == 1 and alt[0].startswith(f"Population pyramid of {store.name(code)} in ")
    assert "Demonstration data." in document.sections[0].header.paragraphs[0].text


def expected_rows(store: Store, code: str) -> dict[str, list[str]]:
    """Each indicator's row as the store holds it (label -> period, value, parent's, England's),
    worked out from the store's rows and the catalogue, not from the brief's own helpers."""
    out = {}
    area_type = store.area_type(code)
    comparators = ["parent_value", "england_value"]
    for _, entry in store.catalogue.iterrows():
        if area_type not in entry["areas"]:
            continue
        for sex in entry["sex"]:
            rows = store.of(entry["indicator_id"])
            rows = rows.loc[(rows["area_code"] == code) & (rows["sex"] == sex) & (rows["years"] == window(store, entry, area_type))]
            rows = rows.sort_values("period_end")
            comparable = rows.loc[rows["england_value"].notna()]
            row = (comparable if len(comparable) else rows).iloc[-1] if len(rows) else None
            digits = decimals(entry["unit"])
            if row is None:
                out[label(entry["title"], sex)] = [MISSING] * 4
                continue
            hidden = str(row["note"]).startswith(SUPPRESSED)
            value = SUPPRESSED if hidden else text.number(row["value"], "", digits)
            out[label(entry["title"], sex)] = [str(row["period"]), value, *(text.number(row[c], "", digits) for c in comparators)]
    return out


@pytest.mark.slow
@pytest.mark.parametrize("code", [BOROUGH, WARD])
def test_a_briefs_numbers_equal_the_stores(book: Path, store: Store, code: str) -> None:
    expected = expected_rows(store, code)
    document = docx.Document(str(brief_path(book, code, "docx")))
    found = {}
    for table in document.tables:
        for row in table.rows[1:]:
            cells = [c.text for c in row.cells]
            found[cells[0]] = cells[1:5]
    assert found == expected
    # In the PDF, each row's first line holds the start of its indicator, its period and its value.
    lines = [squeeze(line) for line in pdf_text(brief_path(book, code, "pdf"), "-layout").splitlines()]
    for indicator, (period, value, *_) in expected.items():
        cells = squeeze(period + value)
        starts = [line.split(cells)[0] for line in lines if cells in line]
        assert any(len(start) >= 8 and squeeze(indicator).startswith(start) for start in starts), (indicator, period, value)


@pytest.mark.slow
def test_every_place_page_links_its_brief_and_the_zip_holds_them_all(book: Path, store: Store) -> None:
    for code in (BOROUGH, WARD):
        page = profile_page(book, store, code)
        for fmt in content.FORMATS:
            href = f"../../{content.BRIEF_DOWNLOADS}/{code}.{fmt}"
            assert f'href="{href}"' in page and "Download this place as" in page
    assert f'href="../../{content.BRIEF_DOWNLOADS}/{content.ALL_BRIEFS}"' in profile_page(book, store, BOROUGH)
    with zipfile.ZipFile(book / "html" / content.BRIEF_DOWNLOADS / content.ALL_BRIEFS) as archive:
        names = archive.namelist()
        assert names == ["index.csv", f"{BOROUGH}-dudley.pdf", f"{BOROUGH}-dudley.docx", f"{WARD}-amblecote-ward.pdf", f"{WARD}-amblecote-ward.docx"]
        assert archive.read(f"{WARD}-amblecote-ward.pdf") == brief_path(book, WARD, "pdf").read_bytes()
        assert archive.read("index.csv").decode().splitlines()[2] == f"{WARD},Amblecote ward,ward,{WARD}-amblecote-ward.pdf,{WARD}-amblecote-ward.docx"


@pytest.mark.slow
def test_an_unchanged_rebuild_renders_no_brief_and_a_stale_one_renders_the_same(book: Path) -> None:
    published = sorted((book / "html" / content.BRIEF_DOWNLOADS).iterdir())
    before = {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in published}
    command = [sys.executable, "-m", "jsna", "briefs", "--out", str(book), "--places", BOROUGH, WARD]
    result = subprocess.run(command, capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    assert "Briefs of 2 places, PDF and Word (0 rendered, 2 reused)" in result.stdout
    assert {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in published} == before
    (book / "briefs" / f"{WARD}.key").unlink()
    result = subprocess.run(command, capture_output=True, text=True, cwd=ROOT)
    assert "Briefs of 2 places, PDF and Word (1 rendered, 1 reused)" in result.stdout, result.stderr
    assert {p.name: p.read_bytes() for p in published} == {name: data for name, (data, _) in before.items()}
