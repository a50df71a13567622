"""The explorer mechanism: static frames, the live update path, mode selection."""

import base64
import codecs
import gzip
import json
import re

import numpy as np
import pytest

from emergence import explore, ising
from emergence.explore import Choice, Explorer, Image, Lines, Readout, Slider


def compute(T, L):
    run = ising.simulate(L, T, 20, seed=5)
    return {"spins": run.spins, "t": np.arange(20), "m": run.magnetization, "text": f"T={T} L={L}"}


def make():
    return Explorer([Slider("T", (1.5, 2.0, 2.5, 3.0), 2.0, "T"), Choice("L", (8, 16), 16)], compute,
                    [Image("spins"), Lines("t", {"m": "m"}), Readout("text")], title="test")


def test_grid_and_frames_equal_compute_exactly():
    ex = make()
    frames = ex.static_frames()
    assert len(frames) == ex.n_frames == 8
    for params, data in frames:
        again = compute(**params)
        for key in data:
            np.testing.assert_array_equal(np.asarray(data[key]), np.asarray(again[key]))


def _decoded_sources(html):
    """Decode every base64 ndarray buffer embedded in the Bokeh document."""
    literal = re.search(r"const docs_json = '(.*?)';\n", html, re.S).group(1)
    docs = json.loads(codecs.decode(literal, "unicode_escape"))
    arrays = []

    def walk(node):
        if isinstance(node, dict):
            if node.get("type") == "ndarray" and isinstance(node.get("array"), dict):
                raw = base64.b64decode(node["array"]["data"])
                if raw[:2] == b"\x1f\x8b":  # Bokeh gzips larger buffers
                    raw = gzip.decompress(raw)
                arrays.append(np.frombuffer(raw, dtype=node["dtype"]).reshape(node["shape"]))
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    walk(docs)
    return arrays


def test_static_html_embeds_every_frame_exactly():
    ex = make()
    html = ex.static_html()
    assert 'class="emergence-explorer"' in html
    embedded = _decoded_sources(html)
    for params, data in ex.static_frames():
        flipped = np.ascontiguousarray(data["spins"][::-1])
        assert any(a.shape == flipped.shape and np.array_equal(a, flipped) for a in embedded), params
        assert any(a.shape == data["m"].shape and np.array_equal(a, data["m"]) for a in embedded), params
    assert "cdn.bokeh.org" not in html


def test_live_update_recomputes_and_redraws():
    live = make().live()
    before_png, before = live.png, live.data["m"].copy()
    live.controls["T"].value = 3.0  # the same path as a student moving the slider
    assert live.values == {"T": 3.0, "L": 16}
    np.testing.assert_array_equal(live.data["m"], compute(3.0, 16)["m"])
    assert not np.array_equal(live.data["m"], before)
    assert live.png != before_png
    line = live.artists[1][0]
    np.testing.assert_array_equal(line.get_ydata(), compute(3.0, 16)["m"])
    live.update(L=8)
    assert live.artists[0].get_array().shape == (8, 8)
    assert live.readouts[0].value == "T=3.0 L=8"


def test_mode_follows_environment(monkeypatch):

    shown = []
    monkeypatch.setattr("IPython.display.display", lambda obj, **kw: shown.append(obj))
    monkeypatch.setenv(explore.MODE_VARIABLE, "static")
    make()._ipython_display_()
    assert 'class="emergence-explorer"' in shown[-1].data
    monkeypatch.setenv(explore.MODE_VARIABLE, "live")
    make()._ipython_display_()
    assert type(shown[-1]).__name__ == "VBox"


def test_declaration_errors():
    with pytest.raises(ValueError, match="evenly spaced"):
        Slider("x", (1, 2, 4), 1)
    with pytest.raises(ValueError, match="default"):
        Slider("x", (1, 2, 3), 5)
    with pytest.raises(ValueError, match="frames"):
        Explorer([Slider("a", tuple(range(20)), 0), Slider("b", tuple(range(20)), 0)], compute, [])


def test_static_size_budget(monkeypatch):
    monkeypatch.setattr(explore, "MAX_STATIC_BYTES", 10_000)
    with pytest.raises(ValueError, match="budget"):
        make().static_html()


