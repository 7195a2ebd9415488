"""The hidden structure of a simulated course: items, a prerequisite DAG, difficulties and a syllabus.

A :class:`Course` is what the simulator knows and the learners (and every model) must discover: which item
is a prerequisite of which, how hard each item is, and the *presentation* the platform offers (a syllabus
order that is only partly right, as real syllabi are). Item identifiers of a random course are opaque hex
codes such as ``"v2f141"`` so that nothing about the order leaks through the names.

Graphs can also be given: a :class:`networkx.DiGraph`, a list of ``(prerequisite, item)`` pairs, a
two-column table, or a CSV edge list (such as the bundled Junyi Academy graph, see :func:`junyi_graph`).

Examples
--------
>>> import numpy as np
>>> course = make_course(12, rng=np.random.default_rng(0))
>>> course.n_items, len(course.true_order) == 12
(12, True)
>>> pos = {item: k for k, item in enumerate(course.true_order)}
>>> all(pos[a] < pos[b] for a, b in course.edges)
True
>>> course2 = make_course(graph=[("a", "b"), ("b", "c")], rng=np.random.default_rng(0))
>>> course2.true_order
['a', 'b', 'c']
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import networkx as nx
import numpy as np
import pandas as pd

from poem.errors import ParameterError, TraceFormatError

__all__ = ["Course", "make_course", "random_prerequisite_dag", "read_edge_list", "junyi_graph",
           "syllabus_order"]


def _data_dir() -> Path:
    # data/ sits at the repository root in a checkout; an installed package may carry it as poem/data/
    here = Path(__file__).resolve()
    for candidate in (here.parents[2] / "data", here.parents[1] / "data"):
        if (candidate / "junyi").is_dir():
            return candidate
    return here.parents[2] / "data"


#: where the bundled graphs live (``data/`` at the repository root)
DATA_DIR = _data_dir()


@dataclass(frozen=True, eq=False)
class Course:
    """A course with a hidden prerequisite structure.

    Attributes
    ----------
    items : ndarray of str
        Item ids; index ``k`` is the item's code everywhere in the simulator.
    prereq : ndarray of bool, shape (n, n)
        ``prereq[a, b]`` is true when ``a`` is a direct prerequisite of ``b`` (transitively reduced).
    difficulty : ndarray of float, shape (n,)
        Logit-scale difficulty (compared with learner ability).
    guess, slip : ndarray of float, shape (n,)
        Probability of passing an item's quiz without mastering it / of failing it despite mastery.
    salience : ndarray of float, shape (n,)
        How visible an item is on the platform (drives popularity when learners wander).
    true_order : list of str
        One order that respects every prerequisite.
    syllabus : list of str
        The order the platform presents: close to a valid order, but with some arcs wrong.
    """

    items: np.ndarray
    prereq: np.ndarray
    difficulty: np.ndarray
    guess: np.ndarray
    slip: np.ndarray
    salience: np.ndarray
    true_order: list
    syllabus: list
    _index: dict = field(default=None, repr=False)

    def __post_init__(self):
        object.__setattr__(self, "_index", {item: k for k, item in enumerate(self.items)})

    @property
    def n_items(self) -> int:
        return int(len(self.items))

    @property
    def edges(self) -> list:
        """Prerequisite arcs ``[a, b]`` (``a`` before ``b``) as item ids, in a stable order."""
        a, b = np.nonzero(self.prereq)
        return [[str(self.items[i]), str(self.items[j])] for i, j in zip(a, b)]

    def code(self, item) -> int:
        """The integer code of one item id."""
        try:
            return self._index[str(item)]
        except KeyError:
            raise ParameterError(f"item {item!r} is not in this course") from None

    def codes(self, items) -> np.ndarray:
        """Integer codes of item ids (raises :class:`ParameterError` naming an unknown id)."""
        try:
            return np.array([self._index[str(it)] for it in items], dtype=np.int64)
        except KeyError as exc:
            raise ParameterError(f"item {exc.args[0]!r} is not in this course") from None

    @property
    def true_rank(self) -> np.ndarray:
        """Position of each item (by code) in :attr:`true_order`."""
        rank = np.empty(self.n_items, dtype=np.int64)
        rank[self.codes(self.true_order)] = np.arange(self.n_items)
        return rank

    @property
    def syllabus_rank(self) -> np.ndarray:
        """Position of each item (by code) in :attr:`syllabus`."""
        rank = np.empty(self.n_items, dtype=np.int64)
        rank[self.codes(self.syllabus)] = np.arange(self.n_items)
        return rank

    def truth(self) -> dict:
        """The benchmark's ``truth.json`` content: ``items``, ``true_order``, ``prerequisites``."""
        return {"items": [str(x) for x in self.items], "true_order": list(self.true_order),
                "prerequisites": self.edges}

    def graph(self) -> nx.DiGraph:
        """The prerequisite DAG as a networkx graph over item ids."""
        g = nx.DiGraph()
        g.add_nodes_from(str(x) for x in self.items)
        g.add_edges_from(map(tuple, self.edges))
        return g


