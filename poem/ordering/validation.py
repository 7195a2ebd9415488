"""Next-attempt validation of success predictions on held-out learners: the knowledge-tracing test.

Every scored attempt of a held-out learner is predicted from that learner's *earlier* attempts only, with
models fitted on the training learners; the predictions are scored by AUC, RMSE, log-loss, mean predicted
against observed success, and a reliability (calibration) table. POEM's success model
(:meth:`poem.antcolony.ManHill.predict_trails`) is compared, on the same split and in the same run, with
three peers written here:

* ``item rate``: the item's success rate on the training learners (smoothed toward the course's rate);
* ``ELO``: a plain ELO, learner and item ratings updated online with one K (picked from a small grid by
  the training learners' own next-attempt log-loss). As usually evaluated, the item ratings keep trading
  points through the held-out learners (taken one after the other), which gives this peer more than the
  learner's own history; it is the strongest of the simple peers and is kept that way;
* ``PFA``: performance factors analysis (Pavlik, Cen & Koedinger 2009), a logistic regression on the item
  and the learner's earlier successes and failures on that item, one easiness and two slopes per item.

pyBKT (standard BKT) is not included: it requires numpy < 2.4, which this project's numpy excludes.

Splits: ``"learners"`` holds out a random share of the learners (their whole trails); ``"time"`` fits on
the events before a cut (the time below which ``1 - test_share`` of the scored events fall) and predicts
every scored event after it, each learner's earlier events, before and after the cut, serving as history.

Scores are binarised at ``pass_mark`` (score >= pass_mark is a success) for every model alike.

Examples
--------
>>> import numpy as np
>>> round(auc(np.array([0, 0, 1, 1]), np.array([0.1, 0.4, 0.35, 0.8])), 2)
0.75
>>> reliability_table(np.array([0, 1, 1, 1]), np.array([0.2, 0.7, 0.8, 0.9]), bins=2)["n"].tolist()
[1, 3]
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd
from scipy import sparse
from scipy.stats import rankdata

from poem.antcolony import ManHill
from poem.colony.kernels import njit
from poem.errors import ParameterError
from poem.traces import Traces

__all__ = ["auc", "auc_se", "rmse", "log_loss", "reliability_table", "reliability_figure", "split_traces",
           "validate", "ValidationResult", "oulad_assessments", "shared_data", "ItemRate", "PlainElo", "PFA",
           "PoemSuccess", "PEERS", "SPLITS", "MIN_CLASS"]

SPLITS = ("learners", "time")
#: fewer held-out successes or failures than this: "not enough evidence" to rank the models by AUC
MIN_CLASS = 30
_EPS = 1e-9


# ---------------------------------------------------------------------------------------------- metrics
def auc(y, p) -> float:
    """Area under the ROC curve (ties count half); NaN when one class is absent."""
    y = np.asarray(y) >= 0.5
    n1 = int(y.sum())
    n0 = len(y) - n1
    if n1 == 0 or n0 == 0:
        return float("nan")
    r = rankdata(np.asarray(p, dtype=float))
    return float((r[y].sum() - n1 * (n1 + 1) / 2.0) / (n1 * n0))


def auc_se(auc_value: float, n_pos: int, n_neg: int) -> float:
    """Standard error of an AUC (Hanley & McNeil 1982); NaN when a class is empty.

    >>> round(auc_se(0.8, 100, 100), 3)
    0.031
    """
    if n_pos == 0 or n_neg == 0 or auc_value != auc_value:
        return float("nan")
    a = auc_value
    q1, q2 = a / (2 - a), 2 * a * a / (1 + a)
    var = (a * (1 - a) + (n_pos - 1) * (q1 - a * a) + (n_neg - 1) * (q2 - a * a)) / (n_pos * n_neg)
    return float(math.sqrt(max(var, 0.0)))


def rmse(y, p) -> float:
    """Root mean squared error.

    >>> rmse(np.array([1.0, 0.0]), np.array([0.5, 0.5]))
    0.5
    """
    return float(np.sqrt(np.mean((np.asarray(p, float) - np.asarray(y, float)) ** 2)))


def log_loss(y, p) -> float:
    """Mean negative log-likelihood (natural log), predictions clipped to [1e-9, 1 - 1e-9]."""
    p = np.clip(np.asarray(p, float), _EPS, 1 - _EPS)
    y = np.asarray(y, float)
    return float(-np.mean(y * np.log(p) + (1 - y) * np.log1p(-p)))


def reliability_table(y, p, bins: int = 10) -> pd.DataFrame:
    """Calibration by equal-width bins of the prediction: ``lo, hi, n, predicted, observed, gap`` (empty
    bins left out). A calibrated model has ``observed ≈ predicted`` in every well-filled bin."""
    y = np.asarray(y, float)
    p = np.asarray(p, float)
    k = np.clip((p * bins).astype(int), 0, bins - 1)
    n = np.bincount(k, minlength=bins)
    sp = np.bincount(k, weights=p, minlength=bins)
    sy = np.bincount(k, weights=y, minlength=bins)
    keep = n > 0
    lo = np.arange(bins) / bins
    with np.errstate(invalid="ignore"):
        out = pd.DataFrame({"lo": lo, "hi": lo + 1.0 / bins, "n": n, "predicted": sp / n, "observed": sy / n})
    out = out[keep].reset_index(drop=True)
    out["gap"] = out["observed"] - out["predicted"]
    return out


# ---------------------------------------------------------------------------------------------- splits
def split_traces(traces: Traces, split: str = "learners", test_share: float = 0.2, seed=0):
    """``(train, evaluate, mask)``: training traces, the held-out learners' traces to replay, and the mask
    of their events that are scored (the other events only serve as history)."""
    if split not in SPLITS:
        raise ParameterError(f"split must be one of {SPLITS}, got {split!r}")
    if not (isinstance(test_share, (int, float)) and 0 < test_share < 1):
        raise ParameterError(f"test_share must lie strictly between 0 and 1, got {test_share!r}")
    scored = ~np.isnan(traces.score)
    if scored.sum() < 2:
        raise ParameterError("validation needs scored events (a score column): none or one found")
    if split == "learners":
        active = np.flatnonzero(np.bincount(traces.learner, minlength=traces.n_learners) > 0)
        rng = np.random.default_rng(seed)
        n_test = max(1, int(round(test_share * len(active))))
        if n_test >= len(active):
            raise ParameterError(f"a learner split needs at least 2 learners with events, got {len(active)}")
        test = np.zeros(traces.n_learners, bool)
        test[rng.choice(active, n_test, replace=False)] = True
        evaluate = traces.select_learners(test)
        return traces.select_learners(~test), evaluate, ~np.isnan(evaluate.score)
    cut = np.quantile(traces.timestamp[scored], 1.0 - test_share, method="lower")
    late = traces.timestamp > cut
    if not (late & scored).any() or not (~late & scored).any():
        raise ParameterError("a time split needs scored events on both sides of the cut; the timestamps do "
                             "not spread enough: use split='learners'")
    who = np.zeros(traces.n_learners, bool)
    who[traces.learner[late & scored]] = True
    evaluate = traces.select_learners(who)
    return traces.select_events(~late), evaluate, (evaluate.timestamp > cut) & ~np.isnan(evaluate.score)


def _binarise(traces: Traces, pass_mark: float) -> Traces:
    s = traces.score
    return replace(traces, score=np.where(np.isnan(s), np.nan, (s >= pass_mark).astype(float)))


def _codes(train: Traces, other: Traces) -> np.ndarray:
    """``other``'s item codes in ``train``'s vocabulary; unknown items get code ``train.n_items``."""
    index = {str(x): k for k, x in enumerate(train.items)}
    table = np.array([index.get(str(x), train.n_items) for x in other.items], dtype=np.int32)
    return table[other.item] if other.n_events else np.zeros(0, np.int32)


# ---------------------------------------------------------------------------------------------- peers
class ItemRate:
    """The item's success rate on the training learners, smoothed with ``prior`` pseudo-attempts at the
    course's rate (an unknown item: the course's rate)."""

    name = "item rate"

    def __init__(self, prior: float = 2.0):
        self.prior = prior

    def fit(self, item, score, bounds, n_items):
        ok = ~np.isnan(score)
        base = float(np.mean(score[ok])) if ok.any() else 0.5
        att = np.bincount(item[ok], minlength=n_items + 1).astype(float)
        suc = np.bincount(item[ok], weights=score[ok], minlength=n_items + 1)
        self.rate_ = (suc + self.prior * base) / (att + self.prior)
        return self

    def predict(self, item, score, bounds):
        return self.rate_[item]


@njit(cache=True)
def _elo_online(item, score, bounds, d, k, update_items):
    p_out = np.empty(item.shape[0])
    for l in range(bounds.shape[0] - 1):
        th = 0.0
        for e in range(bounds[l], bounds[l + 1]):
            j = item[e]
            p = 1.0 / (1.0 + math.exp(d[j] - th))
            p_out[e] = p
            s = score[e]
            if s != s:
                continue
            th += k * (s - p)
            if update_items:
                d[j] -= k * (s - p)
    return p_out


class PlainElo:
    """A plain ELO: learner and item ratings traded online with one ``K`` (picked from ``grid`` by the
    training learners' own next-attempt log-loss); the items keep trading through the held-out learners."""

    name = "ELO"

    def __init__(self, grid=(0.1, 0.2, 0.3, 0.4, 0.6, 0.8)):
        self.grid = grid

    def fit(self, item, score, bounds, n_items):
        ok = ~np.isnan(score)
        best = None
        for k in self.grid:
            d = np.zeros(n_items + 1)
            p = _elo_online(item, score, bounds, d, float(k), True)
            loss = log_loss(score[ok], p[ok])
            if best is None or loss < best[0]:
                best = (loss, float(k), d)
        _, self.k_, self.difficulty_ = best
        self.difficulty_[n_items] = 0.0
        return self

    def predict(self, item, score, bounds):
        return _elo_online(item, score, bounds, self.difficulty_.copy(), self.k_, True)


@njit(cache=True)
def _prior_counts(item, score, bounds, n_items):
    succ = np.zeros(item.shape[0])
    fail = np.zeros(item.shape[0])
    s_now = np.zeros(n_items + 1)
    f_now = np.zeros(n_items + 1)
    for l in range(bounds.shape[0] - 1):
        a, b = bounds[l], bounds[l + 1]
        for e in range(a, b):
            j = item[e]
            succ[e] = s_now[j]
            fail[e] = f_now[j]
            s = score[e]
            if s == s:
                s_now[j] += s
                f_now[j] += 1.0 - s
        for e in range(a, b):
            s_now[item[e]] = 0.0
            f_now[item[e]] = 0.0
    return succ, fail


class PFA:
    """Performance factors analysis: ``σ(β_j + γ_j · successes_j + ρ_j · failures_j)`` over the learner's
    earlier attempts on item j, fitted by ridge-penalised Newton steps (``ridge``); an unknown item uses
    the mean parameters."""

    name = "PFA"

    def __init__(self, ridge: float = 1.0, n_iter: int = 25):
        self.ridge, self.n_iter = ridge, n_iter

    def _design(self, item, score, bounds, n):
        succ, fail = _prior_counts(item, score, bounds, n)
        rows = np.arange(len(item))
        m = n + 1
        data = np.concatenate([np.ones(len(item)), succ, fail])
        cols = np.concatenate([item, item + m, item + 2 * m])
        return sparse.csr_matrix((data, (np.tile(rows, 3), cols)), shape=(len(item), 3 * m))

    def fit(self, item, score, bounds, n_items):
        self.n_ = n_items
        ok = ~np.isnan(score)
        x = self._design(item, score, bounds, n_items)[ok]
        y = score[ok]
        w = np.zeros(x.shape[1])
        for _ in range(self.n_iter):
            p = 1.0 / (1.0 + np.exp(-np.clip(x @ w, -35, 35)))
            g = x.T @ (p - y) + self.ridge * w
            h = (x.T @ sparse.diags(p * (1 - p)) @ x).toarray() + self.ridge * np.eye(len(w))
            step = np.linalg.solve(h, g)
            w -= step
            if np.max(np.abs(step)) < 1e-7:
                break
        m = n_items + 1
        seen = np.bincount(item[ok], minlength=m) > 0
        for part in range(3):  # the unknown-item slot gets the mean of the seen items' parameters
            block = w[part * m:(part + 1) * m]
            block[n_items] = block[seen].mean() if seen.any() else 0.0
        self.weights_ = w
        return self

    def predict(self, item, score, bounds):
        x = self._design(item, score, bounds, self.n_)
        return 1.0 / (1.0 + np.exp(-np.clip(x @ self.weights_, -35, 35)))


class PoemSuccess:
    """POEM: :meth:`poem.antcolony.ManHill.predict_trails` of a colony fitted on the training traces."""

    name = "POEM"

    def __init__(self, **params):
        self.params = params

    def fit_traces(self, train: Traces):
        self.model_ = ManHill(**self.params).fit(train)
        return self

    def predict_traces(self, evaluate: Traces):
        import warnings

        from poem.colony.success import UnknownItemWarning

        with warnings.catch_warnings():  # unknown items are expected on a held-out share
            warnings.simplefilter("ignore", UnknownItemWarning)
            return self.model_.predict_trails(evaluate)


PEERS = (ItemRate, PFA, PlainElo)


def oulad_assessments(directory, pass_mark: float = 0.4) -> Traces:
    """The assessment results of an OULAD directory as traces (no clicks): learner
    ``module/presentation/student``, item ``assessment:<id>``, score ``score / 100`` (blank scores dropped),
    stamped at the submission day. Unlike :func:`poem.io.read_traces`, every presentation with results is
    kept, clicked or not. ``pass_mark`` is OULAD's pass mark (40 %), for :func:`validate`."""
    from pathlib import Path

    from poem.importers.oulad import presentation_start

    directory = Path(directory)
    files = sorted(directory.glob("studentAssessment*.csv"))
    if not files or not (directory / "assessments.csv").is_file():
        raise ParameterError(f"{str(directory)!r} lacks assessments.csv or studentAssessment*.csv: not an OULAD "
                             "directory with assessment results")
    res = pd.concat([pd.read_csv(f) for f in files], ignore_index=True).dropna(subset=["score", "date_submitted"])
    meta = pd.read_csv(directory / "assessments.csv")[["id_assessment", "code_module", "code_presentation"]]
    res = res.merge(meta, on="id_assessment", how="inner")
    start = res["code_presentation"].map({c: presentation_start(c) for c in res["code_presentation"].unique()})
    frame = pd.DataFrame({
        "learner": res["code_module"] + "/" + res["code_presentation"] + "/" + res["id_student"].astype(str),
        "item": "assessment:" + res["id_assessment"].astype(str),
        "timestamp": pd.to_datetime(start) + pd.to_timedelta(res["date_submitted"], unit="D"),
        "score": (res["score"] / 100.0).clip(0, 1)})
    return Traces.from_frame(frame)


def shared_data(name: str):
    """``shared/data/<name>`` beside the repository (where CI keeps the public data sets), or None when this
    machine has no such folder: notebooks use it as a default and say so when it is absent."""
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    folder = root.parent / "shared" / "data" / name
    return folder if folder.is_dir() else None


def reliability_figure(result: "ValidationResult", models=None, *, min_attempts: int = 0, title=None):
    """Reliability diagram: observed success against mean prediction per bin, one line per model, the
    diagonal for reference and the number of attempts per bin as bars underneath (POEM's). Bins with fewer
    than ``min_attempts`` attempts are drawn hollow."""
    from matplotlib.figure import Figure

    models = list(result.reliability) if models is None else list(models)
    fig = Figure(figsize=(6.5, 5.5))
    ax, ax_n = fig.subplots(2, 1, sharex=True, gridspec_kw={"height_ratios": [3, 1]})
    ax.plot([0, 1], [0, 1], color="grey", lw=1, ls="--", label="perfectly calibrated")
    for name in models:
        rel = result.reliability[name]
        line, = ax.plot(rel["predicted"], rel["observed"], marker="o", label=name)
        thin = rel["n"] < min_attempts
        if thin.any():
            ax.plot(rel["predicted"][thin], rel["observed"][thin], "o", mfc="white", color=line.get_color())
    ax.set_ylabel("observed success")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.legend(loc="upper left", fontsize=8)
    if title:
        ax.set_title(title)
    rel = result.reliability[models[0]]
    ax_n.bar(rel["lo"] + 0.05, rel["n"], width=0.09, color="tab:blue", alpha=0.6)
    ax_n.set_ylabel(f"attempts ({models[0]})")
    ax_n.set_xlabel("predicted success")
    fig.tight_layout()
    return fig


# ---------------------------------------------------------------------------------------------- driver
@dataclass
class ValidationResult:
    """``table`` (one row per model: auc, auc_se, rmse, log_loss, mean_predicted, observed, n), ``reliability``
    (model -> :func:`reliability_table`) and ``predictions`` (model -> array over the evaluated events)
    with the labels ``y``."""

    table: pd.DataFrame
    reliability: dict
    predictions: dict = field(repr=False)
    y: np.ndarray = field(repr=False)
    split: str = "learners"

    @property
    def evidence(self) -> str:
        """One sentence on how sure the table is: the AUC's standard error, or "not enough evidence" when
        fewer than :data:`MIN_CLASS` held-out successes or failures."""
        n_pos = int(np.sum(self.y >= 0.5))
        n_neg = len(self.y) - n_pos
        if min(n_pos, n_neg) < MIN_CLASS:
            return (f"Not enough evidence to rank the models: the held-out attempts hold {n_pos} successes and "
                    f"{n_neg} failures (fewer than {MIN_CLASS} of one kind); AUC differences mean nothing here.")
        se = float(self.table["auc_se"].max())
        return (f"{len(self.y)} held-out attempts ({n_neg} failures): AUC standard error about {se:.3f}, so "
                f"differences in AUC below {2 * se:.3f} are within noise.")

    def to_markdown(self, digits: int = 3) -> str:
        t = self.table.copy()
        lines = [self.evidence, "", "| model | AUC | RMSE | log-loss | mean predicted | observed | attempts |",
                 "|---|---|---|---|---|---|---|"]
        for _, r in t.iterrows():
            lines.append(f"| {r['model']} | {r['auc']:.{digits}f} | {r['rmse']:.{digits}f} | "
                         f"{r['log_loss']:.{digits}f} | {r['mean_predicted']:.{digits}f} | "
                         f"{r['observed']:.{digits}f} | {int(r['n'])} |")
        return "\n".join(lines)


def validate(traces: Traces, split: str = "learners", test_share: float = 0.2, seed=0, *, pass_mark=0.5,
             evaluate: Traces | None = None, peers=PEERS, poem_params=None, bins: int = 10) -> ValidationResult:
    """Fit POEM and its peers on the training part and score every held-out next attempt.

    Parameters
    ----------
    traces : Traces
        The course (with scores).
    split : {"learners", "time"}
    test_share : float
        Share of the learners (or of the scored events, for ``time``) held out.
    seed : int
        Draws the held-out learners.
    pass_mark : float
        A score >= pass_mark is a success (for every model alike).
    evaluate : Traces, optional
        A held-out set given explicitly (a published train/test split): then ``traces`` is the training set
        and ``split``, ``test_share`` and ``seed`` are not used.
    peers : sequence of classes
        Peers to run besides POEM (default: item rate, PFA, ELO).
    poem_params : dict, optional
        ManHill parameters.
    bins : int
        Bins of the reliability tables.
    """
    if not 0 < pass_mark <= 1:
        raise ParameterError(f"pass_mark must lie in (0, 1], got {pass_mark!r}")
    traces = _binarise(traces, pass_mark)
    if evaluate is None:
        train, held, mask = split_traces(traces, split, test_share, seed)
    else:
        train, held = traces, _binarise(evaluate, pass_mark)
        mask = ~np.isnan(held.score)
        split = "given"
    y = held.score[mask]
    if not len(y):
        raise ParameterError("the held-out part has no scored event to predict")
    preds = {}
    poem = PoemSuccess(**(poem_params or {})).fit_traces(train)
    preds["POEM"] = poem.predict_traces(held)[mask]
    tr_item = train.item.astype(np.int32)
    ev_item = _codes(train, held)
    for peer_cls in peers:
        peer = peer_cls().fit(tr_item, train.score, train.trail_bounds(), train.n_items)
        preds[peer.name] = np.asarray(peer.predict(ev_item, held.score, held.trail_bounds()))[mask]
    n_pos = int(np.sum(y >= 0.5))
    rows = [{"model": name, "auc": auc(y, p), "auc_se": auc_se(auc(y, p), n_pos, len(y) - n_pos),
             "rmse": rmse(y, p), "log_loss": log_loss(y, p),
             "mean_predicted": float(np.mean(p)), "observed": float(np.mean(y)), "n": int(len(y))}
            for name, p in preds.items()]
    rel = {name: reliability_table(y, p, bins) for name, p in preds.items()}
    return ValidationResult(pd.DataFrame(rows), rel, preds, y, split)
