"""The briefs: a printable brief of every place with pages, as a tagged PDF and a Word file made
from one Markdown source (:func:`jsna.pages.brief.brief`), published with the site under
``html/downloads/briefs/`` (``<code>.pdf``, ``<code>.docx`` and ``briefs-all.zip``).

* **Rendering.** Pandoc turns the source into Typst through the brief's template and filter
  (``chapters/brief/``), and Typst compiles it to a PDF/UA-1 file: tagged, with its title and
  language, headings as headings, tables with header cells, alternative text on every chart.
  Pandoc turns the same source into Word, through a reference document made for the book (its
  running header repeats the warning). Charts are drawn by vl-convert: SVG (vector) for the PDF,
  PNG for Word. When a ``quarto`` binary is on the PATH, its Pandoc and its Typst render instead
  (``quarto pandoc``, ``quarto typst``); nothing requires it.
* **Cached as notebooks are.** A brief is kept in ``<out>/briefs/`` with its key (the package,
  the templates, the tools, the book's words and the place) and what it read from the store
  (:class:`jsna.store.Reads`). A rebuild renders only the briefs whose key or reads changed: a
  change to one indicator renders only the briefs that show it; an unchanged rebuild none.
* **Beside the notebooks.** :class:`BriefStage` renders in a pool of threads of its own while
  the build executes the notebooks (in their worker processes and kernels), and
  :meth:`BriefStage.publish` waits for it after Sphinx. Threads, not processes: a brief spends
  about half its time in Pandoc (a process of its own), Typst and vl-convert, which run outside
  Python's lock, and the threads share one reading of the store; two threads per core keep the
  cores busy (``settings.workers`` cores).
"""

from __future__ import annotations

import csv
import datetime
import io
import json
import os
import re
import shutil
import subprocess
import tempfile
import time
import zipfile
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import asdict, dataclass
from pathlib import Path
from xml.sax.saxutils import escape as xml_escape

import pandas as pd

from jsna.book.plan import Plan
from jsna.book.publish import check_links
from jsna.book.source import BookWords
from jsna.config import Settings
from jsna.errors import BuildError
from jsna.files import code_digest, digest, write_if_changed
from jsna.inputs.places import Place
from jsna.inputs.provenance import load_provenance
from jsna.inputs.release import load_release
from jsna.pages import brief as content
from jsna.pages.charts import file_slug
from jsna.store import Store, StoreSlices, csv_cell, read_table

#: The brief's templates, under the project root: Pandoc's Typst template and its Lua filter.
TEMPLATE, FILTER = "chapters/brief/brief.typ", "chapters/brief/brief.lua"
#: What Typst's PDF conforms to: PDF/UA-1 (tagged; title, language, alternative text required).
PDF_STANDARDS = ("ua-1",)
#: Pandoc's Markdown, with quotes as typed (no "smart" quotes: names stay as the data write them).
READER = "markdown-smart"
#: Where a build keeps its briefs between builds (``<out>/briefs``).
CACHE = "briefs"


# --------------------------------------------------------------------------------------------
# The tools
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Tools:
    """The programs that render a brief: Pandoc (``pypandoc_binary``'s) and Typst (the ``typst``
    package), or Quarto's own of each when a ``quarto`` binary is on the PATH."""

    pandoc: tuple[str, ...]
    #: Typst's command line (Quarto's), or None for the ``typst`` package.
    typst: tuple[str, ...] | None
    #: The tools' versions, part of every brief's key.
    versions: str

    @classmethod
    def find(cls) -> Tools:
        quarto = shutil.which("quarto")
        if quarto:
            pandoc, typst_cli = (quarto, "pandoc"), (quarto, "typst")
            versions = f"quarto {_output([quarto, '--version'])}; {_output([*pandoc, '--version']).splitlines()[0]}"
            return cls(pandoc, typst_cli, versions)
        try:
            import pypandoc
            import typst  # noqa: F401

            pandoc = (pypandoc.get_pandoc_path(),)
        except (ImportError, OSError) as error:
            raise BuildError(f"the briefs need Pandoc and Typst ({error}): install requirements.txt (make book does)") from None
        from importlib.metadata import version

        return cls(pandoc, None, f"{_output([*pandoc, '--version']).splitlines()[0]}; typst {version('typst')}")


