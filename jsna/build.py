"""Build the book: inputs -> indicator store -> executed notebooks -> Jupyter Book -> site.

Folders under ``out`` (default ``_build``):

* ``store/``   the indicator store (parquet), the only thing notebooks read;
* ``book/``    the Jupyter Book source: configuration, generated table of contents, static
  pages and the executed notebooks;
* ``html/``    the site (``html/index.html``), with ``html/downloads/``;
* ``doctrees/`` Sphinx's cache; ``failed/`` a notebook that failed, kept for inspection.

Every file is written only when its content changes, so an unchanged rebuild executes no
notebook and Sphinx rebuilds no page.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import os
import shutil
import subprocess
import sys
import time
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import yaml

import jsna
from jsna import indicators, inequalities, performance, profiles
from jsna.data import load_inputs
from jsna.kpi import load_kpis
from jsna.plan import PLACE_TYPE_TITLES, Job, Plan, make_plan
from jsna.text import MARMOT_OBJECTIVES, place_name

log = logging.getLogger("jsna.build")

ROOT = Path(__file__).resolve().parent.parent
#: Vendored browser libraries: npm package -> file in its build folder.
VENDORED_JS = {"vega": "vega.min.js", "vega-lite": "vega-lite.min.js", "vega-embed": "vega-embed.min.js"}


class BuildError(RuntimeError):
    """The build cannot go on; the message says what failed and where."""


@dataclass(frozen=True)
class Settings:
    root: Path = ROOT
    data: Path = ROOT / "data" / "demo"
    reference: Path = ROOT / "data" / "reference"
    catalogue: Path = ROOT / "data" / "indicators.yml"
    kpis: Path = ROOT / "data" / "kpi"
    parameters: Path = ROOT / "parameters"
    out: Path = ROOT / "_build"
    only: tuple[str, ...] = ()
    workers: int = max(1, os.cpu_count() or 1)
    progress: bool = True

    @property
    def store(self) -> Path:
        return self.out / "store"

    @property
    def book(self) -> Path:
        return self.out / "book"

    @property
    def html(self) -> Path:
        return self.out / "html"

    @property
    def spc_rules(self) -> Path:
        """Optional special-cause rules of the KPI control charts (``parameters/spc.yml``)."""
        return self.parameters / "spc.yml"


# --------------------------------------------------------------------------------------------
# Small file helpers: write only what changed, atomically
# --------------------------------------------------------------------------------------------
def write_if_changed(path: Path, content: bytes | str) -> bool:
    """Write ``content`` to ``path`` unless it already holds exactly that; return True if written.

    The new content goes to a temporary file first and replaces the old in one step, so a
    reader never sees a half-written file.
    """
    data = content.encode("utf-8") if isinstance(content, str) else content
    if path.exists() and path.read_bytes() == data:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)
    return True


def digest(*parts: bytes | str) -> str:
    h = hashlib.sha256()
    for part in parts:
        h.update(part.encode("utf-8") if isinstance(part, str) else part)
        h.update(b"\0")
    return h.hexdigest()


def code_digest() -> str:
    """Version and source of the jsna package: a change to either re-executes notebooks."""
    package = Path(jsna.__file__).parent
    files = sorted(p for p in package.rglob("*") if p.suffix in (".py", ".json") and "__pycache__" not in p.parts)
    return digest(jsna.__version__, *(f"{p.relative_to(package)}:{digest(p.read_bytes())}" for p in files))


# --------------------------------------------------------------------------------------------
# Stage 1: the store
# --------------------------------------------------------------------------------------------
def parquet_bytes(df: pd.DataFrame) -> bytes:
    buffer = io.BytesIO()
    df.to_parquet(buffer, index=False, engine="pyarrow", compression="zstd")
    return buffer.getvalue()


def inputs_key(settings: Settings) -> str:
    """Everything the store is computed from: the input files, the catalogue, the KPI data, the
    control-chart rules and the package."""
    files = [p for folder in (settings.data, settings.reference, settings.kpis) for p in sorted(folder.rglob("*")) if p.is_file()]
    files.append(settings.catalogue)
    if settings.spc_rules.exists():
        files.append(settings.spc_rules)
    return digest(code_digest(), *(f"{p.name}:{digest(p.read_bytes())}" for p in files))


def build_store(settings: Settings) -> tuple[dict[str, pd.DataFrame], Plan]:
    """Validate every input, compute the store and write it; nothing is written if any input is bad.

    When the inputs, catalogue and package are exactly those the store was last computed from
    (``store/manifest.json``), the store is read back instead of recomputed.
    """
    key = inputs_key(settings)
    tables = read_store(settings, key)
    if tables is None:
        inputs = load_inputs(settings.data, settings.reference)
        catalogue = indicators.load_catalogue(settings.catalogue)
        kpis = load_kpis(settings.kpis)
        rules = performance.load_rules(settings.spc_rules)
        store = indicators.compute_store(inputs, catalogue)
        tables = {
            "indicators": store,
            **indicators.funnel_tables(store, catalogue),
            **inequalities.inequality_tables(inputs, catalogue),
            **profiles.compute_profiles(inputs),
            **performance.kpi_tables(kpis, rules),
            "catalogue": catalogue_table(catalogue),
        }
        encoded = {name: parquet_bytes(table) for name, table in tables.items()}  # all computed before any write
        for name, data in encoded.items():
            write_if_changed(settings.store / f"{name}.parquet", data)
        write_if_changed(settings.store / "manifest.json", json.dumps({"inputs_key": key, "tables": sorted(tables)}, indent=1))
    plan = make_plan(settings.parameters, root=settings.root, only=list(settings.only) or None, geography=tables["geography"])
    return tables, plan


def read_store(settings: Settings, key: str) -> dict[str, pd.DataFrame] | None:
    """The stored tables if they were computed from exactly these inputs, else None."""
    try:
        manifest = json.loads((settings.store / "manifest.json").read_text(encoding="utf-8"))
        if manifest["inputs_key"] != key:
            return None
        return {name: pd.read_parquet(settings.store / f"{name}.parquet") for name in manifest["tables"]}
    except (OSError, ValueError, KeyError):
        return None


def catalogue_table(catalogue: list[dict]) -> pd.DataFrame:
    """The catalogue as a table (for the definitions page and the notebooks)."""
    rows = []
    for entry in catalogue:
        rows.append(
            {
                "indicator_id": entry["id"], "title": entry["title"], "definition": " ".join(entry["definition"].split()),
                "method": entry["method"], "unit": entry["unit"], "age": entry["age"], "sex": ", ".join(entry["sex"]),
                "polarity": entry["polarity"], "areas": ", ".join(entry["areas"]),
                "windows": ", ".join(str(w) for w in entry["windows"]), "year_type": entry["year_type"],
                "source": entry["source"], "chapter": entry["chapter"], "stage": entry["stage"],
                "disclosure": entry.get("disclosure", ""), "funnel": bool(entry.get("funnel", False)),
                "marmot": entry["marmot"], "deprivation_breakdown": bool(entry.get("deprivation_breakdown", False)),
            }
        )  # fmt: skip
    return pd.DataFrame(rows)


def store_digest(settings: Settings) -> str:
    files = sorted(settings.store.glob("*.parquet"))  # the manifest is not data notebooks read
    return digest(*(f"{p.name}:{digest(p.read_bytes())}" for p in files))


# --------------------------------------------------------------------------------------------
# Stage 2: the book source
# --------------------------------------------------------------------------------------------
#: Pages the build writes itself rather than copying from chapters/.
GENERATED_PAGES = {"about/definitions"}


def definitions_page(catalogue: pd.DataFrame) -> str:
    """Every indicator's metadata, one row each, anchored by its id (charts link here)."""
    import html

    columns = [("definition", "Definition"), ("method", "Method"), ("unit", "Unit"), ("age", "Age"), ("sex", "Sex"),
               ("polarity", "Polarity"), ("windows", "Years pooled"), ("source", "Source"), ("marmot", "Marmot objective")]  # fmt: skip
    catalogue = catalogue.assign(marmot=catalogue["marmot"].map(MARMOT_OBJECTIVES).fillna(catalogue["marmot"]))
    lines = [
        "# Indicator definitions", "",
        "What each indicator measures, how it is calculated and where the data come from. The same table is "
        '<a href="../downloads/indicator-definitions.csv">available as a CSV file</a>.', "",
    ]  # fmt: skip
    for chapter, rows in catalogue.groupby("chapter", sort=False):
        lines += [f"## {chapter.replace('_', ' ').capitalize()}", ""]
        for row in rows.itertuples():
            cells = "".join(f"<tr><th scope=\"row\">{label}</th><td>{html.escape(str(getattr(row, name)))}</td></tr>" for name, label in columns)
            lines += [f'<h3 id="{row.indicator_id}">{html.escape(row.title)}</h3>', "", f'<table class="jsna-data">{cells}</table>', ""]
    return "\n".join(lines) + "\n"


