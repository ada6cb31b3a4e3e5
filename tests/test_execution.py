"""Notebook execution: real papermill runs of tiny templates; unchanged jobs are reused, and a
change to the store re-executes only the pages that read what changed."""

from __future__ import annotations

import io
import json
import sys
import threading
from pathlib import Path

import pandas as pd
import pytest

from jsna.book.execute import execute_plan
from jsna.book.executors import run_jobs
from jsna.book.plan import Job, Plan
from jsna.book.publish import remove_unlisted_pages, toc_documents
from jsna.config import Executor, Settings
from jsna.errors import BuildError
from jsna.inputs.places import AreaTypes
from tests.conftest import declared, write_store

TEMPLATE = """---
jupytext:
  text_representation:
    extension: .md
    format_name: myst
kernelspec:
  display_name: Python 3
  language: python
  name: python3
---

# Test: {place_name}

```{code-cell} ipython3
:tags: [parameters]

place_code = "X"
store = "../store"
```

```{code-cell} ipython3
from jsna.store import Store
print(place_code, Store(store).entry("x")["title"])
```
"""

FAILING = TEMPLATE.replace('print(place_code', 'raise KeyError("no such indicator for " + place_code)\nprint(place_code')
#: A page that reads indicator y's entry instead of x's.
READS_Y = TEMPLATE.replace('entry("x")', 'entry("y")')


def save_store(settings: Settings, x: str = "store v1", y: str = "y v1") -> None:
    """A store whose catalogue holds indicators x and y with these titles."""
    catalogue = pd.DataFrame({"indicator_id": ["x", "y"], "title": [x, y], "chapter": ["test", "test"]})
    write_store(settings.store, {"catalogue": declared("catalogue", catalogue)})


@pytest.fixture
def project(tmp_path: Path) -> Settings:
    root = tmp_path / "project"
    (root / "chapters").mkdir(parents=True)
    (root / "chapters" / "test.md").write_text(TEMPLATE)
    (root / "chapters" / "failing.md").write_text(FAILING)
    settings = Settings(root=root, out=tmp_path / "out", progress=False, workers=2)
    (root / "chapters" / "reads_y.md").write_text(READS_Y)
    settings.store.mkdir(parents=True)
    save_store(settings)
    settings.book.mkdir(parents=True)
    return settings


def job(place: str, template: str = "chapters/test.md") -> Job:
    return Job(
        place=place, place_name=f"Place {place}", chapter="test", template=template,
        output=f"places/{place}/test.ipynb", parameters={"place_code": place, "store": "../store"},
    )  # fmt: skip


def plan_of(*jobs: Job) -> Plan:
    return Plan(places=[], chapters={}, area_types=AreaTypes(()), jobs=list(jobs))


def outputs(settings: Settings, j: Job) -> str:
    notebook = json.loads((settings.book / j.output).read_text())
    return "".join("".join(o.get("text", "")) for c in notebook["cells"] for o in c.get("outputs", []))


def test_executes_then_reuses_unchanged_jobs(project: Settings) -> None:
    jobs = [job("A"), job("B")]
    first = execute_plan(project, plan_of(*jobs))
    assert first == {"jobs": 2, "executed": 2, "reused": 0}
    assert outputs(project, jobs[0]).strip() == "A store v1"
    heading = json.loads((project.book / jobs[1].output).read_text())["cells"][0]["source"]
    assert "# Test: Place B" in "".join(heading)
    stamp = (project.book / jobs[0].output).stat().st_mtime_ns

    second = execute_plan(project, plan_of(*jobs))
    assert second == {"jobs": 2, "executed": 0, "reused": 2}
    assert (project.book / jobs[0].output).stat().st_mtime_ns == stamp  # not rewritten


def metadata(settings: Settings, j: Job) -> dict:
    return json.loads((settings.book / j.output).read_text())["metadata"]["jsna"]


