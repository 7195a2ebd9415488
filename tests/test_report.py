"""The notebook runner, the publish mechanism and the HTML rendering, on tiny hand-made notebooks."""

import base64
import json
import re

import nbformat
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from poem.errors import NotebookError, ParameterError
from poem.lab.runner import (UnknownParameterWarning, has_outputs, make_notebook, run_notebook,
                                  strip_outputs)
from poem.lab.publish import ENV_VAR, publish, publish_target, read_published
from poem.report.build import embedded_images, render_html

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"

PARAMS = "x = 1  # the value plotted last\nfail = False  # raise on purpose\n"
CELLS = [
    ("md", "# A tiny report\nSome plain words."),
    "import matplotlib.pyplot as plt\nfrom poem.lab.publish import publish",
    "fig, ax = plt.subplots(figsize=(3, 2))\nax.plot([0, 1, x])\nplt.show()",
    "publish('double', 2 * x)\nassert not fail, 'asked to fail'",
    "import pandas as pd\npd.DataFrame({'col': [x, x + 1]})",
]


@pytest.fixture()
def tiny(tmp_path):
    path = tmp_path / "tiny.ipynb"
    nbformat.write(make_notebook(CELLS, parameters=PARAMS), str(path))
    return path


# ---------------------------------------------------------------- publish
def test_publish_round_trip_and_replace(tmp_path):
    target = tmp_path / "sub" / "p.json"
    assert publish("a", np.float64(0.5), path=target) == 0.5
    publish("b", np.arange(3), path=target)
    publish("c", {"k": np.int32(2), "nan": float("nan")}, path=target)
    publish("a", 7, path=target)
    assert read_published(target) == {"a": 7, "b": [0, 1, 2], "c": {"k": 2, "nan": None}}


def test_publish_target_precedence(tmp_path, monkeypatch):
    monkeypatch.setenv(ENV_VAR, str(tmp_path / "env.json"))
    assert publish_target() == tmp_path / "env.json"
    assert publish_target(tmp_path / "explicit.json") == tmp_path / "explicit.json"
    monkeypatch.delenv(ENV_VAR)
    assert publish_target() is None
    assert publish("x", 1) == 1  # outside a managed run nothing is written, nothing fails
    assert not list(tmp_path.iterdir())


@pytest.mark.parametrize("name, value", [("", 1), (3, 1), ("obj", object())])
def test_publish_rejects_bad_name_or_value(tmp_path, name, value):
    with pytest.raises(ParameterError, match="publish"):
        publish(name, value, path=tmp_path / "p.json")
    assert not (tmp_path / "p.json").exists()


def test_read_published_rejects_non_object(tmp_path):
    (tmp_path / "p.json").write_text("[1, 2]")
    with pytest.raises(ParameterError, match="JSON object"):
        read_published(tmp_path / "p.json")
    assert read_published(tmp_path / "missing.json") == {}


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-10**6, 10**6) | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner, max_size=3),
    max_leaves=8)


@settings(max_examples=50, deadline=None)
@given(values=st.dictionaries(st.text(min_size=1, max_size=8).filter(str.strip), json_values, max_size=5))
def test_publish_property_last_value_wins(tmp_path_factory, values):
    target = tmp_path_factory.mktemp("pub") / "p.json"
    for name, value in values.items():
        publish(name, "placeholder", path=target)
        publish(name, value, path=target)
    assert read_published(target) == values


# ---------------------------------------------------------------- runner
@pytest.fixture(scope="module")
def executed(tmp_path_factory):
    """The tiny notebook executed once with x = 3 (shared by the runner and rendering tests)."""
    tmp = tmp_path_factory.mktemp("executed")
    nbformat.write(make_notebook(CELLS, parameters=PARAMS), str(tmp / "tiny.ipynb"))
    run_notebook(tmp / "tiny.ipynb", tmp / "out.ipynb", {"x": 3}, publish_path=tmp / "pub.json", timeout=60)
    return tmp


