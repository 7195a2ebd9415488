"""Matplotlib figures for the notebooks and the team report: paths, graphs, heatmaps, distributions.

Every function returns a :class:`matplotlib.figure.Figure` built without pyplot's global state, so a
notebook cell that ends with the figure shows it exactly once (and batch runs do not accumulate open
figures). Importing this module inside IPython registers a PNG formatter for figures (IPython 9 only does
so after ``%matplotlib inline`` or a pyplot ``show``). Graphs are drawn with networkx on matplotlib axes:
no graphviz binary is needed.

Examples
--------
>>> import numpy as np
>>> fig = heatmap(np.eye(3), ["a", "b", "c"], title="identity")
>>> fig.axes[0].get_title()
'identity'
"""

from __future__ import annotations

import math

import networkx as nx
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from poem.errors import ParameterError

__all__ = [
    "draw_path", "draw_prerequisite_graph", "prerequisite_figures", "layered_layout", "heatmap",
    "elo_distributions", "activity_over_time", "trail_lengths", "dropout_curve", "learners_per_item", "line_plot", "bar_plot", "item_labels", "png_bytes",
]

#: colour map of success rates: red (failing) to green (passing)
SUCCESS_CMAP = "RdYlGn"
#: resolution of figures shown in notebooks and embedded in reports
DPI = 100


def png_bytes(fig: Figure) -> bytes:
    """The figure as PNG bytes (what notebooks display and reports embed)."""
    import io

    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=DPI, bbox_inches="tight", facecolor="white")
    return buffer.getvalue()


def _register_notebook_display() -> None:
    try:
        from IPython import get_ipython
    except ImportError:  # plain Python: nothing to register
        return
    shell = get_ipython()
    if shell is not None and hasattr(shell, "display_formatter"):
        shell.display_formatter.formatters["image/png"].for_type(Figure, png_bytes)


_register_notebook_display()


def item_labels(items, item_info=None, width: int = 18) -> dict:
    """Display labels of item ids: the catalogue title when known (shortened to ``width``), else the id.

    Examples
    --------
    >>> info = pd.DataFrame({"title": ["Intro"]}, index=pd.Index(["v1"], name="item"))
    >>> item_labels(["v1", "v2"], info)
    {'v1': 'Intro', 'v2': 'v2'}
    >>> print(item_labels(["$5 course"])["$5 course"])
    \\$5 course
    """
    labels = {}
    titles = {}
    if item_info is not None and "title" in item_info.columns:
        titles = {str(k): v for k, v in item_info["title"].items() if isinstance(v, str) and v.strip()}
    for item in items:
        text = titles.get(str(item), str(item))
        text = text if len(text) <= width else text[: width - 1] + "…"
        labels[str(item)] = text.replace("$", r"\$")  # a bare $ would start matplotlib's mathtext
    return labels


def _snake_positions(n: int, per_row: int) -> dict:
    """Positions of a path laid out as a snake (left to right, then right to left), so long paths fit."""
    pos = {}
    for k in range(n):
        row, col = divmod(k, per_row)
        x = col if row % 2 == 0 else per_row - 1 - col
        pos[k] = (float(x), -float(row))
    return pos