# ---------------------------------------------------------------------------------------------- graphs
def random_prerequisite_dag(n_items: int, rng: np.random.Generator, *, mean_prereqs: float = 1.8,
                            root_share: float = 0.08, locality: float | None = None) -> np.ndarray:
    """A random prerequisite DAG over ``n_items`` items numbered in a valid (true) order.

    Each item after the first draws ``1 + Poisson(mean_prereqs - 1)`` prerequisites among earlier items
    (none with probability ``root_share``), preferring recent ones (decay length ``locality``, default
    ``n_items / 8``) so that the course has the local chapters real courses have. The result is
    transitively reduced: an arc implied by two others is dropped, since mastery is never lost it adds no
    constraint.

    Returns
    -------
    ndarray of bool, shape (n_items, n_items)
        ``A[a, b]`` true when ``a`` is a direct prerequisite of ``b``; only ``a < b`` arcs exist.

    Examples
    --------
    >>> A = random_prerequisite_dag(30, np.random.default_rng(1))
    >>> bool(np.triu(A, 1).sum() == A.sum()), int(A[:, 0].sum())
    (True, 0)
    """
    if int(n_items) != n_items or n_items < 1:
        raise ParameterError(f"n_items must be a positive integer, got {n_items!r}")
    if mean_prereqs < 0:
        raise ParameterError(f"mean_prereqs must be >= 0, got {mean_prereqs!r}")
    if not 0 <= root_share <= 1:
        raise ParameterError(f"root_share must lie in [0, 1], got {root_share!r}")
    n = int(n_items)
    locality = max(2.0, n / 8) if locality is None else float(locality)
    A = np.zeros((n, n), dtype=bool)
    k_draw = 1 + rng.poisson(max(mean_prereqs - 1.0, 0.0), size=n)
    roots = rng.random(n) < root_share
    for b in range(1, n):
        if roots[b] or mean_prereqs == 0:
            continue
        k = min(int(k_draw[b]), b)
        w = np.exp(-(b - 1 - np.arange(b)) / locality)
        A[rng.choice(b, size=k, replace=False, p=w / w.sum()), b] = True
    return _transitive_reduction(A)


def _transitive_reduction(A: np.ndarray) -> np.ndarray:
    g = nx.DiGraph()
    g.add_nodes_from(range(len(A)))
    g.add_edges_from(zip(*np.nonzero(A)))
    red = nx.transitive_reduction(g)
    out = np.zeros_like(A)
    if red.number_of_edges():
        a, b = np.array(list(red.edges())).T
        out[a, b] = True
    return out


def read_edge_list(source) -> list:
    """Prerequisite pairs ``(a, b)`` from a CSV edge list, a DataFrame, a networkx graph or a list.

    A table's first two columns are read as (prerequisite, item) unless it has columns named
    ``prerequisite``/``item`` or ``source``/``target``. Self-loops and duplicate arcs are dropped.

    Examples
    --------
    >>> read_edge_list(pd.DataFrame({"prerequisite": ["a", "a", "b"], "item": ["b", "b", "b"]}))
    [('a', 'b')]
    """
    if isinstance(source, nx.DiGraph):
        pairs = [(str(a), str(b)) for a, b in source.edges()]
    elif isinstance(source, (str, Path)):
        path = Path(source)
        if not path.is_file():
            raise TraceFormatError(f"edge list {str(path)!r} does not exist")
        return read_edge_list(pd.read_csv(path, dtype=str, comment="#"))
    elif isinstance(source, pd.DataFrame):
        cols = list(source.columns)
        for a, b in (("prerequisite", "item"), ("source", "target")):
            if a in cols and b in cols:
                break
        else:
            if len(cols) < 2:
                raise TraceFormatError(f"an edge list needs two columns (prerequisite, item); found {cols}")
            a, b = cols[:2]
        if source[[a, b]].isna().any().any():
            raise TraceFormatError(f"edge list has empty cells in columns {a!r}, {b!r}")
        pairs = list(zip(source[a].astype(str), source[b].astype(str)))
    else:
        try:
            pairs = [(str(a), str(b)) for a, b in source]
        except (TypeError, ValueError):
            raise ParameterError(f"graph must be a DiGraph, an edge table, a CSV path or (a, b) pairs; "
                                 f"got {type(source).__name__}") from None
    seen, out = set(), []
    for pair in pairs:
        if pair[0] != pair[1] and pair not in seen:
            seen.add(pair)
            out.append(pair)
    return out


