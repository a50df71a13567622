"""Chapter execution alone and beside a CPU hog (one busy process per usable CPU).

Two measurements:

* ``chapter_table()`` (part of `make bench`): each chapter executed the way the
  book build executes it (myst-nb's reader, a Jupyter kernel with one thread per
  pool, static explorers), once alone and once beside the hog, side by side.
  With one single-threaded chapter and one busy process per core, fair sharing
  slows it by (cores + 1) / cores, i.e. 1.5x on 2 cores; oversubscribed thread
  pools showed 3-7x before the build ran kernels single-threaded.
* ``python benchmarks/under_load.py --build`` (`make book-under-load`): the whole
  book built from scratch alone, then again beside the hog, into temporary
  folders. The build executes chapters side by side, one per CPU, so the hog
  halves each chapter's share: 2x is fair. Exits non-zero if the loaded build
  fails or a chapter slows by more than 2.5x.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LIMIT = 2.5


@contextlib.contextmanager
def cpu_hog(processes):
    """``processes`` busy Python processes, running until the block ends."""
    hogs = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(processes)]
    try:
        time.sleep(0.5)  # let them reach the scheduler before timing starts
        yield
    finally:
        for hog in hogs:
            hog.kill()
        for hog in hogs:
            hog.wait()


def execute_chapter(path):
    """Seconds to execute one chapter as the build does (kernel start-up included)."""
    from emergence.execution import execute_notebook, read_chapter

    done = execute_notebook(read_chapter(path), cwd=Path(path).parent, timeout=900, name=str(path))
    if not done.ok:
        raise RuntimeError(f"{path} failed:\n{done.error}")
    return done.seconds


def chapter_table(paths=None):
    from emergence.execution import build_environment
    from emergence.threads import usable_cpus

    os.environ.update(build_environment())  # inherited by the kernels started below
    cpus = usable_cpus()
    paths = paths or sorted((ROOT / "chapters").glob("*.md"))
    print(f"\nChapter execution as in the build (one kernel, one thread per pool): alone and beside {cpus} busy "
          f"process(es); fair sharing gives {(cpus + 1) / cpus:.2f}x")
    print(f"  {'chapter':<28} {'alone':>8} {'loaded':>8} {'ratio':>7}")
    execute_chapter(paths[0])  # warm the numba cache and the file cache before timing anything
    worst = 0.0
    for path in paths:
        alone = execute_chapter(path)
        with cpu_hog(cpus):
            loaded = execute_chapter(path)
        worst = max(worst, loaded / alone)
        print(f"  {path.stem:<28} {alone:>7.1f}s {loaded:>7.1f}s {loaded / alone:>6.2f}x")
    print(f"  worst slowdown {worst:.2f}x")
    return worst


def build_book(output, hog=0):
    """Build the book from scratch into ``output``; return (seconds, execution report, log)."""
    command = [str(Path(sys.executable).parent / "jupyter-book"), "build", str(ROOT), "--path-output", str(output),
               "--builder", "html", "-W", "-n", "--keep-going"]
    with cpu_hog(hog) if hog else contextlib.nullcontext():
        start = time.perf_counter()
        run = subprocess.run(command, capture_output=True, text=True)
        seconds = time.perf_counter() - start
    log = run.stdout + run.stderr
    if run.returncode != 0:
        raise RuntimeError(f"book build failed ({'beside the hog' if hog else 'alone'}):\n{log[-6000:]}")
    report = json.loads((Path(output) / "_build" / "execution-report.json").read_text())
    return seconds, report, log


def build_under_load():
    from emergence.threads import usable_cpus

    cpus = usable_cpus()
    with tempfile.TemporaryDirectory() as alone_dir, tempfile.TemporaryDirectory() as loaded_dir:
        print(f"Building the book from scratch alone, then beside {cpus} busy process(es) ...", flush=True)
        t_alone, alone, _ = build_book(alone_dir)
        t_loaded, loaded, _ = build_book(loaded_dir, hog=cpus)
    print(f"\nWhole build: {t_alone:.0f} s alone, {t_loaded:.0f} s beside the hog ({t_loaded / t_alone:.2f}x); "
          f"chapters {alone['workers']} at a time, one thread each")
    print(f"  {'chapter':<36} {'alone':>8} {'loaded':>8} {'ratio':>7}")
    worst = 0.0
    for name, row in sorted(alone["chapters"].items()):
        ratio = loaded["chapters"][name]["seconds"] / row["seconds"]
        worst = max(worst, ratio)
        print(f"  {name:<36} {row['seconds']:>7.1f}s {loaded['chapters'][name]['seconds']:>7.1f}s {ratio:>6.2f}x")
    verdict = "OK" if worst <= LIMIT else "TOO SLOW"
    print(f"  worst chapter slowdown {worst:.2f}x (limit {LIMIT}x; fair sharing gives 2x): {verdict}")
    return 0 if worst <= LIMIT else 1


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--build", action="store_true", help="whole book builds, alone and under load")
    parser.add_argument("chapters", nargs="*", help="chapter files (default: all)")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT / "lib"))
    if args.build:
        return build_under_load()
    chapter_table([Path(c) for c in args.chapters] or None)
    return 0


if __name__ == "__main__":
    sys.exit(main())
