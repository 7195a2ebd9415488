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
from poem.lab.runner import DEFAULT_TIMEOUT, find_notebook, run_notebook
from poem.report.texts import LANGUAGES  # the languages the texts exist in
from poem.report.texts import _check as _check_lang

__all__ = ["render_html", "build_report", "REPORT_NOTEBOOK", "LANGUAGES", "HIDE_TAG", "embedded_images"]

#: the notebook that the ``poem report`` command executes
REPORT_NOTEBOOK = "03_learning_path_report"
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


def build_report(traces, out_html, *, outcomes=None, catalog=None, lang="en", parameters=None,
                 timeout=DEFAULT_TIMEOUT, keep_notebook=None, notebook=REPORT_NOTEBOOK) -> Path:
    """Execute the learning-path report notebook on a traces file and write the HTML report.

    Parameters
    ----------
    traces : str or Path
        A traces file :func:`poem.read_traces` understands.
    out_html : str or Path
        The report to write.
    outcomes, catalog : str or Path, optional
        Learner outcomes (``learner,outcome``) and the course catalogue (items in syllabus order).
    lang : {"en", "fr"}
        Language of the report's text.
    parameters : dict, optional
        Further notebook parameters (``seed``, ``n_seeds``, ``method`` ...).
    timeout : float
        Seconds a notebook cell may run.
    keep_notebook : str or Path, optional
        Where to keep the executed notebook; by default it is discarded.
    notebook : str
        The notebook to run (a name or a path).

    Returns
    -------
    Path
        ``out_html``.

    Raises
    ------
    NotebookError
        If an input file is missing or the notebook fails (the message carries the notebook's error; the
        failed notebook is kept as ``<out_html stem>.failed.ipynb`` unless ``keep_notebook`` says where).
    ParameterError
        If ``lang`` is not supported.
    """
    _check_lang(lang)
    inputs = {"traces_path": traces, "outcomes_path": outcomes, "catalog_path": catalog}
    params = {}
    for key, value in inputs.items():
        if value is None:
            params[key] = ""
            continue
        value = Path(value)
        if not value.exists():
            raise NotebookError(f"report input {key.removesuffix('_path')} file {value} does not exist")
        params[key] = str(value.resolve())
    params["lang"] = lang
    params.update(parameters or {})
    out_html = Path(out_html)
    with tempfile.TemporaryDirectory(prefix="poem-report-") as tmp:
        executed = Path(keep_notebook) if keep_notebook else Path(tmp) / "report.ipynb"
        try:
            run_notebook(find_notebook(notebook), executed, params, timeout=timeout)
        except NotebookError as exc:
            if keep_notebook or not executed.exists():
                raise
            # the temporary folder is about to go: keep the failed notebook beside the report asked for
            kept = out_html.with_name(out_html.stem + ".failed.ipynb")
            kept.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(executed, kept)
            raise NotebookError(f"{exc.reason} (executed notebook kept at {kept})") from exc
        from poem.report.texts import text

        return render_html(executed, out_html, title=text("report_title", lang), lang=lang)
