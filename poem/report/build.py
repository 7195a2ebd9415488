"""The team report: run the learning-path notebook on a course's traces and render it as one HTML file.

The report is meant for pedagogical teams, so it shows no code: nbconvert renders the executed notebook
without inputs and without ``In [ ]`` / ``Out [ ]`` prompts (papermill's own ``report_mode`` only hides
inputs in the notebook file, nbconvert ignores it), and cells tagged ``report-hide`` (notes for
researchers) are dropped. Figures are embedded as ``data:image/png;base64`` URIs
and the page loads no script or style sheet from the network, so the single file can be mailed, archived
or opened offline.

Examples
--------
>>> import nbformat, tempfile, pathlib
>>> nb = nbformat.v4.new_notebook()
>>> nb.cells = [nbformat.v4.new_code_cell("print('hidden code')", outputs=[
...     nbformat.v4.new_output("stream", name="stdout", text="visible output")])]
>>> out = pathlib.Path(tempfile.mkdtemp()) / "r.html"
>>> html = render_html(nb, out, title="demo").read_text()
>>> "visible output" in html, "hidden code" in html
(True, False)
"""

from __future__ import annotations

import base64
import re
import shutil
import tempfile
from pathlib import Path

import nbformat

from poem.errors import NotebookError
from poem.lab.runner import DEFAULT_TIMEOUT, find_notebook, notebook_parameters, run_notebook
from poem.report.texts import LANGUAGES  # the languages the texts exist in
from poem.report.texts import _check as _check_lang

__all__ = ["render_html", "build_report", "check_inputs", "REPORT_NOTEBOOK", "LANGUAGES", "HIDE_TAG",
           "embedded_images", "ARTIFACTS"]

#: the notebook that the ``poem report`` command executes
REPORT_NOTEBOOK = "03_learning_path_report"
#: the files the report writes beside the HTML (in ``<report stem>_files/``), named in its text
ARTIFACTS = ("steps.csv", "audit.csv", "learners_at_risk.csv", "path.json")
#: cells with this tag (notes for researchers) are left out of the rendered report
HIDE_TAG = "report-hide"

# JupyterLab's page template without the two scripts it fetches from a CDN (require.js, MathJax): the report
# has no widgets or LaTeX, and offline readers would otherwise see failed loads and console errors. Our own
# styles go in html_head_css, after JupyterLab's, so that they win.
_TEMPLATE = """{%- extends 'lab/index.html.j2' -%}
{%- block html_head_js -%}{%- endblock html_head_js -%}
{%- block html_head_js_mathjax -%}{%- endblock html_head_js_mathjax -%}
{%- block html_head_js_mermaidjs -%}{%- endblock html_head_js_mermaidjs -%}
{% block html_head_css %}
<style type="text/css">
  body { max-width: 62rem; margin: 0 auto; padding: 1rem 2rem; }
  .jp-RenderedHTMLCommon table.poem-table { font-size: 0.9rem; }
  .jp-RenderedHTMLCommon table.poem-table td { white-space: nowrap; }
  .jp-RenderedImage img { max-width: 100%; height: auto; }
</style>
{% endblock html_head_css %}
"""

_IMG = re.compile(r'<img[^>]+src="data:image/(png|jpeg|svg\+xml);base64,([A-Za-z0-9+/=\s]+)"')


def _exporter(lang: str):
    from jinja2 import DictLoader
    from nbconvert import HTMLExporter

    exporter = HTMLExporter(
        extra_loaders=[DictLoader({"poem_report.html.j2": _TEMPLATE})],
        template_file="poem_report.html.j2",
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
        embed_images=True,
        language_code=lang,
    )
    exporter.theme = "light"
    from nbconvert.preprocessors import TagRemovePreprocessor

    exporter.register_preprocessor(TagRemovePreprocessor(remove_cell_tags={HIDE_TAG}), enabled=True)
    return exporter


def render_html(notebook, out_html, *, title=None, lang="en") -> Path:
    """Render an executed notebook (path or ``NotebookNode``) as one self-contained HTML file without code.

    Parameters
    ----------
    notebook : str, Path or nbformat.NotebookNode
        The executed notebook.
    out_html : str or Path
        The HTML file to write (parent folders are created).
    title : str, optional
        Page title; defaults to the notebook's file name.
    lang : {"en", "fr"}
        Language declared by the page (``<html lang=...>``).

    Returns
    -------
    Path
        ``out_html``.

    Raises
    ------
    NotebookError
        If the notebook file does not exist or cannot be read.
    ParameterError
        If ``lang`` is not one of :data:`LANGUAGES`.
    """
    _check_lang(lang)
    if isinstance(notebook, nbformat.NotebookNode):
        nb = notebook
        name = title or "report"
    else:
        path = Path(notebook)
        if not path.is_file():
            raise NotebookError(f"cannot render {path}: no such notebook")
        try:
            nb = nbformat.read(str(path), as_version=4)
        except Exception as exc:  # nbformat raises several unrelated types for a corrupt file
            raise NotebookError(f"cannot read notebook {path}: {exc}") from exc
        name = title or path.stem
    nb = nbformat.from_dict(nb)  # a copy: the caller's notebook keeps its metadata
    nb.metadata["title"] = name
    body, _ = _exporter(lang).from_notebook_node(nb, resources={"metadata": {"name": name}})
    out_html = Path(out_html)
    out_html.parent.mkdir(parents=True, exist_ok=True)
    out_html.write_text(body, encoding="utf-8")
    return out_html


