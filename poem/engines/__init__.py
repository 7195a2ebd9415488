"""Engines that fit the colony on data too large for one process.

:mod:`poem.engines.dask` fits a :class:`poem.antcolony.ManHill` from a directory or glob of Parquet files
on a Dask cluster (a :class:`dask.distributed.LocalCluster` started by POEM, or an existing one), and gives
the same model as the in-memory engine up to float rounding. Its parts, one job each:
:mod:`poem.engines.parquet` splits a dataset into pieces and validates them with the import layer's rules
(no Dask needed); :mod:`poem.engines.tasks` holds the functions the workers run; :mod:`poem.engines.cluster`
connects to or starts the cluster and shows progress.

The Dask engine is imported lazily (``from poem.engines.dask import fit_dask``) so that ``import poem``
never imports Dask.
"""

__all__ = ["dask", "parquet", "tasks", "cluster"]
