"""The audit table: each kind of finding appears when (and only when) the data calls for it."""

import numpy as np
import pytest

from poem.antcolony import ManHill
from poem.colony.audit import AUDIT_COLUMNS
from poem.errors import ParameterError

from test_antcolony import make_traces


def course_rows(seed=0, broken=None, n_learners=200):
    """Learners of varied ability; item 'broken' is failed at random even by strong learners."""
    rng = np.random.default_rng(seed)
    d = {f"i{k}": v for k, v in enumerate(np.linspace(-1.5, 1.5, 10))}
    rows = []
    for l in range(n_learners):
        theta = rng.normal(0, 1)
        for step, it in enumerate(rng.permutation(list(d))):
            p = 0.5 if it == broken else 1 / (1 + np.exp(d[it] - theta))
            rows.append((f"L{l}", it, l * 10 + step, float(rng.random() < p)))
    return rows


def test_clean_course_has_no_findings():
    table = ManHill().fit(make_traces(course_rows())).audit()
    assert list(table.columns) == AUDIT_COLUMNS and len(table) == 0


def test_broken_item_and_unreached_item():
    rows = course_rows(broken="i0", seed=1)
    traces = make_traces(rows, items=[f"i{k}" for k in range(10)] + ["extra"])
    table = ManHill().fit(traces).audit()
    assert set(zip(table["kind"], table["item"])) == {("abnormal_failure", "i0"), ("unreached", "extra")}
    assert (table["detail"].str.len() > 0).all()


def test_prior_contradictions():
    """Learners master x then y (never the reverse) and fail z when they start with it; the teachers
    claim y -> x and start -> z."""
    rows = []
    for l in range(30):
        rows += [(f"L{l}", "z", 0, 0.0), (f"L{l}", "x", 1, 1.0), (f"L{l}", "y", 2, 1.0)]
    traces = make_traces(rows)
    w = np.zeros((4, 3))          # items x, y, z; row 3 is the start node
    w[1, 0] = 1.0                 # y -> x
    w[3, 2] = 1.0                 # start -> z
    # depth=0: with reach-back, the later successes would credit start -> z too
    table = ManHill(prior=w, depth=0).fit(traces).audit()
    found = set(zip(table["kind"], table["item"], table["target"]))
    assert found == {("prior_contradiction", "y", "x"), ("prior_contradiction", "(start)", "z")}
    assert ManHill().fit(traces).audit().empty   # no prior, nothing to contradict


def test_rating_drift_of_an_item_that_became_harder():
    """Item i5 is 2 logits harder for the later half of the learners (by time): only it drifts, upwards."""
    rng = np.random.default_rng(0)
    d = {f"i{k}": v for k, v in enumerate(np.linspace(-1.5, 1.5, 10))}
    rows = []
    for l in range(300):
        theta = rng.normal(0, 1)
        for step, it in enumerate(rng.permutation(list(d))):
            harder = 2.0 if it == "i5" and l >= 150 else 0.0
            rows.append((f"L{l}", it, l * 10 + step, float(rng.random() < 1 / (1 + np.exp(d[it] + harder - theta)))))
    table = ManHill().fit(make_traces(rows)).audit()
    assert table[["kind", "item"]].values.tolist() == [["rating_drift", "i5"]]
    assert table["value"].iloc[0] > 0.5 and "rose" in table["detail"].iloc[0]


def test_bad_thresholds_are_named():
    model = ManHill().fit(make_traces(course_rows(n_learners=20)))
    for bad, match in (({"z": "3"}, "z must be a number"), ({"drift": -1}, r"drift must be a number in \[0, inf\]"),
                       ({"low_success": 2}, r"low_success must be a number in \[0, 1\], got 2")):
        with pytest.raises(ParameterError, match=match):
            model.audit(**bad)
