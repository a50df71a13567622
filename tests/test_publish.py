"""Publishing: one repository URL in _config.yml turns on Binder buttons and the notebooks' install source."""

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
CHAPTER = textwrap.dedent("""\
    ---
    jupytext:
      text_representation: {extension: .md, format_name: myst}
    kernelspec: {display_name: Python 3, language: python, name: python3}
    course:
      hours: 1
      prerequisites: []
      exercises: {mini-ex: 1}
    ---

    # A mini Ising chapter

    ## The model

    ```{code-cell} ipython3
    print(1 + 1)
    ```

    ## Exercises

    ```{exercise} Add
    :label: mini-ex

    Add one and one.
    ```

    ```{solution-start} mini-ex
    :class: dropdown
    ```

    ```{code-cell} ipython3
    print("the answer is", 1 + 1)
    ```

    ```{solution-end}
    ```
    """)


def mini_book(root, url):
    """A one-chapter book with the real course plan, built by the jupyter-book CLI."""
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    config["repository"]["url"] = url
    config["execute"]["execute_notebooks"] = "off"
    config.pop("bibtex_bibfiles")
    (root / "_config.yml").write_text(yaml.safe_dump(config))
    (root / "_toc.yml").write_text("format: jb-book\nroot: intro\nchapters:\n  - file: chapters/ising\n")
    (root / "course.yml").write_text((ROOT / "course.yml").read_text())
    (root / "intro.md").write_text("# Mini\n\n## Contents\n\n<!-- generated: contents -->\n")
    (root / "chapters").mkdir()
    (root / "chapters" / "ising.md").write_text(CHAPTER)
    done = subprocess.run([str(Path(sys.executable).parent / "jupyter-book"), "build", str(root), "-W", "-n",
                           "--keep-going"], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    html = root / "_build" / "html"
    notebook = json.loads((html / "_notebooks" / "ising.ipynb").read_text())
    return (html / "chapters" / "ising.html").read_text(), "".join(notebook["cells"][0]["source"])


@pytest.mark.slow
def test_with_a_repository_url_binder_buttons_and_install_cell_use_it(tmp_path):
    page, install = mini_book(tmp_path, "https://github.com/someone/emergence")
    assert "https://mybinder.org/v2/gh/someone/emergence/main?urlpath=lab/tree/chapters/ising.md" in page
    assert 'href="https://github.com/someone/emergence"' in page  # the repository button
    assert "git+https://github.com/someone/emergence@main" in install
    assert page.count("_notebooks/ising.ipynb") == 1 and "_sources/chapters/ising.ipynb" not in page


@pytest.mark.slow
def test_without_a_repository_url_there_are_no_launch_buttons_and_the_install_cell_explains(tmp_path):
    page, install = mini_book(tmp_path, "")
    assert "mybinder" not in page and "github.com" not in page
    assert "pip install -e ." in install and "git+" not in install
    assert page.count("_notebooks/ising.ipynb") == 1


def test_publish_workflow_builds_both_editions_and_publishes_the_html():
    workflow = yaml.safe_load((ROOT / ".github" / "workflows" / "publish.yml").read_text())
    on = workflow.get("on", workflow.get(True))  # YAML 1.1 reads the key `on` as True
    assert on["push"]["branches"] == ["main"]
    steps = [step.get("run", "") for job in workflow["jobs"].values() for step in job["steps"]]
    assert any("make book" in s for s in steps) and any("make student" in s for s in steps)
    uploads = [step for job in workflow["jobs"].values() for step in job["steps"]
               if "upload-pages-artifact" in step.get("uses", "")]
    assert uploads and uploads[0]["with"]["path"] == "_build/html"
