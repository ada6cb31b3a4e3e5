"""Editions: ``python -m jsna release`` builds the book and publishes it, immutably, as one
edition of a site folder.

A site folder ``DIR`` holds:

* ``DIR/<version>/``: an edition, complete and self-contained: its pages and downloads as the
  build made them (less ``_sources/``, the executed notebooks the site never links to, which
  carry execution timestamps), ``store/`` (the snapshot the next edition is compared with),
  ``changes.html`` ("What changed", against the edition before it), ``downloads/changes.csv``
  and ``downloads/changes.json`` (the same, machine-readable), and ``manifest.json``: version,
  date, data vintage, the build's inputs digest, a hash of every input file and store table,
  the source commit and package versions, and the sha256 of every file of the edition;
* ``DIR/latest/``: a copy of the newest edition (hard links where the file system has them), so
  that it works from any static web server and from the file system;
* ``DIR/index.html`` (every edition, plain HTML) and ``DIR/editions.json`` (the same list, with
  each edition's pages, read by the switcher), and ``DIR/editions.js``, the same list as a
  script for pages opened from the file system, where browsers block ``fetch``.

Every page of an edition gets, at publish time, an edition bar with plain links (what changed,
all editions) and ``_static/jsna-editions.js``, which reads the list of editions when the page
is viewed and adds the switcher and, on an older edition, a banner linking to the same page in
the newest one. A published edition is never rewritten.

Publishing is atomic. The build runs in a work folder outside ``DIR``; the edition, the new
``latest/`` and the new lists are assembled in a staging folder beside ``DIR`` and renamed into
place, the edition first and the lists last, and undone if any step fails. Publishing a version
that is already published is refused unless the new build is byte for byte the published one
(the manifests' file hashes), and the command says which.
"""

from __future__ import annotations

import contextlib
import datetime
import fcntl
import hashlib
import json
import os
import re
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field, replace
from importlib import metadata
from pathlib import Path

from jsna.book.build import build, inputs_key, load_parameters, plan_for
from jsna.book.changes import KINDS, Changes, compare_stores
from jsna.config import ROOT, Settings
from jsna.errors import BuildError
from jsna.files import digest
from jsna.inputs.encoding import read_text
from jsna.inputs.release import load_release
from jsna.pages.escape import html_attr, html_text

#: A version is a folder name and part of every address: letters, digits, ".", "_" and "-",
#: starting and ending with a letter or digit, at most 64 characters.
SAFE_VERSION = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9._-]{0,62}[A-Za-z0-9])?")
#: Names of the site folder's own files and folders (compared without case).
RESERVED = ("latest", "index.html", "editions.json", "editions.js")
#: What the build makes that an edition leaves out (the executed notebooks' sources: unused by
#: the site, and stamped with execution times, so no two builds would be identical).
LEFT_OUT = ("_sources",)
#: The edition bar's script and style, written into every edition's ``_static/`` at publish time.
#: They live outside ``chapters/_static`` because Jupyter Book lists every script and style sheet
#: there in the head of every page of every build, and a build that is not an edition needs neither.
STATIC_FOLDER = ROOT / "chapters" / "editions"
STATIC = ("jsna-editions.js", "jsna-editions.css")
#: The optional release notes, in the parameters folder (Markdown).
NOTES = "release_notes.md"
MANIFEST = "manifest.json"
#: Package versions the manifest records.
PACKAGES = ("jsna", "jupyter-book", "sphinx", "sphinx-book-theme", "myst-nb", "papermill", "jupytext", "pandas", "numpy", "pyarrow",
            "scipy", "altair", "vl-convert-python")  # fmt: skip
#: Rows of one indicator's changes the "What changed" page lists (the CSV has them all).
SHOWN = 40


class ReleaseError(BuildError):
    """Publishing was refused or failed; the site folder is as it was."""


def check_version(version: str) -> str:
    """``version`` if it is safe as a folder name and an address, else :class:`ReleaseError`."""
    if not isinstance(version, str) or not SAFE_VERSION.fullmatch(version) or ".." in version:
        raise ReleaseError(
            f"version {version!r} cannot name an edition: use letters, digits, '.', '_' and '-' only, starting and ending "
            "with a letter or digit, at most 64 characters (like 2026.1 or 2026-03-demo)"
        )
    if version.casefold() in RESERVED:
        raise ReleaseError(f"version {version!r} is a name the site folder uses itself ({', '.join(RESERVED)}): choose another")
    return version


