import os
import sys
import time
from pathlib import Path

os.environ.setdefault("MPLBACKEND", "Agg")

_SESSION_START = time.perf_counter()
_DURATIONS = {}


# `make test` sets EMERGENCE_TEST_TIMES (its phase-times file) and EMERGENCE_TEST_PHASE: each test's
# duration is recorded for the per-chapter projection, and the last phase prints the timing table of
# all phases, before pytest's closing line.
def pytest_runtest_logreport(report):
    if os.environ.get("EMERGENCE_TEST_TIMES"):
        # Set-up and tear-down are mostly shared fixtures (a browser, a JupyterLab): a fixed cost.
        key = report.nodeid if report.when == "call" else "(fixtures)"
        _DURATIONS[key] = _DURATIONS.get(key, 0.0) + report.duration


def pytest_terminal_summary(terminalreporter):
    times = os.environ.get("EMERGENCE_TEST_TIMES")
    if not times or hasattr(terminalreporter.config, "workerinput"):
        return
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
    from timings import save_test_durations, summary

    phase = os.environ.get("EMERGENCE_TEST_PHASE", "tests")
    save_test_durations(times, phase, _DURATIONS, time.perf_counter() - _SESSION_START)
    if phase == "page tests":
        terminalreporter.write_sep("=", "timings")
        terminalreporter.write_line(summary(times))


# ---------------------------------------------------------------------------
# Shared by the page tests: one static server and one Chromium per test process.
# ---------------------------------------------------------------------------
import functools  # noqa: E402
import http.server  # noqa: E402
import threading  # noqa: E402

import pytest  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
HTML = ROOT / "_build" / "html"
CHROMIUM = "/usr/bin/chromium"
# Without the background-networking flags Chromium keeps trying to reach Google's hosts.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


class _Server(http.server.ThreadingHTTPServer):
    def handle_error(self, request, client_address):
        # A page closed while its scripts were still downloading: nothing went wrong on our side.
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


@pytest.fixture(scope="session")
def server():
    """The built book, served on a free loopback port."""
    if not (HTML / "index.html").exists():
        pytest.fail("_build/html is missing: run `make book` first (make test does)")
    handler = functools.partial(_QuietHandler, directory=str(HTML))
    httpd = _Server(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


@pytest.fixture(scope="session")
def browser():
    """Debian's headless Chromium, driven by Playwright."""
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()
