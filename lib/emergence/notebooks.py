"""Chapters as Jupyter notebooks that run anywhere: local Jupyter, a JupyterHub, Colab.

The book's chapters are MyST notebooks, whose directives and roles
(``{exercise}``, ``{cite}``, ...) only Jupyter Book understands. The build
turns each into a plain ``.ipynb`` (:func:`chapter_notebook`):

* its first cell makes ``emergence`` importable: it does nothing where the
  package is installed and otherwise installs it from the book's repository
  (``repository.url`` in ``_config.yml``), or says how to install it when no
  repository is configured;
* MyST syntax becomes plain Markdown: admonitions become quotes, exercises
  numbered headings as in the book, citations numbers into a reference list,
  equation labels ``\\tag``\\ s; cells hidden in the book start collapsed;
* the reader's version keeps the build's outputs, except the static
  explorers, which need the book's page and come alive when the cell runs;
  the student version has no solutions and no outputs.
"""

from __future__ import annotations

import copy
import functools
import re

#: Metadata tag of the install cell.
INSTALL_TAG = "emergence-install"
EXPLORER_MARKER = 'class="emergence-explorer"'
EXPLORER_PLACEHOLDER = ("*An interactive explorer: run this cell to open it live; "
                        "its sliders recompute through the `emergence` kernels.*")
ADMONITIONS = {"admonition", "note", "tip", "hint", "important", "warning", "caution", "attention",
               "danger", "error", "seealso"}

_OPEN = re.compile(r"^(?P<fence>`{3,}|:{3,})\{(?P<name>[a-zA-Z:-]+)\}[ \t]*(?P<arg>.*)$")
_OPTION = re.compile(r"^:(?P<key>[a-zA-Z_-]+):[ \t]*(?P<value>.*)$")
_ROLE = re.compile(r"\{(?P<role>[a-z]+(?::[a-z]+)?)\}`(?P<content>[^`]+)`")
_EQ_LABEL = re.compile(r"^\$\$[ \t]*\((?P<label>[^)\s]+)\)[ \t]*$")
_TARGET = re.compile(r"^\([^)\s]+\)=[ \t]*$")


def install_source(repository_url="", branch="main"):
    """The first cell of every notebook: import ``emergence``, installing it if needed."""
    if repository_url:
        spec = f"emergence @ git+{repository_url.rstrip('/')}@{branch}"
        return (
            "# Set-up: make the book's library `emergence` importable. Where it is installed\n"
            "# (the book's own environment, Binder) this does nothing; elsewhere (Colab, a\n"
            "# JupyterHub) it installs it with its dependencies from the book's repository.\n"
            "try:\n"
            "    import emergence\n"
            "except ImportError:\n"
            "    import subprocess, sys\n"
            f"    subprocess.run([sys.executable, '-m', 'pip', 'install', '--quiet', {spec!r}], check=True)\n"
            "    import emergence\n"
        )
    return (
        "# Set-up: this notebook needs the book's library `emergence`.\n"
        "try:\n"
        "    import emergence\n"
        "except ImportError as error:\n"
        "    raise ImportError(\n"
        "        \"This notebook needs the book's library `emergence`, which is not installed here. \"\n"
        "        \"In a copy of the book's repository run `pip install -e .` (or `make lab`), \"\n"
        "        \"then restart the kernel and run the notebook again.\"\n"
        "    ) from error\n"
    )


# --------------------------------------------------------------------------
# MyST -> plain Markdown
# --------------------------------------------------------------------------
def myst_blocks(lines):
    """Split Markdown lines into text lines and directive blocks.

    Yields ``("text", line)`` or ``("directive", name, arg, options, body_lines)``.
    An unclosed directive runs to the end of ``lines`` (gated directives close at once).
    """
    i = 0
    while i < len(lines):
        m = _OPEN.match(lines[i])
        if not m:
            yield ("text", lines[i])
            i += 1
            continue
        fence, body, options = m.group("fence"), [], {}
        i += 1
        while i < len(lines) and (om := _OPTION.match(lines[i])):
            options[om.group("key")] = om.group("value")
            i += 1
        depth = 0
        while i < len(lines):
            inner = _OPEN.match(lines[i])
            if inner and inner.group("fence") == fence:
                depth += 1
            elif lines[i].strip() == fence:
                if depth == 0:
                    break
                depth -= 1
            body.append(lines[i])
            i += 1
        i += 1  # the closing fence
        yield ("directive", m.group("name"), m.group("arg").strip(), options, body)


