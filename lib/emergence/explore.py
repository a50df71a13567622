"""Explorers: one declaration, a live widget in Jupyter and a static page in the book.

An explorer declares its parameters (:class:`Slider`, :class:`Choice`), a
``compute(**params)`` function that calls the library's kernels and returns a
dict of arrays, and the panels that draw them (:class:`Image`, :class:`Lines`,
:class:`Readout`). Displaying it gives

* **live** (Jupyter, Binder): ipywidgets controls; each change calls
  ``compute`` again and redraws a matplotlib figure in place;
* **static** (the built HTML book): a Bokeh layout with the same controls over
  frames precomputed by the same ``compute`` at build time. A CustomJS callback
  swaps the data, so it works with no kernel and no network.

Which one is shown is decided by the environment variable
``EMERGENCE_EXPLORER``: the book's Sphinx extension
(:mod:`emergence.sphinxext`) sets it to ``"static"`` before notebooks run, so
the same cell gives the live explorer in Jupyter and the static one in the book.
"""

from __future__ import annotations

import io
import itertools
import math
import os
from dataclasses import dataclass, field

import numpy as np

from .plotting import PALETTE, SPIN_COLORS, category_colors

MODE_VARIABLE = "EMERGENCE_EXPLORER"
MAX_FRAMES = 120
MAX_STATIC_BYTES = 3_000_000
LINE_STYLES = ("dashed", "dotted", "dots", "markers")


# --------------------------------------------------------------------------
# declarations
# --------------------------------------------------------------------------
@dataclass(frozen=True)
class Slider:
    """A numeric parameter on an evenly spaced grid ``values``.

    ``inert_when`` declares the states in which the control has no effect:
    ``{"ensemble": ("poisson",)}`` means "inert while the parameter
    ``ensemble`` is ``"poisson"``". There both views disable it and show
    ``inert_note`` beside it. Every other control must change what is drawn
    (:meth:`Explorer.check_frames`).
    """

    name: str
    values: tuple
    default: float
    label: str = ""
    fmt: str = "{:g}"
    inert_when: dict = field(default_factory=dict)
    inert_note: str = ""

    def __post_init__(self):
        vals = np.asarray(self.values, dtype=float)
        if vals.ndim != 1 or vals.size < 2:
            raise ValueError(f"Slider {self.name!r}: values must be a 1-D sequence of at least 2 numbers")
        steps = np.diff(vals)
        if np.any(steps <= 0) or not np.allclose(steps, steps[0], rtol=1e-6, atol=0):
            raise ValueError(f"Slider {self.name!r}: values must be increasing and evenly spaced (use Choice otherwise)")
        object.__setattr__(self, "values", tuple(v.item() if hasattr(v, "item") else v for v in self.values))
        if self.default not in self.values:
            raise ValueError(f"Slider {self.name!r}: default {self.default!r} is not one of values")

    @property
    def options(self):
        return [(self.fmt.format(v), v) for v in self.values]


@dataclass(frozen=True)
class Choice:
    """A parameter with a few named options: ``options`` is a sequence of values
    or of (label, value) pairs. ``inert_when`` and ``inert_note`` as for :class:`Slider`."""

    name: str
    options: tuple
    default: object
    label: str = ""
    inert_when: dict = field(default_factory=dict)
    inert_note: str = ""

    def __post_init__(self):
        pairs = tuple(o if isinstance(o, tuple) else (str(o), o) for o in self.options)
        if len(pairs) < 2:
            raise ValueError(f"Choice {self.name!r}: needs at least 2 options")
        object.__setattr__(self, "options", pairs)
        if self.default not in self.values:
            raise ValueError(f"Choice {self.name!r}: default {self.default!r} is not one of the options")

    @property
    def values(self):
        return tuple(v for _, v in self.options)


@dataclass(frozen=True)
class Image:
    """A 2-D array drawn as an image.

    ``kind`` is ``"spins"`` (the book's two spin colours), ``"categories"``
    (integer labels vmin..vmax, one colour each: see
    :func:`emergence.plotting.category_colors`) or ``"values"`` (viridis).
    """

    key: str
    title: str = ""
    kind: str = "spins"
    vmin: float = -1.0
    vmax: float = 1.0

    def __post_init__(self):
        if self.kind not in ("spins", "categories", "values"):
            raise ValueError(f"Image {self.key!r}: kind must be 'spins', 'categories' or 'values', got {self.kind!r}")

    def colors(self):
        """(colours or colormap name, low, high) shared by the matplotlib and Bokeh views."""
        if self.kind == "spins":
            return list(SPIN_COLORS), self.vmin, self.vmax
        if self.kind == "categories":
            n = int(round(self.vmax - self.vmin)) + 1
            return list(category_colors(n)), self.vmin - 0.5, self.vmax + 0.5
        return None, self.vmin, self.vmax