def draw_path(items, values=None, *, labels=None, title=None, per_row: int = 6, value_label="success rate",
              cmap=SUCCESS_CMAP) -> Figure:
    """The recommended path as numbered steps joined by arrows, coloured by a per-step value.

    Parameters
    ----------
    items : sequence of str
        Item ids in path order.
    values : sequence of float, optional
        One value per step in [0, 1] (success rate by default); NaN is drawn grey.
    labels : dict, optional
        Item id → label (see :func:`item_labels`).
    per_row : int
        Steps per row of the snake layout.

    Raises
    ------
    ParameterError
        If ``values`` does not have one entry per item or ``per_row`` < 1.

    Examples
    --------
    >>> fig = draw_path(["a", "b", "c"], [0.9, 0.5, float("nan")])
    >>> len(fig.axes)  # the drawing and its colour bar
    2
    """
    items = [str(x) for x in items]
    if per_row < 1:
        raise ParameterError(f"per_row must be >= 1, got {per_row}")
    values = np.full(len(items), np.nan) if values is None else np.asarray(values, dtype=float)
    if values.shape != (len(items),):
        raise ParameterError(f"draw_path: {values.shape[0]} values for {len(items)} items")
    labels = labels or {}
    per_row = min(per_row, max(len(items), 1))
    rows = max(math.ceil(len(items) / per_row), 1)
    # at most a report page wide (10 in), so the page shows the figure at its own size and the 9 pt labels
    # stay 9 pt: long paths get more rows, not smaller text
    fig = Figure(figsize=(min(1.45 * per_row + 1.6, 10.2), 1.3 * rows + 1.0), layout="constrained")
    ax = fig.add_subplot()
    graph = nx.DiGraph()
    graph.add_nodes_from(range(len(items)))
    pos = _snake_positions(len(items), per_row)
    # steps in a row are joined straight; at a row turn the arrow leaves sideways, runs down outside the
    # row's end and comes back in, so it never crosses the labels written under the circles
    row_end = {k for k in range(len(items) - 1) if pos[k][1] != pos[k + 1][1]}
    graph.add_edges_from((k, k + 1) for k in range(len(items) - 1) if k not in row_end)
    import matplotlib
    import matplotlib.patches as mpatches

    colormap = matplotlib.colormaps[cmap]
    colours = [colormap(v) if np.isfinite(v) else (0.8, 0.8, 0.8, 1.0) for v in values]
    nx.draw_networkx_edges(graph, pos, ax=ax, arrows=True, arrowstyle="-|>", arrowsize=14, node_size=900,
                           edge_color="#555555", connectionstyle="arc3,rad=0.0")
    for k in sorted(row_end):
        right = pos[k][0] > (per_row - 1) / 2  # turn on the right end of the row, or on the left
        ax.add_patch(mpatches.FancyArrowPatch(
            pos[k], pos[k + 1], arrowstyle="-|>", mutation_scale=14, color="#555555", shrinkA=15, shrinkB=15,
            connectionstyle=f"bar,armA={45 if not right else -45},armB={45 if not right else -45},fraction=0",
            zorder=1))
    nx.draw_networkx_nodes(graph, pos, ax=ax, node_color=colours, node_size=900, edgecolors="#333333")
    nx.draw_networkx_labels(graph, pos, ax=ax, labels={k: str(k + 1) for k in range(len(items))},
                            font_size=10, font_weight="bold")
    for k, item in enumerate(items):
        x, y = pos[k]
        ax.text(x, y - 0.22, labels.get(item, item), ha="center", va="top", fontsize=9)
    ax.set_xlim(-0.9, per_row - 0.1)
    ax.set_ylim(-(rows - 1) - 0.75, 0.45)
    ax.set_axis_off()
    if title:
        ax.set_title(title)
    mappable = matplotlib.cm.ScalarMappable(norm=matplotlib.colors.Normalize(0, 1), cmap=colormap)
    fig.colorbar(mappable, ax=ax, shrink=0.7, label=value_label)
    return fig


#: layout units of the prerequisite drawing, in inches: one column (a label and the gap to the next) and one row
GRAPH_COLUMN_IN, GRAPH_ROW_IN = 1.6, 0.8
#: font size (points) and characters per line of the node labels of the prerequisite drawing
GRAPH_FONT, GRAPH_LABEL_CHARS = 9, 14
#: gid of the node-label text artists (tests and callers find them by it)
NODE_LABEL_GID = "poem-node-label"


def _wrap(label: str, width: int = GRAPH_LABEL_CHARS) -> str:
    """A label on at most two lines of ``width`` characters (cut on spaces when possible)."""
    if len(label) <= width:
        return label
    cut = label.rfind(" ", 0, width + 1)
    first, rest = (label[:cut], label[cut + 1:]) if cut > 0 else (label[:width], label[width:])
    rest = rest if len(rest) <= width else rest[: width - 1] + "…"
    return first + "\n" + rest


