"""The man-hill's parts, behind :mod:`poem.antcolony` (the layer's entry point and home of ``ManHill``):
:mod:`~poem.colony.kernels` (numba passes over trails), :mod:`~poem.colony.state` (the mergeable sums),
:mod:`~poem.colony.elo` (item difficulty and learner ability), :mod:`~poem.colony.suggestion` (scoring and
selecting next items), :mod:`~poem.colony.audit` (findings for a team) and :mod:`~poem.colony.persistence`
(the ``.npz`` model file). None of them imports :mod:`poem.antcolony`."""