def test_run_notebook_injects_parameters_and_publishes(executed):
    assert read_published(executed / "pub.json") == {"double": 6}
    nb = nbformat.read(str(executed / "out.ipynb"), as_version=4)
    injected = [c for c in nb.cells if "injected-parameters" in c.metadata.get("tags", [])]
    assert len(injected) == 1 and "x = 3" in injected[0].source
    assert has_outputs(executed / "out.ipynb") and not has_outputs(executed / "tiny.ipynb")


def test_run_notebook_warns_about_unknown_parameters(tiny, tmp_path):
    with pytest.warns(UnknownParameterWarning, match="typo_param"):
        run_notebook(tiny, tmp_path / "out.ipynb", {"typo_param": 1}, timeout=60)


def test_run_notebook_failure_names_the_error_and_keeps_the_notebook(tiny, tmp_path):
    out = tmp_path / "failed.ipynb"
    with pytest.raises(NotebookError, match=r"tiny.ipynb failed .*AssertionError: asked to fail") as info:
        run_notebook(tiny, out, {"fail": True}, timeout=60)
    assert info.value.notebook == out and "kept at" not in info.value.reason
    executed = nbformat.read(str(out), as_version=4)
    errors = [o for c in executed.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
    assert errors and errors[0].ename == "AssertionError"


def test_run_notebook_cell_timeout(tmp_path):
    path = tmp_path / "slow.ipynb"
    nbformat.write(make_notebook(["import time\ntime.sleep(30)"], parameters="n = 1  # unused"), str(path))
    with pytest.raises(NotebookError, match="timeout"):
        run_notebook(path, tmp_path / "out.ipynb", timeout=1)


@pytest.mark.parametrize("bad", [0, -1, "10", True])
def test_run_notebook_rejects_bad_timeout(tiny, tmp_path, bad):
    with pytest.raises(ParameterError, match="timeout"):
        run_notebook(tiny, tmp_path / "out.ipynb", timeout=bad)


def test_run_notebook_corrupt_file_is_a_notebook_error(tmp_path):
    broken = tmp_path / "broken.ipynb"
    broken.write_text('{"cells": [')  # truncated JSON
    with pytest.raises(NotebookError, match="cannot read notebook"):
        run_notebook(broken, tmp_path / "out.ipynb")


def test_run_notebook_missing_file(tmp_path):
    with pytest.raises(NotebookError, match="does not exist"):
        run_notebook(tmp_path / "nope.ipynb", tmp_path / "out.ipynb")


def test_strip_outputs_round_trip(executed, tmp_path):
    out = tmp_path / "copy.ipynb"
    out.write_bytes((executed / "out.ipynb").read_bytes())
    assert strip_outputs(out) is True
    assert not has_outputs(out)
    assert strip_outputs(out) is False  # idempotent: a clean notebook is left byte-for-byte alone
    clean = nbformat.read(str(out), as_version=4)
    sources = [c.source.rstrip("\n") for c in clean.cells if "parameters" in c.metadata.get("tags", [])]
    assert sources == [PARAMS.rstrip("\n")]


# ---------------------------------------------------------------- rendering
@pytest.fixture(scope="module")
def rendered(executed):
    return render_html(executed / "out.ipynb", executed / "report.html", title="Tiny",
                       lang="fr").read_text(encoding="utf-8")


def test_rendered_html_has_no_code_nor_prompts(rendered):
    assert "plt.subplots" not in rendered and "publish(" not in rendered
    assert not re.search(r'class="[^"]*(jp-CodeMirrorEditor|jp-InputPrompt|jp-OutputPrompt|highlight)', rendered)
    code_cells = re.findall(r'<div class="(jp-Cell jp-CodeCell[^"]*)"', rendered)
    assert code_cells and all("jp-mod-noInput" in c for c in code_cells)
    body = rendered.split("</head>", 1)[1]
    assert not re.search(r"(In|Out)\s*\[\d*\]", body)
    assert "A tiny report" in rendered and "Some plain words." in rendered
    assert '<html lang="fr">' in rendered and "<title>Tiny</title>" in rendered


def test_rendered_html_embeds_its_figure_and_loads_nothing(rendered):
    images = embedded_images(rendered)
    assert len(images) == 1 and images[0].startswith(PNG_SIGNATURE)
    assert not re.search(r'<(script|link|img|iframe)[^>]+(src|href)="(https?:)?//', rendered)
    assert "<script src=" not in rendered
    assert "<table" in rendered  # the DataFrame output survives as a table


def test_render_html_errors(tmp_path, tiny):
    with pytest.raises(NotebookError, match="no such notebook"):
        render_html(tmp_path / "missing.ipynb", tmp_path / "r.html")
    with pytest.raises(ParameterError, match="'de'"):
        render_html(tiny, tmp_path / "r.html", lang="de")
    (tmp_path / "corrupt.ipynb").write_text("{not json")
    with pytest.raises(NotebookError, match="cannot read"):
        render_html(tmp_path / "corrupt.ipynb", tmp_path / "r.html")


def test_render_html_leaves_the_callers_notebook_alone(tiny, tmp_path):
    nb = nbformat.read(str(tiny), as_version=4)
    before = json.dumps(nb, sort_keys=True)
    render_html(nb, tmp_path / "r.html", title="x")
    assert json.dumps(nb, sort_keys=True) == before


def test_embedded_images_decodes_data_uris():
    payload = base64.b64encode(PNG_SIGNATURE + b"rest").decode()
    html = f'<p><img alt="a" src="data:image/png;base64,{payload}"/></p><img src="other.png">'
    assert embedded_images(html) == [PNG_SIGNATURE + b"rest"]


# ---------------------------------------------------------------- report text
def test_both_languages_say_the_same_things():
    import string

    from poem.report.texts import COLUMNS, LABELS, TEXTS

    for table in (TEXTS, LABELS, COLUMNS):
        for key, versions in table.items():
            assert set(versions) == {"en", "fr"}, key
            fields = [{f for _, f, _, _ in string.Formatter().parse(versions[lang]) if f} for lang in ("en", "fr")]
            assert fields[0] == fields[1], f"{key}: placeholders differ between en and fr"


def test_text_and_number_errors_and_formats():
    from poem.report.texts import number, table, text

    with pytest.raises(ParameterError, match="'de'"):
        text("report_title", "de")
    with pytest.raises(ParameterError, match="no report text"):
        text("no_such_key")
    with pytest.raises(ParameterError, match="'n'"):
        text("path_intro", "en")
    assert number(1234567, "fr") == "1\u202f234\u202f567" and number(float("nan")) == "–"
    assert number(0.5, "en", percent=True) == "50.0%"
    import pandas as pd

    shown = table(pd.DataFrame({"step": [1, 2], "item": ["a", None], "extra": [1, 2]}), "fr", columns=["item", "step"])
    assert shown.columns.tolist() == ["élément", "étape"] and shown["élément"].tolist() == ["a", "–"]
    # missing values of any float type print as a dash (a float32 NaN used to raise), infinity as written
    assert number(np.float32("nan")) == number(pd.NA) == "–" and number(np.inf) == "inf"
    single = table(pd.DataFrame({"rate": np.array([0.25, np.nan], dtype=np.float32),
                                 "note": np.array(["x", np.float32("nan")], dtype=object)}), "en")
    assert single["rate"].tolist() == ["0.2", "–"] and single["note"].tolist() == ["x", "–"]


# ---------------------------------------------------------------- the team report on the demo course
HOSTILE_TITLE = "<img src=x onerror=alert(1)> $5 _off_"


@pytest.fixture(scope="module")
def demo_reports(tmp_path_factory):
    """`poem demo` (English, what `make demo` runs) and `poem report --lang fr` on the bundled course."""
    from poem.cli.main import main
    from poem.lab.runner import data_path

    import pandas as pd

    out = tmp_path_factory.mktemp("demo")
    assert main(["demo", "--out", str(out / "en")]) == 0
    demo = data_path("demo")
    # a hostile catalogue: titles are data, they must neither inject markup nor break matplotlib's mathtext
    catalog = pd.read_csv(demo / "catalog.csv")
    catalog.loc[0, "title"] = HOSTILE_TITLE
    catalog.to_csv(out / "catalog.csv", index=False)
    assert main(["report", str(demo / "traces.csv"), "--outcomes", str(demo / "outcomes.csv"), "--catalog",
                 str(out / "catalog.csv"), "--out", str(out / "fr.html"), "--lang", "fr", "--n-seeds", "2",
                 "--param", "max_learners_listed=3"]) == 0
    return {"en": (out / "en" / "report.html").read_text(encoding="utf-8"),
            "fr": (out / "fr.html").read_text(encoding="utf-8"), "dir": out}


@pytest.mark.slow
def test_demo_report_has_every_section_and_no_code(demo_reports):
    from poem.report.texts import TEXTS

    html = demo_reports["en"]
    for key in ("path_heading", "graph_heading", "audit_heading", "failing_heading", "unreached_heading",
                "syllabus_heading", "risk_heading", "trust_heading"):
        assert TEXTS[key]["en"].lstrip("# ") in html, key
    body = html.split("</head>", 1)[1]
    assert "import " not in body and "read_traces" not in body and "Researchers' note" not in body
    assert not re.search(r'class="[^"]*(jp-CodeMirrorEditor|jp-InputPrompt|highlight)', html)
    images = embedded_images(html)
    assert len(images) >= 3 and all(img.startswith(PNG_SIGNATURE) for img in images)  # path, graph, learners


@pytest.mark.slow
def test_scored_report_keeps_its_sections_and_success_rates(demo_reports):
    """A scored course renders as before the viewing reading (issue 16): same headings, success rates."""
    from poem.report.texts import COLUMNS, TEXTS

    keys = ["intro", "path_heading", "graph_heading", "audit_heading", "failing_heading", "unreached_heading",
            "syllabus_heading", "risk_heading", "trust_heading", "method_heading"]
    for lang in ("en", "fr"):
        html = demo_reports[lang]
        headings = [h.strip() for h in re.findall(r"<h[1-3][^>]*>([^<]*)", html)]
        assert headings == [TEXTS[k][lang].split("\n")[0].lstrip("# ") for k in keys]
        headers = re.findall(r"<th>([^<]*)</th>", html)
        assert COLUMNS["success_rate"][lang] in headers and COLUMNS["completion"][lang] not in headers
        for key in ("viewing_evidence", "viewing_caveat"):
            assert TEXTS[key][lang].split("**")[1] not in html


@pytest.mark.slow
def test_demo_report_shows_pseudonyms_only(demo_reports):
    import pandas as pd

    from poem.lab.runner import data_path

    raw = pd.read_csv(data_path("demo", "traces.csv"), usecols=["learner"])["learner"].unique()
    html = demo_reports["en"]
    assert not [learner for learner in raw if learner in html]
    at_risk = pd.read_csv(demo_reports["dir"] / "en" / "learners_at_risk.csv")
    assert len(at_risk) and at_risk["learner"].str.match(r"^p[0-9a-f]{20}$").all()


@pytest.mark.slow
def test_demo_writes_its_artifacts(demo_reports):
    from poem.ordering.evaluation import path_items

    out = demo_reports["dir"] / "en"
    assert {"report.html", "report.ipynb", "path.json", "steps.csv", "audit.csv"} <= {p.name for p in out.iterdir()}
    assert len(path_items(out / "path.json")) == 40  # the demo course has 40 items, each once on the path


@pytest.mark.slow
def test_french_report_is_in_french(demo_reports):
    from poem.report.texts import TEXTS

    html = demo_reports["fr"]
    assert '<html lang="fr">' in html
    assert TEXTS["path_heading"]["fr"].lstrip("# ") in html and TEXTS["trust_heading"]["fr"].lstrip("# ") in html
    assert TEXTS["path_heading"]["en"].lstrip("# ") not in html


@pytest.mark.slow
def test_catalogue_titles_cannot_inject_markup(demo_reports):
    html = demo_reports["fr"]
    assert "<img src=x" not in html
    assert "&lt;img src=x" in html  # shown as typed (shortened) in the tables


def test_markdown_values_are_escaped():
    from poem.report.texts import _markdown_literal, text

    sentence = text("drift_note", "en", n=1, items=_markdown_literal("<script>x</script> *bold* [a](b)"))
    assert "<script>" not in sentence and "&lt;script&gt;" in sentence
    assert "\\*bold\\*" in sentence and "\\[a\\](b)" in sentence


def test_build_report_rejects_missing_inputs_and_bad_language(tmp_path):
    from poem.report.build import build_report

    with pytest.raises(NotebookError, match="traces file .*missing.csv does not exist"):
        build_report(tmp_path / "missing.csv", tmp_path / "r.html")
    (tmp_path / "t.csv").write_text("learner,item,timestamp,score\n")
    with pytest.raises(NotebookError, match="outcomes file"):
        build_report(tmp_path / "t.csv", tmp_path / "r.html", outcomes=tmp_path / "nope.csv")
    with pytest.raises(ParameterError, match="'es'"):
        build_report(tmp_path / "t.csv", tmp_path / "r.html", lang="es")


def test_failed_report_keeps_its_notebook_beside_the_output(tmp_path):
    from poem.report.build import build_report

    (tmp_path / "naive.csv").write_text("learner,item,timestamp,score\na,x,2024-01-01 10:00:00,1\n")
    # the input check catches this before any notebook starts; without it, the notebook fails in a cell
    with pytest.raises(NotebookError, match=r"^the dates carry no time zone: .*--naive-timestamps Europe/Paris"):
        build_report(tmp_path / "naive.csv", tmp_path / "out" / "r.html", parameters={"n_seeds": 0})
    assert not (tmp_path / "out").exists()
    with pytest.raises(NotebookError, match=r"^the report could not be computed: .*TraceFormatError: "
                                            r".*details in .*r.failed.ipynb"):
        build_report(tmp_path / "naive.csv", tmp_path / "out" / "r.html", parameters={"n_seeds": 0}, check=False)
    kept = nbformat.read(str(tmp_path / "out" / "r.failed.ipynb"), as_version=4)
    assert any(o.output_type == "error" for c in kept.cells if c.cell_type == "code" for o in c.outputs)
    assert not (tmp_path / "out" / "r.html").exists()


def test_cli_report_bad_param_and_timeout_are_usage_errors(tmp_path, capsys):
    from poem.cli.main import main

    # invalid YAML in --param used to escape argparse as a raw yaml traceback; a NaN timeout passed unchecked
    for extra, message in ((["--param", "a=["], "not valid YAML"), (["--timeout", "nan"], "must be positive")):
        with pytest.raises(SystemExit) as exit_:
            main(["report", str(tmp_path / "t.csv"), "--out", str(tmp_path / "r.html"), *extra])
        assert exit_.value.code == 2 and message in capsys.readouterr().err


# ---------------------------------------------------------------- the input check, in the report's language
def _french_export(path, rows=200):
    """The bundled course as a French spreadsheet exports it: ';', dd/mm/yyyy dates, decimal commas."""
    import pandas as pd

    from poem.lab.runner import data_path

    frame = pd.read_csv(data_path("demo", "traces.csv"), nrows=rows)
    frame["timestamp"] = pd.to_datetime(frame["timestamp"]).dt.strftime("%d/%m/%Y %H:%M")
    frame["score"] = frame["score"].map(lambda v: str(v).replace(".", ","))
    frame.to_csv(path, sep=";", index=False)
    return path


def _poem(*args, cwd=None):
    """Run the `poem` command line in a fresh interpreter; return (exit code, stdout, stderr)."""
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-c", "import sys; from poem.cli.main import main; sys.exit(main())",
                           *map(str, args)], capture_output=True, text=True, timeout=600, cwd=cwd)
    return done.returncode, done.stdout, done.stderr


