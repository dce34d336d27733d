"""How a process working on a large extract allocates memory: :func:`tune_memory`."""

from __future__ import annotations

import ctypes
import os
import platform
import sys

__all__ = ["tune_memory"]

#: glibc's ``mallopt`` parameters (``malloc.h``).
_M_TRIM_THRESHOLD, _M_MMAP_MAX = -1, -4
#: The environment variables a user sets to choose the allocator's behaviour instead.
_ALLOCATOR_ENV = (
    "MALLOC_MMAP_MAX_",
    "MALLOC_TRIM_THRESHOLD_",
    "MALLOC_MMAP_THRESHOLD_",
    "GLIBC_TUNABLES",
)


def tune_memory() -> bool:
    """Keep memory this process frees for its own reuse instead of returning it to the kernel.

    The features build and free many arrays of one value per event (90 MB each at 11M
    activities). By default glibc gives each such array its own ``mmap`` and returns it on
    free, so the next array is page-faulted in again, 4 KB at a time; and numpy asks for huge
    pages on large arrays, which on kernels whose transparent-huge-page ``defrag`` setting is
    ``madvise`` (common) makes every such fault wait for memory compaction. On the benchmark
    company (``benchmarks/read_floor.py``) that was more system time than the work itself:
    ``features --entity all`` 25.7 s wall (9.7 s user, 18.0 s system) against 8.0 s (7.5 s,
    1.4 s) with this tuning, at about the same peak memory (3.04 and 3.11 GB).

    So this asks numpy not to request huge pages and glibc to serve large arrays from the heap
    and keep freed memory (``mallopt(M_MMAP_MAX, 0)``, ``mallopt(M_TRIM_THRESHOLD, 2 GB)``).
    Memory is then returned to the kernel when the process ends, not along the way: right for
    a command or a batch job, and why importing :mod:`stagnation` does not do it. The console
    script calls it first; a batch script or a notebook about to work on a large extract may
    call it too (best before ``import numpy``: the huge-page setting is read at import).

    Nothing is changed when ``STAGNATION_TUNE_MEMORY=0`` is set, and the allocator is left
    alone when one of glibc's own ``MALLOC_*_`` or ``GLIBC_TUNABLES`` variables is set (the
    user chose); outside glibc (macOS, musl) only the numpy setting applies.

    Returns
    -------
    bool
        Whether glibc's allocator was tuned.

    Examples
    --------
    >>> import stagnation
    >>> isinstance(stagnation.tune_memory(), bool)
    True
    """
    if os.environ.get("STAGNATION_TUNE_MEMORY", "1") == "0":
        return False
    os.environ.setdefault("NUMPY_MADVISE_HUGEPAGE", "0")  # read when numpy is imported
    if "numpy" in sys.modules and os.environ["NUMPY_MADVISE_HUGEPAGE"] == "0":
        core = getattr(sys.modules["numpy"], "_core", None)
        set_hugepage = getattr(getattr(core, "multiarray", None), "_set_madvise_hugepage", None)
        if set_hugepage is not None:  # numpy imported already (a notebook): tell it directly
            set_hugepage(False)
    if any(name in os.environ for name in _ALLOCATOR_ENV) or platform.libc_ver()[0] != "glibc":
        return False
    mallopt = ctypes.CDLL(None).mallopt
    mallopt.argtypes, mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    # mallopt returns 1 on success; both must hold for the tuning to mean anything
    return bool(mallopt(_M_MMAP_MAX, 0)) and bool(mallopt(_M_TRIM_THRESHOLD, 2**31 - 1))
