"""Importers behind :func:`poem.io.read_traces`, one module per job.

* :mod:`~poem.importers.timestamps` - vectorised timestamp parsing (offsets, naive values, epochs);
* :mod:`~poem.importers.tabular` - DataFrame / CSV / Parquet tables, column recognition, row checks;
* :mod:`~poem.importers.jsonlines` - chunked JSON Lines reading with line numbers (plain, gz);
* :mod:`~poem.importers.edx` - Open edX tracking logs;
* :mod:`~poem.importers.xapi` - xAPI statements;
* :mod:`~poem.importers.oulad` - the Open University Learning Analytics Dataset;
* :mod:`~poem.importers.dkt` - the three-line knowledge-tracing format (ASSISTments and others);
* :mod:`~poem.importers.catalog` - item catalogues;
* :mod:`~poem.importers.batch` - validated batches and their assembly into :class:`~poem.traces.Traces`;
* :mod:`~poem.importers.canonical` - the canonical Parquet file (:func:`poem.io.write_traces`).
"""

__all__ = ["timestamps", "tabular", "jsonlines", "edx", "xapi", "oulad", "dkt", "catalog", "batch", "canonical"]
