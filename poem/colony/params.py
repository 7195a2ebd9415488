"""The man-hill's parameters: their defaults and their validation.

:class:`poem.antcolony.ManHill` stores its parameters as attributes (scikit-learn's convention) and checks
them here when it fits; the command line and the Dask engine check them the same way before reading any
data. The meaning of each parameter is documented on the class.
"""

from __future__ import annotations

import numpy as np

from poem.errors import ParameterError

__all__ = ["DEFAULTS", "DECAYS", "READINESS", "COMBINES", "SAMPLINGS", "check_params"]

DECAYS = (None, "evaporation", "erosion")

#: every parameter with its default; validated by :func:`check_params`
DEFAULTS = dict(
    q=1.0, depth=2, lam=0.5, session_gap=None, mastery=0.5, failure_bonus=0.0, tour_quality=False,
    decay=None, rho=0.1, period=7 * 86400.0, erosion=0.01,
    prior=None, prior_weight=1.0,
    elo_theta0=0.0, elo_k0=1.0, elo_k_min=0.1, elo_halflife=10.0, elo_iter=3,
    target_success=0.7, w_plus=1.0, w_minus=1.0, w_precedence=1.0, w_level=1.0, exploration=0.2,
    smoothing=2.0, tournament_size=3, readiness="share", mastery_successes=None,
    mastery_confidence=0.9, cond_calibrated=True, combine="gain", w_remediate=1.0,
    sampling="conditional", doubt=False,
)
READINESS = ("share", "conditional")
COMBINES = ("gain", "sum")
SAMPLINGS = ("none", "thompson", "conditional")


def check_params(model) -> None:
    """Validate every parameter of ``model`` (a :class:`~poem.antcolony.ManHill`, read through its
    attributes); raises :class:`~poem.errors.ParameterError` naming the parameter, the bad value and the
    allowed range.

    >>> class Params: pass
    >>> m = Params(); m.__dict__.update(DEFAULTS); m.depth = -1
    >>> check_params(m)
    Traceback (most recent call last):
    ...
    poem.errors.ParameterError: ManHill parameter depth must be >= 0, got -1
    """
    def num(name, lo=None, hi=None, lo_open=False, integer=False, allow_none=False):
        v = getattr(model, name)
        if v is None and allow_none:
            return
        if isinstance(v, bool) or not isinstance(v, (int, float, np.integer, np.floating)) or v != v:
            raise ParameterError(f"ManHill parameter {name} must be a number, got {v!r}")
        if integer and int(v) != v:
            raise ParameterError(f"ManHill parameter {name} must be an integer, got {v!r}")
        if lo is not None and (v < lo or (lo_open and v == lo)):
            raise ParameterError(f"ManHill parameter {name} must be {'>' if lo_open else '>='} {lo}, got {v!r}")
        if hi is not None and v > hi:
            raise ParameterError(f"ManHill parameter {name} must be <= {hi}, got {v!r}")

    def flag(name):
        v = getattr(model, name)
        if not isinstance(v, (bool, np.bool_)):
            raise ParameterError(f"ManHill parameter {name} must be True or False, got {v!r}")

    num("q", 0, lo_open=True)
    num("depth", 0, integer=True)
    num("lam", 0, 1)
    num("session_gap", 0, lo_open=True, allow_none=True)
    num("mastery", 0, 1, lo_open=True)
    num("failure_bonus", 0)
    flag("tour_quality")
    if model.decay not in DECAYS:
        raise ParameterError(f"ManHill parameter decay must be one of {list(DECAYS)}, got {model.decay!r}")
    num("rho", 0, 1)
    num("period", 0, lo_open=True)
    num("erosion", 0, 1)
    num("prior_weight", 0)
    num("elo_theta0")
    num("elo_k0", 0, lo_open=True)
    num("elo_k_min", 0, lo_open=True)
    num("elo_halflife", 0, lo_open=True)
    num("elo_iter", 1, integer=True)
    num("target_success", 0, 1, lo_open=True)
    if model.target_success >= 1:
        raise ParameterError(f"ManHill parameter target_success must be < 1, got {model.target_success!r}")
    for name in ("w_plus", "w_minus", "w_precedence", "w_level", "exploration", "smoothing", "w_remediate"):
        num(name, 0)
    num("tournament_size", 1, integer=True)
    num("mastery_successes", 1, integer=True, allow_none=True)
    num("mastery_confidence", 0, 1, lo_open=True)
    if model.mastery_confidence >= 1:
        raise ParameterError(f"ManHill parameter mastery_confidence must be < 1, got {model.mastery_confidence!r}")
    flag("cond_calibrated")
    if model.readiness not in READINESS:
        raise ParameterError(f"ManHill parameter readiness must be one of {list(READINESS)}, "
                             f"got {model.readiness!r}")
    if model.sampling not in SAMPLINGS:
        raise ParameterError(f"ManHill parameter sampling must be one of {list(SAMPLINGS)}, got {model.sampling!r}")
    flag("doubt")
    if model.combine not in COMBINES:
        raise ParameterError(f"ManHill parameter combine must be one of {list(COMBINES)}, got {model.combine!r}")
    if model.elo_k_min > model.elo_k0:
        raise ParameterError(f"ManHill parameter elo_k_min ({model.elo_k_min}) must not exceed elo_k0 "
                             f"({model.elo_k0})")
