"""The report's drawings read by people: deterministic, labels legible and never overlapping, big courses
split into a few figures with the rest in a table, path arrows kept off the labels."""


import networkx as nx
import numpy as np
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg

from poem.errors import ParameterError
from poem.report import plots


def course_graph(n_items, seed, density=None):
    """A random prerequisite graph as the colony gives it: arcs i -> j (i < j) with a weight, many of them
    implied by others (the hairball of a big course), item ids shuffled like platform hex ids."""
    rng = np.random.default_rng(seed)
    density = density or min(0.25, 6.0 / n_items)
    ids = [f"v{h:05x}" for h in rng.choice(16**5, n_items, replace=False)]
    g = nx.DiGraph()
    for i, j in zip(*np.nonzero(np.triu(rng.random((n_items, n_items)) < density, 1))):
        g.add_edge(ids[i], ids[j], weight=float(rng.uniform(2, 9)), precedence=float(rng.integers(20, 90)),
                   against=float(rng.integers(0, 10)))
    titles = {item: f"Unit {k + 1}: " + ("Fractions and ratios" if k % 3 else "Intro") for k, item in enumerate(ids)}
    return g, titles


def label_boxes(fig):
    """Display-space extents (x0, y0, x1, y1) of the node labels as drawn, boxes included."""
    renderer = FigureCanvasAgg(fig).get_renderer()
    texts = [t for ax in fig.axes for t in ax.texts if t.get_gid() == plots.NODE_LABEL_GID]
    boxes = []
    for t in texts:
        t.draw(renderer)  # lays the box patch out around the text
        box = t.get_bbox_patch().get_window_extent(renderer)
        boxes.append((box.x0, box.y0, box.x1, box.y1))
    return texts, np.array(boxes)


def overlapping_pairs(boxes):
    x0, y0, x1, y1 = (boxes[:, k] for k in range(4))
    overlap = ((np.minimum(x1[:, None], x1[None, :]) > np.maximum(x0[:, None], x0[None, :]))
               & (np.minimum(y1[:, None], y1[None, :]) > np.maximum(y0[:, None], y0[None, :])))
    np.fill_diagonal(overlap, False)
    return np.argwhere(np.triu(overlap))


@pytest.mark.parametrize("n_items, seed", [(40, 0), (180, 1)])
def test_prerequisite_figures_labels_never_overlap_and_stay_legible(n_items, seed):
    graph, titles = course_graph(n_items, seed)
    labels = plots.item_labels(graph.nodes, None)
    labels.update({k: v for k, v in titles.items()})
    figures, rest = plots.prerequisite_figures(graph, labels=labels)
    assert 1 <= len(figures) <= 8
    n_labels = 0
    for fig in figures:
        texts, boxes = label_boxes(fig)
        n_labels += len(texts)
        assert len(texts) and overlapping_pairs(boxes).size == 0
        assert all(t.get_fontsize() >= 9 for t in texts)
        width, height = fig.get_size_inches()
        assert width <= 11.5  # shown at its own size in a report page: the text is not scaled down
        inside = fig.bbox
        assert (boxes[:, 0] >= inside.x0 - 1).all() and (boxes[:, 2] <= inside.x1 + 1).all()
    drawn = graph.number_of_edges() - len(rest)
    assert 0 < drawn <= 60
    # every arc is either drawn or listed, once
    listed = set(zip(rest["prerequisite"], rest["item"]))
    assert len(listed) == len(rest) and listed < set(graph.edges)
    assert rest["weight"].is_monotonic_decreasing
    assert n_labels <= graph.number_of_nodes()


def test_prerequisite_drawing_is_identical_across_runs_and_insertion_orders():
    graph, titles = course_graph(40, 3)
    shuffled = nx.DiGraph()
    edges = list(graph.edges(data=True))
    np.random.default_rng(9).shuffle(edges)
    shuffled.add_edges_from(edges)
    images = [plots.png_bytes(fig) for g in (graph, graph, shuffled)
              for fig in plots.prerequisite_figures(g, labels=titles)[0]]
    n = len(images) // 3
    assert images[:n] == images[n:2 * n] == images[2 * n:]
    pos = [plots.layered_layout(g) for g in (graph, shuffled)]
    assert pos[0] == pos[1]


def test_layered_layout_puts_every_item_below_its_prerequisites():
    graph, _ = course_graph(60, 4, density=0.08)
    pos = plots.layered_layout(graph, max_per_row=5)
    assert all(pos[u][1] > pos[v][1] for u, v in graph.edges)
    rows = {}
    for node, (x, y) in pos.items():
        rows.setdefault(y, []).append(x)
    assert max(len(xs) for xs in rows.values()) <= 5
    assert all(min(np.diff(sorted(xs)), default=1) >= 1 for xs in rows.values())  # one column apart at least
    with pytest.raises(ParameterError, match="acyclic"):
        plots.layered_layout(nx.DiGraph([("a", "b"), ("b", "a")]))


def test_groups_from_the_catalogue_split_the_drawing():
    graph = nx.DiGraph([("a", "b"), ("b", "c"), ("c", "x"), ("x", "y")])
    figures, rest = plots.prerequisite_figures(graph, groups={"a": "week 1", "b": "week 1", "c": "week 1",
                                                              "x": "week 2", "y": "week 2"},
                                               title=lambda k, n, size: f"{k}/{n}: {size}")
    assert [f._suptitle.get_text() for f in figures] == ["1/2: 3", "2/2: 2"]
    assert rest[["prerequisite", "item"]].values.tolist() == [["c", "x"]]  # joins two weeks: in the table


def test_path_turn_arrows_stay_off_the_labels():
    items = [f"v{k}" for k in range(20)]
    fig = plots.draw_path(items, np.linspace(0, 1, 20), labels={i: f"Unit {i}" for i in items}, per_row=8)
    renderer = FigureCanvasAgg(fig).get_renderer()
    ax = fig.axes[0]
    labels = [t.get_window_extent(renderer) for t in ax.texts if t.get_text().startswith("Unit")]
    turns = [p for p in ax.patches if "bar" in str(p.get_connectionstyle()).lower()
             or type(p.get_connectionstyle()).__name__ == "Bar"]
    assert len(turns) == 2  # 20 steps on rows of 8: two turns
    for patch in turns:
        patch.draw(renderer)
        # the drawn outline in display space (matplotlib keeps it per arrow part: the line, then the head)
        paths, _ = patch._get_path_in_displaycoord()
        points = np.concatenate([p.interpolated(50).vertices for p in paths])
        for box in labels:
            inside = ((points[:, 0] > box.x0) & (points[:, 0] < box.x1) & (points[:, 1] > box.y0)
                      & (points[:, 1] < box.y1))
            assert not inside.any()
