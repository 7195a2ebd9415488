"""The course simulator: hidden prerequisite DAGs, BKT-like learners, and the closed-loop man-hill experiment.

Each job has its own module (:mod:`~poem.simulation.course` hidden structure, :mod:`~poem.simulation.learners`
mastery and wandering, :mod:`~poem.simulation.engine` the stepping loop, :mod:`~poem.simulation.open_loop`,
:mod:`~poem.simulation.policies`, :mod:`~poem.simulation.closed_loop`, :mod:`~poem.simulation.promotion` the
metrics, :mod:`~poem.simulation.synth` large synthetic logs); this package is their public face
(``poem.simulate`` is the same module):

- :func:`simulate_course` -- a course (random DAG, or a given graph such as :func:`junyi_graph`) followed by
  unguided learners; :meth:`SimulatedCourse.write` produces ``traces.csv``, ``outcomes.csv`` and
  ``truth.json`` in the format of the public benchmark courses.
- :func:`closed_loop` -- cohorts arriving one after another, guided by a policy (``none``, ``random``,
  ``syllabus``, ``oracle`` or the colony's ``suggest``), with per-cohort promotion metrics
  (:mod:`poem.simulation.promotion`) and time to mastery; :func:`semet_test` -- how many learners a colony started
  from a partly wrong teacher prior needs to correct it.

Examples
--------
>>> from poem.simulation import simulate_course
>>> sim = simulate_course(n_items=10, n_learners=25, seed=3)
>>> traces = sim.to_traces()
>>> traces.n_items
10
"""

from __future__ import annotations

from poem.simulation.closed_loop import POLICIES, closed_loop, compare_policies, semet_test
from poem.simulation.course import Course, junyi_graph, make_course, random_prerequisite_dag, read_edge_list
from poem.simulation.learners import DEFAULT_POPULATIONS, Population, unstructured
from poem.simulation.open_loop import SimulatedCourse, simulate_course

__all__ = [
    "simulate_course", "SimulatedCourse", "Course", "make_course", "random_prerequisite_dag",
    "read_edge_list", "junyi_graph", "Population", "DEFAULT_POPULATIONS", "unstructured",
    "closed_loop", "compare_policies", "semet_test", "POLICIES",
]