def junyi_graph() -> nx.DiGraph:
    """The Junyi Academy expert prerequisite graph bundled in ``data/junyi/`` (835 exercises).

    The raw table holds two self-loops and one three-arc cycle among the radical exercises; the loops are
    dropped and the cycle is broken at ``radical_multiplication_and_division -> simplifying_radicals``
    (simplifying comes first in every curriculum), so the result is acyclic. See ``data/junyi/README.md``.
    """
    path = DATA_DIR / "junyi" / "prerequisites.csv"
    if not path.is_file():
        raise TraceFormatError(f"the bundled Junyi graph is missing: {path}")
    table = pd.read_csv(path, dtype=str, comment="#")
    g = nx.DiGraph()
    items_path = DATA_DIR / "junyi" / "exercises.csv"
    if items_path.is_file():
        g.add_nodes_from(pd.read_csv(items_path, dtype=str)["name"])
    g.add_edges_from(read_edge_list(table))
    if g.has_edge("radical_multiplication_and_division", "simplifying_radicals"):
        g.remove_edge("radical_multiplication_and_division", "simplifying_radicals")
    return g


# ---------------------------------------------------------------------------------------------- courses
def syllabus_order(true_rank: np.ndarray, rng: np.random.Generator, *, noise: float = 0.02,
                   n_block_moves: int | None = None) -> np.ndarray:
    """Codes in a *partly wrong* syllabus order derived from the true ranks.

    Ranks are jittered by Gaussian noise (``noise`` × n positions), then a few blocks of consecutive items
    are moved elsewhere, as when a teacher places a chapter too early.
    """
    n = len(true_rank)
    key = true_rank + rng.normal(0.0, noise * n, size=n)
    order = list(np.argsort(key, kind="stable"))
    moves = max(1, n // 40) if n_block_moves is None else int(n_block_moves)
    for _ in range(moves if n >= 6 else 0):
        size = int(rng.integers(2, max(3, n // 20) + 1))
        start = int(rng.integers(0, n - size + 1))
        block = order[start:start + size]
        rest = order[:start] + order[start + size:]
        at = int(rng.integers(0, len(rest) + 1))
        order = rest[:at] + block + rest[at:]
    return np.array(order, dtype=np.int64)


def _hex_ids(n: int, rng: np.random.Generator, prefix: str = "v") -> np.ndarray:
    width = max(5, int(np.ceil(np.log(max(n, 2) * 64) / np.log(16))))
    codes = rng.choice(16 ** width, size=n, replace=False)
    return np.array([f"{prefix}{c:0{width}x}" for c in codes], dtype=object)


def _depth(A: np.ndarray, order: np.ndarray) -> np.ndarray:
    depth = np.zeros(len(A))
    for b in order:
        parents = np.nonzero(A[:, b])[0]
        if len(parents):
            depth[b] = depth[parents].max() + 1
    return depth


def make_course(n_items: int | None = None, *, rng: np.random.Generator, graph=None,
                mean_prereqs: float = 1.8, difficulty_sd: float = 0.8, depth_slope: float = 1.0,
                guess: tuple = (0.08, 0.25), slip: tuple = (0.03, 0.12),
                syllabus_noise: float = 0.02) -> Course:
    """Build a :class:`Course`: a random DAG of ``n_items`` items, or the given ``graph``.

    With a ``graph`` and an ``n_items`` smaller than the graph, the course is the first ``n_items`` items
    of a random topological order, which keeps every prerequisite of a kept item. Difficulty grows with
    an item's depth in the DAG (``depth_slope`` over the whole depth range) plus Gaussian noise.

    Parameters
    ----------
    n_items : int, optional
        Number of items (required without ``graph``).
    rng : numpy.random.Generator
        Source of all randomness.
    graph : DiGraph, edge table, CSV path or list of pairs, optional
        A known prerequisite graph; must be acyclic.
    guess, slip : (low, high)
        Per-item guess and slip probabilities are uniform in these ranges.

    Examples
    --------
    >>> c = make_course(8, rng=np.random.default_rng(3))
    >>> sorted(c.syllabus) == sorted(c.true_order) == sorted(c.items)
    True
    """
    if not isinstance(rng, np.random.Generator):
        raise ParameterError(f"rng must be a numpy.random.Generator, got {type(rng).__name__}")
    for name, (lo, hi) in (("guess", guess), ("slip", slip)):
        if not 0 <= lo <= hi < 1:
            raise ParameterError(f"{name} range must satisfy 0 <= low <= high < 1, got {(lo, hi)!r}")
    if graph is None:
        if n_items is None:
            raise ParameterError("make_course needs n_items when no graph is given")
        A = random_prerequisite_dag(n_items, rng, mean_prereqs=mean_prereqs)
        n = len(A)
        names = _hex_ids(n, rng)
        # codes are shuffled so that item code order, like item ids, says nothing about the true order
        perm = rng.permutation(n)
        items = names[perm]
        inv = np.argsort(perm)
        prereq = A[np.ix_(perm, perm)]
        true_codes = inv  # position p of the generation order is code inv[p]
    else:
        g = nx.DiGraph()
        if isinstance(graph, nx.DiGraph):
            g.add_nodes_from(str(x) for x in graph.nodes())
        g.add_edges_from(read_edge_list(graph))
        if not nx.is_directed_acyclic_graph(g):
            cycle = nx.find_cycle(g)
            raise ParameterError(f"the prerequisite graph has a cycle: {' -> '.join(a for a, _ in cycle)}")
        if g.number_of_nodes() == 0:
            raise ParameterError("the prerequisite graph is empty")
        if n_items is not None:
            if int(n_items) != n_items or not 1 <= n_items <= g.number_of_nodes():
                raise ParameterError(f"n_items must lie in [1, {g.number_of_nodes()}] for this graph, "
                                     f"got {n_items!r}")
            g = g.subgraph(_down_closed_subset(g, int(n_items), rng)).copy()
        order = _random_topological_order(g, rng)
        items = np.array(sorted(order), dtype=object)
        index = {it: k for k, it in enumerate(items)}
        n = len(items)
        prereq = np.zeros((n, n), dtype=bool)
        sub = g.subgraph(order)
        if sub.number_of_edges():
            a, b = np.array([(index[a], index[b]) for a, b in sub.edges()]).T
            prereq[a, b] = True
        prereq = _transitive_reduction(prereq)
        true_codes = np.array([index[it] for it in order], dtype=np.int64)
    true_rank = np.empty(n, dtype=np.int64)
    true_rank[true_codes] = np.arange(n)
    depth = _depth(prereq, true_codes)
    span = depth.max() if depth.max() > 0 else 1.0
    difficulty = depth_slope * (depth / span - 0.5) + rng.normal(0.0, difficulty_sd, size=n)
    syllabus = syllabus_order(true_rank, rng, noise=syllabus_noise)
    return Course(
        items=np.asarray(items, dtype=object),
        prereq=prereq,
        difficulty=difficulty,
        guess=rng.uniform(*guess, size=n),
        slip=rng.uniform(*slip, size=n),
        salience=rng.lognormal(0.0, 0.5, size=n),
        true_order=[str(items[k]) for k in true_codes],
        syllabus=[str(items[k]) for k in syllabus],
    )


def _random_topological_order(g: nx.DiGraph, rng: np.random.Generator, deep_weight: float = 25.0) -> list:
    """A random topological order grown like a course: at each step one item whose prerequisites are all
    placed is added, items with prerequisites being ``deep_weight`` times likelier than new roots, so a
    prefix is a down-closed set that goes deep into the graph instead of collecting its roots."""
    nodes = sorted(g.nodes())
    missing = {v: g.in_degree(v) for v in nodes}
    ready = [v for v in nodes if missing[v] == 0]
    out = []
    while ready:
        w = np.array([deep_weight if g.in_degree(v) else 1.0 for v in ready])
        k = int(rng.choice(len(ready), p=w / w.sum()))
        v = ready.pop(k)
        out.append(v)
        for child in sorted(g.successors(v)):
            missing[child] -= 1
            if missing[child] == 0:
                ready.append(child)
    return out


def _down_closed_subset(g: nx.DiGraph, n: int, rng: np.random.Generator) -> list:
    """``n`` items closed under prerequisites, built from whole ancestor sets of random items (deep ones
    first) so that the sub-course keeps the graph's chains instead of only its roots."""
    nodes = sorted(g.nodes())
    depth = {}
    for v in nx.topological_sort(g):
        depth[v] = max((depth[u] + 1 for u in g.predecessors(v)), default=0)
    key = np.array([depth[v] for v in nodes], dtype=float) + rng.random(len(nodes)) * 3.0
    chosen: set = set()
    for k in np.argsort(-key, kind="stable"):
        v = nodes[k]
        if v in chosen:
            continue
        closure = (nx.ancestors(g, v) | {v}) - chosen
        if len(chosen) + len(closure) <= n:
            chosen |= closure
        if len(chosen) == n:
            break
    return sorted(chosen)
