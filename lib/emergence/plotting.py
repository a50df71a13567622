"""One figure style for the whole book.

``use_book_style()`` sets matplotlib defaults (sizes, fonts, colours) used by
every chapter; ``SPIN_COLORS`` and ``spin_cmap`` draw +-1 configurations the
same way in static figures, live explorers and Bokeh pages.
"""

from __future__ import annotations

import matplotlib as mpl
from matplotlib.colors import ListedColormap

#: Colours of the two spin states (down, up), shared by matplotlib and Bokeh.
SPIN_COLORS = ("#1f3b73", "#f2c14e")
#: Line colours used in order by every figure and explorer.
PALETTE = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#8c564b")

spin_cmap = ListedColormap(SPIN_COLORS, name="spins")


def category_colors(n):
    """n colours for integer labels 0..n-1: light grey for 0 ("none"), then the line colours."""
    if not 1 <= n <= len(PALETTE) + 1:
        raise ValueError(f"n must be in [1, {len(PALETTE) + 1}], got {n}")
    return ("#d9d9d9",) + PALETTE[: n - 1]

BOOK_STYLE = {
    "figure.figsize": (6.4, 4.0),
    "figure.dpi": 100,
    "savefig.bbox": "tight",
    "axes.grid": True,
    "grid.alpha": 0.3,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.prop_cycle": mpl.cycler(color=list(PALETTE)),
    "axes.titlesize": 11,
    "axes.labelsize": 10,
    "legend.fontsize": 9,
    "legend.frameon": False,
    "xtick.labelsize": 9,
    "ytick.labelsize": 9,
    "image.interpolation": "nearest",
}


def use_book_style():
    """Apply the book's matplotlib defaults (idempotent)."""
    mpl.rcParams.update(BOOK_STYLE)


def show_image(ax, image, title=None, *, cmap=spin_cmap, vmin=-1.0, vmax=1.0, **imshow_kwargs):
    """Draw a 2-D array on ``ax`` as pixels, without ticks; returns the image artist.

    The defaults draw a +-1 spin configuration in the book's two spin colours.
    """
    im = ax.imshow(image, cmap=cmap, vmin=vmin, vmax=vmax, interpolation="nearest", **imshow_kwargs)
    ax.set_xticks([])
    ax.set_yticks([])
    ax.grid(False)
    if title:
        ax.set_title(title)
    return im


def show_spins(ax, spins, title=None):
    """Draw a +-1 configuration on ``ax`` without ticks; returns the image artist."""
    return show_image(ax, spins, title)
