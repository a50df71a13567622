"""Each chapter's live explorer in a real JupyterLab, driven by headless Chromium:
open the MyST file as a notebook, run it down to its first explorer, move a
slider, and check that the kernel recomputes the figure.

Only the cells up to the first explorer run: that tests the live machinery
(widgets, kernel messages, redraws) in each chapter's own set-up at a fraction
of a full execution, which the book build already does for every chapter. The
explorers' ``compute`` functions run at every grid point in the build, and the
live redraw of every panel kind is tested in test_explore.py."""

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlparse

import pytest
from conftest import CHROMIUM, ROOT

pytestmark = pytest.mark.browser

if not Path(CHROMIUM).exists():
    pytest.skip("Debian chromium is not installed (apt-get install -y chromium)", allow_module_level=True)
playwright = pytest.importorskip("playwright.sync_api")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    work = tmp_path_factory.mktemp("lab")
    env = {k: v for k, v in os.environ.items() if k != "EMERGENCE_EXPLORER"}
    env["JUPYTER_CONFIG_DIR"] = str(work / "config")
    # The same set-up as Binder and `make lab`: postBuild makes .md files open as notebooks.
    env["LAB_SETTINGS_DIR"] = str(work / "settings")
    env["PATH"] = f"{Path(sys.executable).parent}:{env['PATH']}"
    subprocess.run(["bash", str(ROOT / "postBuild")], check=True, env=env, capture_output=True)
    # Serve a copy: JupyterLab autosaves open notebooks, and jupytext would rewrite the chapters' headers.
    shutil.copytree(ROOT / "chapters", work / "chapters")
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "jupyterlab", "--no-browser", f"--port={port}", "--ip=127.0.0.1",
         f"--ServerApp.root_dir={work}", f"--LabApp.app_settings_dir={work / 'settings'}",
         "--IdentityProvider.token=", "--ServerApp.password=",
         "--LabApp.expose_app_in_browser=True", "--allow-root", "--LabApp.news_url=", "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    for _ in range(120):
        try:
            urllib.request.urlopen(f"{url}/api/status", timeout=1)
            break
        except OSError:
            time.sleep(0.5)
    else:
        proc.kill()
        pytest.fail("JupyterLab did not start")
    yield url
    proc.terminate()
    proc.wait(timeout=20)


CHAPTERS = sorted(p.stem for p in (ROOT / "chapters").glob("*.md"))

FIRST_EXPLORER = """() => {
  const cells = window.jupyterapp.shell.currentWidget.content.widgets;
  return cells.findIndex(c => c.model.type === 'code' && c.model.sharedModel.getSource().includes('Explorer('));
}"""


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_live_explorer_recomputes_in_jupyterlab(lab, browser, chapter):
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.route("**/*", lambda r: r.continue_() if urlparse(r.request.url).hostname in ("127.0.0.1", None)
               or r.request.url.startswith(("data:", "blob:")) else r.abort())
    # The MyST file itself, opened as a notebook; ?reset drops tabs restored from an earlier test, so that
    # the commands below act on this notebook.
    page.goto(f"{lab}/lab/tree/chapters/{chapter}.md?reset")
    page.wait_for_function("window.jupyterapp && document.querySelector('.jp-Notebook')", timeout=60_000)
    page.wait_for_function("[...document.querySelectorAll('.jp-StatusBar-TextItem')]"
                           ".some(e => e.textContent.includes('Idle'))", timeout=120_000)
    first = page.evaluate(FIRST_EXPLORER)
    assert first >= 0, f"{chapter}.md has no explorer cell"
    # Run everything above the first explorer, then the explorer's own cell; each command's promise
    # resolves when its cells have run (bounded here).
    page.evaluate(f"""async () => {{
      const app = window.jupyterapp, bounded = p => Promise.race([p, new Promise(d => setTimeout(d, 240000))]);
      app.shell.currentWidget.content.activeCellIndex = {first};
      await bounded(app.commands.execute('notebook:run-all-above'));
      await bounded(app.commands.execute('notebook:run-cell'));
    }}""")
    try:
        page.wait_for_function("document.querySelectorAll('.widget-vbox img').length >= 1", timeout=240_000)
    except playwright.TimeoutError:
        page.screenshot(path=str(ROOT / "_build" / f"jupyterlab-live-{chapter}-timeout.png"))
        raise
    image = page.locator(".widget-vbox img").first
    image.scroll_into_view_if_needed()
    before = image.get_attribute("src")
    handle = page.locator(".widget-vbox").first.locator(".noUi-handle").first
    handle.focus()
    page.keyboard.press("ArrowRight")
    page.wait_for_function("(b) => document.querySelector('.widget-vbox img').getAttribute('src') !== b",
                           arg=before, timeout=30_000)
    page.screenshot(path=str(ROOT / "_build" / f"jupyterlab-live-{chapter}.png"))
    errors = page.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']")
    tracebacks = [t for t in errors.all_inner_texts() if "Traceback" in t or "Error" in t]
    assert not tracebacks, tracebacks
    page.close()
