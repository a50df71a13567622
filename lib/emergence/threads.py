"""How many CPUs this process may really use, and how to size thread pools to it.

``os.cpu_count()`` counts the host's cores. A container (Binder, CI) is often
granted fewer: a CPU affinity mask, or a CFS quota in its cgroup ("1 CPU" of a
64-core host). BLAS libraries (OpenBLAS spin-waits while idle), OpenMP and
numba size their thread pools from the core count, so inside such a container
they start far more threads than there are CPUs and slow everything down.

The book sets the pools through environment variables, which every BLAS and
OpenMP runtime reads once when it loads, before any kernel code runs:

* the book build runs each chapter's kernel with one thread
  (:func:`thread_environment` with 1, set by :mod:`emergence.sphinxext`), and
  gets its parallelism from executing chapters side by side;
* JupyterLab (``make lab``) and Binder (the repository's ``start`` script) size
  the pools to :func:`usable_cpus`: ``eval "$(python -m emergence.threads --export)"``.

Command line::

    python -m emergence.threads            # print the usable CPU count
    python -m emergence.threads --export   # shell exports sized to it (values already set are kept)
    python -m emergence.threads --export 1 # shell exports for one thread each
"""

from __future__ import annotations

import math
import os
import sys
from pathlib import Path

#: The variables that size the thread pools of OpenMP, the BLAS libraries
#: numpy and scipy may load, numexpr and numba.
THREAD_VARIABLES = (
    "OMP_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "MKL_NUM_THREADS",
    "BLIS_NUM_THREADS",
    "VECLIB_MAXIMUM_THREADS",
    "NUMEXPR_NUM_THREADS",
    "NUMBA_NUM_THREADS",
)

CGROUP_ROOT = Path("/sys/fs/cgroup")


def _cgroup_v2_quota(root, relative):
    """Smallest ``cpu.max`` quota (in CPUs) from the process's cgroup up to the root."""
    quotas = []
    path = root / relative.lstrip("/")
    while True:
        limit = path / "cpu.max"
        if limit.is_file():
            fields = limit.read_text().split()
            if len(fields) == 2 and fields[0] != "max":
                quotas.append(int(fields[0]) / int(fields[1]))
        if path == root or root not in path.parents:
            break
        path = path.parent
    return min(quotas) if quotas else None


def _cgroup_v1_quota(root, relative):
    """``cpu.cfs_quota_us / cpu.cfs_period_us`` of the process's cpu cgroup (v1), if set."""
    for controller in ("cpu", "cpu,cpuacct", "cpuacct,cpu"):
        for folder in (root / controller / relative.lstrip("/"), root / controller):
            quota, period = folder / "cpu.cfs_quota_us", folder / "cpu.cfs_period_us"
            if quota.is_file() and period.is_file():
                q, p = int(quota.read_text()), int(period.read_text())
                return q / p if q > 0 and p > 0 else None
    return None


def cgroup_cpu_quota(root=CGROUP_ROOT, proc_cgroup=Path("/proc/self/cgroup")):
    """The CPU quota of this process's cgroup, in CPUs (1.5 means 150 ms per 100 ms), or None.

    Reads cgroup v2 (``cpu.max``, the strictest level from the process's group
    up to the root) or, failing that, cgroup v1 (``cpu.cfs_quota_us`` over
    ``cpu.cfs_period_us``). None when no quota is set or nothing is readable
    (other operating systems).
    """
    root = Path(root)
    try:
        lines = Path(proc_cgroup).read_text().splitlines()
    except OSError:
        return None
    groups = {}
    for line in lines:
        _, controllers, relative = line.split(":", 2)
        for name in controllers.split(",") if controllers else [""]:
            groups[name] = relative
    try:
        if "" in groups:
            quota = _cgroup_v2_quota(root, groups[""])
            if quota is not None:
                return quota
        return _cgroup_v1_quota(root, groups.get("cpu", "/"))
    except (OSError, ValueError):
        return None


def usable_cpus():
    """The number of CPUs this process may actually run on (at least 1).

    The smaller of the CPU affinity mask and the cgroup CPU quota, rounded
    down: with a quota of 1.5 CPUs, a second spin-waiting BLAS thread would
    only be throttled.
    """
    try:
        count = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        count = os.cpu_count() or 1
    quota = cgroup_cpu_quota()
    if quota is not None:
        count = min(count, math.floor(quota))
    return max(1, count)


def thread_environment(threads):
    """The environment variables that size every thread pool to ``threads``.

    Parameters
    ----------
    threads : int
        Threads per pool, at least 1.

    Returns
    -------
    dict of str to str
        To merge into ``os.environ`` (or a subprocess's environment) before
        numpy, scipy or numba is imported there.
    """
    if isinstance(threads, bool) or not isinstance(threads, int):
        raise TypeError(f"threads must be an int, got {type(threads).__name__}")
    if threads < 1:
        raise ValueError(f"threads must be at least 1, got {threads}")
    return {name: str(threads) for name in THREAD_VARIABLES}


def _main(argv):
    if not argv:
        print(usable_cpus())
        return 0
    if argv[0] == "--export" and len(argv) <= 2:
        if len(argv) == 2:
            if not argv[1].isdigit() or int(argv[1]) < 1:
                print(f"threads must be a positive integer, got {argv[1]!r}", file=sys.stderr)
                return 2
            # An explicit count overrides whatever is set.
            for name, value in thread_environment(int(argv[1])).items():
                print(f"export {name}={value}")
        else:
            # Sized to this container; a value the user already set wins.
            for name, value in thread_environment(usable_cpus()).items():
                print(f'export {name}="${{{name}:-{value}}}"')
        return 0
    print(__doc__.split("Command line::")[1].rstrip(), file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
