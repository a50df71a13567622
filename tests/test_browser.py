"""Every built page in headless Chromium: no console error, no request leaving the
machine, math rendered, and every static explorer responds to its controls."""

import functools
import http.server
import shutil
import threading
from pathlib import Path
from urllib.parse import urlparse

import pytest

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[1]
HTML = ROOT / "_build" / "html"
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]

if not Path(CHROMIUM).exists() and not shutil.which("chromium"):
    print("\n" + "!" * 78 + "\n!! Chromium not found: SKIPPING the browser tests of the built pages.\n"
          "!! Install it with:  sudo apt-get install -y chromium   (then run make test again)\n" + "!" * 78)
    pytest.skip("Debian chromium is not installed (apt-get install -y chromium)", allow_module_level=True)

playwright = pytest.importorskip("playwright.sync_api")


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def server():
    if not (HTML / "index.html").exists():
        pytest.fail("_build/html is missing: run `make book` first (make test does)")
    handler = functools.partial(QuietHandler, directory=str(HTML))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


@pytest.fixture(scope="module")
def browser():
    with playwright.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


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


PAGES = sorted(str(p.relative_to(HTML)) for p in HTML.rglob("*.html") if "_static" not in p.parts
               and "_sources" not in p.parts) if HTML.exists() else []


@pytest.mark.parametrize("name", PAGES)
def test_page_loads_cleanly_and_offline(server, browser, name):
    page, problems, external = open_page(browser, f"{server}/{name}")
    assert not external, f"requests leaving the machine: {external}"
    assert not problems, f"console errors: {problems}"
    page.close()


CHAPTERS = sorted(p.stem for p in (ROOT / "chapters").glob("*.md"))


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_math_is_rendered(server, browser, chapter):
    page, _, _ = open_page(browser, f"{server}/chapters/{chapter}.html")
    page.wait_for_function("document.querySelectorAll('mjx-container').length > 10", timeout=20_000)
    page.close()



DOC_DATA = """(i) => {
  const doc = Bokeh.documents[i];
  const sources = [...doc.all_models].filter(m => m.constructor.__name__ === 'ColumnDataSource' || m.type === 'ColumnDataSource');
  return sources.map(s => { const cols = {}; for (const [k, v] of (s.data instanceof Map ? s.data.entries() : Object.entries(s.data))) {
      const arr = Array.from(v.length !== undefined && typeof v[0] === 'object' ? v[0] : v); cols[k] = arr.slice(0, 400).join(','); }
    return JSON.stringify(cols); });
}"""


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_every_static_explorer_responds(server, browser, chapter):
    page, problems, _ = open_page(browser, f"{server}/chapters/{chapter}.html")
    page.wait_for_function("window.Bokeh && Bokeh.documents.length >= 2", timeout=20_000)
    n_docs = page.evaluate("Bokeh.documents.length")
    assert n_docs == page.locator(".emergence-explorer").count()
    for i in range(n_docs):
        before = page.evaluate(DOC_DATA, i)
        explorer = page.locator(".emergence-explorer").nth(i)
        handle = explorer.locator(".noUi-handle").first
        handle.scroll_into_view_if_needed()
        handle.focus()
        page.keyboard.press("ArrowRight")
        page.keyboard.press("ArrowRight")
        # Bokeh 3.9 runs CustomJS asynchronously: wait for the data to change.
        page.wait_for_function(f"(before) => JSON.stringify(({DOC_DATA})({i})) !== JSON.stringify(before)",
                               arg=before, timeout=10_000)
        buttons = explorer.locator(".bk-btn-group .bk-btn:not(.bk-active)")  # a choice not yet selected
        if buttons.count():
            before = page.evaluate(DOC_DATA, i)
            buttons.first.click()
            page.wait_for_function(f"(before) => JSON.stringify(({DOC_DATA})({i})) !== JSON.stringify(before)",
                                   arg=before, timeout=10_000)
    page.screenshot(path=str(ROOT / "_build" / f"{chapter}-page.png"), full_page=False)
    assert not problems, f"console errors: {problems}"
    page.close()
