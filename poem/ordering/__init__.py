"""Orderings of a course's items, behind :mod:`poem.paths` (the layer's entry point):
:mod:`~poem.ordering.lop` (linear ordering problem), :mod:`~poem.ordering.aco` (Ant Colony System),
:mod:`~poem.ordering.baselines` (paths a colony must beat) and :mod:`~poem.ordering.evaluation` (scores
against a known prerequisite graph)."""