def test_all_rejected_report_fails_in_one_line_in_its_language(tmp_path):
    export = _french_export(tmp_path / "export.csv")
    code, out, err = _poem("report", export, "--out", tmp_path / "r.html", "--lang", "fr")
    assert code == 1 and out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1, err                                  # one line: no traceback, no kernel noise
    assert "Traceback" not in err and "IPKernelApp" not in err and "KeyboardInterrupt" not in err
    assert lines[0].startswith("poem report: error: aucune des 200 lignes lues n'est utilisable")
    assert "--timestamp-format '%d/%m/%Y %H:%M' --naive-timestamps Europe/Paris" in lines[0]
    assert "naive_timestamps=" not in err                        # the flag, not the Python spelling
    assert not (tmp_path / "r.html").exists() and not (tmp_path / "r.failed.ipynb").exists()
    # following the advice leads to the next problem, named the same way
    code, _, err = _poem("report", export, "--out", tmp_path / "r.html", "--lang", "fr", "--timestamp-format",
                         "%d/%m/%Y %H:%M", "--naive-timestamps", "Europe/Paris")
    assert code == 1 and len(err.strip().splitlines()) == 1
    assert "virgule décimale (par exemple « 0,0 »)" in err and "point décimal (0.0)" in err
    code, _, err = _poem("report", export, "--out", tmp_path / "r.html", "--timestamp-format", "%d/%m/%Y %H:%M")
    assert code == 1 and err.strip() == ("poem report: error: the dates carry no time zone: give the zone they "
                                         "were written in with --naive-timestamps Europe/Paris (or "
                                         "--naive-timestamps utc)")