def test_changed_parameters_template_or_store_re_execute(project: Settings) -> None:
    a = job("A")
    execute_plan(project, plan_of(a))
    key = metadata(project, a)["reads_key"]

    changed = Job(**{**a.to_dict(), "parameters": {**a.parameters, "place_code": "A2"}})
    assert execute_plan(project, plan_of(changed))["executed"] == 1
    assert outputs(project, changed).startswith("A2")

    (project.root / "chapters" / "test.md").write_text(TEMPLATE.replace("# Test", "# Tested"))
    assert execute_plan(project, plan_of(changed))["executed"] == 1

    save_store(project, x="store v2")
    assert execute_plan(project, plan_of(changed))["executed"] == 1
    assert outputs(project, changed).strip() == "A2 store v2"
    assert metadata(project, changed)["reads_key"] != key


def test_only_pages_that_read_what_changed_re_execute(project: Settings) -> None:
    reads_x, reads_y = job("A"), Job(**{**job("B").to_dict(), "template": "chapters/reads_y.md"})
    assert execute_plan(project, plan_of(reads_x, reads_y))["executed"] == 2
    assert ["catalogue", "indicator_id", "x"] in metadata(project, reads_x)["reads"]
    cells = json.loads((project.book / reads_x.output).read_text())["cells"]
    assert not any("take_reads" in "".join(c["source"]) for c in cells)  # the recording cell is gone

    save_store(project, y="y v2")  # only y's entry changes
    assert execute_plan(project, plan_of(reads_x, reads_y)) == {"jobs": 2, "executed": 1, "reused": 1}
    assert outputs(project, reads_y).strip() == "B y v2"
    save_store(project, x="x v2", y="y v2")
    assert execute_plan(project, plan_of(reads_x, reads_y)) == {"jobs": 2, "executed": 1, "reused": 1}
    assert outputs(project, reads_x).strip() == "A x v2"


def test_failing_notebook_names_place_chapter_and_cell(project: Settings) -> None:
    bad = job("Z", template="chapters/failing.md")
    with pytest.raises(BuildError) as caught:
        execute_plan(project, plan_of(bad))
    message = str(caught.value)
    assert "Place Z (Z)" in message and "chapter 'test'" in message
    assert "cell 3" in message and "KeyError" in message and "no such indicator for Z" in message
    assert not (project.book / bad.output).exists()  # nothing half-written where the site reads
    assert (project.out / "failed" / bad.output).exists()  # kept for inspection


#: A figure whose HTML fails with NotImplementedError (pandas raises it for arithmetic an Arrow
#: column lacks): IPython takes that to mean "no such format", shows "<__main__.Broken at 0x...>"
#: instead and reports nothing.
UNSHOWN = TEMPLATE.replace(
    'print(place_code, Store(store).entry("x")["title"])',
    "class Broken:\n    def _repr_mimebundle_(self, include=None, exclude=None):\n        raise NotImplementedError('mod')\ndisplay(Broken())",
)


def test_a_figure_whose_html_fails_fails_the_build_rather_than_showing_its_repr(project: Settings) -> None:
    (project.root / "chapters" / "unshown.md").write_text(UNSHOWN)
    bad = job("Z", template="chapters/unshown.md")
    with pytest.raises(BuildError) as caught:
        execute_plan(project, plan_of(bad))
    message = str(caught.value)
    assert "Place Z (Z)" in message and "cell 3 of chapters/unshown.md" in message and "<__main__.Broken at 0x" in message
    assert not (project.book / bad.output).exists() and (project.out / "failed" / bad.output).exists()


LEAK = TEMPLATE.replace(
    'print(place_code, Store(store).entry("x")["title"])',
    'try:\n    print("leaked", leaked_from_last_notebook)\nexcept NameError:\n    print("clean")\nleaked_from_last_notebook = place_code',
)


