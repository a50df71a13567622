"""Chapters as downloadable notebooks (emergence.notebooks): plain Markdown, install cell, two versions."""

import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from packaging.requirements import Requirement

from emergence import notebooks

ROOT = Path(__file__).resolve().parents[1]
CHAPTER_FILES = sorted((ROOT / "chapters").glob("*.md"))
MYST_LEFT = re.compile(r"^(`{3,}|:{3,})\{|\{[a-z]+(?::[a-z]+)?\}`", re.M)


def convert(path, **options):
    return notebooks.chapter_notebook(path.read_text(), bibfiles=[ROOT / "references.bib"],
                                      docname=f"chapters/{path.stem}", **options)


def solution_code(path):
    """The source of every code cell between {solution-start} and {solution-end} in a chapter."""
    cells = re.findall(r"```\{solution-start\}.*?```\{solution-end\}", path.read_text(), re.S)
    return [c.strip() for block in cells for c in re.findall(r"```\{code-cell\}[^\n]*\n(.*?)\n```", block, re.S)]


def markdown(nb):
    return "\n\n".join(c.source for c in nb.cells if c.cell_type == "markdown")


@pytest.mark.parametrize("path", CHAPTER_FILES, ids=lambda p: p.stem)
def test_student_notebook_has_every_exercise_and_no_solution(path):
    student, reader = convert(path, student=True), convert(path)
    nbformat.validate(student)
    n_exercises = path.read_text().count("```{exercise}")
    assert markdown(student).count("#### Exercise ") == n_exercises == markdown(reader).count("#### Exercise ")
    assert "Solution to exercise" not in markdown(student)
    assert markdown(reader).count("Solution to exercise") == n_exercises
    codes = [c.source.strip() for c in student.cells if c.cell_type == "code"]
    solutions = solution_code(path)
    assert solutions and not set(solutions) & set(codes)
    assert set(solutions) <= {c.source.strip() for c in reader.cells if c.cell_type == "code"}
    assert all(not c.outputs and c.execution_count is None for c in student.cells if c.cell_type == "code")


@pytest.mark.parametrize("path", CHAPTER_FILES, ids=lambda p: p.stem)
def test_notebook_markdown_is_plain_jupyter_markdown(path):
    nb = convert(path, titles={"chapters/ising": "The Ising model"})
    text = markdown(nb)
    assert not MYST_LEFT.search(text), MYST_LEFT.search(text)
    assert "## References" in text and re.search(r"^- \[[A-Z][A-Za-z+]*\d\d\] .+\(\d{4}\)\. \*", text, re.M)
    labels = notebooks._bibliography((str(ROOT / "references.bib"),))
    for keys in re.findall(r"\{cite\}`([^`]+)`", path.read_text()):
        for key in keys.split(","):
            label, reference = labels[key.strip()]
            assert f"[{label}]" in text or f"{label}," in text or f", {label}]" in text
            assert f"- [{label}] {reference}" in text
    # cells the book hides start collapsed in JupyterLab; every cell has a stable id
    hidden = [c for c in nb.cells if "hide-input" in c.metadata.get("tags", [])]
    assert hidden and all(c.metadata["jupyter"]["source_hidden"] for c in hidden)
    assert [c.id for c in nb.cells] == [f"cell-{i}" for i in range(len(nb.cells))]
    assert nb.metadata.emergence.chapter == f"chapters/{path.stem}"


def test_equation_labels_become_tags_and_references_their_numbers():
    text = markdown(convert(ROOT / "chapters" / "associative-memory.md"))
    assert "\\tag{1}\n$$" in text and "The energy (1) is quadratic" in text
    assert "(hopfield-energy)" not in text


def test_references_to_exercises_and_chapters_read_naturally():
    text = markdown(convert(ROOT / "chapters" / "oscillators-neurons.md", first_exercise=15,
                            titles={"chapters/ising": "The Ising model"}))
    assert "#### Exercise 17: The mean-field XY model" in text and "(Exercise 17)" in text
    assert "*The Ising model*" in text


def test_conversion_is_deterministic():
    path = ROOT / "chapters" / "sandpiles-automata.md"
    assert convert(path, student=True) == convert(path, student=True)


def test_install_cell_comes_first_and_installs_from_the_configured_repository():
    nb = convert(ROOT / "chapters" / "ising.md", repository_url="https://github.com/someone/emergence/",
                 branch="stable")
    first = nb.cells[0]
    assert first.cell_type == "code" and notebooks.INSTALL_TAG in first.metadata.tags
    spec = re.search(r"'(emergence @ [^']+)'", first.source).group(1)
    requirement = Requirement(spec)
    assert requirement.name == "emergence" and requirement.url == "git+https://github.com/someone/emergence@stable"


def run_cell(source, block_emergence):
    """Run an install cell in a fresh interpreter; emergence made unimportable when asked."""
    prelude = "import sys\nsys.modules['emergence'] = None\n" if block_emergence else ""
    return subprocess.run([sys.executable, "-c", prelude + source + "\nprint('ready', emergence.__name__)"],
                          capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize("url", ["", "https://github.com/someone/emergence"])
def test_install_cell_does_nothing_where_emergence_is_installed(url):
    done = run_cell(notebooks.install_source(url) + "\nassert 'subprocess' not in dir()", block_emergence=False)
    assert done.returncode == 0 and "ready emergence" in done.stdout, done.stderr


def test_install_cell_without_repository_says_how_to_install():
    done = run_cell(notebooks.install_source(""), block_emergence=True)
    assert done.returncode != 0
    assert "ImportError" in done.stderr and "pip install -e ." in done.stderr and "restart the kernel" in done.stderr
