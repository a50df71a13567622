"""Emergence: kernels, exact results and explorers for the Emergence textbook.

One module per model family (``emergence.ising``, ...) and shared tools:
``emergence.stats`` (time-series statistics and fits), ``emergence.random``
(seeding), ``emergence.plotting`` (figure style) and ``emergence.explore``
(live and static explorers).
"""

__version__ = "0.1.0"