def test_a_reused_kernel_starts_each_notebook_clean(project: Settings) -> None:
    (project.root / "chapters" / "leak.md").write_text(LEAK)
    one_worker = Settings(root=project.root, out=project.out, progress=False, workers=1)
    jobs = [job(p, template="chapters/leak.md") for p in ("A", "B", "C")]
    assert execute_plan(one_worker, plan_of(*jobs))["executed"] == 3
    for j in jobs:
        assert outputs(project, j).strip() == "clean"
        counts = [c.get("execution_count") for c in json.loads((project.book / j.output).read_text())["cells"] if c["cell_type"] == "code"]
        assert counts == [1, 2, 3]  # the same notebook whichever worker ran it first


def test_stale_notebooks_are_removed(project: Settings) -> None:
    a, b = job("A"), job("B")
    execute_plan(project, plan_of(a, b))
    execute_plan(project, plan_of(a))
    assert not (project.book / b.output).exists()
    assert (project.book / a.output).exists()


def test_pages_of_a_removed_place_leave_the_site(tmp_path: Path) -> None:
    """Sphinx keeps an earlier build's page of a place the plan no longer has; the build removes it."""
    book, html = tmp_path / "book", tmp_path / "html"
    book.mkdir()
    (book / "_toc.yml").write_text("root: index\nparts:\n- chapters:\n  - file: ward/ash/index\n    sections:\n    - file: ward/ash/profile.ipynb\n")
    pages = ["index.html", "search.html", "ward/ash/index.html", "ward/ash/profile.html", "ward/gone/index.html",
             "ward/gone/profile.html", "ward/ash/old_chapter.html", "ward/old/index.html", "_static/webpack-macros.html"]  # fmt: skip
    for page in pages:
        (html / page).parent.mkdir(parents=True, exist_ok=True)
        (html / page).write_text("<p>page</p>")
    (html / "ward" / "gone" / "brief.pdf").write_text("")  # a folder with other files stays, without its pages
    removed = remove_unlisted_pages(html, toc_documents(book))
    assert removed == ["ward/ash/old_chapter.html", "ward/gone/index.html", "ward/gone/profile.html", "ward/old/index.html"]
    assert not (html / "ward" / "old").exists() and (html / "ward" / "gone" / "brief.pdf").exists()
    assert sorted(p.relative_to(html).as_posix() for p in html.rglob("*.html")) == sorted(set(pages) - set(removed))


# The Dask executor: the same jobs on a LocalCluster give the same notebooks and the same errors.
def cells_and_outputs(settings: Settings, j: Job) -> list:
    notebook = json.loads((settings.book / j.output).read_text())
    return [(c["source"], [o.get("text") for o in c.get("outputs", [])]) for c in notebook["cells"]]


def test_dask_local_cluster_runs_the_same_jobs_as_the_process_pool(project: Settings, tmp_path: Path) -> None:
    jobs = [job("A"), job("B"), job("C")]
    assert execute_plan(project, plan_of(*jobs))["executed"] == 3
    local = {j.place: cells_and_outputs(project, j) for j in jobs}
    on_dask = Settings(root=project.root, out=project.out, progress=False, workers=2, executor=Executor("dask", "local:2"))
    for j in jobs:
        (project.book / j.output).unlink()
    assert execute_plan(on_dask, plan_of(*jobs)) == {"jobs": 3, "executed": 3, "reused": 0}
    assert {j.place: cells_and_outputs(project, j) for j in jobs} == local
    assert execute_plan(project, plan_of(*jobs))["reused"] == 3  # and the local pool reuses what Dask ran


def test_a_notebook_failing_on_a_dask_worker_reports_as_it_does_locally(project: Settings) -> None:
    bad = job("Z", template="chapters/failing.md")
    messages = []
    for executor in (Executor(), Executor("dask", "local:1")):
        settings = Settings(root=project.root, out=project.out, progress=False, workers=1, executor=executor)
        with pytest.raises(BuildError) as caught:
            execute_plan(settings, plan_of(bad))
        messages.append(str(caught.value))
    assert messages[0] == messages[1]
    assert "Place Z (Z)" in messages[1] and "cell 3" in messages[1] and "no such indicator for Z" in messages[1]