def stage_book(settings: Settings, plan: Plan, tables: dict[str, pd.DataFrame]) -> None:
    """Write configuration, table of contents, static pages and assets into ``book/``."""
    release = yaml.safe_load((settings.parameters / "release.yml").read_text(encoding="utf-8"))
    config = yaml.safe_load((settings.root / "_config.yml").read_text(encoding="utf-8"))
    config["title"] = release["title"]
    substitutions = {
        "release": release["release"],
        "data_vintage": " ".join(release["data_vintage"].split()),
    }
    config.setdefault("parse", {})["myst_substitutions"] = substitutions
    banner = f"Release {release['release']}. "
    if release.get("synthetic"):
        banner += "Local figures in this book are synthetic demonstration data, not real statistics about Dudley."
    config.setdefault("html", {})["announcement"] = banner
    write_if_changed(settings.book / "_config.yml", yaml.safe_dump(config, sort_keys=False, allow_unicode=True))
    write_if_changed(settings.book / "_toc.yml", yaml.safe_dump(make_toc(settings, plan), sort_keys=False, allow_unicode=True))
    for page in static_pages(settings):
        write_if_changed(settings.book / page, (settings.root / "chapters" / page).read_bytes())
    write_if_changed(settings.book / "about" / "definitions.md", definitions_page(tables["catalogue"]))
    static = settings.root / "chapters" / "_static"
    for path in sorted(static.rglob("*")):
        if path.is_file():
            write_if_changed(settings.book / "_static" / path.relative_to(static), path.read_bytes())
    for package, filename in VENDORED_JS.items():
        source = settings.root / "node_modules" / package / "build" / filename
        if not source.exists():
            raise BuildError(f"{source} is missing: run 'npm ci' (make book does) to vendor {package} from the npm registry")
        write_if_changed(settings.book / "_static" / "vendor" / filename, source.read_bytes())
    for place in plan.places_with_pages():
        write_if_changed(settings.book / place.folder / "index.md", place_page(plan, place))
    for chapter in plan.chapters.values():
        if any(job.chapter == chapter.id for job in plan.jobs):
            write_if_changed(settings.book / "by-chapter" / f"{chapter.id}.md", chapter_page(plan, chapter.id))


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
    parts = []
    for place_type, caption in PLACE_TYPE_TITLES.items():
        chapters = []
        for place in plan.places_with_pages():
            if place.type != place_type:
                continue
            sections = [{"file": job.output.removesuffix(".ipynb")} for job in plan.jobs_for(place)]
            chapters.append({"file": f"{place.folder}/index", "sections": sections})
        if chapters:
            parts.append({"caption": caption, "chapters": chapters})
    return parts


