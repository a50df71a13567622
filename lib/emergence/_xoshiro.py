"""A fast uniform generator for numba kernels: xoshiro256+ (Blackman and Vigna).

numba's ``np.random.random()`` costs about 11 ns a call here, more than a whole
Metropolis update should. xoshiro256+ keeps its state in a 4-word uint64 array
owned by the caller, so kernels are reproducible and free of global state, and
costs about 1-2 ns. The top 53 bits of each output give a double in [0, 1).
Seed the state with :func:`emergence.random.kernel_state`.
"""

import math

from numba import njit, uint64

_S17 = uint64(17)
_S45 = uint64(45)
_S19 = uint64(19)
_S11 = uint64(11)
_TWO_M53 = 1.0 / 9007199254740992.0


@njit(cache=True, inline="always")
def uniform(s):
    """Next double in [0, 1); advances the state ``s`` (uint64[4]) in place."""
    result = s[0] + s[3]
    t = s[1] << _S17
    s[2] ^= s[0]
    s[3] ^= s[1]
    s[1] ^= s[2]
    s[0] ^= s[3]
    s[2] ^= t
    s[3] = (s[3] << _S45) | (s[3] >> _S19)
    return (result >> _S11) * _TWO_M53


@njit(cache=True, inline="always")
def below(s, n):
    """A uniform integer in [0, n), n < 2**53."""
    return int(uniform(s) * n)


@njit(cache=True, inline="always")
def normal(s):
    """A standard normal deviate (Box-Muller from two uniforms; the second deviate is discarded)."""
    u = 1.0 - uniform(s)  # in (0, 1], so the logarithm is finite
    v = uniform(s)
    return math.sqrt(-2.0 * math.log(u)) * math.cos(2.0 * math.pi * v)
