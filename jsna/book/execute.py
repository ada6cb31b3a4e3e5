"""Executing the plan: each notebook with papermill on the executor's workers
(:mod:`jsna.book.executors`: a local process pool, or a Dask cluster), each keeping one kernel; a
notebook is reused when its template, parameters and package are unchanged and so
is everything it read from the store the last time it ran (:class:`jsna.store.Reads`): a change
to one indicator re-executes only the pages that read that indicator.

A failure stops the build naming the place, the chapter and the cell, and keeps the failed
notebook in ``<out>/failed/``.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

from jupyter_client.blocking import BlockingKernelClient

from jsna.book.executors import progress, run_jobs
from jsna.book.plan import Job, Plan
from jsna.config import Settings
from jsna.errors import BuildError
from jsna.files import code_digest, digest
from jsna.store import StoreSlices


def job_key(job: Job, root: Path, code: str) -> str:
    template = (root / job.template).read_bytes()
    return digest(template, json.dumps([job.parameters, job.substitutions], sort_keys=True), code)


def up_to_date(path: Path, key: str, slices: StoreSlices) -> bool:
    """Whether the executed notebook at ``path`` ran from this job key and read from the store
    exactly what the store now holds."""
    try:
        recorded = json.loads(path.read_text(encoding="utf-8")).get("metadata", {}).get("jsna", {})
    except (OSError, ValueError):
        return False
    if recorded.get("job_key") != key or "reads" not in recorded:
        return False
    return recorded.get("reads_key") == slices.reads_digest(recorded["reads"])


#: The last cell of every executed page: what the page read from the store (removed afterwards).
READS_CELL = "import json as _json, jsna.store as _store\nprint(_json.dumps(_store.take_reads()))"


#: The kernel of this worker process: started once, reset between notebooks.
_KERNEL = None
#: Clears the namespace and history between notebooks; imported modules stay loaded (that is
#: the saving), so notebooks must not rely on module-level state they change. The reset ends
#: with a full garbage collection, which walked every object of every imported module (pandas,
#: Altair's schema classes): a tenth of a kernel's time. What survives it is frozen, so the next
#: collection walks only what the next notebook made.
RESET = "get_ipython().reset(new_session=True, aggressive=False); __import__('gc').freeze()"
KERNEL_ARGS = ["--IPKernelApp.log_level=ERROR"]  # start-up warnings are noise; errors still show


#: How many times a worker tries to start its kernel. Jupyter picks the kernel's five ports by
#: asking the system for free ones and releasing them; another process (the other worker's
#: kernel, a parallel test) can take one before the kernel binds it, and the kernel then dies
#: with "Address already in use". A fresh start picks fresh ports.
KERNEL_STARTS = 3


def start_worker_kernel(book: str):
    """Start (or restart) this worker's kernel, in the book folder, shut down when the worker ends.
    Returns only a kernel that has answered; a start that died (a port taken meanwhile) is retried.
    The kernel hands out one client (:class:`KeptClient`), kept open between notebooks."""
    global _KERNEL
    from multiprocessing.util import Finalize

    from jupyter_client.manager import KernelManager

    for attempt in range(1, KERNEL_STARTS + 1):
        kernel = KernelManager(kernel_name="python3", client_class=f"{__name__}.KeptClient")
        kernel.start_kernel(cwd=book, extra_arguments=KERNEL_ARGS)
        client = kernel.client()
        client.start_channels()
        try:
            client.wait_for_ready(timeout=120)
            break
        except RuntimeError:  # died before replying: free what it holds and start again
            client.stop_channels()
            if attempt == KERNEL_STARTS:
                raise
            kernel.shutdown_kernel(now=True)
    kernel.client = lambda **_: client  # papermill (nbclient) asks for a client per notebook
    Finalize(kernel, _shut_down, args=(kernel, client), exitpriority=10)
    _KERNEL = kernel
    return kernel


def _shut_down(kernel, client) -> None:
    client.stop_channels()
    kernel.shutdown_kernel(now=True)


class KeptClient(BlockingKernelClient):
    """A worker's one client of its kernel, started and found ready once. nbclient starts a
    client for every notebook and, to know it is ready, listens until the kernel has been quiet
    for 0.2 s: 14 s of a serial build's 76. Replies are matched to their requests, so a message
    left over from the last notebook is never taken for one of this notebook's."""

    _ready = False

    def start_channels(self, *args, **kwargs) -> None:
        if not self.channels_running:
            super().start_channels(*args, **kwargs)

    def wait_for_ready(self, timeout=None) -> None:
        if not self._ready:
            super().wait_for_ready(timeout=timeout)
            self._ready = True