@dataclass(frozen=True)
class Lines:
    """Curves y(x): ``x`` is a key of the computed data, ``ys`` maps a legend label to a key.

    ``styles`` may map a label to "dashed" or "dotted" (theory curves) or to
    "dots" (unconnected points: orbits, bifurcation diagrams, phases on a circle)
    or "markers" (fewer, larger points: data to pick out, a current position).
    """

    x: str
    ys: dict
    title: str = ""
    xlabel: str = ""
    ylabel: str = ""
    ylim: tuple | None = None
    xlim: tuple | None = None
    styles: dict = field(default_factory=dict)
    log_x: bool = False
    log_y: bool = False

    def __post_init__(self):
        # styles are keyed by legend label; a data key here would silently draw a plain line
        unknown = sorted(set(self.styles) - set(self.ys))
        if unknown:
            raise ValueError(f"Lines {self.title or self.x!r}: styles names {unknown}, which are not legend labels "
                             f"of ys {sorted(self.ys)}")
        bad = sorted(v for v in self.styles.values() if v not in LINE_STYLES)
        if bad:
            raise ValueError(f"Lines {self.title or self.x!r}: styles must be among {LINE_STYLES}, got {bad}")


@dataclass(frozen=True)
class Readout:
    """A short line of text computed with the data (``compute`` returns a str under ``key``)."""

    key: str


class Explorer:
    """An interactive figure declared once, shown live in Jupyter and static in the book.

    Parameters
    ----------
    params : sequence of Slider or Choice
    compute : callable
        ``compute(**params) -> dict`` of numpy arrays (and strings for
        :class:`Readout` panels). It must be deterministic (fixed seeds), so
        that the static frames equal what the live explorer shows.
    panels : sequence of Image, Lines or Readout
    title : str
    continuous_update : bool
        Live mode: recompute while a slider is dragged (for updates under
        100 ms) or only on release (heavier explorers).
    """

    def __init__(self, params, compute, panels, *, title="", continuous_update=True):
        self.params = tuple(params)
        names = [p.name for p in self.params]
        if len(set(names)) != len(names):
            raise ValueError(f"parameter names must be unique, got {names}")
        self.compute = compute
        self.panels = tuple(panels)
        self.title = title
        self.continuous_update = continuous_update
        if self.n_frames > MAX_FRAMES:
            raise ValueError(f"the static explorer would need {self.n_frames} frames, more than {MAX_FRAMES}")
        by_name = {p.name: p for p in self.params}
        for p in self.params:
            for other, values in p.inert_when.items():
                if other not in by_name or other == p.name:
                    raise ValueError(f"{p.name!r}: inert_when names {other!r}, not another parameter of {names}")
                unknown = [v for v in values if v not in by_name[other].values]
                if unknown:
                    raise ValueError(f"{p.name!r}: inert_when[{other!r}] has values {unknown} that "
                                     f"{other!r} does not take")
            if p.inert_when and not p.inert_note:
                raise ValueError(f"{p.name!r}: an inert control needs an inert_note telling the reader why")

    @property
    def defaults(self):
        return {p.name: p.default for p in self.params}

    @property
    def n_frames(self):
        return math.prod(len(p.values) for p in self.params)

    def grid(self):
        """All parameter combinations, in the order of the static frames (last parameter fastest)."""
        for combo in itertools.product(*(p.values for p in self.params)):
            yield dict(zip((p.name for p in self.params), combo))

    def static_frames(self):
        """``[(params, compute(**params)), ...]`` over the whole grid."""
        return [(params, self.compute(**params)) for params in self.grid()]

    def inert(self, name, params):
        """Whether control ``name`` is declared to have no effect in the state ``params``."""
        p = next(p for p in self.params if p.name == name)
        return any(params[other] in values for other, values in p.inert_when.items())

    def check_frames(self, frames):
        """Problems of a computed grid that a reader would meet as controls that do nothing.

        * a control that, in some state, changes nothing that is drawn (no
          panel's data, no readout) whichever value it takes, unless declared
          inert there;
        * a control declared inert in a state where it does change the drawing;
        * a frame in which some panel has no finite value to draw (a blank panel);
        * a Lines panel whose curves are not all as long as its x (Bokeh cannot draw it).

        Returns a list of messages (empty when the explorer is sound).
        """
        plots = [pn for pn in self.panels if not isinstance(pn, Readout)]
        drawn = [_drawn(plots, self.panels, data) for _, data in frames]
        index = {_key(params): k for k, (params, _) in enumerate(frames)}
        problems = []
        for k, (params, data) in enumerate(frames):
            for pn in plots:
                if isinstance(pn, Lines):
                    n = np.size(data[pn.x])
                    uneven = [key for key in pn.ys.values() if np.size(data[key]) != n]
                    if uneven:  # one Bokeh data source per panel: every curve needs a y for each x
                        problems.append(f"frame {params}: panel {pn.title or pn.x!r} has curves {uneven} whose "
                                        f"length differs from its x {pn.x!r} ({n})")
                keys = [pn.key] if isinstance(pn, Image) else list(pn.ys.values())
                if not any(np.isfinite(np.asarray(data[key], dtype=float)).any() for key in keys):
                    problems.append(f"frame {params}: panel {pn.title or keys[0]!r} has nothing finite to draw")
            for p in self.params:
                others = [index[_key({**params, p.name: v})] for v in p.values if v != params[p.name]]
                silent = all(_same(drawn[k], drawn[j]) for j in others)
                if silent and not self.inert(p.name, params):
                    problems.append(f"control {p.name!r} changes nothing drawn at {params}")
                elif not silent and self.inert(p.name, params):
                    problems.append(f"control {p.name!r} is declared inert at {params} but changes the drawing")
        return problems

    def live(self):
        """The live ipywidgets explorer (a :class:`LiveExplorer`)."""
        return LiveExplorer(self)

    def static_html(self):
        """The static Bokeh explorer as a self-contained HTML fragment (BokehJS loaded by the page)."""
        return _static_html(self)

    def _ipython_display_(self):
        from IPython.display import HTML, display

        if os.environ.get(MODE_VARIABLE, "live") == "static":
            display(HTML(self.static_html()))
        else:
            display(self.live().widget)