class _Converter:
    """Converts one chapter's Markdown cells; numbers are collected over the whole chapter first."""

    def __init__(self, cells, *, titles, docname, bibliography, first_exercise):
        self.titles = titles
        self.folder = docname.rsplit("/", 1)[0] + "/" if "/" in docname else ""
        self.bibliography = bibliography
        self.exercises, self.equations, self.citations = {}, {}, []
        for cell in cells:
            if cell.cell_type != "markdown":
                continue
            for line in cell.source.splitlines():
                if (m := _EQ_LABEL.match(line)):
                    self.equations.setdefault(m.group("label"), len(self.equations) + 1)
                for role in _ROLE.finditer(line):
                    if role.group("role").startswith("cite"):
                        for key in role.group("content").split(","):
                            if key.strip() not in self.citations:
                                self.citations.append(key.strip())
            for kind, *rest in myst_blocks(cell.source.splitlines()):
                if kind == "directive" and rest[0] in ("exercise", "exercise-start"):
                    label = rest[2].get("label", f"exercise-{len(self.exercises)}")
                    self.exercises[label] = (first_exercise + len(self.exercises), rest[1])

    def markdown(self, text):
        return re.sub(r"\n{3,}", "\n\n", "\n".join(self._lines(text.splitlines()))).strip("\n")

    def _lines(self, lines):
        out = []
        for kind, *rest in myst_blocks(lines):
            if kind == "text":
                line = rest[0]
                if _TARGET.match(line) or line.startswith("% "):
                    continue
                if (m := _EQ_LABEL.match(line)):
                    out += [rf"\tag{{{self.equations[m.group('label')]}}}", "$$"]
                    continue
                out.append(_ROLE.sub(self._role, line))
            else:
                out += self._directive(*rest)
        return out

    def _directive(self, name, arg, options, body):
        inner = self._lines(body)
        if name in ("exercise", "exercise-start"):
            number, title = self.exercises[options.get("label", "")] if options.get("label") else ("", arg)
            return ["", f"#### Exercise {number}: {_ROLE.sub(self._role, title)}", "", *inner, ""]
        if name in ("solution", "solution-start"):
            number = self.exercises.get(arg, ("",))[0]
            return ["", f"**Solution to exercise {number}.**", "", *inner, ""]
        if name in ("solution-end", "exercise-end"):
            return []
        if name == "bibliography":
            return self._references()
        if name == "math":
            return ["$$", *inner, "$$"]
        if name in ADMONITIONS:
            title = arg or name.capitalize()
            quoted = [f"> {line}" if line else ">" for line in inner]
            return ["", f"> **{_ROLE.sub(self._role, title)}**", ">", *quoted, ""]
        return ["", f"**{arg}**" if arg else "", *inner, ""]

    def _role(self, match):
        role, content = match.group("role"), match.group("content")
        text, _, target = content.partition(" <")
        explicit = bool(target)
        target = target.rstrip(">") if explicit else content
        if role == "doc":
            docname = target if target.startswith("/") or "/" in target else self.folder + target
            return text if explicit else f"*{self.titles.get(docname.lstrip('/'), target)}*"
        if role in ("ref", "numref"):
            if explicit:
                return text
            if target in self.exercises:
                return f"Exercise {self.exercises[target][0]}"
            return target
        if role == "eq":
            return f"({self.equations.get(target, target)})"
        if role.startswith("cite"):
            return "[" + ", ".join(self._label(k.strip()) for k in content.split(",")) + "]"
        if role == "math":
            return f"${content}$"
        return text

    def _label(self, key):
        return self.bibliography.get(key, (key, ""))[0]

    def _references(self):
        out = [""]
        for key in self.citations:
            out.append(f"- [{self._label(key)}] {self.bibliography.get(key, (key, key))[1]}")
        return out + [""]


@functools.lru_cache(maxsize=4)
def _bibliography(bibfiles):
    """{key: (label, one-line reference)} from BibTeX files, labelled as the book labels them (alpha).

    ``bibfiles`` is a tuple of paths; the result is cached, since one build converts every chapter.
    """
    from pybtex.database import parse_file
    from pybtex.plugin import find_plugin

    entries = {}
    for path in bibfiles:
        database = parse_file(str(path))
        keys = list(database.entries)
        labels = find_plugin("pybtex.style.labels", "alpha")().format_labels(database.entries.values())
        for key, label in zip(keys, labels):
            entry = database.entries[key]
            names = [" ".join(p.first_names + p.middle_names + p.prelast_names + p.last_names)
                     for p in entry.persons.get("author", [])]
            authors = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1] if names else ""
            fields = {k: re.sub(r"[{}]", "", v).replace("--", "–") for k, v in entry.fields.items()}
            venue = fields.get("journal") or fields.get("booktitle") or fields.get("publisher") or ""
            if fields.get("volume"):
                venue += f" {fields['volume']}"
            if fields.get("pages"):
                venue += f", {fields['pages']}"
            parts = [f"{authors} ({fields.get('year', 'n.d.')})." if authors else "",
                     f"*{fields.get('title', key)}*.", f"{venue}." if venue else ""]
            entries[key] = (label, " ".join(p for p in parts if p))
    return entries