# --------------------------------------------------------------------------------------------
# What an edition is
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Edition:
    """Everything about an edition that is not its built files: the manifest's record."""

    version: str
    title: str
    date: datetime.date
    data_vintage: str
    synthetic: bool
    #: The release notes (Markdown), or None.
    notes: str | None = None
    inputs_digest: str = ""
    #: sha256 of every input file, by a path relative to its folder ("data/births.csv").
    inputs: dict[str, str] = field(default_factory=dict)
    commit: str | None = None
    source_modified: bool | None = None
    packages: dict[str, str] = field(default_factory=dict)
    #: Each place with pages: its code -> its folder in the site ("ward/amblecote").
    place_folders: dict[str, str] = field(default_factory=dict)

    @property
    def date_text(self) -> str:
        return _day(self.date)


def edition_of(settings: Settings, version: str | None = None) -> Edition:
    """The edition the settings would publish: release.yml's words, the notes, the inputs'
    hashes, the source commit and the package versions.

    The version is release.yml's ``release`` (every page shows it); a different ``version`` is
    refused, so that an edition's pages always name the edition they are in.
    """
    release = load_release(settings.release)
    version = check_version(release.release if version is None else version)
    if version != release.release:
        raise ReleaseError(
            f"version {version!r} is not the release {release.release!r} that {settings.release} gives, and every page shows: "
            f"set release: \"{version}\" there (or leave the version out to publish {release.release!r})"
        )
    check_version(release.release)
    notes_file = settings.parameters / NOTES
    notes = read_text(notes_file) if notes_file.exists() else None
    parameters = load_parameters(settings)
    folders = {p.code: p.folder for p in plan_for(settings, parameters).places_with_pages()}
    commit, modified = _commit_of(settings.root)
    return Edition(
        version, release.title, release.date, release.data_vintage, release.synthetic, notes.strip() if notes and notes.strip() else None,
        inputs_key(settings), _input_hashes(settings), commit, modified, _packages(), folders,
    )  # fmt: skip


def _input_hashes(settings: Settings) -> dict[str, str]:
    out = {}
    for label, folder in (("data", settings.data), ("reference", settings.reference), ("kpis", settings.kpis), ("fingertips", settings.fingertips),
                          ("parameters", settings.parameters)):  # fmt: skip
        if folder.is_dir():
            out.update({f"{label}/{p.relative_to(folder).as_posix()}": _sha256(p) for p in sorted(folder.rglob("*")) if p.is_file()})
    out[f"catalogue/{settings.catalogue.name}"] = _sha256(settings.catalogue)
    return out


def _commit_of(root: Path) -> tuple[str | None, bool | None]:
    """The source's git commit, and whether tracked files differ from it (None: not a repository)."""
    try:
        head = subprocess.run(["git", "-C", str(root), "rev-parse", "HEAD"], check=False, capture_output=True, text=True, timeout=20)
        if head.returncode != 0:
            return None, None
        status = subprocess.run(["git", "-C", str(root), "status", "--porcelain", "--untracked-files=no"], check=False, capture_output=True, text=True, timeout=60)
        return head.stdout.strip(), bool(status.stdout.strip()) if status.returncode == 0 else None
    except (OSError, subprocess.SubprocessError):
        return None, None


def _packages() -> dict[str, str]:
    found = {}
    for name in PACKAGES:
        with contextlib.suppress(metadata.PackageNotFoundError):
            found[name] = metadata.version(name)
    return found


# --------------------------------------------------------------------------------------------
# Releasing: build, then publish
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Published:
    """What publishing did."""

    version: str
    site: Path
    #: "published" (a new edition) or "identical" (already published, byte for byte: nothing changed).
    status: str
    files: int
    size: int
    previous: str | None
    summary: str
    editions: int
    build: dict = field(default_factory=dict)
    seconds: float = 0.0

    def message(self) -> str:
        where = self.site / self.version
        if self.status == "identical":
            return (f"Edition {self.version} is already published in {where}, and this build is identical to it "
                    f"({self.files} files): nothing changed.")  # fmt: skip
        against = f"Against edition {self.previous}: {self.summary}." if self.previous else "This is the site's first edition."
        return (f"Published edition {self.version} in {where} ({self.files} files, {self.size / 1e6:.1f} MB; {self.seconds:.1f} s to publish); "
                f"{self.site / 'latest'} is now this edition and {self.site / 'index.html'} lists {self.editions} "
                f"edition{'s' if self.editions != 1 else ''}. {against}")  # fmt: skip