# --------------------------------------------------------------------------
# live: ipywidgets + matplotlib rendered to PNG
# --------------------------------------------------------------------------
class LiveExplorer:
    """Widgets and a matplotlib figure that recompute on every parameter change.

    ``update(**changes)`` is the handler the widgets call; tests call it
    directly. ``data`` holds the last computed dict and ``png`` the last image.

    Redrawing a whole matplotlib figure costs 50-100 ms on a small machine, so
    the axes, ticks and labels are drawn once and cached; an update redraws only
    the data artists on top of the cached background (blitting), unless the
    axis limits had to change.
    """

    def __init__(self, explorer):
        import ipywidgets as w
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure

        self.explorer = explorer
        self.values = explorer.defaults
        self.controls = {}
        for p in explorer.params:
            if isinstance(p, Slider):
                ctl = w.SelectionSlider(options=p.options, value=p.default, description=p.label or p.name,
                                        continuous_update=explorer.continuous_update,
                                        style={"description_width": "initial"},
                                        layout=w.Layout(width="420px"))
            else:
                ctl = w.ToggleButtons(options=list(p.options), value=p.default, description=p.label or p.name,
                                      style={"description_width": "initial", "button_width": "auto"})
            ctl.observe(self._on_change(p.name), names="value")
            self.controls[p.name] = ctl
        self.notes = {p.name: w.HTML(f"<i>{p.inert_note}</i>") for p in explorer.params if p.inert_when}
        self.plots = [pn for pn in explorer.panels if not isinstance(pn, Readout)]
        self.figure = Figure(figsize=(4.2 * len(self.plots), 3.4), dpi=80, layout="constrained")
        self.canvas = FigureCanvasAgg(self.figure)
        self.axes = self.figure.subplots(1, len(self.plots), squeeze=False)[0]
        self.data = explorer.compute(**self.values)
        self.artists = [_draw_matplotlib(ax, pn, self.data) for ax, pn in zip(self.axes, self.plots)]
        for artist in self._data_artists():
            artist.set_animated(True)
        self.readouts = [w.HTML() for pn in explorer.panels if isinstance(pn, Readout)]
        self.image = w.Image(format="png")
        self._background = None
        self._render()
        # Constrained layout has placed the axes; freezing it makes the full
        # redraws that changed axis limits need about half as long.
        self.figure.set_layout_engine("none")
        self._show_inert()
        header = [w.HTML(f"<b>{explorer.title}</b>")] if explorer.title else []
        rows = []
        for name, ctl in self.controls.items():
            rows += [ctl, self.notes[name]] if name in self.notes else [ctl]
        self.widget = w.VBox(header + rows + [self.image] + self.readouts)

    def _show_inert(self):
        for name, note in self.notes.items():
            off = self.explorer.inert(name, self.values)
            self.controls[name].disabled = off
            note.layout.display = None if off else "none"

    def _data_artists(self):
        for artist in self.artists:
            yield from (artist if isinstance(artist, list) else [artist])

    def _on_change(self, name):
        def handler(change):
            self.update(**{name: change["new"]})

        return handler

    def update(self, **changes):
        """Recompute with the changed parameters and redraw."""
        self.values = {**self.values, **changes}
        self._show_inert()
        self.data = self.explorer.compute(**self.values)
        limits = [(ax.get_xlim(), ax.get_ylim()) for ax in self.axes]
        for ax, pn, artist in zip(self.axes, self.plots, self.artists):
            _update_matplotlib(ax, pn, artist, self.data)
        if [(ax.get_xlim(), ax.get_ylim()) for ax in self.axes] != limits:
            self._background = None
        self._render()

    def _render(self):
        from PIL import Image as PILImage

        if self._background is None:
            self.canvas.draw()  # everything but the animated data artists
            self._background = self.canvas.copy_from_bbox(self.figure.bbox)
        else:
            self.canvas.restore_region(self._background)
        for artist in self._data_artists():
            artist.axes.draw_artist(artist)
        buf = io.BytesIO()
        rgba = np.asarray(self.canvas.buffer_rgba())
        PILImage.fromarray(rgba[..., :3]).save(buf, format="PNG", compress_level=1)
        self.png = buf.getvalue()
        self.image.value = self.png
        texts = [self.data[pn.key] for pn in self.explorer.panels if isinstance(pn, Readout)]
        for widget, text in zip(self.readouts, texts):
            widget.value = text


