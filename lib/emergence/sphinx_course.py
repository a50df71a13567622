"""Sphinx extension for teaching from the book: generated pages, the student edition, notebook downloads.

Listed in ``_config.yml`` after :mod:`emergence.sphinxext`. It

* fills the generated parts of the front page, the syllabus and the exercise
  index from ``course.yml`` and the chapters (:mod:`emergence.course`): a line
  ``<!-- generated: contents -->`` (or ``syllabus``, ``exercise-index``,
  ``difficulty-legend``) in a page is replaced before the page is parsed.
  These pages are read again on every build, so they follow every chapter;
* builds the **student edition** when ``EMERGENCE_EDITION=student``: every
  exercise solution (with the code cells and outputs inside it) is removed
  from the pages, not collapsed; the tag ``student`` is set for ``{only}``
  blocks and every page carries a banner. The execution cache is the reader
  edition's, so the chapters are not executed again;
* writes every chapter's downloadable notebook (:mod:`emergence.notebooks`)
  to ``_notebooks/<slug>.ipynb`` in the output, with the build's outputs in the
  reader edition and cleared, solution-free in the student edition, and adds it
  to each chapter page's download menu;
* turns the Binder launch buttons (and the repository button) on exactly when
  ``repository.url`` is set in ``_config.yml``; the notebooks' install cell
  reads the same URL.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

from sphinx.errors import ConfigError
from sphinx.transforms import SphinxTransform
from sphinx.util import logging

from . import course, notebooks
from .sphinxext import read_like_myst_nb

logger = logging.getLogger(__name__)

#: Selects the edition to build: "reader" (default) or "student".
EDITION_VARIABLE = "EMERGENCE_EDITION"
EDITIONS = ("reader", "student")
#: Where the downloadable notebooks go, inside the HTML output.
NOTEBOOK_DIR = "_notebooks"
#: Written next to the HTML output: the edition, the chapters this build executed, the notebooks.
BUILD_INFO = "build-info.json"
STUDENT_BANNER = ("Student edition: the exercises are here, their solutions are not. "
                  "Your teacher has the reader edition.")
_MARKER = re.compile(r"^<!-- generated: (?P<what>[a-z-]+) -->[ \t]*$", re.MULTILINE)


def edition():
    """The edition this build makes, from ``$EMERGENCE_EDITION`` (default ``reader``)."""
    value = os.environ.get(EDITION_VARIABLE, "").strip() or "reader"
    if value not in EDITIONS:
        raise ConfigError(f"{EDITION_VARIABLE} must be one of {EDITIONS}, got {value!r}")
    return value


def repository(config):
    """(url, branch) of the book's repository from ``_config.yml`` (``repository:``); url may be ''."""
    options = config.html_theme_options or {}
    return (options.get("repository_url") or "").strip(), (options.get("repository_branch") or "main").strip()


def toc_docnames(confdir, toc_path):
    """Every ``file:`` of the table of contents, in order (root first)."""
    import yaml

    toc = yaml.safe_load((Path(confdir) / toc_path).read_text(encoding="utf-8"))
    names = [toc["root"]]

    def walk(entry):
        if isinstance(entry, dict):
            if "file" in entry:
                names.append(str(entry["file"]).removesuffix(".md").removesuffix(".ipynb"))
            for key in ("parts", "chapters", "sections"):
                for child in entry.get(key, ()):
                    walk(child)

    walk(toc)
    return names


def _course_data(app):
    """The plan and the finished chapters (those in the toc) as {slug: course.Chapter}."""
    root = Path(app.confdir)
    plan = course.load_plan(root / "course.yml")
    docnames = [d for d in toc_docnames(root, app.config.external_toc_path) if d.startswith("chapters/")]
    course.check_toc(plan, docnames)
    chapters = {}
    for docname in docnames:
        chapter = course.read_chapter(root / f"{docname}.md", docname, plan)
        chapters[chapter.slug] = chapter
    return plan, chapters


# --------------------------------------------------------------------------
# generated pages
# --------------------------------------------------------------------------
def _on_source_read(app, docname, source):
    text = source[0]
    if "<!-- generated: " not in text:
        return
    try:
        plan, chapters = _course_data(app)
    except course.CourseError as error:
        raise ConfigError(str(error)) from error
    root = Path(app.confdir)
    app.env.note_dependency(str(root / "course.yml"))
    for chapter in chapters.values():
        app.env.note_dependency(str(root / f"{chapter.docname}.md"))
    prefix = "../" * docname.count("/")
    makers = {
        "contents": lambda: course.contents_markdown(plan, chapters, prefix),
        "syllabus": lambda: course.syllabus_markdown(plan, chapters, prefix),
        "exercise-index": lambda: course.exercise_index_markdown(plan, chapters, prefix),
        "difficulty-legend": course.difficulty_legend,
    }

    def replace(match):
        what = match.group("what")
        if what not in makers:
            raise ConfigError(f"{docname}: unknown generated block {what!r}; known: {sorted(makers)}")
        return makers[what]()

    source[0] = _MARKER.sub(replace, text)


def _on_env_get_outdated(app, env, added, changed, removed):
    """Generated pages depend on every chapter and on the toc: read them on every build."""
    generated = []
    for docname in env.found_docs:
        path = Path(env.doc2path(docname))
        if path.suffix == ".md" and "<!-- generated: " in path.read_text(encoding="utf-8"):
            generated.append(docname)
    return generated