def release(settings: Settings, site: Path, version: str | None = None, work: Path | None = None) -> Published:
    """Build the book (in ``work``, or a temporary folder) and publish it as an edition of ``site``.

    Nothing in ``site`` changes unless every step succeeds. The build's "last updated" dates are
    the release's date (``SOURCE_DATE_EPOCH``), so that a rebuild on another day is identical.
    """
    edition = edition_of(settings, version)
    site = site.resolve()
    read_site(site)  # a folder that is not a site is refused before the build
    temporary = work is None
    work = Path(tempfile.mkdtemp(prefix="jsna-release-")) if work is None else work.resolve()
    if work == site or site in work.parents or work in site.parents:
        raise ReleaseError(f"the work folder {work} must be outside the site folder {site}")
    try:
        with _source_date(edition.date):
            figures = build(replace(settings, out=work))
        return publish(work, site, edition, figures=figures)
    finally:
        if temporary:
            shutil.rmtree(work, ignore_errors=True)


@contextlib.contextmanager
def _source_date(day: datetime.date):
    """Sphinx's dates (the "last updated" line) are ``day``, not the day of the build."""
    before = os.environ.get("SOURCE_DATE_EPOCH")
    os.environ["SOURCE_DATE_EPOCH"] = str(int(datetime.datetime(day.year, day.month, day.day, tzinfo=datetime.UTC).timestamp()))
    try:
        yield
    finally:
        if before is None:
            os.environ.pop("SOURCE_DATE_EPOCH", None)
        else:
            os.environ["SOURCE_DATE_EPOCH"] = before


def read_site(site: Path) -> list[dict]:
    """The editions a site folder lists, newest first ([] for a folder that does not exist or is
    empty); a folder with other things in it and no ``editions.json`` is refused."""
    if not site.exists():
        return []
    if not site.is_dir():
        raise ReleaseError(f"{site} is a file, not a site folder")
    listing = site / "editions.json"
    if not listing.exists():
        if any(site.iterdir()):
            raise ReleaseError(f"{site} is not empty and has no editions.json, so it is not a site of editions: choose a new or empty folder")
        return []
    try:
        data = json.loads(listing.read_text(encoding="utf-8"))
        editions = data["editions"]
        if not all(isinstance(e, dict) and isinstance(e.get("version"), str) for e in editions):
            raise ValueError("an edition without a version")
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise ReleaseError(f"{listing} cannot be read ({error}); it lists the editions and must not be edited by hand") from None
    return editions


def publish(built: Path, site: Path, edition: Edition, *, figures: dict | None = None) -> Published:
    """Publish the build in ``built`` (its ``html/`` and ``store/``) as ``edition`` of ``site``."""
    started = time.perf_counter()
    check_version(edition.version)
    site = site.resolve()
    for needed in ("html/index.html", "store/manifest.json"):
        if not (built / needed).exists():
            raise ReleaseError(f"{built} holds no complete build ({needed} is missing)")
    site.parent.mkdir(parents=True, exist_ok=True)
    with _locked(site.parent):
        editions = read_site(site)
        listed = [e["version"] for e in editions]
        target = site / edition.version
        published = None
        if target.exists():
            if edition.version not in listed:
                raise ReleaseError(f"{target} exists but {site / 'editions.json'} does not list it: move it out of the site folder first")
            published = _manifest(target)
        elif edition.version in listed:
            raise ReleaseError(f"{site / 'editions.json'} lists edition {edition.version} but {target} is missing: restore it (published editions are never rebuilt in place)")
        previous = published.get("previous") if published else (listed[0] if listed else None)
        stage = Path(tempfile.mkdtemp(prefix=f".{site.name}.staging-", dir=site.parent))
        try:
            folder = stage / edition.version
            changes = assemble(built, folder, edition, site / previous if previous else None, previous_entry=_entry(editions, previous))
            manifest = _manifest(folder)
            size = sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())
            summary = _summary_line(changes, previous)
            if published is not None:
                return _republished(edition, site, published, manifest, previous, summary, figures, started)
            entry = _listing_entry(edition, folder, previous, summary)
            new_editions = [entry, *editions]
            _write_listing(stage, new_editions)
            _link_tree(folder, stage / "latest")
            _commit(stage, site, edition.version)
        finally:
            shutil.rmtree(stage, ignore_errors=True)
    return Published(edition.version, site, "published", len(manifest["files"]) + 1, size, previous, summary, len(new_editions),
                     figures or {}, round(time.perf_counter() - started, 2))  # fmt: skip