def test_check_inputs_names_the_fix_for_each_reason(tmp_path):
    from poem.report.build import check_inputs

    header = "learner,item,timestamp,score\n"
    cases = {"score": ("a,x,2024-01-01T10:00Z,150\n", "en", "--score-max 100"),
             "learner": (",x,2024-01-01T10:00Z,1\n", "fr", "colonne `learner`"),
             "iso": ("a,x,2024/13/45,1\n", "en", "--timestamp-format '%d/%m/%Y %H:%M'")}
    for name, (row, lang, fix) in cases.items():
        (tmp_path / f"{name}.csv").write_text(header + row * 3)
        with pytest.raises(NotebookError, match=re.escape(fix)):
            check_inputs(tmp_path / f"{name}.csv", lang=lang)
    (tmp_path / "good.csv").write_text(header + "a,x,2024-01-01T10:00Z,1\n")
    assert check_inputs(tmp_path / "good.csv").n_events == 1
    with pytest.raises(NotebookError, match="le fichier de traces .*nope.csv n'existe pas"):
        check_inputs(tmp_path / "nope.csv", lang="fr")


def test_kernels_start_quiet(tmp_path):
    """The kernel's own log (``[IPKernelApp] ERROR | KeyboardInterrupt caught in kernel``...) is switched
    off: what reaches the terminal of `poem report` / `poem batch` is the command's own output."""
    nb = make_notebook(["from ipykernel.kernelapp import IPKernelApp\n"
                        "print('level', IPKernelApp.instance().log_level)"])
    nbformat.write(nb, str(tmp_path / "k.ipynb"))
    out = nbformat.read(str(run_notebook(tmp_path / "k.ipynb", tmp_path / "k.out.ipynb")), as_version=4)
    assert out.cells[0].outputs[0]["text"].strip() == "level 50"  # logging.CRITICAL


