"""The console script: handle interrupts from the first moment, then run :mod:`stagnation.cli`.

Importing the command line (pandas, pyarrow, typer) takes most of a second; a Ctrl-C in that
window used to print a ``KeyboardInterrupt`` traceback. This module imports nothing heavy: it
installs the signal handlers first, and every interrupt, during start-up or later, ends the same
way: "interrupted, nothing written" on stderr and exit code 128 + the signal number (130 for
Ctrl-C). Outputs are written under temporary names and renamed only when complete, so nothing
half-written is left behind.

Before the command line is imported, :func:`~stagnation.tune_memory` sets how this process
allocates memory (see there): on the 11.3M-activity benchmark company it halves the wall time of
``features`` and ``score``, time the kernel spent handing out and taking back pages.
"""

from __future__ import annotations

import signal
import sys
import warnings
from types import FrameType

from stagnation._memory import tune_memory

#: Shell convention: a process ended by signal N exits with 128 + N.
EXIT_SIGNAL_BASE = 128
INTERRUPTED_MESSAGE = "interrupted, nothing written"


class Interrupted(BaseException):
    """Raised by the signal handlers; a ``BaseException`` so that no ``except Exception`` and no
    click handler swallows it on its way out, while ``finally`` blocks still clean up."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


def _raise_interrupted(signum: int, frame: FrameType | None) -> None:
    raise Interrupted(signum)


def install_handlers() -> None:
    """Turn SIGINT (Ctrl-C) and SIGTERM into :class:`Interrupted`."""
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, _raise_interrupted)


def main() -> None:
    """Run ``stagnation``; an interrupt prints one line and exits 130 (143 for SIGTERM)."""
    install_handlers()
    tune_memory()
    # with the spark extra installed, pandera imports pyspark.pandas, which warns that pandas 3
    # is not fully supported: not the user's concern, and said once per command otherwise
    warnings.filterwarnings(
        "ignore", message="PySpark does not yet fully support pandas", category=FutureWarning
    )
    try:
        from stagnation.cli import main as cli_main

        cli_main()
    except (Interrupted, KeyboardInterrupt) as stop:
        signum = stop.signum if isinstance(stop, Interrupted) else signal.SIGINT
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C must not break the exit
        sys.stderr.write(f"\n{INTERRUPTED_MESSAGE}\n")
        sys.stderr.flush()
        raise SystemExit(EXIT_SIGNAL_BASE + int(signum)) from None