def _republished(edition: Edition, site: Path, published: dict, manifest: dict, previous, summary, figures, started) -> Published:
    """The same version again: accepted, changing nothing, only if every file is the same."""
    old, new = published.get("files", {}), manifest["files"]
    if old == new:
        return Published(edition.version, site, "identical", len(new) + 1, 0, previous, summary, len(read_site(site)), figures or {},
                         round(time.perf_counter() - started, 2))  # fmt: skip
    differ = sorted(p for p in set(old) & set(new) if old[p] != new[p])
    added, removed = sorted(set(new) - set(old)), sorted(set(old) - set(new))
    parts = [f"{len(differ)} file{'s' if len(differ) != 1 else ''} differ" + (f" (e.g. {', '.join(differ[:3])})" if differ else "")]
    if added:
        parts.append(f"{len(added)} only in the new build (e.g. {', '.join(added[:3])})")
    if removed:
        parts.append(f"{len(removed)} only in the published edition (e.g. {', '.join(removed[:3])})")
    raise ReleaseError(
        f"edition {edition.version} is already published in {site / edition.version} and this build is not identical to it: "
        f"{'; '.join(parts)}. A published edition is never changed: publish this build as a new version."
    )


@contextlib.contextmanager
def _locked(folder: Path):
    """One publisher at a time in ``folder`` (an advisory lock on the folder itself)."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)


def _manifest(folder: Path) -> dict:
    try:
        return json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise ReleaseError(f"{folder / MANIFEST} cannot be read ({error}): {folder} is not a published edition") from None


def _entry(editions: list[dict], version: str | None) -> dict | None:
    return next((e for e in editions if e["version"] == version), None) if version else None


# --------------------------------------------------------------------------------------------
# Assembling an edition
# --------------------------------------------------------------------------------------------
def assemble(built: Path, folder: Path, edition: Edition, previous: Path | None, previous_entry: dict | None = None) -> Changes | None:
    """Write the edition into ``folder``: the built site, the store snapshot, the changes against
    the edition in ``previous`` (None: the first), the edition bar on every page, the manifest."""
    html = built / "html"

    def ignore(directory: str, names: list[str]) -> list[str]:
        return [n for n in names if Path(directory) == html and n in LEFT_OUT]

    shutil.copytree(html, folder, ignore=ignore)
    shutil.copytree(built / "store", folder / "store")
    # The snapshot is its tables and their declarations: what they were computed from (the inputs
    # key, which includes the package's code) is recorded in the edition's manifest instead, so
    # that a rebuild making the same tables from other code is still the same edition.
    snapshot = folder / "store" / "manifest.json"
    described = json.loads(snapshot.read_text(encoding="utf-8"))
    described.pop("inputs_key", None)
    snapshot.write_text(json.dumps(described, indent=1) + "\n", encoding="utf-8")
    for name in STATIC:
        (folder / "_static").mkdir(exist_ok=True)
        shutil.copyfile(STATIC_FOLDER / name, folder / "_static" / name)
    changes = None
    if previous is not None:
        if not (previous / "store" / "manifest.json").exists():
            raise ReleaseError(f"the previous edition {previous} has no store snapshot to compare with")
        changes = compare_stores(previous / "store", folder / "store")
    pages = _pages(folder)
    (folder / "downloads").mkdir(exist_ok=True)
    (folder / "downloads" / "changes.csv").write_text(changes.to_csv() if changes else _empty_csv(), encoding="utf-8")
    (folder / "downloads" / "changes.json").write_text(_changes_json(edition, previous_entry, changes), encoding="utf-8")
    (folder / "changes.html").write_text(changes_page(edition, previous_entry, changes, pages | {"changes.html"}), encoding="utf-8")
    for page in sorted(pages):
        path = folder / page
        path.write_text(with_edition_bar(path.read_text(encoding="utf-8"), edition, page), encoding="utf-8")
    (folder / "CITATION.cff").write_text(citation(edition), encoding="utf-8")
    files = {p.relative_to(folder).as_posix(): _sha256(p) for p in sorted(folder.rglob("*")) if p.is_file()}
    manifest = {
        "format": 1, "version": edition.version, "title": edition.title, "date": edition.date.isoformat(),
        "data_vintage": edition.data_vintage, "synthetic": edition.synthetic,
        "previous": previous.name if previous is not None else None,
        "inputs_digest": edition.inputs_digest, "store_digest": _store_digest(folder / "store"),
        "tables": {p.stem: _sha256(p) for p in sorted((folder / "store").glob("*.parquet"))},
        "inputs": edition.inputs, "commit": edition.commit, "source_modified": edition.source_modified, "packages": edition.packages,
        "files": files,
    }  # fmt: skip
    (folder / MANIFEST).write_text(json.dumps(manifest, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return changes


def citation(edition: Edition) -> str:
    """The edition's ``CITATION.cff`` (Citation File Format 1.2): how to cite this edition."""
    def quoted(value: str) -> str:
        return json.dumps(str(value), ensure_ascii=False)

    return "\n".join([
        "cff-version: 1.2.0",
        f"message: {quoted('If you use figures from this edition, cite it as below.')}",
        "type: dataset",
        f"title: {quoted(edition.title)}",
        f"version: {quoted(edition.version)}",
        f"date-released: {edition.date.isoformat()}",
        "authors:",
        f"  - name: {quoted('Public Health')}",
        f"abstract: {quoted('Data: ' + edition.data_vintage)}",
        *([f"commit: {quoted(edition.commit)}"] if edition.commit else []),
        "license: OGL-UK-3.0",
        "",
    ])


