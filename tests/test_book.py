"""Checks of the built book in _build/html (run after `make book`)."""

import re
from pathlib import Path

import pytest

pytestmark = pytest.mark.build

ROOT = Path(__file__).resolve().parents[1]
HTML = ROOT / "_build" / "html"
EXTERNAL = re.compile(r"""(?:src|href)\s*=\s*["'](?:https?:)?//""", re.I)


def pages():
    if not (HTML / "index.html").exists():
        pytest.fail("_build/html is missing: run `make book` first (make test does)")
    return sorted(p for p in HTML.rglob("*.html") if not {"_static", "_sources"} & set(p.relative_to(HTML).parts))


#: Per chapter: minimum static explorers, figures, solutions, and a line printed by an executed solution.
CHAPTERS = {
    "ising": (3, 8, 4, "exact 1/8 = 0.125"),
    "associative-memory": (3, 9, 4, "Gaussian estimate M = 64.9"),
    "sandpiles-automata": (3, 7, 3, "4G/pi = 1.1662"),
    "oscillators-neurons": (4, 7, 4, "identical from g = 0.08"),
    "random-matrices": (4, 10, 3, "variance 0.2512 (exact 0.2508)"),
    "spin-glasses": (3, 8, 4, "same spectrum, same frustrated plaquettes"),
    "sampling": (3, 8, 4, "entropy production 0.948249"),
    "random-walks": (3, 9, 4, "1/(1 + 3/2) = 0.4000000000"),
    "chaos-forecasting": (3, 11, 4, "L = 50: 7 modes grew"),
    "epidemics-tipping": (3, 7, 4, "R_C = R_I at epsilon = 0.6810"),
    "random-networks": (3, 11, 4, "erf edge of chaos at sigma_w = 0.8862"),
    "scaling-laws": (3, 9, 4, "C = 1e23: N_opt closed form 1.4598e+10"),
    "diffusion-models": (3, 11, 4, "PFGM++ prior, d = 2, D = 10: mean of"),
}


def test_every_toc_page_was_built():
    names = ["intro.html", "appendix/library.html", "teaching/syllabus.html", "teaching/exercises.html"]
    names += [f"chapters/{c}.html" for c in CHAPTERS]
    for name in names:
        assert (HTML / name).exists(), name


def test_no_page_loads_anything_from_the_internet():
    for page in pages():
        text = page.read_text(encoding="utf-8")
        assert not EXTERNAL.findall(text), f"{page.relative_to(HTML)} loads an external resource"
        for cdn in ("cdn.bokeh.org", "cdn.jsdelivr", "unpkg.com", "cdnjs.cloudflare.com"):
            assert cdn not in text, f"{page.relative_to(HTML)} names {cdn}"


def test_vendored_scripts_exist():
    for page in pages():
        text = page.read_text(encoding="utf-8")
        for src in re.findall(r'<script[^>]+src="([^"?]+)', text):
            assert (page.parent / src).resolve().exists(), f"{page.name}: missing {src}"


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_chapter_has_static_explorers_and_no_frozen_widgets(chapter):
    text = (HTML / "chapters" / f"{chapter}.html").read_text(encoding="utf-8")
    assert text.count('class="emergence-explorer"') >= CHAPTERS[chapter][0]
    assert "application/vnd.jupyter.widget-view+json" not in text
    assert len(text.encode()) < 3 * 3_000_000


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_chapter_figures_were_rendered(chapter):
    text = (HTML / "chapters" / f"{chapter}.html").read_text(encoding="utf-8")
    # Matplotlib figures are embedded as PNG images.
    assert len(re.findall(r'<img[^>]+src="[^"]+\.png"', text)) >= CHAPTERS[chapter][1]


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_exercise_solutions_were_executed(chapter):
    text = (HTML / "chapters" / f"{chapter}.html").read_text(encoding="utf-8")
    assert text.count('class="solution') >= CHAPTERS[chapter][2]
    assert CHAPTERS[chapter][3] in text  # printed by an executed solution cell


def test_api_reference_generated():
    text = (HTML / "appendix" / "library.html").read_text(encoding="utf-8")
    for name in ("emergence.ising.simulate", "emergence.ising.onsager_energy", "emergence.explore.Explorer",
                 "emergence.hopfield.retrieve", "emergence.hopfield.retrieval_overlap_theory",
                 "emergence.clustering.silhouette_score", "emergence.sandpile.drive", "emergence.automata.coffee"):
        assert name in text


def test_front_page_contents_lists_every_planned_chapter():
    text = (HTML / "intro.html").read_text(encoding="utf-8")
    contents = text[text.index('<section id="contents">'):text.index('<section id="conventions">')]
    parts = re.findall(r"<h3>(Part [IV]+):", contents)
    assert parts == ["Part I", "Part II", "Part III", "Part IV", "Part V"]
    assert len(re.findall(r"<li>", contents)) == 21
    for chapter in CHAPTERS:
        assert f'href="chapters/{chapter}.html"' in contents, chapter