# --------------------------------------------------------------------------
# the notebook
# --------------------------------------------------------------------------
def _drop_solutions(cells):
    """The cells without any solution: directive text, code cells and outputs between start and end."""
    kept, inside = [], False
    for cell in cells:
        if cell.cell_type != "markdown":
            if not inside:
                kept.append(cell)
            continue
        lines, out = cell.source.splitlines(), []
        i = 0
        while i < len(lines):
            m = _OPEN.match(lines[i])
            name = m.group("name") if m else None
            if name in ("solution-start", "solution-end", "solution"):
                # skip the directive's own lines (options and, for {solution}, its body) up to its fence
                fence, j = m.group("fence"), i + 1
                while j < len(lines) and lines[j].strip() != fence:
                    j += 1
                inside = name == "solution-start"
                i = j + 1
                continue
            if not inside:
                out.append(lines[i])
            i += 1
        cell.source = "\n".join(out).strip("\n")
        if cell.source:
            kept.append(cell)
    return kept


def chapter_notebook(md_text, *, student=False, executed=None, repository_url="", branch="main",
                     titles=None, bibfiles=(), docname="chapter", first_exercise=1):
    """The downloadable ``.ipynb`` (an nbformat v4 notebook) of one chapter.

    Parameters
    ----------
    md_text : str
        The chapter's MyST notebook source.
    student : bool
        Student version: no solutions and no outputs.
    executed : NotebookNode or None
        The chapter with the build's outputs (reader's version); None leaves the
        cells without outputs.
    repository_url, branch : str
        Where the install cell gets ``emergence`` from ('' = say how to install it).
    titles : dict
        ``{docname: title}`` of the book's chapters, for ``{doc}`` links.
    bibfiles : sequence of paths
        BibTeX files for the chapter's reference list.
    docname : str
        The chapter's document name (``chapters/<slug>``).
    first_exercise : int
        The book-wide number of the chapter's first exercise, as the HTML numbers it.
    """
    import jupytext
    import nbformat

    notebook = copy.deepcopy(executed) if executed is not None and not student else jupytext.reads(
        md_text, fmt="md:myst")
    notebook = nbformat.from_dict(notebook)
    cells = _drop_solutions(notebook.cells) if student else list(notebook.cells)
    converter = _Converter(cells, titles=titles or {}, docname=docname,
                           bibliography=_bibliography(tuple(str(p) for p in bibfiles)),
                           first_exercise=first_exercise)
    for cell in cells:
        cell.metadata.pop("execution", None)
        if cell.cell_type == "markdown":
            cell.source = converter.markdown(cell.source)
        elif cell.cell_type == "code":
            tags = cell.metadata.get("tags", [])
            if {"hide-input", "remove-input", "remove-cell"} & set(tags):
                cell.metadata.setdefault("jupyter", {})["source_hidden"] = True
            if student or executed is None:
                cell.outputs, cell.execution_count = [], None
            else:
                cell.outputs = [_without_static_explorer(o) for o in cell.get("outputs", [])]
    install = nbformat.v4.new_code_cell(install_source(repository_url, branch), metadata={"tags": [INSTALL_TAG]})
    notebook.cells = [install] + [c for c in cells if c.cell_type != "markdown" or c.source.strip()]
    kernelspec = notebook.metadata.get("kernelspec", {"name": "python3", "display_name": "Python 3",
                                                      "language": "python"})
    notebook.metadata = nbformat.from_dict({
        "kernelspec": kernelspec,
        "language_info": {"name": "python"},
        "emergence": {"chapter": docname, "edition": "student" if student else "reader"},
    })
    notebook.nbformat, notebook.nbformat_minor = 4, 5
    for i, cell in enumerate(notebook.cells):
        cell.id = f"cell-{i}"  # deterministic, so that a rebuild gives the same file
    nbformat.validate(notebook)
    return notebook


def _without_static_explorer(output):
    """A static explorer needs the book's page (BokehJS); in Jupyter the cell reruns it live."""
    import nbformat

    html = output.get("data", {}).get("text/html", "")
    if EXPLORER_MARKER not in (html if isinstance(html, str) else "".join(html)):
        return output
    return nbformat.v4.new_output("display_data", data={"text/markdown": EXPLORER_PLACEHOLDER,
                                                        "text/plain": EXPLORER_PLACEHOLDER})