# ---------------------------------------------------------------- the French text
#: English words that never appear in French prose (the, and, of ... and the report's own vocabulary)
ENGLISH = set("""the and of to with for from this that these those is are was were be been has have had not no
which who what when where why how than then there their they them it its an as at by into onto only also more
most less few many some any every each other others same such very learner learners item items path paths step
steps success failure rate report reports course trust high low medium file files row rows none found shown
list listed full next drawing drawings link links group groups week syllabus outcome outcomes
seed sample samples stalled drifting dropped completed attempts mastered reached opened""".split())


def _prose(text):
    """The words of a sentence a reader reads as prose: placeholders, code spans, flags, quoted patterns
    and Markdown out."""
    text = re.sub(r"\{[a-z_]+\}", " ", text)
    text = re.sub(r"`[^`]*`", " ", text)
    text = re.sub(r"--[a-z-]+(\s+[A-Za-z/]+)?", " ", text)
    text = re.sub(r"'[^']*'", " ", text)
    return re.findall(r"[a-zà-ÿœ]+", text.lower())


def test_french_texts_have_no_english_left():
    from poem.report.texts import COLUMNS, LABELS, MONTHS, TEXTS

    leftovers = {}
    for table in (TEXTS, LABELS, COLUMNS):
        for key, versions in table.items():
            english = sorted(set(_prose(versions["fr"])) & ENGLISH)
            if english:
                leftovers[key] = english
    assert leftovers == {}
    # the check is not vacuous: the English versions are full of such words
    assert sum(bool(set(_prose(v["en"])) & ENGLISH) for v in TEXTS.values()) > 0.8 * len(TEXTS)
    assert not set(" ".join(MONTHS["fr"]).split()) & ENGLISH
    # French typography: a (narrow or plain) no-break space or a space before ; : ! ? and none after «
    for table in (TEXTS, LABELS, COLUMNS):
        for key, versions in table.items():
            assert not re.search(r"[^\s\u00a0\u202f][;!?]", _strip_code(versions["fr"])), key
            assert not re.search(r"[A-Za-zÀ-ÿ)*][:](?!//)", _strip_code(versions["fr"])), key


