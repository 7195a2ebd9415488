"""The Dask client the engine runs on, and waiting on its tasks with a progress bar.

:func:`dask_client` connects to an existing scheduler or starts (and always closes) a
:class:`distributed.LocalCluster`; :func:`wait_for` shows a tqdm bar on stderr while futures complete.

Examples
--------
>>> with dask_client(n_workers=1, processes=False, progress=False) as client:   # doctest: +SKIP
...     client.submit(sum, [1, 2]).result()
3
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys

import numpy as np

from poem.errors import ParameterError, PoemError

__all__ = ["dask_client", "wait_for", "progress_bar"]


def _check_memory_limit(memory_limit):
    if memory_limit is None:
        return "auto"
    if isinstance(memory_limit, (int, float)) and not isinstance(memory_limit, bool):
        if memory_limit <= 0:
            raise ParameterError(f"memory_limit must be positive, got {memory_limit!r}")
        return memory_limit
    from dask.utils import parse_bytes

    try:
        parse_bytes(str(memory_limit))
    except (ValueError, TypeError) as exc:
        raise ParameterError(f"memory_limit must be a byte count such as '1GB', got {memory_limit!r}") from exc
    return str(memory_limit)


@contextlib.contextmanager
def dask_client(scheduler=None, *, n_workers=None, memory_limit=None, processes=True, progress=True,
                timeout: str = "10s"):
    """A :class:`distributed.Client`: to ``scheduler`` (an address or an existing ``Client``, left open),
    or to a :class:`~distributed.LocalCluster` started here and always closed on exit.

    Parameters
    ----------
    n_workers : int, optional
        Workers of the local cluster, one thread each (default: the machine's cores, at most 4).
    memory_limit : str or int, optional
        Per-worker memory limit of the local cluster (``"1GB"``); workers spill to disk near it.
    processes : bool
        Workers in separate processes (True) or threads of this process (False: quick, for tests).
    progress : bool
        Print the dashboard link (local cluster with processes) on stderr.
    timeout : str
        How long to try reaching ``scheduler`` before giving up.
    """
    from distributed import Client, LocalCluster

    if scheduler is not None:
        if n_workers is not None or memory_limit is not None:
            raise ParameterError("n_workers and memory_limit configure the LocalCluster poem starts; they "
                                 f"cannot apply to the existing scheduler {scheduler!r}")
        if isinstance(scheduler, Client):
            yield scheduler
            return
        try:
            client = Client(scheduler, timeout=timeout)
        except (OSError, TimeoutError) as exc:
            raise PoemError(f"cannot reach the Dask scheduler at {scheduler!r}: {exc}") from exc
        try:
            yield client
        finally:
            client.close()
        return
    if n_workers is None:
        n_workers = max(1, min(4, os.cpu_count() or 1))
    if isinstance(n_workers, bool) or not isinstance(n_workers, (int, np.integer)) or n_workers < 1:
        raise ParameterError(f"n_workers must be a positive integer, got {n_workers!r}")
    limit = _check_memory_limit(memory_limit)
    if limit is not None and not processes:
        # thread workers share this process: Dask's memory monitor would weigh the whole process (the caller
        # included) against the limit and pause the workers for good once it passed 80% of it
        raise ParameterError("memory_limit needs process workers (processes=True); thread workers share the "
                             "calling process's memory")
    cluster = LocalCluster(n_workers=int(n_workers), threads_per_worker=1, memory_limit=limit,
                           processes=processes, dashboard_address=":0",  # a free port: never clash with 8787
                           silence_logs=logging.ERROR)
    try:
        client = Client(cluster)
        try:
            if progress and processes:
                print(f"poem: Dask dashboard at {client.dashboard_link}", file=sys.stderr)
            yield client
        finally:
            client.close()
    finally:
        cluster.close()


def progress_bar(total: int, label: str):
    """A tqdm bar on stderr labelled ``poem: label``."""
    from tqdm import tqdm

    return tqdm(total=total, desc=f"poem: {label}", unit="task", file=sys.stderr, leave=True)


def wait_for(client, futures, progress: bool, label: str, gather: bool = True):
    """Wait for ``futures`` (a tqdm bar on stderr as they complete); return their results in order, or
    the futures themselves (done, results left on the workers) when ``gather`` is false."""
    from distributed import as_completed, wait

    if progress and futures:
        with progress_bar(len(futures), label) as bar:
            for _ in as_completed(futures):
                bar.update(1)
    if not gather:
        wait(futures)
        errors = [f for f in futures if f.status == "error"]
        if errors:
            errors[0].result()  # re-raises the task's exception here
        return futures
    return client.gather(futures)
