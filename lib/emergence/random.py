"""Seeding conventions shared by every random function in the library.

Every random public function takes ``seed: int | None``. An integer gives
bit-identical output on every run. ``None`` draws fresh entropy from the
operating system; the integer actually used is returned in the result
(field ``seed``), so any run can be repeated exactly. Functions that return a
bare array (random patterns, sampled configurations) return a
:class:`SeededArray`: an ndarray whose attribute ``seed`` holds that integer.
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


class SeededArray(np.ndarray):
    """An ndarray drawn from a random function, with the integer ``seed`` it was drawn with.

    It behaves as any ndarray. Views of it (slices, reshapes) keep ``seed``;
    arrays computed from it (``2 * a``, ``a.sum()``) are plain ndarrays, since
    they are no longer the draw itself.
    """

    def __array_finalize__(self, obj):
        self.seed = getattr(obj, "seed", None)

    def __array_wrap__(self, array, context=None, return_scalar=False):
        if return_scalar:
            return array[()]
        return np.asarray(array).view(np.ndarray)

    def __reduce__(self):
        # pickling (multiprocessing, caches) keeps the seed
        constructor, args, state = super().__reduce__()
        return constructor, args, (state, self.seed)

    def __setstate__(self, state):
        array_state, self.seed = state
        super().__setstate__(array_state)


def seeded(array, seed):
    """``array`` as a :class:`SeededArray` that records ``seed``."""
    out = np.asarray(array).view(SeededArray)
    out.seed = seed
    return out


def rng(seed):
    """A numpy ``Generator`` for an integer seed (use :func:`resolve_seed` first)."""
    return np.random.default_rng(seed)