def _output(command: list[str]) -> str:
    """What a tool prints (its version); a tool that will not run stops the build, naming it."""
    try:
        return subprocess.run(command, capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError) as error:
        raise BuildError(f"{' '.join(command)} failed: {error}") from None


def pandoc(tools: Tools, folder: Path, *args: str, env: dict | None = None) -> subprocess.Popen:
    """Start Pandoc in ``folder`` on the brief's source (``brief.md``)."""
    return subprocess.Popen([*tools.pandoc, "brief.md", "-f", READER, *args], cwd=folder, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env={**os.environ, **(env or {})})  # fmt: skip


def finish(process: subprocess.Popen, what: str) -> None:
    """Wait for a tool; its failure is a :class:`BuildError` with what it printed."""
    _, err = process.communicate()
    if process.returncode != 0:
        raise BuildError(f"{what}: Pandoc failed: {err.decode('utf-8', 'replace').strip()[-2000:]}")


def midnight(day: datetime.date) -> datetime.datetime:
    """The start of the release's day (UTC): the date every file of a brief carries."""
    return datetime.datetime(day.year, day.month, day.day, tzinfo=datetime.timezone.utc)


def compile_pdf(tools: Tools, folder: Path, day: datetime.date) -> bytes:
    """Typst's PDF/UA-1 file of ``brief.typ`` in ``folder``, dated ``day`` (so that the same
    brief is the same file, byte for byte)."""
    moment = midnight(day)
    if tools.typst is None:
        import typst

        return typst.compile(str(folder / "brief.typ"), root=str(folder), pdf_standards=list(PDF_STANDARDS), timestamp=moment)
    command = [*tools.typst, "compile", "brief.typ", "brief.pdf", "--root", ".", *(f"--pdf-standard={s}" for s in PDF_STANDARDS),
               f"--creation-timestamp={int(moment.timestamp())}"]  # fmt: skip
    result = subprocess.run(command, cwd=folder, capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(result.stderr.strip()[-2000:])
    return (folder / "brief.pdf").read_bytes()


# --------------------------------------------------------------------------------------------
# Word: the reference document (styles, A4, the running header)
# --------------------------------------------------------------------------------------------
#: The paragraph styles the brief's boxes ask for (``custom-style``), with their look in Word:
#: (paragraph properties, run properties).
_BOX = '<w:{side} w:val="single" w:sz="4" w:space="4" w:color="9AA7B4"/>'
WORD_STYLES = {
    "Warning": ('<w:pBdr><w:left w:val="single" w:sz="24" w:space="6" w:color="B35900"/></w:pBdr><w:shd w:val="clear" w:color="auto" w:fill="FFF1CC"/>', ""),
    "How to read": ("<w:pBdr>" + "".join(_BOX.format(side=side) for side in ("top", "left", "bottom", "right")) + "</w:pBdr>"
                    '<w:shd w:val="clear" w:color="auto" w:fill="EEF3F8"/>', '<w:sz w:val="18"/>'),
    "Edition": ("", '<w:sz w:val="18"/>'),
    "Notes": ('<w:spacing w:before="60" w:after="60"/>', '<w:sz w:val="16"/>'),
}  # fmt: skip
HEADER_REL = "rIdJsnaHeader"
W = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'


def reference_docx(tools: Tools, words: content.BriefWords) -> bytes:
    """Pandoc's own reference document with the brief's styles, A4 pages and a running header
    saying the edition and, while the data are synthetic, the warning (on every page)."""
    default = subprocess.run([*tools.pandoc, "--print-default-data-file", "reference.docx"], capture_output=True)
    if default.returncode != 0:
        raise BuildError(f"Pandoc could not give its reference document: {default.stderr.decode('utf-8', 'replace')}")
    parts = {}
    with zipfile.ZipFile(io.BytesIO(default.stdout)) as archive:
        for name in archive.namelist():
            parts[name] = archive.read(name).decode("utf-8") if name.endswith((".xml", ".rels")) else archive.read(name)
    said = f"Demonstration data. {words.warning} " if words.warning else ""
    parts["word/header1.xml"] = (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<w:hdr {W}><w:p><w:pPr><w:pStyle w:val="Header"/></w:pPr>'
                                 f'<w:r><w:rPr><w:sz w:val="16"/></w:rPr><w:t xml:space="preserve">{xml_escape(said + words.edition)}</w:t></w:r></w:p></w:hdr>')  # fmt: skip
    parts["word/_rels/document.xml.rels"] = parts["word/_rels/document.xml.rels"].replace(
        "</Relationships>", f'<Relationship Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/header" Id="{HEADER_REL}" '
        'Target="header1.xml" /></Relationships>')  # fmt: skip
    parts["[Content_Types].xml"] = parts["[Content_Types].xml"].replace(
        "</Types>", '<Override PartName="/word/header1.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.header+xml" /></Types>')
    section = (f'<w:sectPr><w:headerReference xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships" w:type="default" r:id="{HEADER_REL}"/>'
               '<w:pgSz w:w="11906" w:h="16838"/><w:pgMar w:top="1247" w:right="1077" w:bottom="1134" w:left="1077" w:header="567" w:footer="567" w:gutter="0"/>')  # fmt: skip
    document, found = re.subn(r"<w:sectPr>", section, parts["word/document.xml"], count=1)
    if not found:
        raise BuildError("Pandoc's reference document has no section properties to give the brief's page and header")
    parts["word/document.xml"] = document
    styles = "".join(f'<w:style w:type="paragraph" w:customStyle="1" w:styleId="{name.replace(" ", "")}"><w:name w:val="{name}"/>'
                     f'<w:basedOn w:val="BodyText"/><w:qFormat/><w:pPr>{paragraph}</w:pPr><w:rPr>{run}</w:rPr></w:style>'
                     for name, (paragraph, run) in WORD_STYLES.items())  # fmt: skip
    parts["word/styles.xml"] = parts["word/styles.xml"].replace("</w:styles>", styles + "</w:styles>")
    return zip_bytes([(name, data.encode("utf-8") if isinstance(data, str) else data) for name, data in parts.items()])


def zip_bytes(files: list[tuple[str, bytes]], when: tuple = (1980, 1, 1, 0, 0, 0)) -> bytes:
    """A zip of ``files`` in that order, every entry dated ``when``: the same files always give
    the same bytes."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files:
            info = zipfile.ZipInfo(name, date_time=when)
            info.compress_type, info.external_attr = zipfile.ZIP_DEFLATED, 0o644 << 16
            archive.writestr(info, data)
    return out.getvalue()


# --------------------------------------------------------------------------------------------
# One brief, in a thread of the stage's pool
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class BriefJob:
    """One place's brief to render into the cache folder, and its key."""

    code: str
    place_name: str
    key: str
    cache: Path
    root: Path
    words: content.BriefWords
    tools: Tools


#: Threads per core rendering briefs (see the module's docstring).
THREADS_PER_CORE = 2


def render_brief(job: BriefJob, store: Store, slices: StoreSlices) -> str:
    """Render one brief: its source and charts, then the PDF and the Word file (the two Pandoc
    runs side by side), each written into the cache atomically and the key last (with what the
    brief read from the store, as a page records it), so a brief left half-made is rendered
    again and one whose reads did not change is reused. Returns the place's code."""
    import vl_convert

    cache, root = job.cache, job.root
    where = f"brief for {job.place_name} ({job.code})"
    store = store.view()
    try:
        made = content.brief(store, job.code, job.words)
    except Exception as error:  # a view that cannot be drawn for this place: name the place
        raise BuildError(f"{where}: {type(error).__name__}: {error}") from None
    with tempfile.TemporaryDirectory(dir=cache, prefix=f".{job.code}-") as tmp:
        folder = Path(tmp)
        (folder / "brief.md").write_text(made.markdown, encoding="utf-8")
        for chart in made.charts:
            (folder / f"{chart.name}.svg").write_text(vl_convert.vegalite_to_svg(chart.spec), encoding="utf-8")
            (folder / f"{chart.name}.png").write_bytes(vl_convert.vegalite_to_png(chart.spec, scale=2))
        to_typst = pandoc(job.tools, folder, "-t", "typst", f"--template={root / TEMPLATE}", f"--lua-filter={root / FILTER}",
                          "--default-image-extension=svg", "--wrap=none", "-o", "brief.typ")  # fmt: skip
        to_word = pandoc(job.tools, folder, "-t", "docx", f"--reference-doc={cache / 'reference.docx'}", f"--lua-filter={root / FILTER}",
                         "--default-image-extension=png", "-o", "brief.docx", env={"SOURCE_DATE_EPOCH": str(int(midnight(job.words.date).timestamp()))})  # fmt: skip
        try:
            finish(to_typst, where)
            try:
                pdf = compile_pdf(job.tools, folder, job.words.date)
            except Exception as error:  # Typst's own error (typst.TypstError, or Quarto's Typst)
                raise BuildError(f"{where}: Typst failed: {error}") from None
            finish(to_word, where)
        finally:
            for process in (to_typst, to_word):
                if process.poll() is None:
                    process.kill()
                    process.wait()
        write_if_changed(cache / f"{job.code}.md", made.markdown)
        write_if_changed(cache / content.brief_file(job.code, "pdf"), pdf)
        write_if_changed(cache / content.brief_file(job.code, "docx"), (folder / "brief.docx").read_bytes())
    reads = [list(read) for read in sorted(store.reads.items)]
    write_if_changed(cache / f"{job.code}.key", json.dumps({"key": job.key, "reads": reads, "reads_key": slices.reads_digest(reads)}))
    return job.code


def up_to_date(job: BriefJob, slices: StoreSlices) -> bool:
    """Whether the cached brief was rendered from this key and read what the store now holds."""
    try:
        recorded = json.loads(_read(job.cache / f"{job.code}.key") or "")
    except ValueError:
        return False
    if not isinstance(recorded, dict) or recorded.get("key") != job.key or "reads" not in recorded:
        return False
    return recorded.get("reads_key") == slices.reads_digest(recorded["reads"])


# --------------------------------------------------------------------------------------------
# The stage
# --------------------------------------------------------------------------------------------
def brief_words(settings: Settings, plan: Plan, tables: dict[str, pd.DataFrame]) -> content.BriefWords:
    """What every brief says about the book, from the words its pages use (:class:`BookWords`)."""
    release = load_release(settings.release)
    words = BookWords.of(plan, tables, release, load_provenance(settings.data))
    sources = (*words.source_summary(), "Where each table comes from, and how: the book's page “About the data”.")
    return content.BriefWords(release.title, words.edition(), release.data_vintage, words.warning(), sources, release.date)


def template_digest(root: Path) -> str:
    return digest(*((root / name).read_bytes() for name in (TEMPLATE, FILTER)))


class BriefStage:
    """The briefs of every place with pages: started on construction (in a pool of threads of
    their own, while the caller goes on), published by :meth:`publish`. Use it as a context
    manager, so that a failure elsewhere stops the pool (briefs not yet started are cancelled)."""

    def __init__(self, settings: Settings, plan: Plan, tables: dict[str, pd.DataFrame]):
        self.started = time.perf_counter()
        self.settings, self.places = settings, plan.places_with_pages()
        unsafe = [place.code for place in self.places if not content.SAFE_CODE.fullmatch(place.code)]
        if unsafe:
            raise BuildError(f"place code(s) {unsafe} cannot name a brief's file: a code is letters, digits, '.', '_' and '-'")
        self.cache = settings.out / CACHE
        self.cache.mkdir(parents=True, exist_ok=True)
        tools = Tools.find()
        words = brief_words(settings, plan, tables)
        write_if_changed(self.cache / "reference.docx", reference_docx(tools, words))
        base = digest(code_digest(), template_digest(settings.root), tools.versions, json.dumps(asdict(words), default=str, sort_keys=True))
        jobs = [BriefJob(place.code, place.title, digest(base, place.code), self.cache, settings.root, words, tools) for place in self.places]
        slices = StoreSlices(settings.store)
        self.todo = [job for job in jobs if not up_to_date(job, slices)]
        self.pool: ThreadPoolExecutor | None = None
        self.futures: list[Future] = []
        if self.todo:
            store = Store(settings.store)
            self.pool = ThreadPoolExecutor(max_workers=min(THREADS_PER_CORE * max(1, settings.workers), len(self.todo)), thread_name_prefix="brief")
            self.futures = [self.pool.submit(render_brief, job, store, slices) for job in self.todo]

    def __enter__(self) -> BriefStage:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        """Stop the pool: briefs not yet started are cancelled, those rendering finish."""
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)
            self.pool = None

    def wait(self) -> None:
        """Wait for every brief; the first that fails stops the others and the build."""
        pending = set(self.futures)
        while pending:
            done, pending = wait(pending, return_when=FIRST_COMPLETED)
            for future in done:
                error = future.exception()
                if error is not None:
                    for other in pending:
                        other.cancel()
                    raise error
        self.close()

    def publish(self) -> dict:
        """Wait for the briefs, then publish every place's under ``html/downloads/briefs/`` with
        the zip of all of them, remove those of places no longer in the book, and check every
        page's link to a brief. Returns figures for the build's log."""
        self.wait()
        folder = self.settings.html / content.BRIEF_DOWNLOADS
        wanted = {content.ALL_BRIEFS}
        for place in self.places:
            for fmt in content.FORMATS:
                name = content.brief_file(place.code, fmt)
                write_if_changed(folder / name, (self.cache / name).read_bytes())
                wanted.add(name)
        write_if_changed(folder / content.ALL_BRIEFS, all_briefs(self.cache, self.places, load_release(self.settings.release).date))
        for path in sorted(folder.iterdir()):
            if path.name not in wanted:
                path.unlink()
        keep = {f"{place.code}{suffix}" for place in self.places for suffix in (".md", ".key", ".pdf", ".docx")} | {"reference.docx"}
        for path in sorted(self.cache.iterdir()):
            if path.is_dir():  # a rendering's scratch folder left by an interrupted build
                shutil.rmtree(path, ignore_errors=True)
            elif path.name not in keep:
                path.unlink()
        links = check_brief_links(self.settings.html)
        n, rendered = len(self.places), len(self.todo)
        return {"briefs": n, "rendered": rendered, "reused": n - rendered, "links": links, "seconds": round(time.perf_counter() - self.started, 2),
                "summary": f"{n} place{'s' if n != 1 else ''}, PDF and Word ({rendered} rendered, {n - rendered} reused)"}  # fmt: skip