def _pages(folder: Path) -> set[str]:
    """The edition's pages: every HTML file outside ``_static`` and the store."""
    return {p.relative_to(folder).as_posix() for p in folder.rglob("*.html") if p.relative_to(folder).parts[0] not in ("_static", "store")}


def _store_digest(folder: Path) -> str:
    return digest(*(f"{p.name}:{digest(p.read_bytes())}" for p in sorted(folder.glob("*.parquet"))))


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _empty_csv() -> str:
    from jsna.book.changes import DETAIL_COLUMNS

    return ",".join(DETAIL_COLUMNS) + "\n"


def _changes_json(edition: Edition, previous: dict | None, changes: Changes | None) -> str:
    body = {"edition": edition.version, "previous": previous["version"] if previous else None, "notes": edition.notes}
    body.update(changes.to_dict() if changes else {"counts": {k: 0 for k in KINDS}, "summary": ["This is the first edition: there is nothing to compare it with."],
                                                   "indicators": [], "tables": [], "changes": []})  # fmt: skip
    return json.dumps(body, indent=1, ensure_ascii=False) + "\n"


def _summary_line(changes: Changes | None, previous: str | None) -> str:
    return "first edition" if changes is None or previous is None else changes.one_line()


# --------------------------------------------------------------------------------------------
# The edition bar, the "What changed" page and the site's index
# --------------------------------------------------------------------------------------------
def edition_bar(edition: Edition, page: str, *, script: bool = True) -> str:
    """The bar every page of the edition carries: which edition, what changed, all editions (plain
    links), and (unless the page loads it already) the script that adds the switcher and the
    newer-edition banner."""
    root = "../" * page.count("/")
    bar = (
        f'<nav id="jsna-editions" class="jsna-editions" aria-label="Editions" data-edition="{html_attr(edition.version)}" '
        f'data-root="{html_attr(root)}" data-page="{html_attr(page)}">'
        f"<p>Edition <strong>{html_text(edition.version)}</strong>, published {html_text(edition.date_text)}: "
        f'<a href="{html_attr(root)}changes.html">what changed in this edition</a>; <a href="{html_attr(root)}../index.html">all editions</a>.</p>'
        f"</nav>\n"
    )
    return bar + (f'<script defer src="{html_attr(root)}_static/jsna-editions.js"></script>\n' if script else "")


_ANNOUNCEMENT = re.compile(r'<aside class="bd-header-announcement"[^>]*>.*?</aside>\s*', re.DOTALL)
_SKIP_LINK = re.compile(r'<div id="pst-skip-link"[^>]*>.*?</div>\s*', re.DOTALL)
_BODY = re.compile(r"<body[^>]*>\s*")


