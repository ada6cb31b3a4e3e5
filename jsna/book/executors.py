"""Where the plan's jobs run: a local pool of worker processes (the default), or a Dask distributed
cluster (``--executor dask --scheduler ADDRESS``, or ``--scheduler local:N`` for a
``LocalCluster`` of N worker processes on this machine).

Every job is a plain function of plain arguments that reads and writes files by path, so the
same job gives the same files wherever it runs; a remote cluster's workers must see the build
folder at the same path (a shared file system) and have the same package installed. A job that
fails raises :class:`jsna.errors.BuildError` on its worker; the error comes back unchanged and
stops the run, as it does locally.
"""

from __future__ import annotations

import sys
import warnings
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, wait
from contextlib import contextmanager

from jsna.config import Executor
from jsna.errors import BuildError
from jsna.processes import process_pool


def run_jobs(executor: Executor, workers: int, function: Callable, calls: list[tuple], *, done: Callable[[object], None] | None = None) -> list:
    """``function(*args)`` for every ``args`` in ``calls``, on the executor; results in the order of
    ``calls``. ``done`` is called with each result as it arrives (progress). The first failure
    cancels what has not started and is raised here."""
    if not calls:
        return []
    with _pool(executor, min(workers, len(calls))) as pool:
        futures = [pool.submit(function, *args) for args in calls]
        index = {id(f): i for i, f in enumerate(futures)}
        results: list = [None] * len(calls)
        for future in _completed(executor, futures):
            error = future.exception()
            if error is not None:
                for other in futures:
                    other.cancel()
                raise error
            results[index[id(future)]] = value = future.result()
            if done is not None:
                done(value)
        return results


@contextmanager
def _pool(executor: Executor, workers: int) -> Iterator:
    if executor.kind == "local":
        with process_pool(workers) as pool:
            yield pool
        return
    client = _dask_client(executor.scheduler, workers)
    try:
        yield _DaskPool(client)
    finally:
        cluster = client.cluster if executor.scheduler.startswith("local:") else None
        client.close()
        if cluster is not None:
            cluster.close()


def _dask_client(scheduler: str, workers: int):
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        raise BuildError("--executor dask needs the packages dask and distributed (pip install dask distributed)") from None
    if scheduler.startswith("local:"):
        import dask

        # One thread per worker process: a notebook runs in its worker's kernel, one at a time.
        # Workers that are not daemons may start processes of their own (the disclosure audit does).
        dask.config.set({"distributed.worker.daemon": False})
        with warnings.catch_warnings():  # no dashboard: a warning that its port is taken is noise
            warnings.simplefilter("ignore")
            cluster = LocalCluster(n_workers=int(scheduler[6:]), threads_per_worker=1, processes=True, dashboard_address=None,
                                   silence_logs=50)  # fmt: skip
        return Client(cluster)
    try:
        return Client(scheduler, timeout=30)
    except OSError as error:
        raise BuildError(f"--scheduler {scheduler}: cannot reach the Dask scheduler ({error})") from None


class _DaskPool:
    """A Dask client as a pool: ``submit`` makes a task that always runs (``pure=False``)."""

    def __init__(self, client):
        self.client = client

    def submit(self, function: Callable, *args):
        return self.client.submit(function, *args, pure=False)


def _completed(executor: Executor, futures: list) -> Iterable:
    if executor.kind == "dask":
        from distributed import as_completed

        yield from as_completed(futures)
        return
    pending = set(futures)
    while pending:
        finished, pending = wait(pending, return_when=FIRST_COMPLETED)
        yield from finished


def progress(total: int, label: str, enabled: bool):
    """A progress bar on standard error (tqdm), the same whichever executor runs the jobs."""
    from tqdm import tqdm

    return tqdm(total=total, desc=label, unit="job", disable=not enabled, file=sys.stderr)
