"""The phases of the last `make test`, and what they project to for the whole book.

`make test` appends "phase<TAB>milliseconds" to _build/test-times.tsv as each
phase ends; the book build's Sphinx extension writes
_build/execution-report.json (chapter execution wall time and per-chapter
times); tests/conftest.py writes each test's duration to
_build/test-durations.json and prints the table at the end of the page tests
(the last phase, still running then: its wall time comes from that file).
`make bench` prints the same table for the last run.

Projection to the planned 21 chapters: chapter execution, kernel compilation
and Sphinx grow in proportion to the chapter count. For the two test phases,
only the tests that belong to a chapter grow: a page test whose id names a
chapter, and every library test but those of the shared build and explorer
machinery (FIXED_TEST_FILES); fixture set-up and tear-down (a browser, a
JupyterLab) count as fixed. Each phase's wall time is scaled by how its
summed test time grows.
"""

from __future__ import annotations

import json
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PLANNED_CHAPTERS = 21
#: Library test files of the shared machinery, whose cost does not grow with chapters.
FIXED_TEST_FILES = ("test_execution.py", "test_threads.py", "test_sphinxext.py", "test_explore.py", "test_stats.py")
DURATIONS_NAME = "test-durations.json"


def chapter_slugs(root=ROOT):
    toc = (root / "_toc.yml").read_text(encoding="utf-8")
    return [line.split("chapters/")[1].strip() for line in toc.splitlines()
            if line.strip().startswith("- file: chapters/")]


def save_test_durations(times_file, phase, durations, wall_seconds):
    """Record one test phase's wall time and per-test durations next to the phase-times file."""
    path = Path(times_file).parent / DURATIONS_NAME
    data = json.loads(path.read_text()) if path.exists() else {}
    data[phase] = {"wall": wall_seconds, "tests": durations}
    path.write_text(json.dumps(data, indent=1))


def growth(phase, tests, slugs, planned):
    """Factor by which a test phase's summed time grows from len(slugs) chapters to ``planned``."""
    def grows(nodeid):
        if nodeid == "(fixtures)":
            return False
        if phase == "page tests":
            return any(slug in nodeid for slug in slugs)
        return nodeid.split("::")[0].rsplit("/", 1)[-1] not in FIXED_TEST_FILES

    bound = sum(t for nodeid, t in tests.items() if grows(nodeid))
    total = sum(tests.values())
    return (total - bound + bound * planned / len(slugs)) / total if total else planned / len(slugs)


def read_phases(times_file):
    """{phase: seconds} from a test-times file, in the order the phases ran."""
    phases = {}
    path = Path(times_file)
    if path.exists():
        for line in path.read_text().splitlines():
            name, _, ms = line.partition("\t")
            if ms.strip().isdigit():
                phases[name] = int(ms) / 1000
    return phases


def summary(times_file, *, root=ROOT):
    """The phase table of the last `make test`, with the projection to the planned chapter count."""
    phases = read_phases(times_file)
    folder = Path(times_file).parent
    durations = json.loads((folder / DURATIONS_NAME).read_text()) if (folder / DURATIONS_NAME).exists() else {}
    for name, data in durations.items():
        phases.setdefault(name, data["wall"])  # the running phase has no line in the times file yet
    install = root / ".venv" / ".install-seconds"
    report_file = folder / "execution-report.json"
    report = json.loads(report_file.read_text()) if report_file.exists() else None
    slugs = chapter_slugs(root)
    scale = PLANNED_CHAPTERS / len(slugs)
    rows = []
    if install.exists():
        rows.append(("install (.venv, when it was created)", float(install.read_text()), 1.0))
    for name, seconds in phases.items():
        if name == "book build" and report:
            execution = report["wall_seconds"]
            rows.append((f"chapter execution ({report['workers']} at a time)", execution, scale))
            rows.append(("Sphinx (book build minus execution)", seconds - execution, scale))
        elif name in durations:
            rows.append((name, seconds, growth(name, durations[name]["tests"], slugs, PLANNED_CHAPTERS)))
        else:
            rows.append((name, seconds, scale))
    lines = [f"make test phases: wall time on this machine with {len(slugs)} chapters, "
             f"and projected to {PLANNED_CHAPTERS}",
             f"  {'phase':<40} {'now':>8} {'projected':>10} {'growth':>7}"]
    total = projected = 0.0
    for name, seconds, factor in rows:
        total, projected = total + seconds, projected + seconds * factor
        lines.append(f"  {name:<40} {seconds:>7.0f}s {seconds * factor:>9.0f}s {factor:>6.2f}x")
    lines.append(f"  {'total':<40} {total:>7.0f}s {projected:>9.0f}s   ({total / 60:.1f} min now, "
                 f"{projected / 60:.1f} min projected; {(projected - total) / (PLANNED_CHAPTERS - len(slugs)):.0f} s "
                 "per added chapter)")
    lines.append("  growth: execution, compilation and Sphinx in proportion to the chapters; test phases by the "
                 "tests that belong to a chapter")
    if report and report.get("chapters"):
        worst = sorted(report["chapters"].items(), key=lambda kv: -kv[1]["seconds"])
        lines.append("  chapter execution, seconds each (one thread per kernel): "
                     + ", ".join(f"{Path(k).stem} {v['seconds']:.0f}" for k, v in worst))
    return "\n".join(lines)


if __name__ == "__main__":
    print(summary(ROOT / "_build" / "test-times.tsv"))