def with_edition_bar(text: str, edition: Edition, page: str) -> str:
    """A built page with the edition bar after the theme's announcement (or the skip link, or
    the start of the body), and the bar's script and style unless the page loads them already
    (as it would if they were put in ``chapters/_static``, whose every script and style sheet
    Jupyter Book lists in every page's head); a page without a head and a body, or with a bar
    already, is returned as it is."""
    if 'id="jsna-editions"' in text or "</head>" not in text:
        return text
    root = "../" * page.count("/")
    script = "_static/jsna-editions.js" not in text
    for pattern in (_ANNOUNCEMENT, _SKIP_LINK, _BODY):
        found = pattern.search(text)
        if found:
            text = text[: found.end()] + edition_bar(edition, page, script=script) + text[found.end() :]
            break
    else:
        return text
    if "_static/jsna-editions.css" in text:
        return text
    style = f'<link rel="stylesheet" href="{html_attr(root)}_static/jsna-editions.css" />\n'
    return text.replace("</head>", style + "</head>", 1)


PAGE_STYLE = """
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif; line-height: 1.5; margin: 0; color: #1a1a1a; }
main, .jsna-site-header { max-width: 70rem; margin: 0 auto; padding: 0 1rem; }
a { color: #0b4f8a; }
.skip { position: absolute; left: -999rem; }
.skip:focus { left: 1rem; top: 1rem; background: #fff; padding: 0.3rem; z-index: 2; }
table { border-collapse: collapse; margin: 0.5rem 0 1.2rem; }
caption { text-align: left; font-weight: 600; padding: 0.3rem 0; }
th, td { border: 1px solid #b5b5b5; padding: 0.25rem 0.5rem; text-align: left; vertical-align: top; }
thead th { background: #eef1f4; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
.jsna-scroll { overflow-x: auto; }
footer { max-width: 70rem; margin: 2rem auto; padding: 0 1rem; font-size: 0.9rem; color: #444; }
"""


def _document(title: str, head: str, body: str) -> str:
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8" />\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1" />\n'
        f"<title>{html_text(title)}</title>\n{head}<style>{PAGE_STYLE}</style>\n</head>\n<body>\n"
        '<a class="skip" href="#main">Skip to main content</a>\n'
        f"{body}</body>\n</html>\n"
    )


def _notes_html(notes: str) -> str:
    """Release notes (Markdown, raw HTML not allowed) as HTML, headings below the page's own."""
    from markdown_it import MarkdownIt

    md = MarkdownIt("commonmark", {"html": False})
    tokens = md.parse(notes)
    for token in tokens:
        if token.type in ("heading_open", "heading_close"):
            token.tag = f"h{min(6, int(token.tag[1]) + 2)}"
    return md.renderer.render(tokens, md.options, {})


def changes_page(edition: Edition, previous: dict | None, changes: Changes | None, pages: set[str]) -> str:
    """The edition's "What changed" page (``changes.html``), standalone and accessible."""
    page = "changes.html"
    parts = [f'<header class="jsna-site-header-bar">{edition_bar(edition, page)}</header>\n<main id="main">\n',
             f"<h1>What changed in edition {html_text(edition.version)}</h1>\n",
             (f"<p>{html_text(edition.title)}. Edition {html_text(edition.version)}, published {html_text(edition.date_text)}. "
              f"Data: {html_text(edition.data_vintage)}</p>\n")]  # fmt: skip
    if previous is None:
        parts.append("<p>This is the first edition: there is nothing to compare it with.</p>\n")
    else:
        parts.append(f'<p>Compared with <a href="../{html_attr(previous["path"])}index.html">edition {html_text(previous["version"])}</a>, '
                     f"published {html_text(previous.get('date_text', ''))}.</p>\n")  # fmt: skip
    if edition.notes:
        parts.append(f'<section aria-labelledby="notes">\n<h2 id="notes">Release notes</h2>\n{_notes_html(edition.notes)}</section>\n')
    if changes is not None:
        parts.append('<section aria-labelledby="summary">\n<h2 id="summary">In short</h2>\n<ul>\n')
        parts += [f"<li>{html_text(s)}</li>\n" for s in changes.summary()]
        parts.append("</ul>\n")
        parts.append('<p>Every change, one a row: <a href="downloads/changes.csv">changes.csv</a> (CSV) and '
                     '<a href="downloads/changes.json">changes.json</a> (JSON).</p>\n</section>\n')  # fmt: skip
        parts.append(_details_html(edition, changes, pages))
    parts.append("</main>\n")
    parts.append(f'<footer><p><a href="index.html">Edition {html_text(edition.version)}</a> · <a href="../index.html">All editions</a></p></footer>\n')
    head = '<link rel="stylesheet" href="_static/jsna-editions.css" />\n'
    return _document(f"What changed in edition {edition.version}: {edition.title}", head, "".join(parts))