def reset_kernel(kernel, code: str = RESET) -> None:
    kernel.client().execute_interactive(code, silent=True, timeout=60)


#: The book folder this worker's kernel is in (a many-authority build has one book each).
_KERNEL_BOOK: str | None = None


def worker_kernel(book: str):
    """This worker's kernel, started if need be, working in ``book`` (notebooks read ``../store``)."""
    global _KERNEL_BOOK
    if _KERNEL is None or not _KERNEL.is_alive():
        kernel = start_worker_kernel(book)
    else:
        kernel = _KERNEL
        if _KERNEL_BOOK != book:
            reset_kernel(kernel, f"import os as _os; _os.chdir({book!r}); del _os")
    _KERNEL_BOOK = book
    return kernel


def execute_job(job: Job, root: str, book: str, failed: str, key: str, store: str) -> str:
    """Execute one notebook with papermill (converted from MyST in-process); runs in a worker.

    Each worker keeps one kernel and resets its namespace after every notebook: starting a
    kernel and importing pandas and Altair cost about a second a notebook, a reset 0.05 s.
    """
    import jupytext
    import papermill
    from papermill.exceptions import PapermillExecutionError

    kernel = worker_kernel(book)

    import nbformat

    notebook = jupytext.read(Path(root) / job.template)
    notebook.cells.append(nbformat.v4.new_code_cell(READS_CELL, metadata={"tags": ["remove-cell", "jsna-reads"]}))
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
            kernel_name="python3", report_mode=False, km=kernel, request_save_on_cell_execute=False, coalesce_streams=True,
        )  # fmt: skip: written once at the end (or with the failing cell); a cell's printed text as one output, however the kernel flushed it
    except PapermillExecutionError as error:
        kept = keep_failed(tmp, failed, job)
        first_line = str(error.evalue).splitlines()[0] if str(error.evalue) else ""
        source = (error.source or "").strip().splitlines()[0][:80] if error.source else ""
        raise BuildError(
            f"notebook failed: place {job.place_name} ({job.place}), chapter {job.chapter!r}, "
            f"cell {template_cell(error.cell_index, job)} of {job.template} ({source!r}): {error.ename}: {first_line}\n"
            f"The failed notebook is kept at {kept}"
        ) from None
    except Exception as error:  # kernel died, bad template: still name the job
        tmp.unlink(missing_ok=True)
        raise BuildError(f"notebook failed: place {job.place_name} ({job.place}), chapter {job.chapter!r}: {error}") from None
    finally:
        if kernel.is_alive():
            reset_kernel(kernel)
    unshown = finish_notebook(tmp, _slices(Path(book) / store))
    if unshown:
        kept = keep_failed(tmp, failed, job)
        index, text = unshown[0]
        raise BuildError(
            f"notebook failed: place {job.place_name} ({job.place}), chapter {job.chapter!r}, "
            f"cell {template_cell(index, job)} of {job.template}: it shows {text!r} where a figure or table "
            f"belongs (making its HTML failed; run the cell in the kept notebook to see why)\nThe failed notebook is kept at {kept}"
        )
    os.replace(tmp, output)
    return job.output