def _draw_matplotlib(ax, panel, data):
    from matplotlib.colors import ListedColormap

    from .plotting import show_image

    if isinstance(panel, Image):
        # A fixed unit extent keeps the axes unchanged when the array's shape
        # changes (e.g. a size control), so updates can always be blitted.
        colors, low, high = panel.colors()
        return show_image(ax, data[panel.key], panel.title, cmap=ListedColormap(colors) if colors else "viridis",
                          vmin=low, vmax=high, extent=(0, 1, 1, 0))
    lines = []
    for i, (label, key) in enumerate(panel.ys.items()):
        style = {"dashed": "--", "dotted": ":", "dots": ".", "markers": "o"}.get(panel.styles.get(label), "-")
        (line,) = ax.plot(data[panel.x], data[key], style, color=PALETTE[i % len(PALETTE)], label=label,
                          ms={".": 2, "o": 5}.get(style))
        lines.append(line)
    ax.set(title=panel.title, xlabel=panel.xlabel, ylabel=panel.ylabel)
    if panel.log_x:
        ax.set_xscale("log")
    if panel.log_y:
        ax.set_yscale("log")
    if panel.ylim:
        ax.set_ylim(*panel.ylim)
    if panel.xlim:
        ax.set_xlim(*panel.xlim)
    if len(lines) > 1:
        ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0))  # outside: never hides data
    return lines


def _update_matplotlib(ax, panel, artist, data):
    if isinstance(panel, Image):
        artist.set_data(np.asarray(data[panel.key]))
        return
    for line, key in zip(artist, panel.ys.values()):
        line.set_data(data[panel.x], data[key])
    ax.relim()
    ax.autoscale_view(scalex=panel.xlim is None, scaley=panel.ylim is None)


# --------------------------------------------------------------------------
# static: Bokeh with precomputed frames
# --------------------------------------------------------------------------
# Frames are stored in the order of Explorer.grid() (last parameter fastest):
# the frame index is the mixed-radix number of the controls' grid indices.
_SWAP_FRAME = """
let k = 0;
for (let p = 0; p < controls.length; p++) {
    const c = controls[p];
    let i;
    if (kinds[p] === "slider") {
        const grid = grids[p];
        i = 0;
        for (let q = 1; q < grid.length; q++) {
            if (Math.abs(grid[q] - c.value) < Math.abs(grid[i] - c.value)) { i = q; }
        }
    } else {
        i = c.active;
    }
    k = k * grids[p].length + i;
}
const frame = frames[k];
for (let s = 0; s < sources.length; s++) {
    sources[s].data = frame[s];
}
for (let r = 0; r < readouts.length; r++) {
    readouts[r].text = texts[k][r];
}
for (let p = 0; p < controls.length; p++) {
    controls[p].disabled = inert[k][p];
    notes[p].visible = inert[k][p];
}
"""


