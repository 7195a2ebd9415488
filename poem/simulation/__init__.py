"""The course simulator, split by job: :mod:`.course` (hidden structure), :mod:`.learners` (mastery and
wandering), :mod:`.engine` (the stepping loop), :mod:`.open_loop` (benchmark-format courses),
:mod:`.policies` and :mod:`.closed_loop` (the man-hill experiment). :mod:`poem.simulate` is the public face."""

__all__ = ["course", "learners", "engine", "open_loop", "policies", "closed_loop"]