def _strip_code(text):
    return re.sub(r"`[^`]*`|'[^']*'|\{[a-z_]+\}|https?://\S+", "", text)


def test_counts_and_dates_read_naturally():
    from poem.report.texts import count_text, date

    assert count_text("completed", 0, "fr") == "aucun n'a maîtrisé tout le parcours"
    assert count_text("completed", 1, "fr") == "1 a maîtrisé tout le parcours"
    assert count_text("completed", 12, "fr") == "12 ont maîtrisé tout le parcours"
    assert count_text("dropped", 0, "en", days="28") == "none has been inactive for 28 days or more"
    assert date("2024-01-08", "fr") == "8 janvier 2024" and date("2024-03-05T23:00Z", "en") == "5 March 2024"
    assert date("2024-08-01", "fr") == "1er août 2024"


@pytest.mark.slow
def test_the_files_a_report_names_exist(demo_reports):
    """Every file the report points its readers to is there, next to it (not only with `make demo`)."""
    out = demo_reports["dir"]
    for html, folder in ((demo_reports["fr"], out), (demo_reports["en"], out / "en")):
        text = re.sub(r"<[^>]+>", " ", html.split("</head>", 1)[1])
        named = set(re.findall(r"[\w./-]+\.(?:csv|json)\b", text))
        assert "**" not in text and "\\*" not in text  # no Markdown left raw by an escaped value
        assert {"learners_at_risk.csv", "steps.csv", "audit.csv", "prerequisites.csv"} <= {
            name.rsplit("/", 1)[-1] for name in named}
        for name in named:
            assert (folder / name).is_file(), name
    assert (out / "fr_files" / "learners_at_risk.csv").is_file()
    assert "carnet" not in demo_reports["fr"]


