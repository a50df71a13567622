"""The phases of the last `make test`, and what they project to for the whole book.

`make test` appends "phase<TAB>milliseconds" to _build/test-times.tsv as each
phase ends; the book build's Sphinx extension writes
_build/execution-report.json (chapter execution wall time and per-chapter
times). The page-test phase is still running when the table is printed (from
tests/conftest.py, just before pytest's closing line), so its time is passed in.
`make bench` prints the same table for the last run.
"""

from __future__ import annotations

import json
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PLANNED_CHAPTERS = 21


def chapter_count(root=ROOT):
    """Chapters in the book's table of contents."""
    toc = (root / "_toc.yml").read_text(encoding="utf-8")
    return sum(1 for line in toc.splitlines() if line.strip().startswith("- file: chapters/"))


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


def summary(times_file, *, page_tests_seconds=None, root=ROOT):
    """The phase table of the last `make test`, with the projection to the planned chapter count."""
    phases = read_phases(times_file)
    if page_tests_seconds is not None:
        phases["page tests"] = page_tests_seconds
    install = root / ".venv" / ".install-seconds"
    report_file = Path(times_file).parent / "execution-report.json"
    report = json.loads(report_file.read_text()) if report_file.exists() else None
    rows = []
    if install.exists():
        rows.append(("install (.venv, when it was created)", float(install.read_text()), False))
    for name, seconds in phases.items():
        if name == "book build" and report:
            execution = report["wall_seconds"]
            rows.append((f"chapter execution ({report['workers']} at a time)", execution, True))
            rows.append(("Sphinx (book build minus execution)", seconds - execution, True))
        else:
            rows.append((name, seconds, True))
    n = chapter_count(root)
    scale = PLANNED_CHAPTERS / n
    lines = [f"make test phases, wall time on this machine ({n} chapters), and projected to {PLANNED_CHAPTERS} chapters",
             f"  {'phase':<40} {'now':>8} {'x' + format(scale, '.1f'):>8}"]
    total = projected = 0.0
    for name, seconds, scales in rows:
        later = seconds * scale if scales else seconds
        total, projected = total + seconds, projected + later
        lines.append(f"  {name:<40} {seconds:>7.0f}s {later:>7.0f}s")
    lines.append(f"  {'total':<40} {total:>7.0f}s {projected:>7.0f}s   ({total / 60:.1f} min now, "
                 f"{projected / 60:.1f} min projected)")
    lines.append("  Projection: every phase but the install grows in proportion to the chapter count.")
    if report and report.get("chapters"):
        worst = sorted(report["chapters"].items(), key=lambda kv: -kv[1]["seconds"])
        lines.append("  chapter execution, seconds each (one thread per kernel): "
                     + ", ".join(f"{Path(k).stem} {v['seconds']:.0f}" for k, v in worst))
    return "\n".join(lines)


if __name__ == "__main__":
    print(summary(ROOT / "_build" / "test-times.tsv"))
