"""The team report: :mod:`~poem.report.build` runs the report notebook and renders one HTML file,
:mod:`~poem.report.data` computes its tables, :mod:`~poem.report.texts` holds every sentence in English
and French, :mod:`~poem.report.plots` draws its figures."""