def test_image_kinds_share_colours_between_views():
    from emergence.plotting import SPIN_COLORS, category_colors

    assert Image("a").colors() == (list(SPIN_COLORS), -1.0, 1.0)
    colors, low, high = Image("a", kind="categories", vmin=0, vmax=4).colors()
    # Five labels 0..4, each in the middle of its own colour band.
    assert colors == list(category_colors(5)) and (low, high) == (-0.5, 4.5)
    assert Image("a", kind="values", vmin=0, vmax=2).colors() == (None, 0, 2)
    with pytest.raises(ValueError, match="kind"):
        Image("a", kind="rainbow")
    with pytest.raises(ValueError, match="n"):
        category_colors(99)


# --------------------------------------------------------------------------
# controls that do nothing
# --------------------------------------------------------------------------
def toy(params, compute):
    return Explorer(params, compute, [Lines("x", {"y": "y"}), Readout("text")], title="toy")


def line(a, kind):
    x = np.linspace(0, 1, 5)
    return {"x": x, "y": x * (a if kind == "slope" else 1.0), "text": kind}


def test_a_control_that_changes_nothing_is_refused_by_the_static_build():
    ex = toy([Slider("a", (1.0, 2.0, 3.0), 1.0), Choice("kind", ("slope", "flat"), "slope")], line)
    problems = ex.check_frames(ex.static_frames())
    # 'a' does nothing while kind == "flat": three states, one message each
    assert len(problems) == 3 and all("control 'a' changes nothing drawn" in p and "'flat'" in p for p in problems)
    with pytest.raises(ValueError, match="would mislead or fail a reader"):
        ex.static_html()


def test_declared_inert_control_is_disabled_with_its_note_in_both_views():
    inert = Slider("a", (1.0, 2.0, 3.0), 1.0, inert_when={"kind": ("flat",)}, inert_note="flat lines have no slope")
    ex = toy([inert, Choice("kind", ("slope", "flat"), "slope")], line)
    assert ex.check_frames(ex.static_frames()) == []
    html = ex.static_html()
    assert "flat lines have no slope" in html and "notes[p].visible = inert[k][p]" in html
    live = ex.live()
    assert not live.controls["a"].disabled and live.notes["a"].layout.display == "none"
    live.controls["kind"].value = "flat"
    assert live.controls["a"].disabled and live.notes["a"].layout.display is None
    live.controls["kind"].value = "slope"
    assert not live.controls["a"].disabled


def test_a_control_declared_inert_where_it_acts_is_refused():
    wrong = Slider("a", (1.0, 2.0, 3.0), 1.0, inert_when={"kind": ("slope",)}, inert_note="wrong")
    ex = toy([wrong, Choice("kind", ("slope", "flat"), "slope")], line)
    problems = ex.check_frames(ex.static_frames())
    assert any("declared inert" in p for p in problems) and any("changes nothing" in p for p in problems)


def test_blank_frames_are_refused():
    def escaping(a):
        x = np.linspace(0, 1, 5)
        return {"x": x, "y": np.full(5, np.inf) if a > 2 else x * a, "text": f"a = {a}"}

    ex = toy([Slider("a", (1.0, 2.0, 3.0), 1.0)], escaping)
    assert ex.check_frames(ex.static_frames()) == ["frame {'a': 3.0}: panel 'y' has nothing finite to draw"]


def test_curves_shorter_than_their_x_are_refused():
    def uneven(a):
        return {"x": np.linspace(0, 1, 5), "y": np.arange(3) * a, "text": f"a = {a}"}

    ex = toy([Slider("a", (1.0, 2.0), 1.0)], uneven)
    problems = ex.check_frames(ex.static_frames())
    assert len(problems) == 2 and all("length differs from its x 'x' (5)" in p for p in problems)
    with pytest.raises(ValueError, match="length differs"):
        ex.static_html()


@pytest.mark.parametrize("kwargs, match", [
    (dict(inert_when={"nope": ("x",)}, inert_note="n"), "not another parameter"),
    (dict(inert_when={"kind": ("round",)}, inert_note="n"), "does not take"),
    (dict(inert_when={"kind": ("flat",)}), "needs an inert_note"),
])
def test_inert_declaration_errors(kwargs, match):
    with pytest.raises(ValueError, match=match):
        toy([Slider("a", (1.0, 2.0), 1.0, **kwargs), Choice("kind", ("slope", "flat"), "slope")], line)


def test_line_styles_must_name_legend_labels():
    with pytest.raises(ValueError, match="legend labels"):
        Lines("x", {"theory curve": "theory"}, styles={"theory": "dashed"})
    with pytest.raises(ValueError, match="styles must be among"):
        Lines("x", {"theory": "theory"}, styles={"theory": "dash-dot"})
    assert Lines("x", {"theory": "theory"}, styles={"theory": "dashed"}).styles == {"theory": "dashed"}
