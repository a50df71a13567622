"""Sphinx extension that makes the book build offline, strict and never stale.

Listed in ``_config.yml`` under ``sphinx.extra_extensions``. It

* sets ``EMERGENCE_EXPLORER=static`` before any notebook runs, so that kernels
  started by myst-nb inherit it and explorers render as static Bokeh pages;
* gives every notebook kernel one BLAS/OpenMP/numba thread
  (:func:`emergence.threads.thread_environment`), and executes the chapters
  whose cached outputs are stale side by side, one kernel per usable CPU,
  before Sphinx reads them (:mod:`emergence.execution`); a failing chapter
  stops the build with its file, cell, line and traceback;
* copies BokehJS from the installed ``bokeh`` (so versions always match) into
  ``_static/vendor/`` and loads it only on pages that hold an explorer;
* removes sphinx-thebe's scripts, which Jupyter Book 1 always adds: they name
  a CDN, and the book runs code live only in Jupyter or Binder;
* serves MathJax 3 from ``_static/vendor/mathjax`` (files shipped by the
  ``sphinx-mathjax-offline`` wheel) instead of a CDN;
* clears the notebook execution cache whenever the library's source changes,
  because jupyter-cache keys only on notebook content.

The vendored files live under ``_static/vendor`` of the *output*: Jupyter Book
injects every .js/.css of a *source* ``_static`` folder into every page, which
we do not want.
"""

from __future__ import annotations

import hashlib
import math
import os
import shutil
import time
from pathlib import Path

from sphinx.errors import SphinxError
from sphinx.util import logging

from .execution import build_environment, describe_failure, execute_in_parallel, save_report
from .threads import usable_cpus

logger = logging.getLogger(__name__)

VENDOR = "vendor"
BOKEH_FILES = ("bokeh.min.js", "bokeh-widgets.min.js")
EXPLORER_MARKER = 'class="emergence-explorer"'
#: Overrides the number of chapters executed at once (default: the usable CPUs).
JOBS_VARIABLE = "EMERGENCE_BUILD_JOBS"
#: A chapter's execution budget in the build (seconds, one thread), from the chapter contract.
CHAPTER_BUDGET = 60
#: Written next to the execution cache after every build that executed something.
REPORT_NAME = "execution-report.json"


class NotebookExecutionError(SphinxError):
    category = "Chapter execution failed"


#: Modules that build, test or teach from the book but that no chapter runs: editing them
#: does not change any chapter's outputs, so it does not invalidate the execution cache.
BUILD_TOOLS = frozenset({"sphinxext.py", "sphinx_course.py", "course.py", "notebooks.py", "execution.py",
                         "warmup.py"})