def layered_layout(graph: nx.DiGraph, *, max_per_row: int = 6) -> dict:
    """Deterministic top-down layered positions ``{node: (x, y)}`` of an acyclic graph, in layout units.

    An item sits one layer below its deepest prerequisite (layer = longest path from a root). Within a
    layer, items are ordered by the mean position of their prerequisites in the layers above (barycentre
    heuristic, which keeps arrows short and rarely crossing), ties broken by the item id, so the same
    graph always gives the same drawing whatever the order its nodes and edges were added in. A layer
    wider than ``max_per_row`` items wraps onto several rows (alternate rows shifted by half a column).
    One unit is one column across and one row down; ``y`` is 0 for the first row and negative below.

    Raises
    ------
    ParameterError
        If the graph has a cycle or ``max_per_row`` < 1.

    Examples
    --------
    >>> pos = layered_layout(nx.DiGraph([("b", "c"), ("a", "c"), ("c", "d")]))
    >>> {n: (round(x, 2), y) for n, (x, y) in sorted(pos.items())}
    {'a': (-0.5, 0.0), 'b': (0.5, 0.0), 'c': (0.0, -1.0), 'd': (0.0, -2.0)}
    """
    if max_per_row < 1:
        raise ParameterError(f"max_per_row must be >= 1, got {max_per_row}")
    if not nx.is_directed_acyclic_graph(graph):
        raise ParameterError("the prerequisite drawing needs an acyclic graph")
    layer = {}
    for node in nx.lexicographical_topological_sort(graph, key=str):
        preds = list(graph.predecessors(node))
        layer[node] = 1 + max((layer[p] for p in preds), default=-1)
    layers = {}
    for node in sorted(layer, key=str):
        layers.setdefault(layer[node], []).append(node)
    pos = {}
    y = 0.0
    for k in sorted(layers):
        nodes = layers[k]
        if k > 0:  # barycentre of the prerequisites' horizontal positions, then the id
            def centre(n):
                xs = [pos[p][0] for p in graph.predecessors(n)]
                return (sum(xs) / len(xs)) if xs else math.inf
            nodes = sorted(nodes, key=lambda n: (centre(n), str(n)))
        for start in range(0, len(nodes), max_per_row):
            row = nodes[start:start + max_per_row]
            # alternate rows of a wrapped layer are shifted by half a column, so that an arrow to the
            # second row passes between the labels of the first
            shift = 0.5 if (start // max_per_row) % 2 else 0.0
            for j, node in enumerate(row):
                pos[node] = (j - (len(row) - 1) / 2 + shift, y)
            y -= 1.0
    return pos


def draw_prerequisite_graph(graph: nx.DiGraph, *, labels=None, title=None, highlight=(),
                            isolated: bool = False, max_per_row: int = 6) -> Figure:
    """A prerequisite graph in layers, top to bottom: an item sits one layer below its deepest prerequisite.

    Items are drawn as their labels (catalogue titles, see :func:`item_labels`) in boxes at
    :data:`GRAPH_FONT` points, wrapped on two lines; the figure grows with the graph so that the text keeps
    its size and no two labels overlap, and the layout is deterministic (:func:`layered_layout`). Arrows
    run behind the boxes, so no arrow crosses a label. Edge width grows with the edge's ``weight``
    attribute; edges listed in ``highlight`` are drawn red (for example, where the syllabus disagrees
    with the learners). Items without any link are left out unless ``isolated``. For big courses, see
    :func:`prerequisite_figures`.

    Raises
    ------
    ParameterError
        If the graph has a cycle (layers are undefined).

    Examples
    --------
    >>> g = nx.DiGraph([("a", "b"), ("b", "c"), ("a", "c")])
    >>> fig = draw_prerequisite_graph(g, highlight=[("a", "c")])
    >>> fig.axes[0].get_title(), sorted(t.get_text() for t in fig.axes[0].texts if t.get_gid() == NODE_LABEL_GID)
    ('', ['a', 'b', 'c'])
    """
    import matplotlib.patches as mpatches

    if not nx.is_directed_acyclic_graph(graph):
        raise ParameterError("draw_prerequisite_graph needs an acyclic graph")
    labels = labels or {}
    g = nx.DiGraph()
    g.add_nodes_from(sorted((n for n in graph.nodes if isolated or graph.degree(n) > 0), key=str))
    g.add_edges_from(sorted(graph.edges(data=True), key=lambda e: (str(e[0]), str(e[1]))))
    pos = layered_layout(g, max_per_row=max_per_row) if g.number_of_nodes() else {}
    xs = [x for x, _ in pos.values()] or [0.0]
    ys = [y for _, y in pos.values()] or [0.0]
    x_lo, x_hi = min(xs) - 0.55, max(xs) + 0.55
    y_lo, y_hi = min(ys) - 0.5, max(ys) + 0.5
    top = 0.4 if title else 0.0
    width = (x_hi - x_lo) * GRAPH_COLUMN_IN
    height = (y_hi - y_lo) * GRAPH_ROW_IN
    fig = Figure(figsize=(width, height + top))
    ax = fig.add_axes((0, 0, 1, height / (height + top)))
    ax.set_xlim(x_lo, x_hi)
    ax.set_ylim(y_lo, y_hi)
    ax.set_axis_off()
    if title:
        fig.suptitle(title, y=1 - 0.08 / (height + top), va="top")
    red = {tuple(e) for e in highlight}
    weights = [float(d.get("weight", 1.0)) for _, _, d in g.edges(data=True)]
    top_weight = max(weights, default=1.0) or 1.0
    box_half = 0.28  # half the height of a two-line label box, in rows
    for (u, v, d), w in zip(g.edges(data=True), weights):
        (x0, y0), (x1, y1) = pos[u], pos[v]
        span = round(y0 - y1)
        arrow = mpatches.FancyArrowPatch(
            (x0, y0 - box_half * 0.6), (x1, y1 + box_half * 0.6), arrowstyle="-|>", mutation_scale=10,
            connectionstyle=f"arc3,rad={0.0 if span <= 1 else 0.18}", shrinkA=0, shrinkB=4,
            linewidth=0.6 + 2.0 * max(w, 0) / top_weight, zorder=1,
            color="#c0392b" if (u, v) in red else "#7f8c8d")
        ax.add_patch(arrow)
    for node in g.nodes:
        x, y = pos[node]
        ax.text(x, y, _wrap(str(labels.get(str(node), str(node)))), ha="center", va="center",
                fontsize=GRAPH_FONT, zorder=3, gid=NODE_LABEL_GID, linespacing=1.1,
                bbox={"boxstyle": "round,pad=0.3", "facecolor": "#eaf2f8", "edgecolor": "#2c3e50",
                      "linewidth": 0.8})
    return fig


def _rest_table(graph: nx.DiGraph, drawn: set) -> pd.DataFrame:
    rows = [{"prerequisite": str(u), "item": str(v), **{k: d[k] for k in ("weight", "precedence", "against")
                                                       if k in d}}
            for u, v, d in graph.edges(data=True) if (u, v) not in drawn]
    table = pd.DataFrame(rows, columns=["prerequisite", "item", "weight"] if not rows else None)
    if len(table) and "weight" in table:
        order = np.lexsort((table["item"].to_numpy(), table["prerequisite"].to_numpy(),
                            -table["weight"].to_numpy(dtype=float)))
        table = table.iloc[order].reset_index(drop=True)
    return table


def prerequisite_figures(graph: nx.DiGraph, *, labels=None, highlight=(), groups=None, max_edges: int = 60,
                         max_nodes: int = 36, title=None, max_per_row: int = 6):
    """The prerequisite graph as a few legible drawings plus a table of the arcs left out (big courses).

    1. Only the confident arcs are drawn: the transitive reduction first (``a → c`` is implied by
       ``a → b → c``), then, beyond ``max_edges``, the heaviest arcs (``weight``).
    2. The items are grouped, by ``groups`` (item → module or week, from the catalogue) when given, else
       by connected component of the drawn arcs; a group of more than ``max_nodes`` items is cut into
       consecutive layers, and small connected components share a figure up to ``max_nodes`` items.
    3. One figure per group (:func:`draw_prerequisite_graph`); every arc not drawn (implied, weaker, or
       joining two groups) is a row of the returned table, strongest first.

    Parameters
    ----------
    graph : networkx.DiGraph
        Acyclic prerequisite graph; edge attributes ``weight`` (and ``precedence``, ``against``) are kept.
    labels : dict, optional
        Item id → label.
    highlight : iterable of (str, str)
        Arcs drawn red.
    groups : dict, optional
        Item id → group name; arcs between two groups go to the table.
    max_edges, max_nodes : int
        Arcs drawn in all, items per figure.
    title : callable, optional
        ``title(k, n, size)`` → title of figure ``k`` (1-based) of ``n``, holding ``size`` items.

    Returns
    -------
    figures : list of Figure
    rest : DataFrame
        ``prerequisite``, ``item``, ``weight`` (and ``precedence``, ``against`` when the graph has them).

    Raises
    ------
    ParameterError
        If the graph has a cycle or a limit is below 1.

    Examples
    --------
    >>> g = nx.DiGraph([("a", "b"), ("b", "c"), ("a", "c"), ("x", "y")])
    >>> figures, rest = prerequisite_figures(g, max_nodes=3)
    >>> len(figures), rest[["prerequisite", "item"]].values.tolist()
    (2, [['a', 'c']])
    """
    if max_edges < 1 or max_nodes < 2:
        raise ParameterError(f"max_edges must be >= 1 and max_nodes >= 2, got {max_edges} and {max_nodes}")
    if not nx.is_directed_acyclic_graph(graph):
        raise ParameterError("prerequisite_figures needs an acyclic graph")
    reduced = nx.transitive_reduction(graph)
    kept = sorted(reduced.edges, key=lambda e: (-float(graph.edges[e].get("weight", 1.0)), str(e[0]), str(e[1])))
    kept = kept[:max_edges]
    drawn_graph = nx.DiGraph()
    drawn_graph.add_edges_from((u, v, graph.edges[u, v]) for u, v in kept)
    if groups:
        members = {}
        for node in drawn_graph.nodes:
            members.setdefault(str(groups.get(str(node), groups.get(node, ""))), []).append(node)
        parts = [members[k] for k in sorted(members)]
    else:
        parts = sorted((sorted(c, key=str) for c in nx.weakly_connected_components(drawn_graph)),
                       key=lambda c: (-len(c), str(c[0])))
    chunks = []
    for part in parts:
        if len(part) <= max_nodes:
            chunks.append(part)
            continue
        sub = drawn_graph.subgraph(part)
        current = []
        for generation in nx.topological_generations(sub):
            generation = sorted(generation, key=str)
            while generation:
                room = max_nodes - len(current)
                current += generation[:room]
                generation = generation[room:]
                if len(current) >= max_nodes:
                    chunks.append(current)
                    current = []
        if current:
            chunks.append(current)
    packed = []  # small groups of linked items share a figure (a module or a week keeps its own)
    for chunk in chunks:
        if (not groups and packed and len(packed[-1]) + len(chunk) <= max_nodes
                and len(chunk) < max_nodes // 2):
            packed[-1] = packed[-1] + chunk
        else:
            packed.append(chunk)
    # a slice of a big group whose arcs all leave it has nothing to draw: its arcs are in the table
    subs = [sub for sub in (drawn_graph.subgraph(chunk).copy() for chunk in packed) if sub.number_of_edges()]
    figures, drawn = [], set()
    for k, sub in enumerate(subs, start=1):
        drawn |= set(sub.edges)
        size = sum(1 for n in sub.nodes if sub.degree(n))
        name = title(k, len(subs), size) if callable(title) else title
        figures.append(draw_prerequisite_graph(sub, labels=labels, title=name, highlight=highlight,
                                               max_per_row=max_per_row))
    return figures, _rest_table(graph, drawn)


def heatmap(matrix, labels, *, row_labels=None, order=None, title=None, cmap="viridis", colorbar_label=None,
            log: bool = False, diagonal: bool = True) -> Figure:
    """A labelled heatmap of an (n_rows, n) matrix such as Φ⁺, Φ⁻ or the precedence counts.

    ``order`` (a list of labels, say a learning path) reorders the columns, and the rows that carry the same
    labels, so structure along the path shows as a band above the diagonal; rows without a column twin
    (the start node of Φ⁺) come last. ``log=True`` shows ``log1p(matrix)``, which keeps a few heavy arcs
    from washing out the rest. ``diagonal=False`` blanks the cells whose row and column are the same item (a
    learner repeating an item), which would otherwise be the strongest band and hide the structure beside it.
    Every row and column is labelled up to 80 of them (then every other one, and so on).

    Examples
    --------
    >>> fig = heatmap(np.arange(6).reshape(3, 2), ["a", "b"], row_labels=["a", "b", "start"], order=["b", "a"])
    >>> [t.get_text() for t in fig.axes[0].get_yticklabels()]
    ['b', 'a', 'start']

    Raises
    ------
    ParameterError
        If the matrix is not 2-D or the labels do not match its shape.
    """
    matrix = np.asarray(matrix, dtype=float)
    if matrix.ndim != 2:
        raise ParameterError(f"heatmap needs a 2-D matrix, got shape {matrix.shape}")
    labels = [str(x) for x in labels]
    row_labels = labels if row_labels is None else [str(x) for x in row_labels]
    if matrix.shape != (len(row_labels), len(labels)):
        raise ParameterError(f"heatmap: matrix shape {matrix.shape} does not match "
                             f"{len(row_labels)} row and {len(labels)} column labels")
    if order is not None:
        order = [str(x) for x in order]
        missing = sorted(set(order) - set(labels))
        if missing or len(set(order)) != len(labels):
            raise ParameterError(f"heatmap order must list every column label once; unknown {missing[:5]}")
        cols = [labels.index(x) for x in order]
        rows = [row_labels.index(x) for x in order if x in row_labels]
        rows += [k for k, x in enumerate(row_labels) if x not in set(order)]
        matrix = matrix[np.ix_(rows, cols)]
        labels, row_labels = order, [row_labels[k] for k in rows]
    shown = np.log1p(np.maximum(matrix, 0)) if log else matrix.copy()
    if not diagonal:
        same = np.array([[r == c for c in labels] for r in row_labels], dtype=bool).reshape(shown.shape)
        shown = np.where(same, np.nan, shown)  # imshow leaves NaN cells blank
    side = min(3.5 + 0.2 * max(matrix.shape), 12)
    fig = Figure(figsize=(side + 1.2, side), layout="constrained")
    ax = fig.add_subplot()
    image = ax.imshow(shown, cmap=cmap, aspect="auto", interpolation="nearest")
    step = max(1, math.ceil(max(matrix.shape) / 80))  # every item labelled on courses up to 80 items
    ax.set_xticks(range(0, len(labels), step), labels[::step], rotation=90, fontsize=7)
    ax.set_yticks(range(0, len(row_labels), step), row_labels[::step], fontsize=7)
    ax.set_xlabel("to item")
    ax.set_ylabel("from item")
    if title:
        ax.set_title(title)
    fig.colorbar(image, ax=ax, label=colorbar_label or ("log(1 + value)" if log else "value"))
    return fig


def elo_distributions(learner_ability, item_difficulty, *, title=None, labels=("learners' ability",
                                                                              "items' difficulty")) -> Figure:
    """Overlaid histograms of the ELO ratings of learners and items on one scale."""
    ability = np.asarray(learner_ability, dtype=float)
    difficulty = np.asarray(item_difficulty, dtype=float)
    both = np.concatenate([ability[np.isfinite(ability)], difficulty[np.isfinite(difficulty)]])
    fig = Figure(figsize=(7, 3.5), layout="constrained")
    ax = fig.add_subplot()
    if both.size:
        bins = np.linspace(both.min(), both.max() + 1e-9, 30)
        ax.hist(ability[np.isfinite(ability)], bins=bins, alpha=0.6, density=True, label=labels[0])
        ax.hist(difficulty[np.isfinite(difficulty)], bins=bins, alpha=0.6, density=True, label=labels[1])
        ax.legend()
    ax.set_xlabel("ELO rating")
    ax.set_ylabel("density")
    if title:
        ax.set_title(title)
    return fig


#: plain names of the pandas frequencies offered for the activity plot
_FREQ_NAMES = {"D": "day", "W": "week", "h": "hour", "H": "hour", "min": "minute", "MS": "month", "ME": "month",
               "M": "month"}


def activity_over_time(traces, *, freq="D", title=None) -> Figure:
    """Events and distinct active learners per day (or per ``freq``) of a :class:`~poem.traces.Traces`."""
    stamps = pd.to_datetime(traces.timestamp, unit="ns", utc=True)
    frame = pd.DataFrame({"t": stamps, "learner": traces.learner})
    grouped = frame.groupby(pd.Grouper(key="t", freq=freq))
    counts = grouped.size()
    active = grouped["learner"].nunique()
    fig = Figure(figsize=(8, 3.2), layout="constrained")
    ax = fig.add_subplot()
    ax.plot(counts.index, counts.to_numpy(), label="events")
    ax.plot(active.index, active.to_numpy(), label="active learners")
    ax.legend()
    ax.set_ylabel("per " + _FREQ_NAMES.get(freq, freq))
    fig.autofmt_xdate()
    if title:
        ax.set_title(title)
    return fig


def trail_lengths(traces, *, title=None) -> Figure:
    """Histogram of the number of events per learner (trail length)."""
    lengths = np.diff(traces.trail_bounds())
    fig = Figure(figsize=(6, 3.2), layout="constrained")
    ax = fig.add_subplot()
    if lengths.size:
        ax.hist(lengths, bins=min(40, max(5, int(np.sqrt(lengths.size)))), color="#5dade2")
    ax.set_xlabel("events per learner")
    ax.set_ylabel("learners")
    if title:
        ax.set_title(title)
    return fig


def dropout_curve(traces, *, title=None) -> Figure:
    """Share of learners still present after their k-th distinct item: a survival curve of the course."""
    bounds = traces.trail_bounds()
    # distinct items per learner = how far each learner went
    pairs = np.unique(np.stack([traces.learner.astype(np.int64), traces.item.astype(np.int64)]), axis=1)
    reach = np.bincount(pairs[0], minlength=traces.n_learners) if pairs.size else np.zeros(0, dtype=int)
    fig = Figure(figsize=(6, 3.2), layout="constrained")
    ax = fig.add_subplot()
    if reach.size and len(bounds) > 1:
        k = np.arange(0, reach.max() + 1)
        still = (reach[None, :] >= k[:, None]).mean(axis=1)
        ax.step(k, still, where="post")
    ax.set_xlabel("distinct items reached")
    ax.set_ylabel("share of learners")
    ax.set_ylim(0, 1.02)
    if title:
        ax.set_title(title)
    return fig


def learners_per_item(counts, labels=None, *, title=None) -> Figure:
    """Bar chart of a per-item count (e.g. ``item_learners_``) sorted from most to least reached."""
    series = pd.Series(counts).sort_values(ascending=False)
    labels = labels or {}
    fig = Figure(figsize=(min(3 + 0.18 * len(series), 14), 3.5), layout="constrained")
    ax = fig.add_subplot()
    ax.bar(range(len(series)), series.to_numpy(), color="#48c9b0")
    ax.set_xticks(range(len(series)), [labels.get(str(i), str(i)) for i in series.index], rotation=90,
                  fontsize=6)
    ax.set_ylabel("learners")
    if title:
        ax.set_title(title)
    return fig


def line_plot(table: pd.DataFrame, x: str, y: str, *, hue=None, title=None, ylabel=None, errorbars=True) -> Figure:
    """Mean of ``y`` against ``x`` (one line per ``hue`` value), with ±1 standard deviation bars.

    Raises
    ------
    ParameterError
        If a named column is missing.
    """
    missing = [c for c in (x, y, hue) if c is not None and c not in table.columns]
    if missing:
        raise ParameterError(f"line_plot: missing column(s) {missing}; have {list(table.columns)}")
    fig = Figure(figsize=(6.5, 3.6), layout="constrained")
    ax = fig.add_subplot()
    groups = [(None, table)] if hue is None else list(table.groupby(hue, sort=True))
    for name, part in groups:
        stats = part.groupby(x)[y].agg(["mean", "std"]).reset_index()
        kwargs = {"label": str(name) if hue is not None else None, "marker": "o", "capsize": 3}
        ax.errorbar(stats[x], stats["mean"], yerr=stats["std"].fillna(0) if errorbars else None, **kwargs)
    if hue is not None:
        ax.legend(fontsize=8, title=hue, title_fontsize=8)  # "colony", titled "policy"; not "policy=colony"
    values = pd.to_numeric(table[x], errors="coerce")
    if values.notna().all() and bool((values == values.round()).all()):
        from matplotlib.ticker import MaxNLocator

        ax.xaxis.set_major_locator(MaxNLocator(integer=True))  # cohorts, depths: no 2.5th cohort
    ax.set_xlabel(x)
    ax.set_ylabel(ylabel or y)
    if title:
        ax.set_title(title)
    return fig


def bar_plot(values, *, title=None, ylabel=None, horizontal: bool = False) -> Figure:
    """A bar chart of a named series (index = bar labels)."""
    series = pd.Series(values)
    fig = Figure(figsize=(6.5, max(2.5, 0.3 * len(series) + 1) if horizontal else 3.4), layout="constrained")
    ax = fig.add_subplot()
    labels = [str(i) for i in series.index]
    if horizontal:
        ax.barh(labels, series.to_numpy(), color="#5499c7")
        ax.invert_yaxis()
        ax.set_xlabel(ylabel or "")
    else:
        ax.bar(labels, series.to_numpy(), color="#5499c7")
        ax.set_ylabel(ylabel or "")
        ax.tick_params(axis="x", rotation=30)
    if title:
        ax.set_title(title)
    return fig