def _key(params):
    return tuple(sorted((k, repr(v)) for k, v in params.items()))


def _drawn(plots, panels, data):
    """Everything one frame draws: each panel's arrays and each readout's text."""
    arrays = [np.asarray(data[pn.key]) if isinstance(pn, Image) else
              [np.asarray(data[pn.x])] + [np.asarray(data[k]) for k in pn.ys.values()] for pn in plots]
    return arrays, [str(data[pn.key]) for pn in panels if isinstance(pn, Readout)]


def _same(a, b):
    def equal(x, y):
        if isinstance(x, list):
            return len(x) == len(y) and all(equal(u, v) for u, v in zip(x, y))
        return x.shape == y.shape and np.array_equal(x, y, equal_nan=True)

    return equal(a[0], b[0]) and a[1] == b[1]


def _panel_columns(panel, data):
    """The ColumnDataSource columns of one panel for one frame."""
    if isinstance(panel, Image):
        img = np.asarray(data[panel.key])
        if img.dtype.kind == "f":
            img = img.astype(np.float32)  # as for lines: half the page size, far finer than a colour step
        # Bokeh draws row 0 at the bottom; flip so both views agree with imshow.
        return {"image": [np.ascontiguousarray(img[::-1])], "dw": [img.shape[1]], "dh": [img.shape[0]]}
    # Single precision halves the page size and is far finer than a pixel.
    cols = {"x": np.asarray(data[panel.x], dtype=np.float32)}
    for i, key in enumerate(panel.ys.values()):
        cols[f"y{i}"] = np.asarray(data[key], dtype=np.float32)
    return cols


def _bokeh_panel(panel, source, default_data, image_size=240, plot_width=320):
    """The Bokeh figure of one panel, drawing from ``source``."""
    from bokeh.models import Legend, LegendItem, LinearColorMapper
    from bokeh.plotting import figure

    if isinstance(panel, Image):
        shape = np.asarray(default_data[panel.key]).shape
        fig = figure(frame_width=image_size, frame_height=image_size, title=panel.title, x_range=(0, shape[1]),
                     y_range=(0, shape[0]), tools="", toolbar_location=None)
        colors, low, high = panel.colors()
        mapper = LinearColorMapper(palette=colors or "Viridis256", low=low, high=high)
        fig.image(image="image", x=0, y=0, dw="dw", dh="dh", source=source, color_mapper=mapper)
        fig.axis.visible = False
        fig.grid.visible = False
        return fig
    ranges = {}
    if panel.ylim:
        ranges["y_range"] = panel.ylim
    if panel.xlim:
        ranges["x_range"] = panel.xlim
    fig = figure(frame_width=plot_width, frame_height=240, title=panel.title, x_axis_label=panel.xlabel,
                 y_axis_label=panel.ylabel, tools="pan,wheel_zoom,reset", toolbar_location="above",
                 x_axis_type="log" if panel.log_x else "linear", y_axis_type="log" if panel.log_y else "linear",
                 **ranges)
    items = []
    for i, label in enumerate(panel.ys):
        color = PALETTE[i % len(PALETTE)]
        if panel.styles.get(label) in ("dots", "markers"):
            size = 2 if panel.styles[label] == "dots" else 7
            glyph = fig.scatter("x", f"y{i}", source=source, color=color, size=size, line_alpha=0)
        else:
            glyph = fig.line("x", f"y{i}", source=source, color=color, line_width=2,
                             line_dash=panel.styles.get(label, "solid"))
        items.append(LegendItem(label=label, renderers=[glyph]))
    if len(items) > 1:
        # Below the frame, so that the legend never hides data and the explorer
        # stays within the page's text column.
        fig.add_layout(Legend(items=items, click_policy="hide", label_text_font_size="9pt",
                              orientation="horizontal", ncols=2), "below")
    return fig