def place_page(plan: Plan, place) -> str:
    """A place's hub page: what it is and links to its chapters."""
    type_words = {"borough": "the borough", "township": "a township", "ward": "an electoral ward", "pcn": "a primary care network"}
    name = place_name(place.name, place.type)
    lines = [f"# {name}", "", f"{place.name} is {type_words[place.type]} ({place.code}).", ""]
    children = [p for p in plan.places_with_pages() if p.parent == place.code]
    lines += ["## Chapters", ""]
    for job in plan.jobs_for(place):
        chapter = plan.chapters[job.chapter]
        lines.append(f"- [{chapter.title}](./{job.chapter}.ipynb): {chapter.description}")
    if children:
        lines += ["", "## Places within " + name, ""]
        lines += [f"- [{place_name(child.name, child.type)}](/{child.folder}/index.md)" for child in children]
    lines += ["", "```{tableofcontents}", "```", ""]
    return "\n".join(lines)


def chapter_page(plan: Plan, chapter_id: str) -> str:
    chapter = plan.chapters[chapter_id]
    lines = [f"# {chapter.title}: every place", "", chapter.description, ""]
    for job in plan.jobs:
        if job.chapter == chapter_id:
            lines.append(f"- [{job.place_name}](/{job.output})")
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------------------------
# Stage 3: execute the notebooks
# --------------------------------------------------------------------------------------------
def job_key(job: Job, root: Path, store: str, code: str) -> str:
    template = (root / job.template).read_bytes()
    return digest(template, json.dumps([job.parameters, job.substitutions], sort_keys=True), store, code)


def existing_key(path: Path) -> str | None:
    try:
        notebook = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return notebook.get("metadata", {}).get("jsna", {}).get("job_key")