def _details_html(edition: Edition, changes: Changes, pages: set[str]) -> str:
    details = changes.details
    if details.empty:
        return ""
    out = ['<section aria-labelledby="details">\n<h2 id="details">Indicator by indicator</h2>\n']
    for chapter, rows in details.groupby("chapter", sort=False):
        words = str(chapter).replace("_", " ").capitalize() or "Other indicators"
        out.append(f"<h3>{html_text(words)}</h3>\n")
        for indicator, own in rows.groupby("indicator_id", sort=False):
            name = str(own["indicator_name"].iloc[0])
            link = "about/definitions.html" if "about/definitions.html" in pages else None
            title = f'<a href="{link}#{html_attr(indicator)}">{html_text(name)}</a>' if link and own["kind"].iloc[0] != "indicator_removed" else html_text(name)
            out.append(f'<h4 id="indicator-{html_attr(indicator)}">{title}</h4>\n')
            counts = own["kind"].value_counts()
            out.append("<p>" + html_text("; ".join(f"{n:,} {KINDS[k][0] if n == 1 else KINDS[k][1]}" for k, n in counts.items())) + ".</p>\n")
            cells = own.loc[~own["kind"].isin(["indicator_added", "indicator_removed"])]
            if cells.empty:
                continue
            out.append('<div class="jsna-scroll" role="region" tabindex="0" aria-label="' + html_attr(f"Changes to {name}") + '">')
            out.append(f"<table><caption>Changes to {html_text(name)}</caption>\n<thead><tr>"
                       '<th scope="col">Place</th><th scope="col">Sex</th><th scope="col">Period</th><th scope="col">Change</th>'
                       '<th scope="col">Before</th><th scope="col">Now</th></tr></thead>\n<tbody>\n')  # fmt: skip
            for r in cells.head(SHOWN).itertuples():
                what = KINDS[r.kind][0] + (f" ({r.field})" if r.kind == "indicator_redefined" else "")
                if r.kind == "value_revised" and r.beyond_old_interval:
                    what += ", beyond the old 95% interval"
                place = _place_link(edition, r.area_code, r.area_name or r.area_code, str(r.chapter), pages) if r.area_code else "All places"
                out.append(f"<tr><td>{place}</td><td>{html_text(r.sex)}</td><td>{html_text(r.period)}</td><td>{html_text(what)}</td>"
                           f'<td class="num">{html_text(r.old)}</td><td class="num">{html_text(r.new)}</td></tr>\n')  # fmt: skip
            out.append("</tbody></table></div>\n")
            if len(cells) > SHOWN:
                out.append(f'<p>And {len(cells) - SHOWN:,} more changes to this indicator in <a href="downloads/changes.csv">changes.csv</a>.</p>\n')
    tables = changes.tables.loc[changes.tables[["added", "removed", "changed"]].sum(axis=1) > 0]
    if len(tables):
        out.append('<h2 id="tables">Every table of the store</h2>\n<p>Rows added, removed and changed, table by table '
                   "(what the store holds is described on the book's store page).</p>\n")  # fmt: skip
        out.append('<table><caption>Store tables that changed</caption>\n<thead><tr><th scope="col">Table</th><th scope="col">Rows before</th>'
                   '<th scope="col">Rows now</th><th scope="col">Added</th><th scope="col">Removed</th><th scope="col">Changed</th>'
                   '<th scope="col">Note</th></tr></thead>\n<tbody>\n')  # fmt: skip
        for r in tables.itertuples():
            out.append(f"<tr><td>{html_text(r.table)}</td>" + "".join(f'<td class="num">{int(v):,}</td>' for v in (r.rows_old, r.rows_new, r.added, r.removed, r.changed))
                       + f"<td>{html_text(r.note)}</td></tr>\n")  # fmt: skip
        out.append("</tbody></table>\n")
    out.append("</section>\n")
    return "".join(out)


def _place_link(edition: Edition, code: str, name: str, chapter: str, pages: set[str]) -> str:
    """The place's name, linked to its page for the indicator's chapter (or its profile or hub)."""
    folder = edition.place_folders.get(code)
    if folder:
        for page in (f"{folder}/{chapter}.html", f"{folder}/profile.html", f"{folder}/index.html"):
            if page in pages:
                return f'<a href="{html_attr(page)}">{html_text(name)}</a>'
    return html_text(name)