@pytest.mark.slow
def test_report_pseudonyms_follow_the_key(tmp_path, capsys):
    """With the platform's key the at-risk list keeps its pseudonyms from one run to the next, and
    `poem reidentify` maps it back to the learners; the report itself holds no raw id and no key."""
    import pandas as pd

    from poem.cli.main import main
    from poem.lab.runner import data_path

    demo = data_path("demo")
    key = tmp_path / "poem.key"
    assert main(["reidentify", "--new-key", str(key)]) == 0
    lists = []
    for run in ("a", "b"):
        assert main(["report", str(demo / "traces.csv"), "--out", str(tmp_path / f"{run}.html"), "--n-seeds", "0",
                     "--pseudonym-key", str(key)]) == 0
        lists.append(pd.read_csv(tmp_path / f"{run}_files" / "learners_at_risk.csv"))
    assert len(lists[0]) and lists[0]["learner"].tolist() == lists[1]["learner"].tolist()
    html = (tmp_path / "a.html").read_text(encoding="utf-8")
    assert key.read_text().strip() not in html and "poem reidentify" in html
    raw = pd.read_csv(demo / "traces.csv", usecols=["learner"])["learner"]
    assert not [learner for learner in raw.unique() if learner in html]
    capsys.readouterr()
    assert main(["reidentify", str(tmp_path / "a_files" / "learners_at_risk.csv"), "--key", str(key),
                 "--learners", str(demo / "traces.csv"), "--out", str(tmp_path / "named.csv")]) == 0
    named = pd.read_csv(tmp_path / "named.csv")
    assert named["learner_id"].notna().all() and set(named["learner_id"]) <= set(raw)


