"""What every command shares: the exit codes, the line between user errors and bugs, printing.

A :class:`~stagnation.errors.StagnationError` (or pydantic's refusal of the options, or an OS
error about a named path) is the user's to fix: its message, exit 2, no traceback. Anything else
is a bug: :func:`print_bug` shows the traceback, exit 1.
"""

from __future__ import annotations

import contextlib
import sys
import traceback
from collections.abc import Iterator, Sequence

import pandas as pd
import typer
from pydantic import ValidationError
from rich.console import Console
from rich.table import Table
from rich.text import Text

from stagnation.crm import CRMValidationError, Problem, ValidationReport
from stagnation.errors import StagnationError

#: Exit code for a bug: an exception the package did not expect, shown with its traceback.
EXIT_BUG = 1
#: Exit code for bad input or bad arguments (as click uses for usage errors).
EXIT_BAD_INPUT = 2
#: Exceptions that mean "the user's input is wrong", not "the program is broken": the package's
#: own hierarchy, and pydantic's refusal of the settings built from the options (``--months 0``).
USER_ERRORS: tuple[type[Exception], ...] = (StagnationError, ValidationError)


def is_user_error(err: BaseException) -> bool:
    """Return whether ``err`` is the user's to fix (exit 2), not a bug (exit 1).

    That is one of :data:`USER_ERRORS`, or an :class:`OSError` the operating system raised about
    a path (its ``filename`` is set): a missing input, a read-only or full output folder.
    """
    return isinstance(err, USER_ERRORS) or (
        isinstance(err, OSError) and getattr(err, "filename", None) is not None
    )


@contextlib.contextmanager
def user_errors() -> Iterator[None]:
    """Turn a user error raised inside the block into a readable message and exit code 2.

    Any other exception passes through: :func:`main` shows it as a bug, with its traceback.
    """
    try:
        yield
    except Exception as err:
        if not is_user_error(err):
            raise
        print_error(err)
        raise typer.Exit(EXIT_BAD_INPUT) from None


def print_error(err: Exception) -> None:
    """Print a user error to stderr: every problem for a validation error, else its message."""
    console = Console(stderr=True, soft_wrap=True)
    if isinstance(err, CRMValidationError):
        print_problems(console, err.report.problems)
        headline = err.report.format().splitlines()[0]
        console.print(Text(f"error: {headline}", style="bold red"))
    elif isinstance(err, ValidationError):  # bad settings: name the option and the rule
        for e in err.errors():
            option = "--" + "-".join(str(part) for part in e["loc"]).replace("_", "-")
            console.print(Text(f"error: {option}: {e['msg']}", style="bold red"))
    elif isinstance(err, OSError) and err.filename is not None and err.strerror is not None:
        # the operating system's own error (not ours): "[Errno 17] File exists: 'x.csv'" reads
        # as a crash; name the path first, then the reason
        console.print(Text(f"error: {err.filename}: {err.strerror.lower()}", style="bold red"))
    else:
        console.print(Text(f"error: {err}", style="bold red"))


def tables_table(report: ValidationReport) -> Table:
    """Return a table of each table's row count and the date range of its timestamp columns."""
    table = Table(title="tables", title_justify="left")
    table.add_column("table")
    table.add_column("rows", justify="right")
    table.add_column("column")
    table.add_column("from")
    table.add_column("to")
    for name, summary in report.tables.items():
        ranges = list(summary.time_ranges.items()) or [("", (None, None))]
        for i, (column, (lo, hi)) in enumerate(ranges):
            table.add_row(
                name if i == 0 else "",
                f"{summary.rows:,}" if i == 0 else "",
                column,
                _day(lo),
                _day(hi),
            )
    return table


def print_problems(console: Console, problems: Sequence[Problem]) -> None:
    """Print each problem: where, rule, row count, example ids, offending values and fix."""
    for p in problems:
        line = Text()
        line.append(f"{p.severity}: ", style="bold red" if p.severity == "error" else "yellow")
        line.append(f"{p.where}: ", style="bold")
        line.append(p.rule)
        if p.n_rows:
            line.append(f" - {p.n_rows:,} row{'s' if p.n_rows != 1 else ''}")
        if p.examples:
            line.append(f", e.g. {', '.join(p.examples)}")
        console.print(line)
        if p.bad_values:
            console.print(Text(f"    values: {', '.join(repr(v) for v in p.bad_values)}"))
        if p.fix:
            console.print(Text(f"    fix: {p.fix}", style="dim"))


def _day(value: pd.Timestamp | None) -> str:
    return "" if value is None else f"{value:%Y-%m-%d}"


def print_bug(err: BaseException) -> None:
    """Print an unexpected exception to stderr: its traceback, then one line saying it is a bug."""
    traceback.print_exception(err, file=sys.stderr)
    Console(stderr=True, soft_wrap=True).print(
        Text(
            f"internal error ({type(err).__name__}): this is a bug in stagnation, not a "
            "problem with the input; please report it with the traceback above",
            style="bold red",
        )
    )
