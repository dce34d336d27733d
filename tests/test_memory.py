"""The allocator tuning of the console script (:func:`stagnation.tune_memory`).

Each case runs in a fresh interpreter: the tuning is process-wide, and what it changes (whether
a freed large array's pages are faulted in again) only shows in a process's own counters.
"""

from __future__ import annotations

import os
import platform
import subprocess
import sys

import pytest

#: Allocate, free and allocate again a 200 MB array; print the page faults of the second round.
REUSE = """
import resource, sys
import stagnation
tuned = stagnation.tune_memory() if sys.argv[1] == "tune" else False
import numpy as np
def faults():
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt
a = np.ones(25_000_000); del a   # 200 MB, touched, then freed
before = faults()
b = np.ones(25_000_000)          # the same size again, touched
print(tuned, faults() - before)
"""

GLIBC = platform.libc_ver()[0] == "glibc"


def _run(mode: str, **env: str) -> tuple[str, int]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("MALLOC_", "NUMPY_MAD"))}
    clean.pop("STAGNATION_TUNE_MEMORY", None)
    done = subprocess.run(
        [sys.executable, "-c", REUSE, mode],
        env=clean | env,
        capture_output=True,
        text=True,
        check=True,
    )
    tuned, faults = done.stdout.split()
    return tuned, int(faults)


@pytest.mark.skipif(not GLIBC, reason="the allocator tuning applies to glibc only")
def test_tuned_process_reuses_freed_memory_without_faulting_it_in_again() -> None:
    tuned, faults = _run("tune")
    untuned, faults_untuned = _run("plain")
    assert (tuned, untuned) == ("True", "False")
    # 200 MB is ~49,000 pages of 4 KB: untuned, the second array is faulted in anew (or as
    # huge pages: fewer faults, each waiting for compaction); tuned, the freed heap is reused
    assert faults < 1_000
    assert faults_untuned > 40 * faults + 10  # the untuned process pays for every page again


def test_opting_out_changes_nothing() -> None:
    tuned, _ = _run("tune", STAGNATION_TUNE_MEMORY="0")
    assert tuned == "False"


@pytest.mark.skipif(not GLIBC, reason="the allocator tuning applies to glibc only")
def test_the_users_own_allocator_settings_win() -> None:
    tuned, faults = _run("tune", MALLOC_MMAP_MAX_="65536")
    assert tuned == "False"  # the user chose glibc's behaviour: left alone
    assert faults > 1_000


def test_the_console_script_tunes_before_the_command_line_is_imported() -> None:
    probe = (
        "import os, sys\n"
        "import stagnation._entry as entry\n"
        "sys.argv = ['stagnation', '--help']\n"
        "try:\n"
        "    entry.main()\n"
        "except SystemExit:\n"
        "    pass\n"
        "print(os.environ.get('NUMPY_MADVISE_HUGEPAGE'), file=sys.stderr)\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "NUMPY_MADVISE_HUGEPAGE"}
    done = subprocess.run(
        [sys.executable, "-c", probe], env=env, capture_output=True, text=True, check=True
    )
    assert done.stderr.strip().splitlines()[-1] == "0"
