"""Sphinx extension that makes the book build offline, strict and never stale.

Listed in ``_config.yml`` under ``sphinx.extra_extensions``. It

* sets ``EMERGENCE_EXPLORER=static`` before any notebook runs, so that kernels
  started by myst-nb inherit it and explorers render as static Bokeh pages;
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
import os
import shutil
from pathlib import Path

from .explore import MODE_VARIABLE

VENDOR = "vendor"
BOKEH_FILES = ("bokeh.min.js", "bokeh-widgets.min.js")
EXPLORER_MARKER = 'class="emergence-explorer"'


def library_fingerprint(root=None):
    """SHA-256 of every Python source file of the ``emergence`` package (or of ``root``)."""
    root = Path(__file__).parent if root is None else Path(root)
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*.py")):
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
    stamp = cache.parent / ".emergence-library-fingerprint"
    fingerprint = library_fingerprint()
    if not stamp.exists() or stamp.read_text() != fingerprint:
        # A changed library invalidates executed outputs: drop the execution
        # cache and the saved environment, so every notebook is read and run again.
        shutil.rmtree(cache, ignore_errors=True)
        (Path(app.doctreedir) / "environment.pickle").unlink(missing_ok=True)
    stamp.parent.mkdir(parents=True, exist_ok=True)
    stamp.write_text(fingerprint)


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
    os.environ[MODE_VARIABLE] = "static"
    app.connect("config-inited", _on_config_inited)
    app.connect("builder-inited", _on_builder_inited)
    app.connect("html-page-context", _on_html_page_context, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