#: The kernel of this worker process: started once, reset between notebooks.
_KERNEL = None
#: Clears the namespace and history between notebooks; imported modules stay loaded (that is
#: the saving), so notebooks must not rely on module-level state they change.
RESET = "get_ipython().reset(new_session=True, aggressive=False)"
KERNEL_ARGS = ["--IPKernelApp.log_level=ERROR"]  # start-up warnings are noise; errors still show


def start_worker_kernel(book: str):
    """Start (or restart) this worker's kernel, in the book folder, shut down when the worker ends."""
    global _KERNEL
    from multiprocessing.util import Finalize

    from jupyter_client.manager import KernelManager

    kernel = KernelManager(kernel_name="python3")
    kernel.start_kernel(cwd=book, extra_arguments=KERNEL_ARGS)
    Finalize(kernel, kernel.shutdown_kernel, kwargs={"now": True}, exitpriority=10)
    _KERNEL = kernel
    return kernel


def reset_kernel(kernel) -> None:
    client = kernel.client()
    client.start_channels()
    try:
        client.execute_interactive(RESET, silent=True, timeout=60)
    finally:
        client.stop_channels()


def execute_job(job: Job, root: str, book: str, failed: str, key: str) -> str:
    """Execute one notebook with papermill (converted from MyST in-process); runs in a worker.

    Each worker keeps one kernel and resets its namespace after every notebook: starting a
    kernel and importing pandas and Altair cost about a second a notebook, a reset 0.05 s.
    """
    import jupytext
    import papermill
    from papermill.exceptions import PapermillExecutionError

    kernel = _KERNEL if _KERNEL is not None and _KERNEL.is_alive() else start_worker_kernel(book)

    notebook = jupytext.read(Path(root) / job.template)
    for cell in notebook.cells:  # the page title and text name the place and the chapter
        if cell.cell_type == "markdown":
            for name, words in job.substitutions.items():
                cell.source = cell.source.replace("{" + name + "}", words)
    notebook.metadata["jsna"] = {"job_key": key, "place": job.place, "chapter": job.chapter}
    output = Path(book) / job.output
    output.parent.mkdir(parents=True, exist_ok=True)
    tmp = output.with_name(output.stem + ".partial.ipynb")
    try:
        papermill.execute_notebook(
            notebook, str(tmp), parameters=job.parameters, cwd=book, progress_bar=False, log_output=False,
            kernel_name="python3", report_mode=False, km=kernel,
        )  # fmt: skip
    except PapermillExecutionError as error:
        kept = Path(failed) / job.output
        kept.parent.mkdir(parents=True, exist_ok=True)
        if tmp.exists():
            os.replace(tmp, kept)
        first_line = str(error.evalue).splitlines()[0] if str(error.evalue) else ""
        # Number the cell as in the template: papermill's injected parameters cell is not there.
        number = error.cell_index + (0 if job.parameters else 1)
        source = (error.source or "").strip().splitlines()[0][:80] if error.source else ""
        raise BuildError(
            f"notebook failed: place {job.place_name} ({job.place}), chapter {job.chapter!r}, "
            f"cell {number} of {job.template} ({source!r}): {error.ename}: {first_line}\n"
            f"The failed notebook is kept at {kept}"
        ) from None
    except Exception as error:  # kernel died, bad template: still name the job
        tmp.unlink(missing_ok=True)
        raise BuildError(f"notebook failed: place {job.place_name} ({job.place}), chapter {job.chapter!r}: {error}") from None
    finally:
        if kernel.is_alive():
            reset_kernel(kernel)
    hide_injected_parameters(tmp)
    os.replace(tmp, output)
    return job.output


def hide_injected_parameters(path: Path) -> None:
    """Readers do not need papermill's injected parameters cell; reviewers see it in the notebook."""
    import nbformat

    notebook = nbformat.read(path, as_version=4)
    for cell in notebook.cells:
        tags = cell.metadata.setdefault("tags", [])
        if "injected-parameters" in tags and "remove-cell" not in tags:
            tags.append("remove-cell")
    nbformat.write(notebook, path)


