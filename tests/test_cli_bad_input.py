"""The bad-input catalogue: each case exits as documented, names the table/column, loses nothing.

Every case starts from the same small simulated company written as CSV, breaks one thing, runs
one command, and checks three things: the exit code (2 for bad input, 0 where the extract is
still usable and a warning says what was assumed), that the message names the table, column or
option at fault, and that nothing written before is lost (the extract's files and an earlier
output file keep their bytes; no MLflow store appears). The README's "Bad input" table lists the
same cases.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner, Result

from stagnation import cli
from stagnation.simulator import SimConfig, simulate, write_sample

PREVIOUS = b"rank,action\n1,previous run\n"


@pytest.fixture(scope="module")
def company(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small simulated company (12 reps, 600 customers, 24 months) as CSV files."""
    folder = tmp_path_factory.mktemp("company") / "extract"
    sim = simulate(SimConfig(seed=3, reps=12, customers=600, months=24, start="2021-01-01"))
    write_sample(sim, folder, format="csv")
    shutil.rmtree(folder / "truth")
    return folder


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Work from tmp with a store path that must not appear, and an earlier output file."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{tmp_path / 'store' / 'mlflow.db'}")
    (tmp_path / "previous.csv").write_bytes(PREVIOUS)
    return tmp_path


def _copy(company: Path, workdir: Path) -> Path:
    return Path(shutil.copytree(company, workdir / "extract"))


