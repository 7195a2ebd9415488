"""Save / load of a fitted colony: round trips and clear errors for bad files."""

import json
import zipfile

import numpy as np
import pytest

from poem.antcolony import ManHill
from poem.colony.persistence import FORMAT_VERSION
from poem.errors import ModelFileError

from test_antcolony import TINY, assert_same_colony, halves, make_traces, random_traces


@pytest.fixture()
def fitted():
    return ManHill(depth=1, prior=["a", "b", "c", "d"], decay="erosion", erosion=0.2).fit(make_traces(TINY))


def test_round_trip_keeps_every_array_and_parameter(tmp_path, fitted):
    path = tmp_path / "colony.model"   # any suffix: nothing is appended
    fitted.save(path)
    assert path.exists() and not (tmp_path / "colony.model.npz").exists()
    back = ManHill.load(path)
    assert_same_colony(back, fitted)
    np.testing.assert_array_equal(back.prior_, fitted.prior_)
    np.testing.assert_array_equal(back.phi_plus_, fitted.phi_plus_)   # the eroded pheromones
    assert back.get_params().keys() == fitted.get_params().keys()
    assert back.decay == "erosion" and back.depth == 1
    a = [s.to_dict() for s in fitted.suggest(["a"], scores=[1.0], k=3)]
    assert [s.to_dict() for s in back.suggest(["a"], scores=[1.0], k=3)] == a
    assert back.audit().equals(fitted.audit())


def test_loaded_colony_can_partial_fit(tmp_path):
    traces = random_traces(np.random.default_rng(4), n_learners=40)
    h1, h2 = halves(traces)
    ManHill(depth=1).fit(h1).save(tmp_path / "m.npz")
    inc = ManHill.load(tmp_path / "m.npz").partial_fit(h2)
    assert_same_colony(inc, ManHill(depth=1).fit(traces))


def test_missing_file(tmp_path):
    with pytest.raises(ModelFileError, match="does not exist"):
        ManHill.load(tmp_path / "nope.npz")


def test_truncated_and_garbage_files(tmp_path, fitted):
    path = tmp_path / "m.npz"
    fitted.save(path)
    data = path.read_bytes()
    (tmp_path / "cut.npz").write_bytes(data[: len(data) // 2])
    with pytest.raises(ModelFileError, match="corrupt or truncated"):
        ManHill.load(tmp_path / "cut.npz")
    (tmp_path / "junk.npz").write_bytes(b"not a zip at all")
    with pytest.raises(ModelFileError, match="corrupt or truncated"):
        ManHill.load(tmp_path / "junk.npz")


def _rewrite(src, dst, change):
    with np.load(src, allow_pickle=False) as z:
        arrays = {k: z[k] for k in z.files}
    change(arrays)
    with open(dst, "wb") as handle:
        np.savez(handle, **arrays)


def _meta(arrays, **updates):
    meta = json.loads(arrays["__meta__"].tobytes())
    meta.update(updates)
    arrays["__meta__"] = np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8)


def test_newer_version_not_a_colony_and_missing_arrays(tmp_path, fitted):
    path = tmp_path / "m.npz"
    fitted.save(path)
    _rewrite(path, tmp_path / "new.npz", lambda a: _meta(a, version=FORMAT_VERSION + 1))
    with pytest.raises(ModelFileError, match="newer"):
        ManHill.load(tmp_path / "new.npz")
    _rewrite(path, tmp_path / "other.npz", lambda a: _meta(a, format="something-else"))
    with pytest.raises(ModelFileError, match="not a POEM colony"):
        ManHill.load(tmp_path / "other.npz")
    _rewrite(path, tmp_path / "nometa.npz", lambda a: a.pop("__meta__"))
    with pytest.raises(ModelFileError, match="no metadata"):
        ManHill.load(tmp_path / "nometa.npz")
    _rewrite(path, tmp_path / "lack.npz", lambda a: a.pop("state__precedence"))
    with pytest.raises(ModelFileError, match="state__precedence"):
        ManHill.load(tmp_path / "lack.npz")
    _rewrite(path, tmp_path / "shape.npz", lambda a: a.__setitem__("fit__phi_plus_", np.zeros((2, 2))))
    with pytest.raises(ModelFileError, match="phi_plus_"):
        ManHill.load(tmp_path / "shape.npz")
    _rewrite(path, tmp_path / "events.npz", lambda a: a.__setitem__("state__item_events", np.zeros(1, np.int64)))
    with pytest.raises(ModelFileError, match="item_events_"):
        ManHill.load(tmp_path / "events.npz")

    def bad_param(arrays):
        meta = json.loads(arrays["__meta__"].tobytes())
        meta["params"]["lam"] = 7.0
        arrays["__meta__"] = np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8)
    _rewrite(path, tmp_path / "param.npz", bad_param)
    with pytest.raises(ModelFileError, match="inconsistent.*lam"):
        ManHill.load(tmp_path / "param.npz")


def test_conditional_counts_round_trip_and_older_format_is_refused(tmp_path, fitted):
    path = tmp_path / "m.npz"
    fitted.save(path)
    back = ManHill.load(path)
    for name in ("cond_attempts_", "cond_successes_", "cond_tries_", "cond_first_"):
        np.testing.assert_array_equal(getattr(back, name), getattr(fitted, name))
    assert back.state_.params["mastery_successes"] == fitted.mastery_successes
    # a version-1 file predates the conditional counts: a clear error, not a colony with holes
    _rewrite(path, tmp_path / "v1.npz", lambda a: (_meta(a, version=1),
                                                   [a.pop(k) for k in list(a) if k.startswith("state__cond_")]))
    with pytest.raises(ModelFileError, match="older.*refit"):
        ManHill.load(tmp_path / "v1.npz")


def test_pickled_object_arrays_are_refused(tmp_path, fitted):
    path = tmp_path / "m.npz"
    fitted.save(path)
    _rewrite(path, tmp_path / "pickled.npz",
             lambda a: a.__setitem__("state__items", np.array(["a", "b", "c", "d"], dtype=object)))
    with pytest.raises(ModelFileError, match="corrupt"):
        ManHill.load(tmp_path / "pickled.npz")
    with zipfile.ZipFile(tmp_path / "pickled.npz") as z:
        assert "state__items.npy" in z.namelist()


def test_save_unfitted_refused(tmp_path):
    from poem.errors import NotFittedError
    with pytest.raises(NotFittedError):
        ManHill().save(tmp_path / "m.npz")