def execute_plan(settings: Settings, plan: Plan) -> dict[str, int]:
    """Execute every job whose key changed, in parallel; return counts of executed and reused."""
    store = store_digest(settings)
    code = code_digest()
    todo = []
    for job in plan.jobs:
        key = job_key(job, settings.root, store, code)
        if existing_key(settings.book / job.output) != key:
            todo.append((job, key))
    remove_stale(settings, plan)
    counts = {"jobs": len(plan.jobs), "executed": len(todo), "reused": len(plan.jobs) - len(todo)}
    if not todo:
        return counts
    from tqdm import tqdm

    failed = settings.out / "failed"
    args = (str(settings.root), str(settings.book), str(failed))
    bar = tqdm(total=len(todo), desc="Executing notebooks", unit="nb", disable=not settings.progress, file=sys.stderr)
    with ProcessPoolExecutor(max_workers=min(settings.workers, len(todo))) as pool:
        pending = {pool.submit(execute_job, job, *args, key) for job, key in todo}
        while pending:
            done, pending = wait(pending, return_when=FIRST_COMPLETED)
            for future in done:
                error = future.exception()
                if error is not None:
                    for other in pending:
                        other.cancel()
                    bar.close()
                    raise error
                bar.update(1)
                bar.set_postfix_str(future.result(), refresh=False)
    bar.close()
    return counts


def remove_stale(settings: Settings, plan: Plan) -> None:
    """Delete executed notebooks that the plan no longer has (a place or chapter removed)."""
    wanted = {settings.book / job.output for job in plan.jobs}
    for path in settings.book.rglob("*.ipynb"):
        if path not in wanted:
            path.unlink()


# --------------------------------------------------------------------------------------------
# Stage 4: Jupyter Book, and the downloads
# --------------------------------------------------------------------------------------------
#: Appended to Jupyter Book's generated conf.py. sphinx-thebe (live code, which this book does
#: not offer) writes a CDN address into every page and declares it twice, a script error.
DROP_EXTENSIONS = '\n# Added by jsna.build: no live-code extension.\nextensions = [e for e in extensions if e != "sphinx_thebe"]\n'


def run_sphinx(settings: Settings) -> None:
    """Jupyter Book's Sphinx configuration, then sphinx-build with warnings as errors."""
    bin_dir = Path(sys.executable).parent
    jb = shutil.which("jupyter-book", path=str(bin_dir)) or "jupyter-book"
    generated = subprocess.run([jb, "config", "sphinx", str(settings.book)], capture_output=True, text=True)
    if generated.returncode != 0:
        raise BuildError(f"jupyter-book config sphinx failed:\n{generated.stderr or generated.stdout}")
    conf = settings.book / "conf.py"
    conf.write_text(conf.read_text(encoding="utf-8") + DROP_EXTENSIONS, encoding="utf-8")
    command = [
        sys.executable, "-m", "sphinx", "-b", "html", "-W", "--keep-going", "-q",
        "-d", str(settings.out / "doctrees"), str(settings.book), str(settings.html),
    ]  # fmt: skip
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        raise BuildError(f"Jupyter Book (Sphinx) failed with warnings treated as errors:\n{result.stderr[-6000:]}")


#: The inequality tables published as CSV beside the indicator store.
INEQUALITY_DOWNLOADS = {"breakdowns": "inequality-breakdowns.csv", "inequality_gaps": "inequality-gaps.csv",
                        "le_decomposition": "life-expectancy-gap-by-cause-and-age.csv"}  # fmt: skip


def publish_downloads(settings: Settings, tables: dict[str, pd.DataFrame]) -> None:
    """The whole indicator store, the catalogue and the inequality tables, as CSV, under ``html/downloads/``."""
    downloads = settings.html / "downloads"
    write_if_changed(downloads / "indicators.csv", tables["indicators"].to_csv(index=False, lineterminator="\n"))
    write_if_changed(downloads / "indicator-definitions.csv", tables["catalogue"].to_csv(index=False, lineterminator="\n"))
    for name, file in INEQUALITY_DOWNLOADS.items():
        if name in tables:
            write_if_changed(downloads / file, tables[name].to_csv(index=False, lineterminator="\n"))


def build(settings: Settings) -> dict:
    """The whole build; returns figures for the log and the benchmark (seconds per stage)."""
    started = time.perf_counter()
    stages: dict[str, float] = {}

    def lap(name: str, since: float) -> float:
        now = time.perf_counter()
        stages[name] = round(now - since, 2)
        return now

    tables, plan = build_store(settings)
    mark = lap("store", started)
    stage_book(settings, plan, tables)
    counts = execute_plan(settings, plan)
    mark = lap("notebooks", mark)
    run_sphinx(settings)
    mark = lap("sphinx", mark)
    publish_downloads(settings, tables)
    counts["seconds"] = round(time.perf_counter() - started, 2)
    counts["stages"] = stages
    counts["html"] = str(settings.html / "index.html")
    return counts