def library_fingerprint(root=None):
    """SHA-256 of the Python sources of the ``emergence`` package (or of ``root``) that chapters run.

    Every module counts except the ``BUILD_TOOLS``.
    """
    root = Path(__file__).parent if root is None else Path(root)
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*.py")):
        if path.parent == root and path.name in BUILD_TOOLS:
            continue
        digest.update(path.relative_to(root).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def _mathjax_dir():
    import sphinx  # the wheel installs a top-level folder with a hyphen, next to sphinx

    site = Path(sphinx.__file__).parent.parent
    path = site / "sphinx-mathjax-offline" / "static" / "mathjax"
    if not (path / "tex-chtml.js").exists():
        raise RuntimeError(f"MathJax files not found at {path}; install sphinx-mathjax-offline")
    return path


def _bokeh_dir():
    import bokeh

    return Path(bokeh.__file__).parent / "server" / "static" / "js", bokeh.__version__


def _on_config_inited(app, config):
    config.mathjax_path = f"{VENDOR}/mathjax/tex-chtml.js"
    cache = config.nb_execution_cache_path or str(Path(app.outdir).parent / ".jupyter_cache")
    cache = Path(app.confdir) / cache if not os.path.isabs(cache) else Path(cache)
    fingerprint = library_fingerprint()
    # A changed library invalidates executed outputs: drop the execution cache
    # and the saved environment, so every notebook is read and run again. Both
    # editions share the cache but not the environment, so each has its stamp.
    for stamp, drop in ((cache.parent / ".emergence-library-fingerprint", lambda: shutil.rmtree(cache, True)),
                        (Path(app.doctreedir) / ".emergence-library-fingerprint",
                         lambda: (Path(app.doctreedir) / "environment.pickle").unlink(missing_ok=True))):
        if not stamp.exists() or stamp.read_text() != fingerprint:
            drop()
        stamp.parent.mkdir(parents=True, exist_ok=True)
        stamp.write_text(fingerprint)


def build_jobs():
    """How many chapters the build executes at once: $EMERGENCE_BUILD_JOBS, else the usable CPUs."""
    value = os.environ.get(JOBS_VARIABLE, "").strip()
    if not value:
        return usable_cpus()
    if not value.isdigit() or int(value) < 1:
        raise NotebookExecutionError(f"{JOBS_VARIABLE} must be a positive integer, got {value!r}")
    return int(value)


def read_like_myst_nb(env, path):
    """(notebook, nb_config, read format) of the document at ``path`` exactly as myst-nb reads it.

    Same reader, same notebook-level overrides and kernel aliases, so that the
    notebook's jupyter-cache key is the one myst-nb looks up. None if the
    document is not a notebook.
    """
    import re

    from myst_nb.core.read import create_nb_reader

    content = Path(path).read_text(encoding="utf-8")
    reader = create_nb_reader(str(path), env.myst_config, env.mystnb_config, content)
    if reader is None:
        return None
    notebook = reader.read(content)
    nb_config = env.mystnb_config
    kernel = notebook.metadata.get("kernelspec", {}).get("name")
    for pattern, alias in (nb_config.kernel_rgx_aliases or {}).items():
        if kernel is not None and re.fullmatch(pattern, kernel):
            notebook.metadata["kernelspec"]["name"] = alias
            break
    if nb_config.metadata_key in notebook.metadata:
        overrides = dict(notebook.metadata[nb_config.metadata_key])
        overrides.pop("output_folder", None)
        nb_config = nb_config.copy(**overrides)
    return notebook, nb_config, reader.read_fmt


def _stale_notebooks(env, docnames, cache):
    """(path, notebook, nb_config, read format) of each document to read whose outputs are not cached."""
    stale = []
    for docname in sorted(docnames):
        path = Path(env.doc2path(docname))
        read = read_like_myst_nb(env, path)
        if read is None or read[1].execution_mode != "cache":
            continue
        try:
            cache.match_cache_notebook(read[0])
        except KeyError:
            stale.append((path, *read))
    return stale


def _on_env_before_read_docs(app, env, docnames):
    """Execute the stale chapters in parallel and cache their outputs for myst-nb."""
    if getattr(env, "mystnb_config", None) is None or env.mystnb_config.execution_mode != "cache":
        return
    from jupyter_cache import get_cache
    from jupyter_cache.base import CacheBundleIn

    cache = get_cache(env.mystnb_config.execution_cache_path)
    stale = _stale_notebooks(env, docnames, cache)
    app.emergence_executed = sorted(str(path) for path, *_ in stale)  # what this build ran
    if not stale:
        return
    # Longest first (by the last recorded execution; new chapters count as long), so the pool ends together.
    previous = {r.uri: r.data.get("execution_seconds") or 0.0 for r in cache.list_cache_records()}
    stale.sort(key=lambda job: -previous.get(str(job[0]), math.inf))
    workers = min(build_jobs(), len(stale))
    root = Path(app.srcdir)
    logger.info(f"[emergence] executing {len(stale)} notebook(s), {workers} at a time, one thread each")
    by_name = {str(path): (path, nb_config, read_fmt) for path, _, nb_config, read_fmt in stale}
    report = {"workers": workers, "chapters": {}}
    failures = []
    start = time.perf_counter()
    jobs = [(str(p), nb, p.parent, c.execution_timeout, c.execution_allow_errors) for p, nb, c, _ in stale]
    for done in execute_in_parallel(jobs, workers=workers):
        path, nb_config, read_fmt = by_name[done.name]
        name = path.relative_to(root).as_posix() if root in path.parents else str(path)
        report["chapters"][name] = {"seconds": round(done.seconds, 2), "ok": done.ok}
        if done.ok:
            record = cache.add_nb_to_project(str(path), read_data=read_fmt)
            cache.cache_notebook_bundle(CacheBundleIn(done.notebook, record.uri,
                                                      data={"execution_seconds": done.seconds}),
                                        check_validity=False, overwrite=True)
            over = f" (over the {CHAPTER_BUDGET} s chapter budget)" if done.seconds > CHAPTER_BUDGET else ""
            logger.info(f"[emergence] {name}: executed in {done.seconds:.1f} s{over}")
        else:
            logger.info(f"[emergence] {name}: FAILED after {done.seconds:.1f} s")
            failures.append((done, name, nb_config))
    report["wall_seconds"] = round(time.perf_counter() - start, 2)
    save_report(Path(env.mystnb_config.execution_cache_path).parent / REPORT_NAME, report)
    logger.info(f"[emergence] executed {len(stale)} notebook(s) in {report['wall_seconds']:.1f} s")
    fatal = [describe_failure(done, name) for done, name, cfg in failures if cfg.execution_raise_on_error]
    for done, name, cfg in failures:
        if not cfg.execution_raise_on_error:
            logger.warning(describe_failure(done, name), location=str(by_name[done.name][0]))
    if fatal:
        raise NotebookExecutionError(f"{len(fatal)} chapter(s) failed to execute:\n\n" + "\n\n".join(fatal))


def _on_builder_inited(app):
    if app.builder.format != "html":
        return
    target = Path(app.outdir) / "_static" / VENDOR
    shutil.copytree(_mathjax_dir(), target / "mathjax", dirs_exist_ok=True)
    js_dir, version = _bokeh_dir()
    (target / f"bokeh-{version}").mkdir(parents=True, exist_ok=True)
    for name in BOKEH_FILES:
        shutil.copy2(js_dir / name, target / f"bokeh-{version}" / name)
    app.emergence_bokeh_version = version


def _on_html_page_context(app, pagename, templatename, context, doctree):
    body = context.get("body", "")
    if EXPLORER_MARKER in body:
        # Load BokehJS at the top of the body, only on pages with an explorer;
        # the explorers' own scripts below then find it already loaded.
        tags = "".join(
            f'<script src="{context["pathto"](f"_static/{VENDOR}/bokeh-{app.emergence_bokeh_version}/{name}", 1)}">'
            "</script>"
            for name in BOKEH_FILES
        )
        context["body"] = tags + body
    # Jupyter Book 1 always loads sphinx-thebe, whose inline configuration names
    # a CDN (and is emitted twice, a console error). This book runs code live
    # only in Jupyter or Binder, never through thebe, so drop both scripts.
    if "script_files" in context:
        context["script_files"][:] = [
            js for js in context["script_files"]
            if "THEBE_JS_URL" not in getattr(js, "attributes", {}).get("body", "")
            and not str(getattr(js, "filename", "") or "").endswith("sphinx-thebe.js")
        ]


def setup(app):
    # Kernels started from here (by this extension or by myst-nb) inherit both.
    os.environ.update(build_environment())
    app.connect("config-inited", _on_config_inited)
    app.connect("builder-inited", _on_builder_inited)
    app.connect("env-before-read-docs", _on_env_before_read_docs)
    app.connect("html-page-context", _on_html_page_context, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
