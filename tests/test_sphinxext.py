"""The book's Sphinx extension: outputs are never stale when the library changes."""

from pathlib import Path
from types import SimpleNamespace

from emergence import sphinxext


def fake_app(tmp_path):
    """The attributes of a Sphinx application that the config-inited handler reads."""
    out = tmp_path / "_build" / "html"
    doctrees = tmp_path / "_build" / ".doctrees"
    doctrees.mkdir(parents=True)
    return SimpleNamespace(outdir=str(out), confdir=str(tmp_path), doctreedir=str(doctrees))


def config():
    return SimpleNamespace(nb_execution_cache_path="", mathjax_path="")


def test_changed_library_clears_execution_cache_and_environment(tmp_path, monkeypatch):
    app = fake_app(tmp_path)
    cache = tmp_path / "_build" / ".jupyter_cache"
    pickle = Path(app.doctreedir) / "environment.pickle"

    def populate():
        cache.mkdir(parents=True, exist_ok=True)
        (cache / "record").write_text("old outputs")
        pickle.write_text("old environment")

    populate()
    sphinxext._on_config_inited(app, config())  # first build with this library: start clean
    assert not cache.exists() and not pickle.exists()

    populate()
    sphinxext._on_config_inited(app, config())  # same library: keep the cache
    assert (cache / "record").exists() and pickle.exists()

    monkeypatch.setattr(sphinxext, "library_fingerprint", lambda: "a different library")
    sphinxext._on_config_inited(app, config())  # library changed: re-execute everything
    assert not cache.exists() and not pickle.exists()


def test_mathjax_is_served_locally(tmp_path):
    cfg = config()
    sphinxext._on_config_inited(fake_app(tmp_path), cfg)
    assert cfg.mathjax_path.startswith("vendor/mathjax/") and "://" not in cfg.mathjax_path
    assert (sphinxext._mathjax_dir() / "tex-chtml.js").exists()


def test_fingerprint_changes_with_any_kernel_edit(tmp_path):
    import shutil

    copy = tmp_path / "emergence"
    shutil.copytree(Path(sphinxext.__file__).parent, copy, ignore=shutil.ignore_patterns("__pycache__"))
    before = sphinxext.library_fingerprint(copy)
    assert before == sphinxext.library_fingerprint()
    kernel = copy / "ising.py"
    kernel.write_text(kernel.read_text().replace("accept[5 * a + b] = 1.0", "accept[5 * a + b] = 0.5"))
    assert sphinxext.library_fingerprint(copy) != before


def test_fingerprint_ignores_the_build_tools_that_no_chapter_runs(tmp_path):
    import shutil

    copy = tmp_path / "emergence"
    shutil.copytree(Path(sphinxext.__file__).parent, copy, ignore=shutil.ignore_patterns("__pycache__"))
    before = sphinxext.library_fingerprint(copy)
    for name in sphinxext.BUILD_TOOLS:
        (copy / name).write_text((copy / name).read_text() + "\n# an edit\n")
    assert sphinxext.library_fingerprint(copy) == before
    chapters_import = {"ising.py", "explore.py", "plotting.py", "stats.py"}
    assert not chapters_import & sphinxext.BUILD_TOOLS


def test_each_edition_drops_its_own_stale_environment(tmp_path, monkeypatch):
    """Both editions share the execution cache but each has its own environment to invalidate."""
    reader = fake_app(tmp_path)
    student = SimpleNamespace(outdir=str(tmp_path / "_build/student/_build/html"), confdir=str(tmp_path),
                              doctreedir=str(tmp_path / "_build/student/_build/.doctrees"))
    Path(student.doctreedir).mkdir(parents=True)
    cache = str(tmp_path / "_build" / ".jupyter_cache")
    shared = lambda: SimpleNamespace(nb_execution_cache_path=cache, mathjax_path="")  # noqa: E731
    for app in (reader, student):
        sphinxext._on_config_inited(app, shared())
    monkeypatch.setattr(sphinxext, "library_fingerprint", lambda: "a different library")
    sphinxext._on_config_inited(reader, shared())  # the reader build after a library edit ...
    pickle = Path(student.doctreedir) / "environment.pickle"
    pickle.write_text("old environment")
    sphinxext._on_config_inited(student, shared())  # ... must not leave the student's environment stale
    assert not pickle.exists()