HELD = threading.Lock()  # held by a thread of the test's process while a pool starts


def can_take_the_lock() -> bool:
    return HELD.acquire(timeout=2)


def test_a_worker_starts_clean_while_the_build_has_threads_holding_locks() -> None:
    """The build renders briefs on threads while the notebooks' pool starts: a worker forked from
    it would inherit the locks those threads hold and could wait on them forever."""
    taken, release = threading.Event(), threading.Event()

    def hold() -> None:
        with HELD:
            taken.set()
            release.wait()

    holder = threading.Thread(target=hold)
    holder.start()
    taken.wait()
    try:
        assert run_jobs(Executor(), 2, can_take_the_lock, [(), ()]) == [True, True]
    finally:
        release.set()
        holder.join()


def test_executor_choices_are_checked() -> None:
    for kind, scheduler, words in (("dask", None, "needs --scheduler"), ("local", "local:2", "is for --executor dask"),
                                   ("spark", None, "the executors are"), ("dask", "local:two", "write local:N")):  # fmt: skip
        with pytest.raises(BuildError, match=words):
            Executor(kind, scheduler)


@pytest.fixture
def stdin_with_an_encoding(monkeypatch) -> None:
    """For a test that starts a kernel in this process: Jupyter's kernel manager imports IPython,
    which asks sys.stdin for its encoding; with standard input closed, as CI runs `make test`,
    pytest's stand-in for it raises instead of answering. A stand-in that has no encoding."""
    monkeypatch.setattr(sys, "stdin", io.StringIO())


def test_a_kernel_that_dies_because_its_port_was_taken_is_started_again(tmp_path: Path, monkeypatch, stdin_with_an_encoding) -> None:
    """The race seen in CI: a port Jupyter chose for the kernel is bound by someone else before
    the kernel binds it, and the kernel dies. The worker starts a fresh one on fresh ports."""
    import socket

    import jupyter_client.manager

    from jsna.book import execute

    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen()
    started = []

    class FirstStartCollides(jupyter_client.manager.KernelManager):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            if not started:  # Jupyter keeps ports it is given when it does not choose them
                self.cache_ports = False
                self.stdin_port = taken.getsockname()[1]
            started.append(self)

    monkeypatch.setattr(jupyter_client.manager, "KernelManager", FirstStartCollides)
    try:
        kernel = execute.start_worker_kernel(str(tmp_path))
        assert len(started) == 2 and not started[0].is_alive() and kernel is started[1]
        execute.reset_kernel(kernel, "1 + 1")  # it answers
    finally:
        taken.close()
        for each in started:
            each.shutdown_kernel(now=True) if each.is_alive() else None
        monkeypatch.setattr(execute, "_KERNEL", None)


def test_a_worker_keeps_one_ready_client_and_resets_its_kernel_between_notebooks(tmp_path: Path, monkeypatch, stdin_with_an_encoding) -> None:
    """One client per worker, kept open (nbclient asks for one per notebook); the reset between
    notebooks clears the namespace and freezes what survived its garbage collection."""
    from jsna.book import execute

    monkeypatch.setattr(execute, "_KERNEL", None)
    kernel = execute.start_worker_kernel(str(tmp_path))
    try:
        client = kernel.client()
        assert client is kernel.client() and isinstance(client, execute.KeptClient) and client.channels_running
        client.start_channels()  # as nbclient does for every notebook: no second start
        client.wait_for_ready(timeout=1)

        def said(code: str) -> str:
            out = []
            client.execute_interactive(code, timeout=30, output_hook=lambda msg: out.append(msg["content"].get("text", "")))
            return "".join(out).strip()

        said("left_over = 1")
        execute.reset_kernel(kernel)
        assert said("import gc; print('left_over' in globals(), gc.get_freeze_count() > 0)") == "False True"
    finally:
        kernel.shutdown_kernel(now=True)