def _listing_entry(edition: Edition, folder: Path, previous: str | None, summary: str) -> dict:
    return {
        "version": edition.version, "title": edition.title, "date": edition.date.isoformat(), "date_text": edition.date_text,
        "data_vintage": edition.data_vintage, "synthetic": edition.synthetic, "summary": summary, "previous": previous,
        "path": f"{edition.version}/", "changes": f"{edition.version}/changes.html", "pages": sorted(_pages(folder)),
    }  # fmt: skip


def _write_listing(stage: Path, editions: list[dict]) -> None:
    """``editions.json``, ``editions.js`` and ``index.html`` of the site, in ``stage``."""
    data = {"format": 1, "latest": editions[0]["version"], "editions": editions}
    text = json.dumps(data, indent=1, ensure_ascii=True)
    (stage / "editions.json").write_text(text + "\n", encoding="utf-8")
    (stage / "editions.js").write_text(f"/* The editions of this site (editions.json), for pages opened from the file system. */\nwindow.JSNA_EDITIONS = {text};\n", encoding="utf-8")
    (stage / "index.html").write_text(index_page(editions), encoding="utf-8")


def index_page(editions: list[dict]) -> str:
    """The site's start page: every edition, newest first (plain HTML, no script)."""
    title = editions[0]["title"]
    rows = []
    for i, e in enumerate(editions):
        newest = " (newest)" if i == 0 else ""
        rows.append(
            f'<tr><th scope="row"><a href="{html_attr(e["path"])}index.html">Edition {html_text(e["version"])}</a>{newest}</th>'
            f"<td>{html_text(e.get('date_text', e['date']))}</td><td>{html_text(e['data_vintage'])}</td>"
            f'<td>{html_text(e["summary"][:1].upper() + e["summary"][1:])}. <a href="{html_attr(e["changes"])}">What changed in edition {html_text(e["version"])}</a></td></tr>\n'
        )
    body = (
        f'<main id="main">\n<h1>{html_text(title)}: editions</h1>\n'
        f'<p>The newest edition, edition {html_text(editions[0]["version"])}, is always at <a href="latest/index.html">latest</a>. '
        "Every edition stays exactly as it was published, so that a decision can cite the edition it was made on.</p>\n"
        '<div class="jsna-scroll" role="region" tabindex="0" aria-label="Every edition">'
        '<table><caption>Every edition, newest first</caption>\n<thead><tr><th scope="col">Edition</th><th scope="col">Published</th>'
        '<th scope="col">Data</th><th scope="col">What changed</th></tr></thead>\n<tbody>\n' + "".join(rows) + "</tbody></table></div>\n"
        '<p>The same list, machine-readable: <a href="editions.json">editions.json</a>.</p>\n</main>\n'
    )  # fmt: skip
    return _document(f"{title}: editions", "", body)


# --------------------------------------------------------------------------------------------
# Putting it in place
# --------------------------------------------------------------------------------------------
def _link_tree(source: Path, target: Path) -> None:
    """A copy of ``source`` at ``target``, hard-linking files where the file system can."""

    def link(src: str, dst: str) -> None:
        try:
            os.link(src, dst)
        except OSError:
            shutil.copy2(src, dst)

    shutil.copytree(source, target, copy_function=link)


def _commit(stage: Path, site: Path, version: str) -> None:
    """Rename the staged edition, ``latest/`` and the lists into ``site``, undoing every step
    done so far if one fails."""
    undo: list = []
    try:
        if not site.exists():
            site.mkdir()
            undo.append(lambda: site.rmdir())
        os.rename(stage / version, site / version)
        undo.append(lambda: os.rename(site / version, stage / version))
        old_latest = stage / "latest.old"
        if (site / "latest").exists():
            os.rename(site / "latest", old_latest)
            undo.append(lambda: os.rename(old_latest, site / "latest"))
        os.rename(stage / "latest", site / "latest")
        undo.append(lambda: os.rename(site / "latest", stage / "latest"))
        for name in ("editions.js", "index.html", "editions.json"):  # the list of editions last
            backup = stage / f"{name}.old"
            if (site / name).exists():
                shutil.copy2(site / name, backup)
                undo.append(lambda name=name, backup=backup: os.replace(backup, site / name))
            else:
                undo.append(lambda name=name: (site / name).unlink(missing_ok=True))
            os.replace(stage / name, site / name)
    except BaseException:
        for step in reversed(undo):
            with contextlib.suppress(OSError):
                step()
        raise


def _day(day: datetime.date) -> str:
    return f"{day.day} {day:%B %Y}"