@pytest.mark.slow
@pytest.mark.parametrize("lang", ["en", "fr"])
def test_graph_section_quotes_the_measured_precision_not_a_promise(demo_reports, lang):
    """The prerequisite section says how often such arrows were right on test courses, with the measured
    mean and worst (poem.report.measured, kept equal to the benchmarks), and nothing about viewing here."""
    from poem.report.measured import GRAPH_PRECISION
    from poem.report.texts import TEXTS, number

    html = demo_reports[lang]
    for key in ("mean", "worst"):
        assert number(GRAPH_PRECISION[key], lang, percent=True) in html, key
    assert "9 times in 10" not in html and "9 fois sur 10" not in html
    assert TEXTS["graph_viewing_caveat"][lang].split("**")[1] not in html


@pytest.mark.slow
@pytest.mark.parametrize("lang", ["en", "fr"])
def test_graph_section_says_a_missing_arrow_is_not_a_missing_prerequisite(demo_reports, lang):
    """Beside the arrows, the share of real prerequisites such arrows covered on test courses (measured,
    poem.report.measured), so that a team does not read an absent arrow as "B does not need A"."""
    from poem.report.measured import GRAPH_RECALL
    from poem.report.texts import TEXTS, number

    html = demo_reports[lang].replace("&#x27;", "'")
    warning = TEXTS["graph_missing"][lang].split("**")[1]
    assert warning in html
    after = html.split(warning)[1][:1000]
    for key in ("mean", "low", "high"):
        assert number(GRAPH_RECALL[key], lang, percent=True) in after, key


@pytest.mark.slow
@pytest.mark.parametrize("course", ["demo", "demo_video"])
def test_the_checked_traces_are_read_once_and_give_the_same_report(tmp_path, course):
    """`build_report` hands the traces its input check read to the notebook (a canonical copy with the
    catalogue inside), so a big log is parsed once; the report's tables are those of a notebook that parses
    the original files itself (check=False), on a scored course and on a viewing-only one."""
    import pandas as pd

    from poem.lab.runner import data_path
    from poem.report.build import build_report

    folder = data_path(course)
    tables = {}
    for check in (True, False):
        out, kept = tmp_path / f"{check}" / "r.html", tmp_path / f"{check}.ipynb"
        build_report(folder / "traces.csv", out, catalog=folder / "catalog.csv", check=check,
                     keep_notebook=kept, parameters={"n_seeds": 0})
        injected = nbformat.read(str(kept), as_version=4).cells[2].source  # papermill's injected parameters
        assert ("traces_cache = " in injected) == check and str((folder / "traces.csv").resolve()) in injected
        tables[check] = {name: pd.read_csv(out.parent / "r_files" / name)
                         for name in ("steps.csv", "audit.csv", "prerequisites.csv")}
    assert len(tables[True]["steps.csv"]) > 10
    for name, frame in tables[True].items():
        pd.testing.assert_frame_equal(frame, tables[False][name], obj=name)
