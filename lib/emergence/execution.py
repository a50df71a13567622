"""Execute chapter notebooks side by side, one single-threaded kernel each.

The book build (:mod:`emergence.sphinxext`) executes every chapter whose
cached outputs are stale *before* Sphinx reads the chapters, in a pool of
:func:`emergence.threads.usable_cpus` workers, and stores the results in
myst-nb's jupyter-cache. Sphinx then finds every chapter in the cache. Each
worker drives one Jupyter kernel through nbclient, exactly as myst-nb would;
the kernels inherit the build's environment, in which every thread pool has
one thread, so that chapters running side by side never compete for cores.

A failing chapter is reported by :func:`describe_failure`: its file, the code
cell (number and line in the MyST file), the cell's source and the traceback.
"""

from __future__ import annotations

import json
import multiprocessing
import re
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path

ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


@dataclass(frozen=True)
class Execution:
    """The outcome of executing one notebook.

    Attributes
    ----------
    name : str
        What the notebook was submitted as (a path, for reports).
    notebook : nbformat.NotebookNode
        The notebook with its outputs (up to the failing cell on failure).
    seconds : float
        Wall time of the execution, kernel start-up included.
    error : str or None
        None on success; otherwise the error's class and message.
    cell : int or None
        Index (in ``notebook.cells``) of the cell that failed, when known.
    """

    name: str
    notebook: object
    seconds: float
    error: str | None = None
    cell: int | None = None

    @property
    def ok(self):
        """True when every cell ran."""
        return self.error is None


def build_environment():
    """The environment the book build gives every notebook kernel: static explorers, one thread per pool."""
    from .explore import MODE_VARIABLE
    from .threads import thread_environment

    return {MODE_VARIABLE: "static", **thread_environment(1)}


def execute_notebook(notebook, *, cwd, timeout, allow_errors=False, name=""):
    """Execute ``notebook`` in a fresh kernel, as myst-nb's cache mode does.

    Parameters
    ----------
    notebook : nbformat.NotebookNode
        Read by myst-nb's reader; it is executed in place.
    cwd : str or Path
        Working directory of the kernel (the chapter's folder).
    timeout : int
        Seconds a single cell may run.
    allow_errors : bool
        Whether a cell error lets the execution go on.
    name : str
        Carried into the result, for reports.

    Returns
    -------
    Execution
    """
    from jupyter_cache.executors.utils import single_nb_execution

    started = []  # index of each cell as nbclient sends it to the kernel: the last one is the one that failed
    start = time.perf_counter()
    try:
        result = single_nb_execution(notebook, cwd=str(cwd), timeout=timeout, allow_errors=allow_errors,
                                     meta_override=True,
                                     on_cell_execute=lambda cell, cell_index: started.append(cell_index))
        error = result.err
    except Exception as exc:  # the kernel died or would not start: still report the chapter
        error = exc
    seconds = time.perf_counter() - start
    if error is None:
        return Execution(name, notebook, seconds)
    cell = started[-1] if started else None
    if getattr(error, "ename", None):  # a cell raised: its exception, as the kernel reported it
        message = f"{error.ename}: {error.evalue}"
    else:
        message = f"{type(error).__name__}: {ANSI.sub('', str(error)).strip()}"
    return Execution(name, notebook, seconds, message, cell)


def _execute_serialized(name, notebook_json, cwd, timeout, allow_errors):
    # Worker side of execute_in_parallel: notebooks cross the process boundary as JSON.
    import nbformat

    done = execute_notebook(nbformat.reads(notebook_json, as_version=4), cwd=cwd, timeout=timeout,
                            allow_errors=allow_errors, name=name)
    return done.name, nbformat.writes(done.notebook), done.seconds, done.error, done.cell


def execute_in_parallel(jobs, *, workers):
    """Execute notebooks in a pool of ``workers`` processes, yielding results as they finish.

    Parameters
    ----------
    jobs : sequence of (name, notebook, cwd, timeout, allow_errors)
        As for :func:`execute_notebook`. Submitted in this order: put the
        longest first, so that the pool finishes together.
    workers : int
        Number of notebooks executed at once (each one kernel).

    Yields
    ------
    Execution
    """
    import nbformat

    if isinstance(workers, bool) or not isinstance(workers, int):
        raise TypeError(f"workers must be an int, got {type(workers).__name__}")
    if workers < 1:
        raise ValueError(f"workers must be at least 1, got {workers}")
    jobs = list(jobs)
    if not jobs:
        return
    # "spawn": the parent may be a Sphinx process holding open database connections.
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=min(workers, len(jobs)), mp_context=context) as pool:
        futures = [pool.submit(_execute_serialized, name, nbformat.writes(nb), str(cwd), timeout, allow_errors)
                   for name, nb, cwd, timeout, allow_errors in jobs]
        for future in as_completed(futures):
            name, text, seconds, error, cell = future.result()
            yield Execution(name, nbformat.reads(text, as_version=4), seconds, error, cell)


def describe_failure(execution, source_path=None):
    """A report naming the chapter, the failing cell and its line, with the traceback.

    ``source_path`` is the MyST file; the line comes from the ``source_map``
    that myst-nb's reader stores in the notebook's metadata.
    """
    nb = execution.notebook
    lines = [f"{source_path or execution.name}: {execution.error.splitlines()[0] if execution.error else 'failed'}"]
    if execution.cell is not None:
        code_cells = [i for i, c in enumerate(nb.cells) if c.cell_type == "code"]
        number = code_cells.index(execution.cell) + 1 if execution.cell in code_cells else "?"
        source_map = nb.metadata.get("source_map")
        where = f", line {source_map[execution.cell] + 1}" if source_map and execution.cell < len(source_map) else ""
        lines.append(f"  failing cell: code cell {number} of {len(code_cells)}{where}")
        source = nb.cells[execution.cell].source
        lines += ["  --- cell source ---"] + ["  " + line for line in source.splitlines()]
        for output in nb.cells[execution.cell].get("outputs", ()):
            if output.get("output_type") == "error":
                lines.append("  --- traceback ---")
                lines += ["  " + ANSI.sub("", line) for tb in output.get("traceback", ()) for line in tb.splitlines()]
    if execution.error and (execution.cell is None or "Timeout" in execution.error):
        lines += ["  --- error ---"] + ["  " + line for line in execution.error.splitlines()]
    return "\n".join(lines)


def read_chapter(path):
    """Read a MyST chapter into a notebook with myst-nb's reader, as the book build does.

    The build passes the book's Markdown settings too; they do not change the
    code cells, which are all that execution and the cache key depend on.
    """
    from myst_nb.core.read import read_myst_markdown_notebook

    path = Path(path)
    return read_myst_markdown_notebook(path.read_text(encoding="utf-8"), add_source_map=True, path=str(path))


def save_report(path, report):
    """Write an execution report (JSON) for ``make bench`` and ``make test``'s summary."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report, indent=1, sort_keys=True))
