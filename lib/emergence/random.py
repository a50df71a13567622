"""Seeding conventions shared by every random function in the library.

Every random public function takes ``seed: int | None``. An integer gives
bit-identical output on every run. ``None`` draws fresh entropy from the
operating system; the integer actually used is returned in the result
(field ``seed``), so any run can be repeated exactly.
"""

from __future__ import annotations

import numpy as np

from ._validation import check_int

#: Seeds are kept below 2**63 so that they fit numba's int64 seeding.
MAX_SEED = 2**63 - 1


def resolve_seed(seed):
    """Return the integer seed to use: ``seed`` itself, or fresh entropy if ``None``.

    Parameters
    ----------
    seed : int or None
        Non-negative integer below 2**63, or ``None`` for fresh entropy.

    Returns
    -------
    int
    """
    if seed is None:
        return int(np.random.SeedSequence().generate_state(1, dtype=np.uint64)[0] >> np.uint64(1))
    return check_int("seed", seed, low=0, high=MAX_SEED)


def kernel_state(seed, stream=0):
    """State (uint64[4]) of the kernels' xoshiro256+ generator for an integer seed.

    Different ``stream`` numbers give independent generators from one seed.
    """
    seed = check_int("seed", seed, low=0, high=MAX_SEED)
    stream = check_int("stream", stream, low=0)
    state = np.random.SeedSequence([seed, stream]).generate_state(4, dtype=np.uint64)
    if not state.any():  # the all-zero state is the generator's only fixed point
        state[0] = 1
    return state


def rng(seed):
    """A numpy ``Generator`` for an integer seed (use :func:`resolve_seed` first)."""
    return np.random.default_rng(seed)