def _bokeh_control(param):
    """(widget, kind, grid) for one parameter; the callback maps the widget to a grid index."""
    from bokeh.models import RadioButtonGroup
    from bokeh.models import Slider as BokehSlider

    if isinstance(param, Slider):
        widget = BokehSlider(start=param.values[0], end=param.values[-1], step=param.values[1] - param.values[0],
                             value=param.default, title=param.label or param.name, width=300)
        return widget, "slider", list(param.values)
    widget = RadioButtonGroup(labels=[label for label, _ in param.options], active=param.values.index(param.default))
    return widget, "choice", list(range(len(param.values)))


#: Width of the book's text column that a row of static panels must fit, in pixels.
ROW_WIDTH = 700


def _panel_width(panel, crowded):
    """Pixels a static panel takes: its frame plus axes and labels."""
    if isinstance(panel, Image):
        return (150 if crowded else 240) + 10
    return (260 if crowded else 320) + 60


def _wrapped(figures, panels, crowded):
    """Rows of figures, each within ROW_WIDTH."""
    from bokeh.layouts import row

    rows, current, used = [], [], 0
    for fig, panel in zip(figures, panels):
        width = _panel_width(panel, crowded)
        if current and used + width > ROW_WIDTH:
            rows.append(row(*current))
            current, used = [], 0
        current.append(fig)
        used += width
    return rows + [row(*current)]


def _static_html(explorer):
    from bokeh.embed import components
    from bokeh.layouts import column, row
    from bokeh.models import ColumnDataSource, CustomJS, Div

    frames = explorer.static_frames()
    problems = explorer.check_frames(frames)
    if problems:
        raise ValueError(f"explorer {explorer.title!r} would mislead or fail a reader:\n  "
                         + "\n  ".join(problems))
    default_index = list(explorer.grid()).index(explorer.defaults)
    default_data = frames[default_index][1]
    plots = [pn for pn in explorer.panels if not isinstance(pn, Readout)]
    readouts = [pn for pn in explorer.panels if isinstance(pn, Readout)]
    per_frame = [[_panel_columns(pn, data) for pn in plots] for _, data in frames]
    texts = [[str(data[pn.key]) for pn in readouts] for _, data in frames]
    sources = [ColumnDataSource(dict(cols)) for cols in per_frame[default_index]]
    # Panels that would overflow the text column get smaller frames, and wrap onto
    # more rows if even those do not fit.
    crowded = sum(_panel_width(pn, False) for pn in plots) > ROW_WIDTH
    figures = [_bokeh_panel(pn, src, default_data, 150 if crowded else 240, 260 if crowded else 320)
               for pn, src in zip(plots, sources)]
    controls, kinds, grids = zip(*(_bokeh_control(p) for p in explorer.params))
    divs = [Div(text=t) for t in texts[default_index]]
    # Per frame and control: is the control inert there? Its note shows, and it is disabled, exactly then.
    inert = [[explorer.inert(p.name, params) for p in explorer.params] for params, _ in frames]
    notes = [Div(text=f"<i>{p.inert_note}</i>", visible=inert[default_index][i], styles={"color": "#666"})
             for i, p in enumerate(explorer.params)]
    for ctl, off in zip(controls, inert[default_index]):
        ctl.disabled = off
    callback = CustomJS(
        args=dict(controls=list(controls), kinds=list(kinds), grids=list(grids), frames=per_frame,
                  sources=sources, readouts=divs, texts=texts, inert=inert, notes=notes),
        code=_SWAP_FRAME,
    )
    for ctl, kind in zip(controls, kinds):
        ctl.js_on_change("value" if kind == "slider" else "active", callback)

    header = [Div(text=f"<b>{explorer.title}</b>")] if explorer.title else []
    rows = []
    for ctl, kind, note, p in zip(controls, kinds, notes, explorer.params):
        # a slider shows its title; a row of buttons needs its label beside it
        shown = ctl if kind == "slider" else row(Div(text=f"{p.label or p.name}:", width=140), ctl)
        rows += [shown, note] if p.inert_when else [shown]
    script, div = components(column(*header, *rows, *_wrapped(figures, plots, crowded), *divs))
    html = f'<div class="emergence-explorer">{div}{script}</div>'
    if len(html.encode()) > MAX_STATIC_BYTES:
        raise ValueError(
            f"static explorer {explorer.title!r} is {len(html) / 1e6:.1f} MB, over the "
            f"{MAX_STATIC_BYTES / 1e6:.0f} MB budget; use fewer frames or smaller arrays"
        )
    return html
