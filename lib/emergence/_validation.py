"""Argument checks shared by every public function.

Each check raises ``TypeError`` for a value of the wrong kind and ``ValueError``
for a value out of range. The message names the parameter, the value received
and what is allowed, so that a typo in a notebook is explained at once instead
of crashing a numba kernel (which does no bounds checking).
"""

from __future__ import annotations

import math
import numbers

import numpy as np


def check_int(name, value, *, low=None, high=None):
    """Return ``value`` as a Python int, checked to lie in [low, high]."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer, got {value!r} ({type(value).__name__})")
    value = int(value)
    if (low is not None and value < low) or (high is not None and value > high):
        raise ValueError(f"{name} must be in [{_lo(low)}, {_hi(high)}], got {value}")
    return value


def check_real(name, value, *, low=None, high=None, low_open=False, high_open=False):
    """Return ``value`` as a finite float, checked against the given bounds."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {value!r} ({type(value).__name__})")
    value = float(value)
    if not math.isfinite(value):
        raise ValueError(f"{name} must be finite, got {value}")
    too_low = low is not None and (value <= low if low_open else value < low)
    too_high = high is not None and (value >= high if high_open else value > high)
    if too_low or too_high:
        left = "(" if low_open else "["
        right = ")" if high_open else "]"
        raise ValueError(f"{name} must be in {left}{_lo(low)}, {_hi(high)}{right}, got {value}")
    return value


def check_bool(name, value):
    """Return ``value`` as a Python bool; only True and False (numpy's too) are accepted."""
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be True or False, got {value!r}")
    return bool(value)


def check_params(params, defaults):
    """A parameter dict (or None) merged over ``defaults``; unknown keys are refused by name.

    Only the keys are checked here: the caller checks each value against its own range.
    """
    if params is None:
        params = {}
    if not isinstance(params, dict):
        raise TypeError(f"params must be a dict with keys among {list(defaults)}, got {params!r}")
    unknown = sorted(set(params) - set(defaults))
    if unknown:
        raise ValueError(f"params may only have the keys {list(defaults)}, got {unknown}")
    return {**defaults, **params}


def check_choice(name, value, choices):
    """Check that ``value`` is one of ``choices``."""
    if not isinstance(value, str) or value not in choices:
        raise ValueError(f"{name} must be one of {sorted(choices)}, got {value!r}")
    return value


def check_real_array(name, value, *, ndim=None, low=None, high=None, low_open=False):
    """Return ``value`` as a finite float64 array with the given dimension and bounds."""
    if isinstance(value, (str, bytes)) or value is None:
        raise TypeError(f"{name} must be an array of real numbers, got {value!r}")
    arr = np.asarray(value)
    if arr.dtype == object or not (np.issubdtype(arr.dtype, np.number) or arr.dtype == bool):
        raise TypeError(f"{name} must be an array of real numbers, got dtype {arr.dtype}")
    if np.iscomplexobj(arr):
        raise TypeError(f"{name} must be real, got a complex array")
    arr = arr.astype(np.float64)
    if ndim is not None and arr.ndim != ndim:
        raise ValueError(f"{name} must have {ndim} dimension(s), got shape {arr.shape}")
    if arr.size == 0:
        raise ValueError(f"{name} must not be empty")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must contain only finite values")
    too_low = low is not None and (np.any(arr <= low) if low_open else np.any(arr < low))
    too_high = high is not None and np.any(arr > high)
    if too_low or too_high:
        bracket = "(" if low_open else "["
        raise ValueError(f"{name} must lie in {bracket}{_lo(low)}, {_hi(high)}], got values from {arr.min()} to {arr.max()}")
    return arr


def check_spins(name, value, *, shape=None):
    """Return a C-contiguous int8 copy of a configuration of +-1 spins."""
    if isinstance(value, (str, bytes)) or value is None:
        raise TypeError(f"{name} must be an array of +1/-1 spins, got {value!r}")
    arr = np.asarray(value)
    if arr.dtype == object or not np.issubdtype(arr.dtype, np.number):
        raise TypeError(f"{name} must be an array of +1/-1 spins, got dtype {arr.dtype}")
    if arr.ndim != 2 or arr.shape[0] != arr.shape[1]:
        raise ValueError(f"{name} must be a square 2-D array, got shape {arr.shape}")
    if shape is not None and arr.shape != shape:
        raise ValueError(f"{name} must have shape {shape}, got {arr.shape}")
    if not np.all((arr == 1) | (arr == -1)):
        raise ValueError(f"{name} must contain only +1 and -1")
    return np.ascontiguousarray(arr, dtype=np.int8).copy()


def check_work(name, work, limit):
    """Refuse a request whose cost (e.g. spin-flip attempts) would run for minutes."""
    if work > limit:
        raise ValueError(
            f"{name} asks for {work:.3g} elementary updates, more than the limit {limit:.3g} "
            "(about ten seconds of work); reduce the size or the number of steps"
        )


def _lo(x):
    return "-inf" if x is None else x


def _hi(x):
    return "inf" if x is None else x