def _fingerprint(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def _table(folder: Path, name: str) -> pd.DataFrame:
    return pd.read_csv(folder / f"{name}.csv", dtype=str, keep_default_na=False)


def _write(folder: Path, name: str, frame: pd.DataFrame) -> None:
    frame.to_csv(folder / f"{name}.csv", index=False)


def _empty(*names: str) -> Callable[[Path], None]:
    def mutate(folder: Path) -> None:
        for name in names:
            _write(folder, name, _table(folder, name).head(0))

    return mutate


def _set(name: str, column: str, *values: str) -> Callable[[Path], None]:
    """Overwrite ``column`` in the first rows of ``name`` with ``values``."""

    def mutate(folder: Path) -> None:
        frame = _table(folder, name)
        for i, value in enumerate(values):
            frame.loc[i, column] = value
        _write(folder, name, frame)

    return mutate


def _semicolons(folder: Path) -> None:
    frame = _table(folder, "customers")
    frame.to_csv(folder / "customers.csv", index=False, sep=";")


def _drop_column(folder: Path) -> None:
    _write(folder, "orders", _table(folder, "orders").drop(columns=["amount"]))


def _both_formats(folder: Path) -> None:
    _table(folder, "reps").to_parquet(folder / "reps.parquet")


def _no_header(folder: Path) -> None:
    (folder / "ownership.csv").write_bytes(b"")


def _duplicate_customer(folder: Path) -> None:
    frame = _table(folder, "customers")
    _write(folder, "customers", pd.concat([frame, frame.head(1)]))


def _remove(name: str) -> Callable[[Path], None]:
    def mutate(folder: Path) -> None:
        (folder / f"{name}.csv").unlink()

    return mutate


# (case, how to break the extract, exit code of `validate`, what the user must read)
VALIDATE_CASES: list[tuple[str, Callable[[Path], None], int, tuple[str, ...]]] = [
    ("customers empty", _empty("customers"), 2, ("error: customers: table is empty",)),
    ("orders empty", _empty("orders"), 0, ("warning: orders: table is empty", "no orders")),
    ("activities empty", _empty("activities"), 0, ("warning: activities: table is empty",)),
    ("reps empty", _empty("reps"), 0, ("warning: reps: table is empty", "derived")),
    ("opportunities empty", _empty("opportunities"), 0, ("warning: opportunities: table",)),
    ("ownership empty", _empty("ownership"), 0, ("warning: ownership: table is empty",)),
    (
        "orders and activities empty",
        _empty("orders", "activities"),
        2,
        ("error: orders/activities: no events",),
    ),
    (
        "an absurd amount (1e300)",
        _set("orders", "amount", "1e300"),
        0,
        ("warning: orders.amount: amounts far outside this extract's own range", "1e+300"),
    ),
    (
        "amounts whose sum overflows",
        _set("orders", "amount", "1.5e308", "1.5e308"),
        2,
        ("error: orders.amount: amounts too large: their sum overflows",),
    ),
    ("an infinite amount", _set("orders", "amount", "inf"), 2, ("orders.amount: unparseable",)),
    ("a negative amount", _set("orders", "amount", "-5"), 2, ("orders.amount: negative",)),
    (
        "a ;-separated CSV",
        _semicolons,
        2,
        ("error: customers: the header is one column holding ';'", "commas"),
    ),
    ("customers missing", _remove("customers"), 2, ("customers: required table missing",)),
    ("a required column missing", _drop_column, 2, ("orders.amount: required column missing",)),
    ("duplicate ids", _duplicate_customer, 2, ("customers.customer_id: duplicate ids",)),
    (
        "an unknown code",
        _set("activities", "channel", "carrier pigeon"),
        2,
        ("activities.channel: values outside", "carrier pigeon"),
    ),
    ("an unparseable date", _set("orders", "ordered_at", "soon"), 2, ("orders.ordered_at",)),
    (
        "an id pointing nowhere",
        _set("orders", "customer_id", "nobody"),
        2,
        ("orders.customer_id: customer_id not in customers",),
    ),
    (
        "left before hired",
        _set("reps", "left_at", "1999-01-01"),
        2,
        ("reps.left_at: left_at before hired_at",),
    ),
    ("a table in both formats", _both_formats, 2, ("reps: table given as both CSV and Parquet",)),
    ("a file without a header", _no_header, 2, ("ownership: file cannot be read",)),
]


def _check_nothing_lost(workdir: Path, extract: Path, before: dict[str, str]) -> None:
    assert _fingerprint(extract) == before  # the command changed none of its inputs
    assert (workdir / "previous.csv").read_bytes() == PREVIOUS
    assert not (workdir / "store").exists()  # no MLflow store was created
    assert not [p for p in workdir.iterdir() if p.name.startswith(".")]  # no temporaries


def _invoke(args: list[str]) -> Result:
    result = CliRunner().invoke(cli.app, args)
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result


@pytest.mark.parametrize(
    ("mutate", "exit_code", "texts"),
    [case[1:] for case in VALIDATE_CASES],
    ids=[case[0] for case in VALIDATE_CASES],
)
def test_validate_catalogue(
    company: Path,
    workdir: Path,
    mutate: Callable[[Path], None],
    exit_code: int,
    texts: tuple[str, ...],
) -> None:
    extract = _copy(company, workdir)
    mutate(extract)
    before = _fingerprint(extract)
    result = _invoke(["validate", str(extract)])
    assert result.exit_code == exit_code, result.output
    for text in texts:
        assert text in result.output
    _check_nothing_lost(workdir, extract, before)


@pytest.mark.parametrize(
    "command",
    [
        ["features", "--entity", "customer", "--as-of", "2022-06-01", "--out", "previous.csv"],
        ["score", "--as-of", "2022-06-01", "--out", "previous.csv"],
        ["train"],
    ],
    ids=["features", "score", "train"],
)
def test_empty_customers_stop_every_command(
    company: Path, workdir: Path, command: list[str]
) -> None:
    extract = _copy(company, workdir)
    _empty("customers")(extract)
    before = _fingerprint(extract)
    result = _invoke([command[0], str(extract), *command[1:]])
    assert result.exit_code == 2
    assert "customers: table is empty (header only)" in result.output
    _check_nothing_lost(workdir, extract, before)


@pytest.mark.parametrize(
    ("table", "entity"),
    [("orders", "rep"), ("reps", "rep"), ("opportunities", "customer"), ("ownership", "customer")],
)
def test_an_empty_optional_table_is_read_as_absent(
    company: Path, workdir: Path, table: str, entity: str, caplog: pytest.LogCaptureFixture
) -> None:
    extract = _copy(company, workdir)
    _empty(table)(extract)
    out = workdir / "features.parquet"
    result = _invoke(
        ["features", str(extract), "--entity", entity, "--as-of", "2022-09-01", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert f"warning: {table}: table is empty (header only)" in caplog.text  # stderr in a shell
    assert pd.read_parquet(out).shape[1] > 10  # the features were computed
    assert (workdir / "previous.csv").read_bytes() == PREVIOUS


def test_empty_activities_make_the_rep_model_refuse(company: Path, workdir: Path) -> None:
    extract = _copy(company, workdir)
    _empty("activities")(extract)
    result = _invoke(["train", str(extract), "--model", "rep-passivity"])
    assert result.exit_code == 2
    assert "activities" in result.output and "rep-passivity" in result.output
    assert (workdir / "previous.csv").read_bytes() == PREVIOUS


@pytest.mark.parametrize("word", ["now", "today", "yesterday", "2026"])
@pytest.mark.parametrize("command", ["features", "score", "train"])
def test_as_of_must_be_a_date(company: Path, workdir: Path, command: str, word: str) -> None:
    args = {
        "features": ["--entity", "rep", "--out", "previous.csv"],
        "score": ["--out", "previous.csv"],
        "train": [],
    }[command]
    result = _invoke([command, str(company), "--as-of", word, *args])
    assert result.exit_code == 2
    assert f"--as-of: {word!r} is not an ISO 8601 date" in result.output
    assert "refused so that a run can be repeated" in result.output
    assert (workdir / "previous.csv").read_bytes() == PREVIOUS
    assert not (workdir / "store").exists()


def _unwritable_target(workdir: Path) -> Path:
    """A file in a folder that refuses new files, even to root when the tests run as root."""
    if os.geteuid() == 0:  # root ignores permission bits; sysfs refuses new files to everyone
        return Path("/sys/actions.csv")
    folder = workdir / "read-only"
    folder.mkdir()
    folder.chmod(0o555)
    return folder / "actions.csv"


@pytest.mark.parametrize("command", ["features", "score"])
def test_an_unwritable_out_fails_first_naming_the_target(
    company: Path, workdir: Path, command: str
) -> None:
    target = _unwritable_target(workdir)
    extra = ["--entity", "rep"] if command == "features" else []
    result = _invoke([command, str(company), "--as-of", "2022-06-01", "--out", str(target), *extra])
    assert result.exit_code == 2
    assert f"cannot write {target}: its folder {target.parent} does not accept new files" in (
        result.output
    )
    assert f".{target.name}." not in result.output  # the target, not a temporary, is named
    assert "loading" not in result.output and "actions at" not in result.output
    assert (workdir / "previous.csv").read_bytes() == PREVIOUS


@pytest.mark.parametrize(
    ("out", "text"),
    [
        ("folder", "it is a folder; name a file"),
        ("actions.txt", "the name must end in .parquet or .csv"),
    ],
)
def test_a_bad_out_name_fails_first(company: Path, workdir: Path, out: str, text: str) -> None:
    (workdir / "folder").mkdir()
    result = _invoke(["score", str(company), "--as-of", "2022-06-01", "--out", out])
    assert result.exit_code == 2
    assert text in result.output and out in result.output
    assert (workdir / "previous.csv").read_bytes() == PREVIOUS


def test_an_unknown_model_uri_fails_without_writing(company: Path, workdir: Path) -> None:
    result = _invoke(
        [
            "score",
            str(company),
            "--as-of",
            "2022-06-01",
            "--out",
            "previous.csv",
            "--model-uri",
            str(workdir / "no-such-model"),
        ]
    )
    assert result.exit_code == 2
    assert "no-such-model" in result.output
    assert (workdir / "previous.csv").read_bytes() == PREVIOUS
