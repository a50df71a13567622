"""Parallel chapter execution for the book build (emergence.execution, emergence.sphinxext).

The mini-book tests build a real Sphinx project with myst-nb and the book's
extension: the outputs executed side by side must be the ones myst-nb finds in
its cache (it must not execute anything itself), and a failing chapter must
name its file, cell, line and error.
"""

import json
import os
import subprocess
import sys
import textwrap

import nbformat
import pytest

from emergence import execution

HEADER = """---
jupytext:
  text_representation:
    extension: .md
    format_name: myst
kernelspec:
  display_name: Python 3
  language: python
  name: python3
---
"""


def notebook(*sources):
    return nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(s) for s in sources],
                                    metadata={"kernelspec": {"name": "python3", "display_name": "Python 3",
                                                             "language": "python"}})


def test_kernel_runs_every_thread_pool_with_one_thread(tmp_path, monkeypatch):
    # What the build does (sphinxext.setup): the kernel inherits the build's environment.
    for name, value in execution.build_environment().items():
        monkeypatch.setenv(name, value)
    nb = notebook("import numpy, scipy.linalg\nfrom threadpoolctl import threadpool_info\n"
                  "print(sorted({p['num_threads'] for p in threadpool_info()}), len(threadpool_info()) > 0)")
    done = execution.execute_notebook(nb, cwd=tmp_path, timeout=120, name="threads")
    assert done.ok, done.error
    assert done.notebook.cells[0].outputs[0]["text"].strip() == "[1] True"


def test_failure_names_the_cell_and_keeps_the_traceback(tmp_path):
    nb = notebook("x = 1", "y = 2\nx / 0", "print('never')")
    nb.metadata["source_map"] = [12, 17, 22]
    done = execution.execute_notebook(nb, cwd=tmp_path, timeout=60, name="broken")
    assert not done.ok and done.cell == 1 and done.error.startswith("ZeroDivisionError")
    report = execution.describe_failure(done, "chapters/broken.md")
    assert "chapters/broken.md" in report
    assert "code cell 2 of 3, line 18" in report
    assert "x / 0" in report and "ZeroDivisionError" in report
    assert "never" not in report


def test_dead_kernel_is_reported_with_its_cell(tmp_path):
    nb = notebook("x = 1", "import os\nos._exit(1)", "print('never')")
    done = execution.execute_notebook(nb, cwd=tmp_path, timeout=60, name="dies")
    assert not done.ok and done.cell == 1 and "DeadKernelError" in done.error
    assert "code cell 2 of 3" in execution.describe_failure(done)


def test_timeout_is_reported_with_its_cell(tmp_path):
    nb = notebook("x = 1", "import time\ntime.sleep(60)", "print('never')")
    done = execution.execute_notebook(nb, cwd=tmp_path, timeout=2, name="slow")
    assert not done.ok and done.cell == 1 and "Timeout" in done.error
    report = execution.describe_failure(done)
    assert "code cell 2 of 3" in report and "time.sleep(60)" in report


def test_parallel_pool_executes_every_notebook(tmp_path):
    jobs = [(f"nb{i}", notebook(f"import os\nprint({i} * 7, os.getpid())"), tmp_path, 60, False) for i in range(3)]
    results = {r.name: r for r in execution.execute_in_parallel(jobs, workers=2)}
    assert sorted(results) == ["nb0", "nb1", "nb2"]
    for i in range(3):
        assert results[f"nb{i}"].ok
        assert results[f"nb{i}"].notebook.cells[0].outputs[0]["text"].split()[0] == str(i * 7)
    # Each notebook ran in a kernel of its own.
    assert len({results[k].notebook.cells[0].outputs[0]["text"].split()[1] for k in results}) == 3


@pytest.mark.parametrize("workers, error", [(0, ValueError), (-1, ValueError), (1.5, TypeError), (True, TypeError)])
def test_pool_rejects_bad_worker_counts(workers, error):
    with pytest.raises(error, match="workers"):
        list(execution.execute_in_parallel([("a", notebook("1"), ".", 10, False)], workers=workers))


def mini_book(root, chapters):
    (root / "conf.py").write_text(textwrap.dedent("""
        extensions = ["myst_nb", "emergence.sphinxext"]
        nb_execution_mode = "cache"
        nb_execution_raise_on_error = True
        nb_execution_timeout = 60
        exclude_patterns = ["_build"]
        """))
    (root / "index.md").write_text("# Mini book\n\n```{toctree}\n" + "\n".join(chapters) + "\n```\n")
    for name, cells in chapters.items():
        body = "".join(f"\n```{{code-cell}} ipython3\n{c}\n```\n" for c in cells)
        (root / f"{name}.md").write_text(HEADER + f"\n# {name}\n" + body)


def sphinx(root, jobs=2):
    env = {**os.environ, "EMERGENCE_BUILD_JOBS": str(jobs)}
    return subprocess.run([sys.executable, "-m", "sphinx", "-b", "html", "-W", "--keep-going", str(root),
                           str(root / "_build" / "html")], capture_output=True, text=True, env=env, timeout=300)


def test_mini_book_executes_stale_chapters_side_by_side_and_myst_nb_uses_them(tmp_path):
    mini_book(tmp_path, {"good": ["import os", "print('threads', os.environ['OMP_NUM_THREADS'], "
                                               "'mode', os.environ['EMERGENCE_EXPLORER'])"],
                         "bad": ["values = [1, 2]", "total = sum(values)\nvalues[5]"]})
    # 1. A failing chapter stops the build and names its file, cell, line, source and error.
    first = sphinx(tmp_path)
    out = first.stdout + first.stderr
    assert first.returncode != 0
    assert "[emergence] executing 2 notebook(s), 2 at a time, one thread each" in out
    assert "1 chapter(s) failed to execute" in out and "bad.md: IndexError: list index out of range" in out
    assert "failing cell: code cell 2 of 2, line 19" in out  # the cell's first line in bad.md
    assert "values[5]" in out and "IndexError" in out
    report = json.loads((tmp_path / "_build" / "execution-report.json").read_text())
    assert report["workers"] == 2 and report["chapters"]["bad.md"]["ok"] is False
    # 2. Fixed: only that chapter runs again (the good one was cached), and myst-nb finds both in the
    #    cache and executes nothing itself.
    bad = tmp_path / "bad.md"
    bad.write_text(bad.read_text().replace("values[5]", "print('total', total)"))
    second = sphinx(tmp_path)
    assert second.returncode == 0, second.stdout + second.stderr
    assert "[emergence] executing 1 notebook(s), 1 at a time" in second.stdout
    assert second.stdout.count("Using cached notebook") == 2 and "Executing notebook" not in second.stdout
    html = (tmp_path / "_build" / "html" / "good.html").read_text()
    assert "threads 1 mode static" in html  # the kernels got one thread and static explorers
    assert "total 3" in (tmp_path / "_build" / "html" / "bad.html").read_text()
    # 3. Nothing changed: nothing runs.
    third = sphinx(tmp_path)
    assert third.returncode == 0 and "[emergence] executing" not in third.stdout