def keep_failed(tmp: Path, failed: str, job: Job) -> Path:
    """Move a failed notebook (if it was written) under ``failed/`` for inspection: the site's
    folder never holds it. Returns where it is kept."""
    kept = Path(failed) / job.output
    kept.parent.mkdir(parents=True, exist_ok=True)
    if tmp.exists():
        os.replace(tmp, kept)
    return kept


def template_cell(index: int, job: Job) -> int:
    """A cell's number as in the template: papermill's injected parameters cell is not there."""
    return index + (0 if job.parameters else 1)


#: This worker's digests of the store's parts (the store does not change during a build).
_SLICES: dict[Path, StoreSlices] = {}


def _slices(folder: Path) -> StoreSlices:
    if folder not in _SLICES:
        _SLICES.clear()
        _SLICES[folder] = StoreSlices(folder)
    return _SLICES[folder]


#: An object shown by its default repr: what IPython falls back to when the object's HTML
#: (``_repr_mimebundle_``, ``_repr_html_``) raised, an error it does not report as one.
OBJECT_REPR = re.compile(r"<[\w.]+(?: object)? at 0x[0-9a-f]+>")


def finish_notebook(path: Path, slices: StoreSlices) -> list[tuple[int, str]]:
    """Record what the page read (and its digest) in the notebook's metadata, drop the cell that
    reported it, and hide papermill's injected parameters cell (readers do not need it;
    reviewers see it in the notebook). Returns the cells (index, text) that show an object's
    default repr instead of its page (:data:`OBJECT_REPR`), which the build refuses."""
    import nbformat

    notebook = nbformat.read(path, as_version=4)
    last = notebook.cells.pop()
    assert "jsna-reads" in last.metadata.get("tags", []), "the reads cell is the last cell"
    reads = json.loads("".join(o.get("text", "") for o in last.outputs if o.get("name") == "stdout"))
    notebook.metadata["jsna"].update(reads=reads, reads_key=slices.reads_digest(reads))
    for cell in notebook.cells:
        tags = cell.metadata.setdefault("tags", [])
        if "injected-parameters" in tags and "remove-cell" not in tags:
            tags.append("remove-cell")
    nbformat.write(notebook, path)
    return [(index, found.group(0)) for index, cell in enumerate(notebook.cells) for output in cell.get("outputs", [])
            if "text/html" not in output.get("data", {}) and (found := OBJECT_REPR.search(output.get("data", {}).get("text/plain", "")))]  # fmt: skip


def execute_plan(settings: Settings, plan: Plan) -> dict[str, int]:
    """Execute every job whose key changed, in parallel; return counts of executed and reused."""
    return execute_plans([(settings, plan)], settings)


def execute_plans(books: list[tuple[Settings, Plan]], run: Settings) -> dict[str, int]:
    """The notebooks of several books (one per authority) as one set of jobs on ``run``'s
    executor and workers; counts of executed and reused over them all."""
    code = code_digest()
    calls, jobs = [], 0
    for settings, plan in books:
        slices = StoreSlices(settings.store)
        args = (str(settings.root), str(settings.book), str(settings.failed))
        store = os.path.relpath(settings.store, settings.book)
        for job in plan.jobs:
            key = job_key(job, settings.root, code)
            if not up_to_date(settings.book / job.output, key, slices):
                calls.append((job, *args, key, store))
        remove_stale(settings, plan)
        jobs += len(plan.jobs)
    counts = {"jobs": jobs, "executed": len(calls), "reused": jobs - len(calls)}
    if not calls:
        return counts
    bar = progress(len(calls), "Executing notebooks", run.progress)

    def done(output: str) -> None:
        bar.update(1)
        bar.set_postfix_str(output, refresh=False)

    try:
        run_jobs(run.executor, run.workers, execute_job, calls, done=done)
    finally:
        bar.close()
    return counts


def remove_stale(settings: Settings, plan: Plan) -> None:
    """Delete executed notebooks that the plan no longer has (a place or chapter removed)."""
    wanted = {settings.book / job.output for job in plan.jobs}
    for path in settings.book.rglob("*.ipynb"):
        if path not in wanted:
            path.unlink()
