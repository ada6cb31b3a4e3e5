"""Worker processes that start clean, whatever the process that asks for them is doing.

A build runs threads of its own while it starts worker processes: briefs render on threads
(vl-convert runs a JavaScript engine with threads of its own, Pandoc and Typst are waited on) while
the notebooks' pool starts. A process *forked* from a threaded one inherits every lock those
threads held at that instant, held by threads that do not exist in it: a worker that then imports
a module another thread was importing, or touches a lock a thread was holding, waits forever.
So workers are started by a fork server: a single-threaded process, started once, that imports
what the jobs need (``PRELOAD``) and forks each worker from itself, never from the build.
"""

from __future__ import annotations

import multiprocessing
from concurrent.futures import ProcessPoolExecutor

# What the jobs import: loaded once in the fork server, so that a worker starts with them.
PRELOAD = ["jsna.book.execute", "jsna.book.authorities", "jsna.compute.disclosure", "papermill", "jupytext", "nbformat"]


def process_pool(workers: int) -> ProcessPoolExecutor:
    """A pool of ``workers`` processes forked from a clean fork server."""
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(PRELOAD)
    return ProcessPoolExecutor(max_workers=max(1, workers), mp_context=context)
