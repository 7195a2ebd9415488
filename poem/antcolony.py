"""The man-hill: a pheromone model of the learners' trails (Paraschool; Semet, Lutton & Collet 2003).

Learners are the ants. Each move of a learner from item i to item j (consecutive events of one trail; a
virtual start node n opens every session) is an arc. Arriving at j with score s deposits ``s·q`` on the
success pheromone Φ⁺[i, j] and ``(1 − s)·q`` on the failure pheromone Φ⁻[i, j]; the same deposit reaches
back along the learner's recent path, ``λ^k`` times on the arc k steps back (``depth`` arcs back, never
across the session start). With ``tour_quality=True`` the learner's outcome scales all their deposits, as
the tour length does in ACO.

**Events without a score** (a page view, an OULAD click) extend the trail, count in the arc support
(``arc_learners_``, ``arc_visits_``) and the item reach (``item_learners_``), but deposit no pheromone and
count neither as a success nor as a failure: nothing says how the visit went. A later scored deposit still
reaches back through them, since they are part of the path that led there.

**Precedence.** ``precedence_[i, j]`` counts the learners whose *first* success on i came before their
first success on j (once per learner and pair, scaled by the tour quality when on). That is what a
prerequisite leaves behind wherever the two items sit in the trail. A learner who failed j, then mastered
i, then succeeded on j is, in principle, stronger evidence that i unlocked j: with ``failure_bonus > 0``
such a pair counts ``1 + failure_bonus``. It is off by default: on the two public benchmark courses the
plain once-per-learner count ordered prerequisites at least as well. ``item_masters_`` (learners with a
success on the item) gives the denominators for shares such as ``precedence_[i, j] / item_masters_[j]``.
Precedence is evidence about the course, not a trail, so it is never decayed.

**Conditional success.** ``cond_attempts_[i, j]`` / ``cond_successes_[i, j]`` count the attempts on j
(until j is mastered) made after i was mastered, and their score sum; ``cond_tries_`` / ``cond_first_``
are all the attempts until mastery, so the "without i" side is the difference. Mastery there is the
``mastery_successes``-th success (two when calibrated; ``suggest`` recounts them at one pass on the items
the calibration finds one pass to be mastery, ``cond_calibrated``). From them :func:`poem.colony.suggestion.conditional_evidence` estimates
"i is a prerequisite of j" by contrast (success on j with i against without it) rather than by order.
They are unweighted sums over learners, never decayed, and add across states like everything else.

**Decay** (pheromones only), ``decay=None | "evaporation" | "erosion"``:

* evaporation, time-driven: τ ← τ·(1 − ρ)^(Δt / period). A deposit made at time t weighs
  (1 − ρ)^((t_ref − t) / period) at the fit's reference time t_ref (the latest event). A quiet month
  wipes the trails, whatever the colony did.
* erosion, event-driven (Valigiani et al. 2005): every deposit on an arc out of node i first scales all
  arcs out of i by (1 − ε). Only new traffic out of i erodes i's arcs: a holiday changes nothing, and the
  pheromone out of a node stays bounded by q / ε (each deposit is at most q).

**Teacher prior** ``prior``: an (n+1, n) or (n, n) array of arc weights, a DataFrame indexed and labelled
by item ids (a row labelled ``__start__`` for the start node), or a syllabus order (a list of item ids: the start node and each item point to the next). It
is stored scaled to [0, 1] and used by ``suggest`` (and the paths layer) so a new course starts from the
teachers' structure and the pheromones correct it.

**ELO** learner ability and item difficulty with a decreasing K and the deflation fixed: see
:mod:`poem.colony.elo`.

**Mergeable state.** Without decay every count above is a sum over learners: ``partial_state`` computes a
:class:`~poem.colony.state.ColonyState` on complete trails, states add, and ``from_state`` finishes the
colony (ELO is replayed over the states' compact logs of scored events). ``partial_fit`` adds a new
cohort that way. Suggestions, their evidence and the selection operators live in :mod:`poem.colony.suggestion`,
the audit in :mod:`poem.colony.audit`, persistence in :mod:`poem.colony.persistence`.

Examples
--------
>>> import pandas as pd
>>> from poem.traces import Traces
>>> frame = pd.DataFrame({
...     "learner": ["a", "a", "b", "b"], "item": ["x", "y", "x", "y"],
...     "timestamp": pd.to_datetime(["2024-01-01", "2024-01-02"] * 2, utc=True),
...     "score": [1.0, 1.0, 1.0, 0.0]})
>>> model = ManHill(depth=0).fit(Traces.from_frame(frame))
>>> model.phi_plus_.tolist()          # rows x, y, start; columns x, y
[[0.0, 1.0], [0.0, 0.0], [2.0, 0.0]]
>>> model.precedence_.tolist()        # learner a mastered x then y
[[0.0, 1.0], [0.0, 0.0]]
>>> [s.item for s in model.suggest(["x"], scores=[1.0], k=1)]     # one pass may be a guess: confirm it
['x']
>>> [s.item for s in model.suggest(["x", "x"], scores=[1.0, 1.0], k=1)]
['y']
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from poem.colony.kernels import conditional_pass, erosion_pass, row_deposit_counts, session_firsts, trail_pass
from poem.colony.state import DEPOSIT_PARAMS, ColonyState, plain_scalar
from poem.colony.elo import fit_elo, learner_rating
from poem.colony.success import (
    LearnerState, StateCache, SuccessModel, UnknownItemWarning, checked_scores, encode_ids, fit_success_model,
    item_code)
from poem.colony.calibration import kind_codes
# check_params keeps its old name here: the Dask engine and the CLI call it as a hook (docs/design.md)
from poem.colony.params import DEFAULTS, check_params as _check_params
from poem.colony.suggestion import (OPERATORS, SuggestTables, Suggestion, build_prior, check_scores, select,
                                    score_candidates, seeded_generator)
from poem.errors import NotFittedError, ParameterError, TraceFormatError
from poem.traces import Traces

__all__ = ["ManHill", "ColonyState", "Suggestion", "OPERATORS"]

#: learner states kept by predict_success (a history one attempt longer than a cached one costs one update)
_STATE_CACHE = 4096


class ManHill:
    """The colony's memory of the learners' trails; see the module docstring.

    Parameters
    ----------
    q : float
        Deposit per scored arrival.
    depth : int
        Arcs reached back beyond the arrival arc (0: the arrival arc only).
    lam : float
        Reach-back factor λ in [0, 1] per arc back.
    session_gap : float or None
        Seconds of inactivity that start a new session (its first item hangs off the start node).
    mastery : float
        Score at or above which an event is a success (precedence, tabu in ``suggest``).
    failure_bonus : float
        Extra precedence weight when the learner had failed j before mastering i.
    tour_quality : bool
        Scale each learner's deposits and precedence by their outcome in [0, 1]; an unknown outcome counts
        as the mean known one (in ``partial_fit``: of the new cohort, so with unknown outcomes
        ``partial_fit`` and a fit on everything weigh those learners differently).
    decay : None, "evaporation" or "erosion"
    rho, period : float
        Evaporation rate per ``period`` seconds.
    erosion : float
        Share ε of the arcs out of a node eroded by each deposit there.
    prior : array, DataFrame, list of item ids or None
        Teacher prior W (see the module docstring); ``prior_weight`` its weight in ``suggest``.
    elo_theta0, elo_k0, elo_k_min, elo_halflife, elo_iter : float
        ELO entry rating, step schedule and sweeps (:func:`poem.colony.elo.fit_elo`).
    target_success : float
        Predicted success ``suggest`` aims at (ELO level matching).
    w_plus, w_minus, w_precedence, w_level, exploration : float
        Weights of the suggestion terms: success pheromone, failure pheromone (subtracted), readiness
        from precedence, level matching, and the bonus for little-travelled arcs.
    smoothing : float
        Pseudo-count pulling arc success rates toward the item's success rate.
    tournament_size : int
        Candidates per tournament for ``operator="tournament"``.
    readiness : {"share", "conditional"}
        How ``suggest`` reads readiness: the share of j's significant ``precedence_`` predecessors
        mastered (default), or a soft AND over the conditional-success evidence (see
        :mod:`poem.colony.suggestion`; measured worse in closed loop, kept as an option).
    mastery_successes : int or None
        Successes (score >= ``mastery``) after which an item counts as mastered in ``suggest`` (tabu, and
        covering its dependents). None (default): calibrated per item from the traces
        (:mod:`poem.colony.calibration`: a knowledge-tracing fit says how often a first pass is a guess,
        and the item needs as many passes as bring the mastery posterior to ``mastery_confidence``); an
        integer overrides it for every item. The conditional-success counts (``cond_*``) use this value
        (2 when None), so states with different values do not add.
    mastery_confidence : float
        Posterior mastery that the calibrated number of passes must reach (default 0.9).
    cond_calibrated : bool
        True (default): when the mastery is calibrated, the conditional-success counts ``suggest`` reads
        take an item as mastered at its calibrated number of passes, at most two (recounted on the
        state's log where that is one); False: at two passes, as fitted. Where one pass is mastery the
        two-pass counts stay nearly empty (a learner never passes an item twice) and the conditional draw
        has nothing to condition on: on the closed-loop family the recount lifted first_success from
        0.378 to 0.390 NRP (mean +0.009 over three seeds) and held elsewhere.
    sampling : {"conditional", "thompson", "none"}
        ``"thompson"``: the gain product uses a draw of each item's success probability, more spread
        where the colony has few attempts on the item (exploration by Thompson sampling; the draws come
        from ``suggest``'s ``rng``, seed 0 when None, so the same call gives the same suggestions).
        Across the closed-loop scenario family it beat the plain expected gain in 8 of 12 scenarios.
        ``"conditional"`` (default): the same draw, centred instead on the learner's chance *given the
        items they have mastered* wherever learners tried the item after mastering one of them
        (readiness from the learned success; :func:`poem.colony.conditional.conditional_success`); on
        the family it lifted a 40-item chain from 0.134 to about 0.20 NRP and held elsewhere
        (``benchmarks/results/closed_loop.md``). ``"none"`` uses the predicted success itself.
    combine : {"gain", "sum"}
        ``"gain"`` (default) multiplies the shifted additive score by the predicted success (expected
        gain); ``"sum"`` keeps the additive score.
    w_remediate : float
        After a failure on the current item j, weight of the bonus for j's likely missing prerequisites:
        each unmastered i gets ``w_remediate · E[i, j] / max_i E[i, j]`` (E the readiness evidence); 0
        turns it off. Default 1, the scale of ``w_precedence``.
    doubt : bool
        True: a mastered item whose belief, after the learner's later failures on items that need it,
        falls under 1/2 counts as unmastered again and is suggested as a confirmation
        (:mod:`poem.colony.doubt`; calibrated mastery only). Default False: on the closed-loop family it
        lifts the chain (a guessed pass otherwise strands the learner) but is not yet measured to hold
        everywhere (``benchmarks/results/closed_loop.md``).
    """

    def __init__(self, **params):
        unknown = sorted(set(params) - set(DEFAULTS))
        if unknown:
            raise ParameterError(f"unknown ManHill parameter(s) {unknown}; valid: {sorted(DEFAULTS)}")
        for name, default in DEFAULTS.items():
            setattr(self, name, params.get(name, default))

    # ------------------------------------------------------------------ scikit-learn conventions
    def get_params(self, deep: bool = True) -> dict:
        return {name: getattr(self, name) for name in DEFAULTS}

    def set_params(self, **params) -> "ManHill":
        unknown = sorted(set(params) - set(DEFAULTS))
        if unknown:
            raise ParameterError(f"unknown ManHill parameter(s) {unknown}; valid: {sorted(DEFAULTS)}")
        for name, value in params.items():
            setattr(self, name, value)
        return self

    def __repr__(self) -> str:
        changed = {k: v for k, v in self.get_params().items()
                   if not (v is DEFAULTS[k] or (isinstance(v, (int, float, str)) and v == DEFAULTS[k]))}
        inner = ", ".join(f"{k}={v!r}" if not isinstance(v, np.ndarray) else f"{k}=<array>"
                          for k, v in changed.items())
        return f"ManHill({inner})"

    @property
    def is_fitted(self) -> bool:
        return hasattr(self, "state_")

    def _check_params(self) -> None:
        """Validate every parameter (raises :class:`~poem.errors.ParameterError` naming the bad value)."""
        _check_params(self)

    def _check_fitted(self):
        if not self.is_fitted:
            raise NotFittedError("this ManHill is not fitted yet: call fit(traces) first")

    # ------------------------------------------------------------------ fitting
    def fit(self, traces: Traces, outcomes=None, catalog=None, viewing=None) -> "ManHill":
        """Build the colony from ``traces`` (a :class:`~poem.traces.Traces`).

        ``outcomes`` (frame ``learner, outcome``, Series by learner, or array aligned with
        ``traces.learners``) replaces the outcomes carried by the traces; they only matter with
        ``tour_quality=True``. Returns ``self``.

        ``catalog`` (path or frame with ``item``, ``kind``, ``length`` in seconds) reads the video visits
        as evidence (:mod:`poem.colony.viewing`): a watched-through visit is a success, an abandoned one a
        failure, reviews count for nothing; quizzes keep their scores. ``viewing`` (dict of
        :data:`poem.colony.viewing.VIEWING_DEFAULTS`, or True to use ``traces.item_info`` as catalogue)
        tunes that mapping. Kept: the evidence in ``viewing_``, the mapping's parameters in
        ``viewing_params_`` (its landing counts in ``landing_counts_``), the per-kind weights in
        ``evidence_weights_``, the reader of one learner's
        viewing history (:meth:`poem.colony.viewing_history.HistoryReader.from_fit`) in ``history_reader_``;
        all but ``viewing_`` saved with the colony (None without viewing), for :meth:`partial_fit`.
        """
        _check_params(self)
        traces = _check_traces(traces, outcomes)
        self.viewing_ = self.evidence_weights_ = self.history_reader_ = self.viewing_params_ = None
        self.landing_counts_ = None
        from poem.colony.viewing import _catalog_frame
        # the items' kinds (quiz, exam, video...): the mastery calibration pools each kind's items
        self._kind_frame, self.item_kinds_ = _catalog_frame(traces, catalog), None
        if catalog is not None or viewing not in (None, False):
            from poem.colony.viewing import apply_viewing
            options = viewing if isinstance(viewing, dict) else {}
            traces, self.viewing_, self.evidence_weights_ = apply_viewing(
                traces, catalog, mastery=float(self.mastery), **options)
            self.viewing_params_ = {k: plain_scalar(v) for k, v in self.viewing_.params.items()}
            self.landing_counts_ = self.viewing_.landing_counts   # pooled by partial_fit (viewing_cohort)
        state = self.partial_state(traces)
        phi = self._decayed_pheromones(traces, state.t_max) if self.decay is not None else None
        self._finish(state, phi, t_ref=state.t_max)
        if self.viewing_ is not None:
            from poem.colony.viewing_history import HistoryReader
            self.history_reader_ = HistoryReader.from_fit(self, traces)
        return self

    def partial_fit(self, traces: Traces, outcomes=None, catalog=None, viewing=None) -> "ManHill":
        """Add a new cohort (learners not seen before) without refitting from scratch. Returns ``self``.

        With ``decay=None`` the result equals ``fit`` on all the traces at once (up to float rounding;
        with ``tour_quality=True`` this needs every outcome known, see ``tour_quality``); with decay the
        existing pheromones decay as if the new events came after the old ones. Not fitted yet: ``fit``.

        **A colony read from viewing evidence** (fitted with ``catalog=`` or ``viewing=``) reads the new
        cohort's visits with its ``viewing_params_`` and ``evidence_weights_``: pass ``catalog`` (or
        ``viewing=True`` for ``item_info``); the landing is learned on the counts the colony pooled,
        thresholds and pace on the cohort alone, so the sums equal a fit on all the traces where the mapping
        is per visit (fixed ``threshold``, ``landing="rule"``, ``pace="off"``). ``viewing_`` then holds the
        cohort's evidence; the history reader is kept, so the path keeps its reliability weighting. Details
        and the reasons: :mod:`poem.colony.viewing_cohort`.

        Raises
        ------
        ParameterError
            Unscored visits with seconds watched and no catalogue on a viewing colony (they would leave
            no evidence); a catalogue on a colony fitted without viewing; see :mod:`poem.colony.viewing_cohort`.
        TraceFormatError
            When a learner of ``traces`` was fitted already.
        """
        if not self.is_fitted:
            return self.fit(traces, outcomes, catalog=catalog, viewing=viewing)
        _check_params(self)
        traces = _check_traces(traces, outcomes)
        active = np.diff(traces.trail_bounds()) > 0
        seen = np.intersect1d(self.state_.learners.astype(str), np.asarray(traces.learners)[active].astype(str))
        if len(seen):
            raise TraceFormatError(
                f"partial_fit adds new learners, but {len(seen)} were fitted already (e.g. {str(seen[0])!r}); "
                "refit on all the traces to extend their trails")
        from poem.colony.viewing_cohort import after_cohort, read_cohort
        traces, evidence, kinds = read_cohort(self, traces, catalog, viewing)   # changes nothing yet
        cohort, old_items = traces, self.items_
        new = self.partial_state(traces)
        merged = self.state_ + new
        phi = None
        t_ref = merged.t_max
        if self.decay is not None:
            plus, minus = _embed(self.phi_plus_, self.phi_minus_, self.items_, merged.items)
            if new.n_learners:
                traces = _with_items(traces, merged.items)
                if self.decay == "evaporation":
                    if self._t_ref is not None:
                        elapsed = max(0, t_ref - self._t_ref) / 1e9
                        factor = (1.0 - self.rho) ** (elapsed / self.period)
                        plus, minus = plus * factor, minus * factor
                else:
                    # each new deposit out of a row erodes what the row already holds
                    counts = row_deposit_counts(traces.item, traces.score, _sess_first(self, traces),
                                                len(merged.items), int(self.depth))
                    keep = (1.0 - self.erosion) ** counts.astype(float)
                    plus, minus = plus * keep[:, None], minus * keep[:, None]
                new_p, new_m = self._decayed_pheromones(traces, t_ref)
                plus, minus = plus + new_p, minus + new_m
            phi = (plus, minus)
        self._kind_frame = kinds      # the items' kinds, new ones included (the calibration pools them)
        self._finish(merged, phi, t_ref=t_ref if t_ref is not None else self._t_ref)
        after_cohort(self, old_items, cohort, evidence)
        return self

    def partial_state(self, traces: Traces) -> ColonyState:
        """The mergeable sums of ``traces`` (complete learner trails, decay off); see
        :class:`~poem.colony.state.ColonyState`. Parameters are validated here too."""
        _check_params(self)
        traces = _check_traces(traces, None)
        n = traces.n_items
        bounds = traces.trail_bounds()
        lw = _learner_weights(self, traces)
        (phi_p, phi_m, visits, arc_l, prec, att, succ, item_l, item_ev, item_m) = trail_pass(
            traces.item, traces.score, traces.timestamp, bounds, _gap_ns(self), np.empty(0), lw, n,
            int(self.depth), float(self.lam), float(self.q), float(self.mastery), float(self.failure_bonus))
        cond_att, cond_succ, cond_tries, cond_first = conditional_pass(
            traces.item, traces.score, bounds, n, float(self.mastery), np.full(n, _cond_successes(self), np.int64))
        # a subset (Traces.select_learners) keeps the whole learner vocabulary: the state covers only the
        # learners with events, so that partitions hold disjoint learners
        active = np.diff(bounds) > 0
        unscored = np.isnan(traces.score)
        if unscored.any():
            scored = ~unscored
            per_learner = np.bincount(traces.learner[scored], minlength=traces.n_learners)[active]
            log = (traces.item[scored], traces.score[scored], traces.timestamp[scored])
        else:
            # every event is scored (the usual quiz log): the log is the traces' own arrays, no copy
            per_learner = np.diff(bounds)[active]
            log = (traces.item, traces.score, traces.timestamp)
        del unscored
        log_bounds = np.concatenate([[0], np.cumsum(per_learner)]).astype(np.int64)
        has_events = traces.n_events > 0
        return ColonyState(
            items=np.asarray(traces.items, dtype=object),
            learners=np.asarray(traces.learners, dtype=object)[active],
            params={k: plain_scalar(getattr(self, k)) for k in DEPOSIT_PARAMS},
            phi_plus=phi_p, phi_minus=phi_m, arc_visits=visits, arc_learners=arc_l, precedence=prec,
            cond_attempts=cond_att, cond_successes=cond_succ, cond_tries=cond_tries, cond_first=cond_first,
            item_attempts=att, item_successes=succ, item_learners=item_l, item_events=item_ev,
            item_masters=item_m,
            n_events=traces.n_events, log_item=log[0].astype(np.int32, copy=False),
            log_score=log[1].astype(np.float64, copy=False), log_time=log[2].astype(np.int64, copy=False),
            log_bounds=log_bounds,
            t_min=int(traces.timestamp.min()) if has_events else None,
            t_max=int(traces.timestamp.max()) if has_events else None)

    @classmethod
    def from_state(cls, state: ColonyState, **params) -> "ManHill":
        """The fitted colony from a (summed) :class:`ColonyState`: equal to ``fit`` on the concatenation of
        the partitions, up to float rounding in sums whose order differs. Deposit parameters default to
        the ones the state was computed with and must agree with them; decay needs the global time order
        and is refused here."""
        clash = {k: (params[k], state.params[k]) for k in DEPOSIT_PARAMS
                 if k in params and k in state.params and plain_scalar(params[k]) != state.params[k]}
        if clash:
            raise ParameterError(f"from_state: parameters {clash} (given, state) differ from the ones the "
                                 "state was computed with")
        merged = {**{k: v for k, v in state.params.items() if k in DEPOSIT_PARAMS}, **params}
        model = cls(**merged)
        _check_params(model)
        if model.decay is not None:
            raise ParameterError(f"from_state builds a colony without decay (got decay={model.decay!r}); "
                                 "fit the traces directly for decay")
        model._finish(state, None, t_ref=state.t_max)
        return model

    def _decayed_pheromones(self, traces: Traces, t_ref):
        n = traces.n_items
        lw = _learner_weights(self, traces)
        if self.decay == "evaporation":
            age = (t_ref - traces.timestamp).astype(float) / 1e9 if t_ref is not None else np.zeros(0)
            weight = (1.0 - self.rho) ** (age / self.period)
            if weight.shape[0] == 0:
                return np.zeros((n + 1, n)), np.zeros((n + 1, n))
            out = trail_pass(traces.item, traces.score, traces.timestamp, traces.trail_bounds(), _gap_ns(self),
                             weight, lw, n, int(self.depth), float(self.lam), float(self.q),
                             float(self.mastery), 0.0)
            return out[0], out[1]
        sess = _sess_first(self, traces)
        # erosion: deposits in global time order; ties keep learner then trail order (stable sort)
        order = np.argsort(traces.timestamp, kind="stable")
        plus, minus, _ = erosion_pass(order, traces.item, traces.score, sess, traces.learner, lw, n,
                                      int(self.depth), float(self.lam), float(self.q), float(self.erosion))
        return plus, minus

    def _finish(self, state: ColonyState, phi, t_ref):
        """Set every fitted attribute from a state (and decayed pheromones when decay is on)."""
        n = state.n_items
        self.state_ = state
        self.items_ = np.asarray(state.items, dtype=object)
        self.phi_plus_, self.phi_minus_ = (state.phi_plus, state.phi_minus) if phi is None else phi
        self.arc_learners_ = state.arc_learners
        self.arc_visits_ = state.arc_visits
        self.precedence_ = state.precedence
        self.cond_attempts_ = state.cond_attempts
        self.cond_successes_ = state.cond_successes
        self.cond_tries_ = state.cond_tries
        self.cond_first_ = state.cond_first
        self.item_attempts_ = state.item_attempts
        self.item_successes_ = state.item_successes
        self.item_learners_ = state.item_learners
        self.item_events_ = state.item_events
        self.item_masters_ = state.item_masters
        self.prior_ = build_prior(self.prior, self.items_)
        self.n_events_ = int(state.n_events)
        self._t_ref = t_ref
        elo = fit_elo(state.log_item, state.log_score, state.log_bounds, state.log_time, n,
                      theta0=float(self.elo_theta0), k0=float(self.elo_k0), k_min=float(self.elo_k_min),
                      halflife=float(self.elo_halflife), n_iter=int(self.elo_iter))
        self.item_difficulty_ = elo.difficulty
        self.item_drift_ = elo.drift
        self._elo = elo
        learners = np.asarray(state.learners, dtype=object)
        order = _text_order(learners)
        self.learners_ = learners if order is None else learners[order]
        self.learner_ability_ = elo.ability if order is None else elo.ability[order]
        self.n_learners_ = len(learners)
        frame = getattr(self, "_kind_frame", None)
        kinds = getattr(self, "item_kinds_", None)   # a loaded model keeps its kinds while its items do
        self.item_kinds_ = kind_codes(self.items_, frame) if frame is not None or kinds is None \
            or len(kinds) != n else kinds
        self._suggest_tables = None  # built on first use: see _tables
        return self

    @property
    def _tables(self) -> SuggestTables:
        """The tables ``suggest`` and the predictions read, built on first use: the mastery calibration
        inside runs an EM over every trail, which a fit for paths, graphs or an engine never needs."""
        tables = getattr(self, "_suggest_tables", None)
        if tables is None:
            tables = self._suggest_tables = SuggestTables.build(self)
        return tables

    # ------------------------------------------------------------------ using the colony
    def suggest(self, history, scores=None, k: int = 5, operator: str = "greedy", rng=None) -> list:
        """Next items for one learner; see :mod:`poem.colony.suggestion` for the score and its terms.

        Parameters
        ----------
        history : sequence of item ids (str) or item codes (int)
            Items seen, oldest first; the last one is the current node (none: the start node).
        scores : sequence of float, optional
            Score of each history item (NaN: unscored). Without scores nothing counts as mastered and
            the learner's ability is the entry rating.
            Scores lie in [0, 1]; anything else raises :class:`~poem.errors.ParameterError`.
        k : int
            Number of suggestions (fewer when fewer items are allowed).
        operator : {"greedy", "roulette", "tournament", "ranking"}
        rng : int, numpy.random.Generator or None
            Randomness for the stochastic operators and for Thompson sampling (``sampling="thompson"``,
            the default; None means seed 0 there, so the same call gives the same suggestions).

        Returns
        -------
        list of Suggestion, best first (for greedy) or in the order drawn; each says in words why
        (``reason``), naming only items of the history (``because``).
        """
        self._check_fitted()
        t = self._tables
        codes, sc = self._history(history, scores, "suggest")
        check_scores(sc, "suggest")
        if operator not in OPERATORS:
            raise ParameterError(f"unknown operator {operator!r}; valid: {list(OPERATORS)}")
        try:
            k_int = int(k)
        except (TypeError, ValueError):
            raise ParameterError(f"suggest: k must be an integer >= 1, got {k!r}") from None
        if k_int < 1:
            raise ParameterError(f"suggest: k must be >= 1, got {k}")
        theta = self._ability(codes, sc)
        if self.sampling in ("thompson", "conditional") and not isinstance(rng, np.random.Generator):
            # without a seed the draws use seed 0: the same call gives the same suggestions (a cached
            # generator put back in its seeded state: seeding anew costs a tenth of the call)
            rng = seeded_generator(rng)
        total, terms, allowed, p = score_candidates(t, codes, sc, theta, rng)
        chosen = select(total, allowed, k_int, operator, rng, int(self.tournament_size))
        current = codes[-1] if codes else t.n
        return t.suggestions(chosen, current, total, terms, p, codes, sc)

    @property
    def calibration_(self):
        """What a pass is worth per item (:class:`poem.colony.calibration.Calibration`), as ``suggest`` uses it."""
        self._check_fitted()
        return self._tables.calibration

    def predict_success(self, learner_history, item, scores=None) -> float:
        """P(success) of a learner's next attempt on ``item``, from the colony's fitted success model
        (:mod:`poem.colony.success`: ELO level, a learner-and-item adjustment and PFA-style counts, weights
        fitted on a validation share of the course's learners, so a new learner starts at the course's
        success rate).

        Parameters
        ----------
        learner_history : sequence
            Item ids, oldest first, with ``scores`` alongside, or ``(item, score)`` pairs. Ids are looked up
            as ids, never as positions: ``7`` means the item whose id is ``"7"``. Unknown items are left
            out with an :class:`~poem.colony.success.UnknownItemWarning` naming them.
        item : item id
            The item to predict (an unknown one raises :class:`~poem.errors.ParameterError`).
        scores : sequence of float, optional
            Scores in [0, 1] (NaN: an unscored visit). Required when the history holds bare ids.

        Notes
        -----
        The learner's state after each history is cached, so growing a history one attempt at a time
        costs one update per call, not a replay. For many learners at once use :meth:`predict_trails`.
        """
        self._check_fitted()
        history = list(learner_history)
        if scores is None and history and all(isinstance(h, (tuple, list)) and len(h) == 2 for h in history):
            history, scores = [h[0] for h in history], [h[1] for h in history]
        if scores is None and history:
            raise ParameterError(
                f"predict_success: a history of {len(history)} items came without scores, and the prediction "
                "rests on how those attempts went: pass scores=[...] alongside (NaN for an unscored visit) "
                "or (item, score) pairs")
        codes, sc = self._history(history, scores, "predict_success")
        j = self._item_code(item, "predict_success")
        return self._learner_state(codes, sc).predict(j)

    def predict_trails(self, traces: Traces) -> np.ndarray:
        """Next-attempt P(success) of every event of ``traces`` (in their order), each from the learner's
        earlier events only: the vectorised form of :meth:`predict_success` for many learners.

        Items the colony does not know are predicted as an average item (difficulty 0) and reported with
        an :class:`~poem.colony.success.UnknownItemWarning`.
        """
        self._check_fitted()
        traces = _check_traces(traces, None)
        model = self.success_model()
        known = np.array([self._tables.code_of.get(str(x), -1) for x in traces.items], dtype=np.int64)
        codes = known[traces.item] if traces.n_events else np.zeros(0, np.int64)
        unknown = codes < 0
        if unknown.any():
            names = sorted({str(traces.items[c]) for c in np.unique(traces.item[unknown])})
            warnings.warn(UnknownItemWarning(
                f"predict_trails: {len(names)} item(s) unknown to the colony (e.g. {names[0]!r}) are predicted "
                "as an average item"), stacklevel=2)
            model = model.with_average_item()
            codes = np.where(unknown, len(self.items_), codes)
        return model.predict_trails(codes, traces.score, traces.trail_bounds())

    def success_model(self) -> SuccessModel:
        """The fitted :class:`~poem.colony.success.SuccessModel`, fitted from the colony's log of scored
        events on first use (and again after a refit or a change of the ELO parameters)."""
        self._check_fitted()
        key = (float(self.elo_theta0), float(self.elo_k0), float(self.elo_halflife), int(self.elo_iter))
        cached = getattr(self, "_success", None)
        if cached is None or cached[0] != key or cached[1] is not self.state_:
            st = self.state_
            model = fit_success_model(st.log_item, st.log_score, st.log_bounds, st.learners, len(self.items_),
                                      theta0=key[0], k0=key[1], halflife=key[2], n_iter=key[3])
            self._success = (key, self.state_, StateCache(model, _STATE_CACHE))
        return self._success[2].model

    @property
    def success_replayed_(self) -> int:
        """Attempts replayed by ``predict_success`` since the success model was fitted (see StateCache)."""
        self.success_model()
        return self._success[2].replayed

    def _learner_state(self, codes, scores) -> LearnerState:
        self.success_model()
        return self._success[2].state(codes, scores)

    def _item_code(self, item, where: str) -> int:
        return item_code(self._tables.code_of, item, where)

    def _history(self, history, scores, where: str):
        """``(codes, scores)`` of a learner history; scores default to NaN and must lie in [0, 1].
        ``suggest`` keeps its documented reading (ids or integer codes); ``predict_success`` reads ids only
        and leaves unknown ones out with a warning."""
        history = list(history)
        sc = checked_scores(scores, len(history), where)
        if where != "predict_success":
            return self._tables.encode(history), sc
        return encode_ids(self._tables.code_of, history, sc, where)

    def _ability(self, codes, scores) -> float:
        """The learner's current ELO ability, replayed from their history (:func:`poem.colony.elo.learner_rating`);
        the level ``suggest`` matches against ``target_success``."""
        # the tables' list of the same difficulties: the replay indexes it per event
        return learner_rating(codes, scores, self._tables.difficulty_list, theta0=float(self.elo_theta0),
                              k0=float(self.elo_k0), k_min=float(self.elo_k_min),
                              halflife=float(self.elo_halflife))

    def audit(self, **thresholds) -> pd.DataFrame:
        """A table for the pedagogical team; see :func:`poem.colony.audit.audit`."""
        self._check_fitted()
        from poem.colony.audit import audit
        return audit(self, **thresholds)

    def save(self, path) -> None:
        """Write the colony to ``path`` (.npz, no pickle, with JSON metadata); see :mod:`poem.colony.persistence`."""
        self._check_fitted()
        from poem.colony.persistence import save
        save(self, path)

    @classmethod
    def load(cls, path) -> "ManHill":
        """Read a colony written by :meth:`save`; raises :class:`~poem.errors.ModelFileError` when the file
        is missing, corrupt, truncated or from a newer format."""
        from poem.colony.persistence import load
        return load(path, cls)


# ---------------------------------------------------------------------- helpers (plain functions)
def _check_traces(traces, outcomes) -> Traces:
    if not isinstance(traces, Traces):
        raise TraceFormatError(f"ManHill needs a poem.traces.Traces (see poem.read_traces), got "
                               f"{type(traces).__name__}")
    if outcomes is not None:
        if isinstance(outcomes, (np.ndarray, list)) and not isinstance(outcomes, pd.Series):
            arr = np.asarray(outcomes, dtype=float)
            if arr.shape != (traces.n_learners,):
                raise TraceFormatError(f"outcomes array must have shape ({traces.n_learners},), got {arr.shape}")
            outcomes = pd.Series(arr, index=traces.learners.astype(str))
        traces = traces.with_outcomes(outcomes)
    return traces


def _text_order(ids: np.ndarray):
    """The stable argsort of ``ids`` as text, or None when they are in order already (a fit on one traces,
    whose vocabulary is sorted): checking costs a fifth of building the text array to sort."""
    try:
        # text never compares with a non-text value (TypeError), so a first id of text and no error mean
        # every id is text, compared as numpy compares text: by code point
        if len(ids) < 2 or (isinstance(ids[0], str) and bool(np.all(ids[1:] > ids[:-1]))):
            return None
    except TypeError:  # ids that are not all text: sort their text form
        pass
    return np.argsort(ids.astype(str), kind="stable")


def _cond_successes(model: ManHill) -> int:
    """Successes that count as mastery in the conditional-success counts (2 when calibrated)."""
    return 2 if model.mastery_successes is None else int(model.mastery_successes)


def _gap_ns(model: ManHill) -> int:
    return -1 if model.session_gap is None else int(float(model.session_gap) * 1e9)


def _sess_first(model: ManHill, traces: Traces) -> np.ndarray:
    return session_firsts(traces.trail_bounds(), traces.timestamp, _gap_ns(model))


def _learner_weights(model: ManHill, traces: Traces) -> np.ndarray:
    if not model.tour_quality or traces.outcomes is None:
        return np.ones(traces.n_learners)
    out = np.asarray(traces.outcomes, dtype=float)
    known = ~np.isnan(out)
    # the mean of the known outcomes of these traces; the Dask engine fills with the global mean before
    # partitioning, so that every partition weighs a learner as the whole log does
    fill = float(out[known].mean()) if known.any() else 1.0
    return np.where(known, out, fill)


def _with_items(traces: Traces, items: np.ndarray) -> Traces:
    """``traces`` recoded onto a larger item vocabulary (codes only; nothing else changes)."""
    if np.array_equal(traces.items, items):
        return traces
    from dataclasses import replace
    code = np.searchsorted(items.astype(str), traces.items.astype(str))
    return replace(traces, item=code[traces.item].astype(np.int32), items=items)


def _embed(plus, minus, old_items, new_items):
    if np.array_equal(old_items, new_items):
        return plus.copy(), minus.copy()
    n = len(new_items)
    code = np.searchsorted(new_items.astype(str), old_items.astype(str))
    rows = np.concatenate([code, [n]])
    out = []
    for m in (plus, minus):
        e = np.zeros((n + 1, n))
        e[np.ix_(rows, code)] = m
        out.append(e)
    return out[0], out[1]
