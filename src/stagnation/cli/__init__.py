"""The ``stagnation`` command line: thin typer commands that parse arguments and print results.

Every command exits 0 on success and 2, with a readable message and no traceback, on bad input
or bad arguments (a :class:`~stagnation.errors.StagnationError`). Anything else is a bug: exit 1
with the traceback. The work itself lives in the package; nothing here computes anything.

One module per group of commands: ``_extract`` (validate, sample), ``_pipeline`` (features,
train, promote, export, score; ``_spark`` holds their ``--engine spark`` side), ``_import``
(import salesforce|sql); ``_output`` holds the exit codes, the error handling and the shared
printing. The table below registers the commands in the order ``--help`` lists them.
"""

from __future__ import annotations

import typer

from stagnation.cli._extract import sample, validate
from stagnation.cli._import import import_app
from stagnation.cli._output import (
    EXIT_BAD_INPUT,
    EXIT_BUG,
    USER_ERRORS,
    is_user_error,
    print_bug,
    print_error,
    user_errors,
)
from stagnation.cli._pipeline import (
    SCORE_HELP,
    TRAIN_HELP,
    export,
    features,
    parse_moment,
    promote,
    score,
    train,
)

__all__ = [
    "EXIT_BAD_INPUT",
    "EXIT_BUG",
    "USER_ERRORS",
    "app",
    "is_user_error",
    "main",
    "parse_moment",
    "user_errors",
]

app = typer.Typer(
    name="stagnation",
    help="Find sales reps sliding into order-follower mode and dormant customers worth "
    "recycling through the shared pool; rank the actions.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@app.callback()
def _root() -> None:
    """Find sliding reps and dormant customers worth recycling; rank the actions."""


app.command()(validate)
app.command()(sample)
app.command()(features)
app.command(help=TRAIN_HELP)(train)
app.command()(promote)
app.command()(export)
app.command(help=SCORE_HELP)(score)
app.add_typer(import_app, name="import")


def _interrupt_behind(err: BaseException) -> BaseException | None:
    """Return the interrupt (a ``BaseException`` that is no ``Exception``) behind ``err``."""
    seen: BaseException | None = err
    while seen is not None:
        if not isinstance(seen, Exception):
            return seen
        seen = seen.__cause__ or seen.__context__
    return None


def main() -> None:
    """Run the command line: a user error exits 2 with its message, a bug 1 with its traceback."""
    try:
        app()
    except Exception as err:
        stop = _interrupt_behind(err)
        if stop is not None:  # e.g. Ctrl-C inside a class body's __set_name__ (RuntimeError)
            raise stop from None
        if is_user_error(err):
            print_error(err)
            raise SystemExit(EXIT_BAD_INPUT) from None
        print_bug(err)
        raise SystemExit(EXIT_BUG) from None
