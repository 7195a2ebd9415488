"""The researcher's lab: :mod:`~poem.lab.runner` runs the notebooks with papermill,
:mod:`~poem.lab.batch` runs a grid of them, :mod:`~poem.lab.publish` is how a notebook hands back named
results, and :mod:`~poem.lab.experiments` holds the loops and tables the notebooks call."""