def embedded_images(html: str) -> list[bytes]:
    """The images embedded in an HTML page as base64 data URIs, decoded (used by checks and tests).

    Examples
    --------
    >>> embedded_images('<img alt="x" src="data:image/png;base64,aGk=">')
    [b'hi']
    """
    return [base64.b64decode(m.group(2)) for m in _IMG.finditer(html)]


_DAY_FIRST = re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})(?:[ T](\d{1,2}):(\d{2})(:\d{2})?)?$")


def _timestamp_pattern(example: str) -> str:
    """A ``--timestamp-format`` pattern for a day-first date such as ``16/01/2024 09:23``, else a template."""
    match = _DAY_FIRST.match(example.strip())
    if not match:
        return "%d/%m/%Y %H:%M"
    sep = example.strip()[len(match.group(1))]
    pattern = f"%d{sep}%m{sep}%Y"
    if match.group(4):
        pattern += " %H:%M" + (":%S" if match.group(6) else "")
    return pattern


def _quoted(detail) -> str:
    """The value a reject's detail quotes (``timestamp '16/01/2024' cannot be parsed`` -> ``16/01/2024``)."""
    found = re.search(r"'([^']*)'", str(detail))
    return found.group(1) if found else ""


def _reject_advice(traces, lang: str) -> str:
    """One sentence naming the most common reason rows were rejected and the flag (or export change) that
    fixes it, in ``lang``; the reason and its example are chosen by
    :func:`poem.importers.batch.dominant_reject`, as for every other command."""
    from poem.importers.batch import EPOCH_FIX, dominant_reject
    from poem.report.texts import TEXTS, number, text

    found = dominant_reject(traces.rejects)
    if found is None:
        return text("error_no_rows", lang)
    reason, count, detail, fix = found
    example = _quoted(detail)
    values = {"n": number(count, lang), "read": number(traces.summary().n_read, lang), "example": example}
    if fix == EPOCH_FIX:
        return text("error_epoch_timestamp", lang, **values)
    if reason == "bad_timestamp":
        return text("error_bad_timestamp", lang, pattern=_timestamp_pattern(example), **values)
    if reason == "bad_score" and "," in example:
        return text("error_decimal_comma", lang, fixed=example.replace(",", "."), **values)
    key = f"error_{reason}"
    if key in TEXTS:
        return text(key, lang, **values)
    return text("error_other_reason", lang, reason=reason, **values)


def check_inputs(traces, *, outcomes=None, catalog=None, naive_timestamps=None, timestamp_format=None,
                 timestamp_unit=None, score_max=None, lang="en"):
    """Read the report's inputs as the report notebook will, and fail early, in one sentence of the report's
    language naming what to change, when they cannot give a report.

    Returns the :class:`~poem.traces.Traces` read (the caller may report its import accounting).

    Raises
    ------
    NotebookError
        If an input file is missing, the traces cannot be read, or no row of them could be used (the
        message names the most common reason and the ``poem report`` flag, or the export change, that
        fixes it).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> f = pathlib.Path(tempfile.mkdtemp()) / "t.csv"
    >>> _ = f.write_text("learner,item,timestamp,score\\na,x,16/01/2024 09:23,1\\n")
    >>> try:
    ...     check_inputs(f, lang="fr")
    ... except NotebookError as exc:
    ...     print(exc)  # doctest: +ELLIPSIS
    aucune des 1 lignes ... --timestamp-format '%d/%m/%Y %H:%M'...
    """
    from poem.errors import PoemError, TraceFormatError
    from poem.io import read_traces
    from poem.report.texts import text

    _check_lang(lang)
    for what, value in (("traces", traces), ("outcomes", outcomes), ("catalog", catalog)):
        if value is not None and not Path(value).exists():
            raise NotebookError(text("error_missing_file", lang, what=text(f"input_{what}", lang), path=value))
    try:
        read = read_traces(traces, outcomes=outcomes, catalog=catalog, naive_timestamps=naive_timestamps,
                           timestamp_format=timestamp_format, timestamp_unit=timestamp_unit, score_max=score_max)
    except TraceFormatError as exc:
        message = str(exc)
        if "no UTC offset" in message:
            raise NotebookError(text("error_naive_timestamps", lang)) from None
        raise NotebookError(text("error_unreadable", lang, path=traces, problem=message)) from None
    except PoemError as exc:
        raise NotebookError(text("error_unreadable", lang, path=traces, problem=str(exc))) from None
    if read.n_events == 0:
        raise NotebookError(_reject_advice(read, lang))
    return read


