"""The HTML report opened in a real headless Chromium: it loads, its figures show, the console stays quiet.

Chromium is the Debian package ``chromium``. When it is missing and the tests run as root with apt-get
available (as in CI), the set-up installs it; otherwise these tests skip and say why.
"""

import itertools
import os
import re
import shutil
import subprocess

import matplotlib.image
import nbformat
import numpy as np
import pytest

from poem.lab.runner import make_notebook, run_notebook
from poem.report.build import embedded_images, render_html

pytestmark = pytest.mark.slow

BROWSER_NAMES = ("chromium", "chromium-browser")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run", "--hide-scrollbars",
         "--enable-logging=stderr", "--v=0", "--run-all-compositor-stages-before-draw",
         "--virtual-time-budget=5000"]
CONSOLE = re.compile(r":CONSOLE(?:\(\d+\))?[:\]].*", re.MULTILINE)


def _find_browser():
    return next((shutil.which(name) for name in BROWSER_NAMES if shutil.which(name)), None)


@pytest.fixture(scope="session")
def chromium():
    found = _find_browser()
    if found:
        return found
    if os.name != "posix" or os.geteuid() != 0 or not shutil.which("apt-get"):
        pytest.skip("headless Chromium is not installed and cannot be installed here "
                    "(needs root and apt-get: `apt-get install -y chromium`)")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    try:
        subprocess.run(["apt-get", "update", "-qq"], check=True, env=env, capture_output=True, timeout=900)
        subprocess.run(["apt-get", "install", "-y", "-qq", "chromium"], check=True, env=env,
                       capture_output=True, timeout=1800)
    except (subprocess.SubprocessError, OSError) as exc:
        pytest.skip(f"headless Chromium is missing and `apt-get install -y chromium` failed: {exc}")
    found = _find_browser()
    if not found:
        pytest.skip("apt-get installed chromium but no chromium binary is on PATH")
    return found


def open_in_chromium(browser, html_path, tmp_path, *, width=1280, height=4000):
    """Load ``html_path`` twice (DOM dump, then screenshot); return (dom, screenshot array, console lines)."""
    url = html_path.resolve().as_uri()
    common = [browser, *FLAGS, f"--window-size={width},{height}"]
    dom = subprocess.run([*common, f"--user-data-dir={tmp_path / 'profile-dom'}", "--dump-dom", url],
                         capture_output=True, text=True, timeout=180)
    shot_path = tmp_path / "screenshot.png"
    shot = subprocess.run([*common, f"--user-data-dir={tmp_path / 'profile-shot'}", f"--screenshot={shot_path}",
                           url], capture_output=True, text=True, timeout=180)
    assert dom.returncode == 0, dom.stderr[-2000:]
    assert shot.returncode == 0 and shot_path.is_file(), shot.stderr[-2000:]
    console = CONSOLE.findall(dom.stderr) + CONSOLE.findall(shot.stderr)
    return dom.stdout, matplotlib.image.imread(str(shot_path)), console


def colourful_share(image) -> float:
    """Share of pixels with clearly saturated colour: text and tables are grey, matplotlib figures are not."""
    rgb = image[..., :3].astype(float)
    saturation = rgb.max(axis=2) - rgb.min(axis=2)
    return float((saturation > 0.25).mean())


