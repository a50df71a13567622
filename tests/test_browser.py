"""Every built page in headless Chromium: no console error, no request leaving the
machine, math rendered, and every static explorer responds to its controls.

Each chapter page is opened once and checked for all of these together: a
page load costs seconds, and the book will have 21 chapters."""

import shutil
from pathlib import Path
from urllib.parse import urlparse

import pytest
from conftest import CHROMIUM, HTML, ROOT

pytestmark = pytest.mark.browser

if not Path(CHROMIUM).exists() and not shutil.which("chromium"):
    print("\n" + "!" * 78 + "\n!! Chromium not found: SKIPPING the browser tests of the built pages.\n"
          "!! Install it with:  sudo apt-get install -y chromium   (then run make test again)\n" + "!" * 78)
    pytest.skip("Debian chromium is not installed (apt-get install -y chromium)", allow_module_level=True)

playwright = pytest.importorskip("playwright.sync_api")


def open_page(browser, url):
    page = browser.new_page()
    problems, external = [], []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))

    def route(r):
        host = urlparse(r.request.url).hostname
        if r.request.url.startswith(("data:", "blob:")) or host == "127.0.0.1":
            r.continue_()
        else:
            external.append(r.request.url)
            r.abort()

    page.route("**/*", route)
    page.goto(url, wait_until="load")
    page.wait_for_timeout(300)
    return page, problems, external


CHAPTERS = sorted(p.stem for p in (ROOT / "chapters").glob("*.md"))
# The other pages (front page, API reference, indices, search); chapter pages are checked below.
PAGES = sorted(str(p.relative_to(HTML)) for p in HTML.rglob("*.html") if "_static" not in p.parts
               and "_sources" not in p.parts and p.parent.name != "chapters") if HTML.exists() else []


@pytest.mark.parametrize("name", PAGES)
def test_page_loads_cleanly_and_offline(server, browser, name):
    page, problems, external = open_page(browser, f"{server}/{name}")
    assert not external, f"requests leaving the machine: {external}"
    assert not problems, f"console errors: {problems}"
    page.close()


def test_every_chapter_page_was_built():
    built = sorted(p.stem for p in (HTML / "chapters").glob("*.html"))
    assert built == CHAPTERS


DOC_DATA = """(i) => {
  const doc = Bokeh.documents[i];
  const sources = [...doc.all_models].filter(m => m.constructor.__name__ === 'ColumnDataSource' || m.type === 'ColumnDataSource');
  return sources.map(s => { const cols = {}; for (const [k, v] of (s.data instanceof Map ? s.data.entries() : Object.entries(s.data))) {
      const arr = Array.from(v.length !== undefined && typeof v[0] === 'object' ? v[0] : v); cols[k] = arr.slice(0, 400).join(','); }
    return JSON.stringify(cols); });
}"""


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_chapter_page_is_offline_and_clean_with_math_and_responsive_explorers(server, browser, chapter):
    page, problems, external = open_page(browser, f"{server}/chapters/{chapter}.html")
    page.wait_for_function("document.querySelectorAll('mjx-container').length > 10", timeout=20_000)
    page.wait_for_function("window.Bokeh && Bokeh.documents.length >= 2", timeout=20_000)
    n_docs = page.evaluate("Bokeh.documents.length")
    assert n_docs == page.locator(".emergence-explorer").count()
    for i in range(n_docs):
        explorer = page.locator(".emergence-explorer").nth(i)
        sliders = explorer.locator(".noUi-handle")
        buttons = explorer.locator(".bk-btn-group .bk-btn:not(.bk-active)")  # a choice not yet selected
        assert sliders.count() or buttons.count(), f"explorer {i} has no control"
        if sliders.count():
            before = page.evaluate(DOC_DATA, i)
            handle = sliders.first
            handle.scroll_into_view_if_needed()
            handle.focus()
            page.keyboard.press("ArrowRight")
            page.keyboard.press("ArrowRight")
            # Bokeh 3.9 runs CustomJS asynchronously: wait for the data to change.
            page.wait_for_function(f"(before) => JSON.stringify(({DOC_DATA})({i})) !== JSON.stringify(before)",
                                   arg=before, timeout=10_000)
        if buttons.count():
            before = page.evaluate(DOC_DATA, i)
            buttons.first.click()
            page.wait_for_function(f"(before) => JSON.stringify(({DOC_DATA})({i})) !== JSON.stringify(before)",
                                   arg=before, timeout=10_000)
    page.screenshot(path=str(ROOT / "_build" / f"{chapter}-page.png"), full_page=False)
    assert not external, f"requests leaving the machine: {external}"
    assert not problems, f"console errors: {problems}"
    page.close()


PARTS = ["Part I:", "Part II:", "Part III:", "Part IV:", "Part V:"]
PLANNED_CHAPTERS = 21


def test_front_page_lists_every_planned_chapter_on_its_own_line(server, browser):
    page, problems, _ = open_page(browser, f"{server}/intro.html")
    page.set_viewport_size({"width": 1280, "height": 900})
    contents = page.locator("section#contents")
    headings = contents.locator("h3").all_inner_texts()
    assert [h.split(":")[0] + ":" for h in headings] == PARTS, headings
    items = contents.locator("ol > li")
    assert items.count() == PLANNED_CHAPTERS
    # Rendered one below the other, numbered 1..21 in order (a list item that ran into a paragraph
    # would be missing here, and two items sharing a line would share a top coordinate).
    tops = [items.nth(i).bounding_box()["y"] for i in range(PLANNED_CHAPTERS)]
    assert all(b > a for a, b in zip(tops, tops[1:])), tops
    numbers = page.evaluate("""() => [...document.querySelectorAll('section#contents ol')].flatMap(ol =>
        [...ol.children].map((li, k) => (ol.start || 1) + k))""")
    assert numbers == list(range(1, PLANNED_CHAPTERS + 1))
    # Exactly the chapters in the table of contents are linked, each to its page.
    toc = [line.split("chapters/")[1].strip() for line in (ROOT / "_toc.yml").read_text().splitlines()
           if line.strip().startswith("- file: chapters/")]
    links = contents.locator("ol > li a").evaluate_all("as => as.map(a => a.getAttribute('href'))")
    assert sorted(h.split("/")[-1].removesuffix(".html") for h in links) == sorted(toc)
    for i in range(PLANNED_CHAPTERS):
        item = items.nth(i)
        assert item.locator("a").count() == 1 or "in preparation" in item.inner_text()
    page.screenshot(path=str(ROOT / "_build" / "front-page.png"), full_page=True)
    assert not problems, problems
    page.close()