def build_report(traces, out_html, *, outcomes=None, catalog=None, lang="en", parameters=None,
                 timeout=DEFAULT_TIMEOUT, keep_notebook=None, notebook=REPORT_NOTEBOOK, check=True) -> Path:
    """Execute the learning-path report notebook on a traces file and write the HTML report.

    The inputs are read and checked first (:func:`check_inputs`), so unusable traces fail in one sentence
    before any notebook starts. The report's tables are also written as CSV files in the folder
    ``<out_html stem>_files/`` beside it (:data:`ARTIFACTS`; the report names them), unless the
    ``artifacts_dir`` parameter says where.

    Parameters
    ----------
    traces : str or Path
        A traces file :func:`poem.read_traces` understands.
    out_html : str or Path
        The report to write.
    outcomes, catalog : str or Path, optional
        Learner outcomes (``learner,outcome``) and the course catalogue (items in syllabus order).
    lang : {"en", "fr"}
        Language of the report's text and of its error messages.
    parameters : dict, optional
        Further notebook parameters (``seed``, ``n_seeds``, ``method``, ``naive_timestamps``,
        ``timestamp_format``, ``timestamp_unit``, ``pseudonym_key_file`` ...).
    timeout : float
        Seconds a notebook cell may run.
    keep_notebook : str or Path, optional
        Where to keep the executed notebook; by default it is discarded.
    notebook : str
        The notebook to run (a name or a path).
    check : bool
        Check the inputs before starting the notebook. The traces the check reads are handed to the notebook
        as a canonical Parquet copy, so a big log is parsed once.

    Returns
    -------
    Path
        ``out_html``.

    Raises
    ------
    NotebookError
        If an input is missing or unusable, or the notebook fails (the message carries the notebook's error;
        the failed notebook is kept as ``<out_html stem>.failed.ipynb`` unless ``keep_notebook`` says where).
    ParameterError
        If ``lang`` is not supported.
    """
    from poem.io import write_traces
    from poem.report.texts import text

    _check_lang(lang)
    params = dict(parameters or {})
    inputs = {"traces_path": traces, "outcomes_path": outcomes, "catalog_path": catalog}
    for key, value in inputs.items():
        if value is not None and not Path(value).exists():
            what = text(f"input_{key.removesuffix('_path')}", lang)
            raise NotebookError(text("error_missing_file", lang, what=what, path=value))
    for key, value in inputs.items():
        params[key] = "" if value is None else str(Path(value).resolve())
    params["lang"] = lang
    out_html = Path(out_html)
    params.setdefault("artifacts_dir", str((out_html.parent / f"{out_html.stem}_files").resolve()))
    params.setdefault("report_dir", str(out_html.parent.resolve()))
    nb_path = find_notebook(notebook)
    with tempfile.TemporaryDirectory(prefix="poem-report-") as tmp:
        if check:
            read = check_inputs(traces, outcomes=outcomes, catalog=catalog, lang=lang,
                                naive_timestamps=params.get("naive_timestamps") or None,
                                timestamp_format=params.get("timestamp_format") or None,
                                timestamp_unit=params.get("timestamp_unit") or None,
                                score_max=params.get("score_max") or None)
            # the notebook reads this exact copy (outcomes and catalogue inside) instead of parsing a big log
            # a second time; the parameters keep the original paths, so a kept notebook says what was read
            # (its cache is gone with this folder: rerun it with traces_cache="")
            if "traces_cache" in notebook_parameters(nb_path):  # a notebook of the user's may not take it
                cache = Path(tmp) / "traces.parquet"
                write_traces(read, cache)
                params.setdefault("traces_cache", str(cache))
        executed = Path(keep_notebook) if keep_notebook else Path(tmp) / "report.ipynb"
        try:
            run_notebook(nb_path, executed, params, timeout=timeout)
        except NotebookError as exc:
            reason = getattr(exc, "reason", None) or str(exc)
            if keep_notebook or not executed.exists():
                raise NotebookError(text("error_notebook", lang, reason=reason, kept=executed)) from exc
            # the temporary folder is about to go: keep the failed notebook beside the report asked for
            kept = out_html.with_name(out_html.stem + ".failed.ipynb")
            kept.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(executed, kept)
            raise NotebookError(text("error_notebook", lang, reason=reason, kept=kept)) from exc
        return render_html(executed, out_html, title=text("report_title", lang), lang=lang)