@pytest.fixture(scope="module")
def tiny_report(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("browser")
    nb = make_notebook([
        ("md", "# Browser check\nA plain paragraph."),
        "import matplotlib.pyplot as plt\nfig, ax = plt.subplots(figsize=(6, 4))\n"
        "ax.imshow([[0, 1], [1, 0]], cmap='viridis')\nplt.show()",
    ], parameters="n = 1  # unused")
    nbformat.write(nb, str(tmp / "nb.ipynb"))
    run_notebook(tmp / "nb.ipynb", tmp / "out.ipynb", timeout=60)
    return render_html(tmp / "out.ipynb", tmp / "report.html", title="Browser check")


def test_colourful_share_tells_a_figure_from_text():
    white = np.ones((10, 10, 3))
    grey_text = white.copy()
    grey_text[4:6] = 0.2
    figure = white.copy()
    figure[2:8, 2:8] = [0.1, 0.3, 0.9]
    assert colourful_share(white) == 0 and colourful_share(grey_text) == 0
    assert colourful_share(figure) == pytest.approx(0.36)


def test_tiny_report_in_chromium(chromium, tiny_report, tmp_path):
    dom, shot, console = open_in_chromium(chromium, tiny_report, tmp_path, height=1200)
    assert "Browser check" in dom and "A plain paragraph." in dom
    assert dom.count('src="data:image/png;base64,') == len(embedded_images(tiny_report.read_text())) == 1
    assert console == []
    assert shot.std() > 0.05  # not a blank page
    assert colourful_share(shot) > 0.01  # the viridis figure is on screen


def test_console_errors_are_caught(chromium, tmp_path):
    """The console scan is not vacuous: a page that logs an error is reported."""
    page = tmp_path / "bad.html"
    page.write_text("<html><body><p>x</p><script>console.error('boom'); missingFunction();</script></body></html>")
    _, _, console = open_in_chromium(chromium, page, tmp_path, height=300)
    assert any("boom" in line for line in console) and any("missingFunction" in line for line in console)


@pytest.fixture(scope="module")
def team_report(tmp_path_factory):
    from poem.lab.runner import data_path
    from poem.report.build import build_report

    demo = data_path("demo")
    out = tmp_path_factory.mktemp("team") / "report.html"
    return build_report(demo / "traces.csv", out, outcomes=demo / "outcomes.csv", catalog=demo / "catalog.csv",
                        parameters={"n_seeds": 1, "max_learners_listed": 5}, timeout=120)


def test_team_report_in_chromium(chromium, team_report, tmp_path):
    from poem.report.texts import TEXTS

    dom, shot, console = open_in_chromium(chromium, team_report, tmp_path, height=2400)
    assert console == [], console
    for key in ("path_heading", "graph_heading", "risk_heading", "trust_heading"):
        assert TEXTS[key]["en"].lstrip("# ") in dom
    n_images = len(embedded_images(team_report.read_text(encoding="utf-8")))
    assert n_images >= 3 and dom.count('src="data:image/png;base64,') == n_images
    assert shot.std() > 0.05
    # the path drawing (red-to-green steps) sits in the first screen: it must be on the screenshot
    assert colourful_share(shot) > 0.005


def artefacts_dir():
    """Where screenshots are kept for people to look at: ``$POEM_TEST_ARTIFACTS``, else ``test-artifacts/`` at
    the repository root (ignored by git; CI uploads it)."""
    from pathlib import Path

    folder = Path(os.environ.get("POEM_TEST_ARTIFACTS") or Path(__file__).resolve().parents[1] / "test-artifacts")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture(scope="module")
def course_180(tmp_path_factory):
    """A simulated 180-item course with a catalogue, as `poem simulate` writes it."""
    from poem.cli.main import main

    out = tmp_path_factory.mktemp("c180")
    assert main(["simulate", "--items", "180", "--learners", "600", "--seed", "3", "--catalog", "--out",
                 str(out)]) == 0
    return out


@pytest.mark.parametrize("size", [40, 180])
def test_report_at_40_and_180_items_in_chromium(chromium, course_180, size, tmp_path):
    """The report on the 40-item demo and on a 180-item course: it loads quietly, its screenshot is kept
    as a test artefact, and no two item labels of its prerequisite drawings overlap."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    from poem.antcolony import ManHill
    from poem.io import read_traces
    from poem.lab.runner import data_path
    from poem.paths import prerequisite_graph
    from poem.report import data as rd
    from poem.report import plots
    from poem.report.build import build_report

    course = data_path("demo") if size == 40 else course_180
    out = tmp_path / f"report_{size}.html"
    build_report(course / "traces.csv", out, outcomes=course / "outcomes.csv", catalog=course / "catalog.csv",
                 lang="fr", parameters={"n_seeds": 1, "max_learners_listed": 5}, timeout=300)
    dom, shot, console = open_in_chromium(chromium, out, tmp_path, height=9000)
    matplotlib.image.imsave(str(artefacts_dir() / f"report_{size}_items.png"), shot)
    assert console == [], console
    assert "Ce qui doit venir avant quoi" in dom and shot.std() > 0.05
    # the drawings the report embeds are those of prerequisite_figures on the same data: check their layout
    traces = read_traces(course / "traces.csv", catalog=course / "catalog.csv")
    model = ManHill(prior=rd.syllabus_order(traces.item_info)).fit(traces)
    graph = prerequisite_graph(model, traces=traces, min_confidence=0.8)   # the report's default graph
    figures, rest = plots.prerequisite_figures(graph, labels=plots.item_labels(traces.items, traces.item_info))
    assert figures
    for fig in figures:
        renderer = FigureCanvasAgg(fig).get_renderer()
        boxes = []
        for text in (t for t in fig.axes[0].texts if t.get_gid() == plots.NODE_LABEL_GID):
            text.draw(renderer)
            boxes.append(text.get_bbox_patch().get_window_extent(renderer))
        for a, b in itertools.combinations(boxes, 2):
            assert not a.overlaps(b), (a, b)
    n_images = len(embedded_images(out.read_text(encoding="utf-8")))
    assert n_images >= 2 + len(figures)  # path, learners' status and one drawing per group
    # arcs that do not fit the drawings are listed in a table (the contrast graph of the 180-item course is
    # small enough to be drawn whole, so this holds whether or not the table is needed)
    assert bool(len(rest)) == ("autres liens sont listés dans le tableau" in dom)
