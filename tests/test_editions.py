"""The two built editions (`make book`, `make student`), their notebooks and the generated teaching pages."""

import json
import os
import re
import sys
from pathlib import Path

import nbformat
import pytest
from bs4 import BeautifulSoup

from emergence import notebooks

pytestmark = pytest.mark.build

ROOT = Path(__file__).resolve().parents[1]
HTML = ROOT / "_build" / "html"
STUDENT = ROOT / "_build" / "student" / "html"
sys.path.insert(0, str(Path(__file__).parent))
from test_book import CHAPTERS  # noqa: E402  (the known printed solution line of each chapter)
from test_course import PLAN, TOC_CHAPTERS  # noqa: E402


def page(root, name):
    path = root / name
    if not path.exists():
        pytest.fail(f"{path} is missing: run `make book` and `make student` first (make test does)")
    return BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")


def article(soup):
    """The page's article with whitespace between tags dropped (the editions differ there only)."""
    return re.sub(r">\s+<", "><", str(soup.find("article")))


def test_toc_chapters_are_the_chapters_the_tests_know():
    assert sorted(d.split("/")[1] for d in TOC_CHAPTERS) == sorted(CHAPTERS)


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_student_edition_has_no_solutions_and_is_otherwise_identical(chapter):
    reader = page(HTML, f"chapters/{chapter}.html")
    student = page(STUDENT, f"chapters/{chapter}.html")
    solution_line = CHAPTERS[chapter][3]
    assert solution_line in str(reader) and solution_line not in str(student)
    assert reader.select("div.solution") and not student.select("div.solution")
    assert "Solution to" not in student.get_text()
    assert len(student.select("div.exercise")) == len(reader.select("div.exercise")) >= 3
    for solution in reader.select("div.solution"):
        solution.decompose()
    # explorers, figures, text: everything else is the same HTML
    assert article(student) == article(reader)


def test_student_edition_says_so_and_the_reader_edition_does_not():
    student, reader = page(STUDENT, "intro.html"), page(HTML, "intro.html")
    assert "This is the student edition" in student.get_text()
    assert "This is the student edition" not in reader.get_text()
    assert "Student edition" in page(STUDENT, "chapters/ising.html").get_text()  # the banner on every page
    assert "Student edition" not in page(HTML, "chapters/ising.html").get_text()


def test_student_build_executed_no_chapter_again():
    info = json.loads((ROOT / "_build" / "student" / "_build" / "build-info.json").read_text())
    assert info["edition"] == "student" and info["executed"] == []


@pytest.mark.parametrize("root, edition", [(HTML, "reader"), (STUDENT, "student")])
def test_every_chapter_page_offers_its_notebook(root, edition):
    for docname in TOC_CHAPTERS:
        soup = page(root, f"{docname}.html")
        links = [a["href"] for a in soup.select("a[href$='.ipynb']")]
        assert links, f"{docname}: no .ipynb in the download menu"
        assert len(links) == 1 and links[0].endswith(f"_notebooks/{docname.split('/')[1]}.ipynb")
        target = (root / docname).parent / links[0]
        nb = nbformat.read(target, as_version=4)
        nbformat.validate(nb)
        assert nb.metadata.emergence == {"chapter": docname, "edition": edition}
        assert notebooks.INSTALL_TAG in nb.cells[0].metadata.tags
        text = json.dumps(nb)
        if edition == "student":
            assert "Solution to exercise" not in text and CHAPTERS[docname.split("/")[1]][3] not in text
            assert all(not c.outputs for c in nb.cells if c.cell_type == "code")
        else:
            # the build's outputs, but no static explorer (it needs the book's page; the cell reruns live)
            assert CHAPTERS[docname.split("/")[1]][3] in text and "image/png" in text
            assert notebooks.EXPLORER_MARKER not in text
            assert text.count(notebooks.EXPLORER_PLACEHOLDER) >= CHAPTERS[docname.split("/")[1]][0]


def test_generated_teaching_pages_list_every_chapter_of_the_toc_and_of_the_plan():
    syllabus, index = page(HTML, "teaching/syllabus.html"), page(HTML, "teaching/exercises.html")
    for soup in (syllabus, index):
        hrefs = {a["href"].split("#")[0] for a in soup.select("article a[href]")}
        for docname in TOC_CHAPTERS:
            assert f"../{docname}.html" in hrefs
        text = soup.get_text()
        for slug, title in PLAN.titles.items():
            assert title in text or f"../chapters/{slug}.html" in hrefs
    # every exercise link of the index lands on an exercise of the linked page
    ids = {}
    for a in index.select("article td a[href*='#']"):
        target, anchor = a["href"].split("#")
        if target not in ids:
            ids[target] = set(re.findall(r'id="([^"]+)"', (HTML / "teaching" / target).read_text(encoding="utf-8")))
        assert anchor in ids[target], a["href"]
    # ... and every exercise of the book is listed
    assert len(index.select("article td a[href*='#']")) == sum(
        (HTML / f"{d}.html").read_text(encoding="utf-8").count('class="exercise admonition"') for d in TOC_CHAPTERS)
    weeks = [h.get_text() for h in syllabus.select("article h3")]
    assert len(weeks) == sum(len(t.weeks) for t in PLAN.tracks) == 24


@pytest.mark.slow
def test_downloaded_notebook_runs_in_a_fresh_kernel(tmp_path):
    """The reader's notebook of one chapter, as downloaded, runs top to bottom outside the repository."""
    from nbclient import NotebookClient

    nb = nbformat.read(HTML / "_notebooks" / "sandpiles-automata.ipynb", as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    # A reader's Jupyter: live explorers (no build environment), run from an unrelated folder.
    env = {k: v for k, v in os.environ.items() if not k.startswith("EMERGENCE_")}
    client = NotebookClient(nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}})
    client.execute(env=env)
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    widgets = [o for o in outputs if "application/vnd.jupyter.widget-view+json" in o.get("data", {})]
    assert len(widgets) >= CHAPTERS["sandpiles-automata"][0]  # the explorers came up live
    assert CHAPTERS["sandpiles-automata"][3] in json.dumps(nb)
