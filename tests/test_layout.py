"""The package reads as its pipeline: every submodule imports, no import cycle between modules, and each
layer imports only from itself and the layers before it (docs/design.md)."""

import ast
import importlib
import pkgutil
import warnings
from pathlib import Path

import networkx as nx
import pytest

import poem

ROOT = Path(poem.__file__).parent

#: the layers in the order data flows; a module may import from its own layer or an earlier one
LAYERS = [
    ("base", ["poem", "poem.errors", "poem.traces", "poem.pseudonym"]),
    ("io", ["poem.io", "poem.importers"]),
    ("colony", ["poem.antcolony", "poem.colony"]),
    ("paths", ["poem.paths", "poem.ordering"]),
    ("simulation", ["poem.simulation"]),
    ("engines", ["poem.engines"]),
    ("lab", ["poem.lab"]),
    ("report", ["poem.report"]),
    ("cli", ["poem.cli"]),
]


def _layer(module: str) -> int:
    best, rank = -1, None
    for i, (_, prefixes) in enumerate(LAYERS):
        for p in prefixes:
            if (module == p or module.startswith(p + ".")) and len(p) > best:
                best, rank = len(p), i
    return rank


def _modules() -> list[str]:
    names = ["poem"]
    for info in pkgutil.walk_packages([str(ROOT)], prefix="poem."):
        names.append(info.name)
    return sorted(names)


def _imports(module: str, known: set[str]) -> set[str]:
    """Every poem module ``module`` imports, at the top or inside a function (a lazy import is still a
    dependency)."""
    spec = importlib.util.find_spec(module)
    tree = ast.parse(Path(spec.origin).read_text(), spec.origin)
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names if a.name.startswith("poem"))
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0 and node.module.startswith("poem"):
            for a in node.names:
                sub = f"{node.module}.{a.name}"
                out.add(sub if sub in known else node.module)
        elif isinstance(node, ast.ImportFrom) and node.level:
            pytest.fail(f"{module} uses a relative import; the package uses absolute imports")
    return out - {module}


def _graph() -> nx.DiGraph:
    names = _modules()
    known = set(names)
    graph = nx.DiGraph()
    graph.add_nodes_from(names)
    for name in names:
        for target in _imports(name, known):
            graph.add_edge(name, target)
    return graph


def test_the_package_has_its_layer_folders_and_few_top_level_modules():
    top = sorted(p.stem for p in ROOT.glob("*.py"))
    assert top == ["__init__", "antcolony", "errors", "io", "paths", "pseudonym", "traces"]
    for folder in ("importers", "colony", "ordering", "simulation", "engines", "lab", "report", "cli"):
        assert (ROOT / folder / "__init__.py").is_file(), folder


@pytest.mark.parametrize("name", _modules())
def test_every_submodule_imports(name):
    importlib.import_module(name)


def test_no_import_cycle_between_modules():
    graph = _graph()
    assert graph.number_of_edges() > 50  # the graph really was read
    cycles = list(nx.simple_cycles(graph))
    assert cycles == [], f"import cycles: {cycles[:5]}"


def test_no_module_imports_a_later_layer():
    graph = _graph()
    backwards = [(a, b) for a, b in graph.edges if a != "poem" and _layer(b) > _layer(a)]
    assert backwards == []


def test_modules_stay_small():
    # the design card: split a module when it passes about 600 lines
    sizes = {p.relative_to(ROOT).as_posix(): len(p.read_text().splitlines()) for p in ROOT.rglob("*.py")}
    assert max(sizes.values()) > 100
    assert {k: v for k, v in sizes.items() if v > 700} == {}


def test_public_surface():
    assert callable(poem.read_traces) and callable(poem.learning_path) and isinstance(poem.ManHill, type)
    assert poem.simulate is importlib.import_module("poem.simulation")
    assert poem.evaluate is importlib.import_module("poem.ordering.evaluation").evaluate


@pytest.mark.parametrize("old, new", [("poem.publish", "poem.lab.publish"), ("poem.lop", "poem.ordering.lop"),
                                      ("poem.colony_io", "poem.colony.persistence"),
                                      ("poem.report_text", "poem.report.texts")])
def test_old_module_names_still_import_with_a_deprecation_warning(old, new):
    import sys
    sys.modules.pop(old, None)
    with pytest.warns(DeprecationWarning, match=new.replace(".", r"\.")):
        module = importlib.import_module(old)
    assert module is importlib.import_module(new)


def test_poem_simulate_is_the_simulation_package_without_a_warning():
    import sys
    sys.modules.pop("poem.simulate", None)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        module = importlib.import_module("poem.simulate")
    assert module is importlib.import_module("poem.simulation")