def _read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except OSError:
        return None


def all_briefs(cache: Path, places: list[Place], day: datetime.date) -> bytes:
    """Every brief in one zip, named by code and place ("E08000027-dudley.pdf"), with an index
    (``index.csv``: code, place, kind of place and the two files), dated the release's day."""
    rows, files = [], []
    for place in places:
        stem = f"{place.code}-{file_slug(place.title).lower()}"
        names = {fmt: f"{stem}.{fmt}" for fmt in content.FORMATS}
        rows.append([place.code, place.title, place.type, names["pdf"], names["docx"]])
        files += [(names[fmt], (cache / content.brief_file(place.code, fmt)).read_bytes()) for fmt in content.FORMATS]
    index = io.StringIO()
    writer = csv.writer(index, lineterminator="\n")
    writer.writerow(["area_code", "place", "area_type", "pdf", "word"])
    writer.writerows([[csv_cell(cell) for cell in row] for row in rows])
    return zip_bytes([("index.csv", index.getvalue().encode("utf-8")), *files], when=(day.year, day.month, day.day, 0, 0, 0))


#: A link to a brief in a page's HTML.
BRIEF_LINK = re.compile(r'href="([^"]*' + re.escape(content.BRIEF_DOWNLOADS) + r'/[^"]+)"')


def check_brief_links(html: Path) -> int:
    """Every link to a brief on every page of the site leads to its file (relative to the page);
    returns how many links there are."""
    return check_links(html, BRIEF_LINK, ": build the briefs (make briefs)")


def build_briefs(settings: Settings, plan: Plan) -> dict:
    """``python -m jsna briefs``: the briefs alone, from the store of the build in ``settings.out``."""
    if not (settings.store / "manifest.json").is_file():
        raise BuildError(f"no store in {settings.store}: build the book first (make book, or python -m jsna build --out {settings.out})")
    tables = {name: read_table(settings.store, name) for name in ("geography", "indicators")}
    with BriefStage(settings, plan, tables) as stage:
        return stage.publish()