# --------------------------------------------------------------------------
# student edition
# --------------------------------------------------------------------------
class RemoveSolutions(SphinxTransform):
    """Student edition: drop every solution, with the cells and outputs it holds.

    sphinx-exercise's own ``hide_solutions`` drops only the ``{solution-start}``
    node and leaves the content up to ``{solution-end}`` (the executed cells)
    on the page, so this runs after it has merged gated solutions into one node.
    """

    default_priority = 20  # after sphinx-exercise's MergeGatedSolutions (10)

    def apply(self):
        from sphinx_exercise.nodes import solution_end_node, solution_node, solution_start_node

        for node in list(self.document.findall(lambda n: isinstance(
                n, (solution_node, solution_start_node, solution_end_node)))):
            node.parent.remove(node)


def _on_config_inited(app, config):
    url, _ = repository(config)
    options = dict(config.html_theme_options or {})
    if url:
        options["use_repository_button"] = True
    else:
        # No repository to launch from: no Binder buttons (and no copy of the
        # executed notebook that sphinx-book-theme makes for them).
        options.pop("launch_buttons", None)
        options["use_repository_button"] = False
        options["use_issues_button"] = False
    if edition() == "student":
        app.tags.add("student")
        options["announcement"] = STUDENT_BANNER
        config.html_title = f"{config.html_title or config.project} (student edition)"
    config.html_theme_options = options
    if not config.nb_execution_cache_path:
        # One execution cache for both editions (the default would follow the output folder).
        config.nb_execution_cache_path = str(Path(app.confdir) / "_build" / ".jupyter_cache")


# --------------------------------------------------------------------------
# downloadable notebooks
# --------------------------------------------------------------------------
def _executed_notebook(app, path):
    """The chapter as myst-nb read it, with the outputs of the execution cache (None if not cached)."""
    from jupyter_cache import get_cache

    notebook, _, _ = read_like_myst_nb(app.env, path)
    try:
        _, merged = get_cache(app.env.mystnb_config.execution_cache_path).merge_match_into_notebook(notebook)
    except KeyError:
        return None
    return merged


def _on_build_finished(app, exception):
    if exception is not None or app.builder.format != "html":
        return
    plan, chapters = _course_data(app)
    url, branch = repository(app.config)
    student = edition() == "student"
    target = Path(app.outdir) / NOTEBOOK_DIR
    target.mkdir(parents=True, exist_ok=True)
    titles = {f"chapters/{slug}": chapter.title for slug, chapter in chapters.items()}
    bib = [Path(app.confdir) / name for name in getattr(app.config, "bibtex_bibfiles", [])]
    first_exercise = 1  # sphinx-exercise numbers exercises through the whole book, in toc order
    for slug, chapter in chapters.items():
        path = Path(app.confdir) / f"{chapter.docname}.md"
        executed = None if student else _executed_notebook(app, path)
        notebook = notebooks.chapter_notebook(
            path.read_text(encoding="utf-8"), student=student, executed=executed, repository_url=url,
            branch=branch, titles=titles, bibfiles=bib, docname=chapter.docname, first_exercise=first_exercise)
        first_exercise += len(chapter.exercises)
        (target / f"{slug}.ipynb").write_text(json.dumps(notebook, indent=1, ensure_ascii=False) + "\n",
                                              encoding="utf-8")
    logger.info(f"[emergence] wrote {len(chapters)} {edition()} notebook(s) to {target}")
    info = {"edition": edition(), "executed": getattr(app, "emergence_executed", []),
            "notebooks": sorted(p.name for p in target.glob("*.ipynb"))}
    (Path(app.outdir).parent / BUILD_INFO).write_text(json.dumps(info, indent=1) + "\n", encoding="utf-8")


def _on_html_page_context(app, pagename, templatename, context, doctree):
    if not pagename.startswith("chapters/"):
        return
    for button in context.get("header_buttons", []):
        if button.get("label") != "download-buttons":
            continue
        # Our notebook replaces sphinx-book-theme's copy of the raw executed one.
        button["buttons"][:] = [b for b in button["buttons"] if b.get("label") != "download-notebook-button"]
        button["buttons"].insert(0, {
            "type": "link",
            "url": context["pathto"](f"{NOTEBOOK_DIR}/{Path(pagename).name}.ipynb", 1),
            "text": ".ipynb",
            "tooltip": ("Download this chapter as a Jupyter notebook (exercises without solutions)"
                        if edition() == "student" else
                        "Download this chapter as a Jupyter notebook, with its outputs"),
            "icon": "fas fa-code",
            "label": "download-ipynb-button",
        })


def setup(app):
    app.connect("config-inited", _on_config_inited, priority=400)  # before emergence.sphinxext reads the cache path
    app.connect("source-read", _on_source_read)
    app.connect("env-get-outdated", _on_env_get_outdated)
    app.connect("build-finished", _on_build_finished)
    # After sphinx-book-theme has built the header buttons (priority 501).
    app.connect("html-page-context", _on_html_page_context, priority=950)
    if edition() == "student":
        app.add_transform(RemoveSolutions)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
