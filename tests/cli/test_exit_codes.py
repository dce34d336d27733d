"""Exit codes say whose fault it is: 2 and a message for bad input, 1 and a traceback for a bug.

Each case runs :func:`stagnation.cli.main` as the console script does (``sys.argv``, real
stderr), so what is checked is what a user sees. The bugs are planted by replacing a function a
command calls with one that raises a built-in exception: a ``ValueError`` or ``KeyError`` from
inside the package is a bug, whatever its message, and must never print as "bad input".
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from stagnation import cli
from stagnation.errors import MissingTable, NotEnoughHistory
from stagnation.simulator import SimConfig, simulate, write_sample


@pytest.fixture(scope="module")
def extract(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny simulated company (4 reps, 50 customers, 6 months) as CSV, without its truth."""
    folder = tmp_path_factory.mktemp("exit-codes") / "extract"
    sim = simulate(SimConfig(seed=5, reps=4, customers=50, months=6, start="2022-01-01"))
    write_sample(sim, folder, format="csv")
    shutil.rmtree(folder / "truth")
    return folder


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Work from tmp, with a tracking store that no case may create."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{tmp_path / 'store' / 'mlflow.db'}")
    return tmp_path


def _main(
    args: list[str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> tuple[int, str, str]:
    monkeypatch.setattr(sys, "argv", ["stagnation", *args])
    with pytest.raises(SystemExit) as caught:
        cli.main()
    captured = capsys.readouterr()
    assert isinstance(caught.value.code, int)
    return caught.value.code, captured.out, captured.err


# (command line with {x} for the extract, text the message must hold)
BAD_INPUT = [
    (["validate", "missing"], "no such folder: missing"),
    (["features", "{x}", "--entity", "rep", "--as-of", "now", "--out", "f.csv"], "--as-of: 'now'"),
    (["features", "{x}", "--entity", "rep", "--as-of", "2022-05-01", "--out", "f.txt"], ".csv"),
    (["score", "{x}", "--as-of", "2022", "--out", "a.csv"], "is not an ISO 8601 date"),
    (["sample", "out", "--months", "2"], "--months: Input should be greater than or equal to 6"),
    (["sample", "{x}/orders.csv"], "orders.csv: file exists"),  # the OS's error, said plainly
    (["import", "sql", "not a url", "out", "--mapping", "yudao"], "not a database URL"),
    (["import", "sql", "sqlite:///crm.db", "out", "--mapping", "nope"], "no bundled mapping"),
    # features answers from the data's start to one (longest) horizon after its end, as score
    (["features", "{x}", "--entity", "rep", "--out", "f.csv", "--as-of", "2040-01-01"], "by 2022"),
    (["features", "{x}", "--entity", "rep", "--out", "f.csv", "--as-of", "1990-01-01"], "2022-01"),
    # the contract's --engine option: spark runs features, train and score (tests/spark);
    # score on spark without a registry says so
    (
        ["score", "{x}", "--as-of", "2022-05-01", "--out", "a.csv", "--engine", "spark"],
        "no MLflow registry",
    ),
    # a mistyped model folder is not a model to train first
    (
        ["score", "{x}", "--as-of", "2022-05-01", "--out", "a.csv", "--model-uri", "nothere"],
        "written by `stagnation export` or an MLflow model URI: check the path",
    ),
]


@pytest.mark.parametrize(
    ("args", "text"), BAD_INPUT, ids=[" ".join(a[:1] + a[-2:]) for a, _ in BAD_INPUT]
)
def test_bad_input_exits_2_with_a_message_and_no_traceback(
    extract: Path,
    workdir: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    args: list[str],
    text: str,
) -> None:
    code, out, err = _main([a.replace("{x}", str(extract)) for a in args], monkeypatch, capsys)
    assert code == cli.EXIT_BAD_INPUT
    assert text in err
    assert "error: " in err
    assert "Traceback" not in out + err
    assert not (workdir / "store").exists()


def _raiser(err: Exception) -> Callable[..., object]:
    def broken(*args: object, **kwargs: object) -> object:
        raise err

    return broken


# (where the bug is planted, the exception, the command line)
BUGS = [
    ("stagnation.cli._extract.validate_extract", KeyError("boom"), ["validate", "{x}"]),
    (
        "stagnation.cli._pipeline.load_crm",
        ValueError("a bug that reads like bad input"),
        ["features", "{x}", "--entity", "customer", "--as-of", "2022-05-01", "--out", "f.csv"],
    ),
    (
        "stagnation.snapshots.features_at",
        ZeroDivisionError("division by zero"),
        ["features", "{x}", "--entity", "customer", "--as-of", "2022-05-01", "--out", "f.csv"],
    ),
]


@pytest.mark.parametrize(
    ("target", "error", "args"), BUGS, ids=[b[1].__class__.__name__ for b in BUGS]
)
def test_a_bug_exits_1_with_its_traceback(
    extract: Path,
    workdir: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    target: str,
    error: Exception,
    args: list[str],
) -> None:
    monkeypatch.setattr(target, _raiser(error))
    code, _, err = _main([a.replace("{x}", str(extract)) for a in args], monkeypatch, capsys)
    assert code == cli.EXIT_BUG
    assert "Traceback (most recent call last)" in err
    assert f"{type(error).__name__}: {error}" in err
    assert "this is a bug in stagnation" in err
    assert "error: " not in err  # not dressed up as a user error
    assert not (workdir / "f.csv").exists()


def _fake_training(errors: dict[str, Exception]) -> Callable[..., object]:
    """A ``train_model`` that raises ``errors[name]`` for each model name."""

    def train_model(crm: object, name: str, **kwargs: object) -> object:
        raise errors[name]

    return train_model


@pytest.fixture
def no_store(monkeypatch: pytest.MonkeyPatch) -> None:
    """Let ``train`` run without opening an MLflow store (no model gets that far here)."""
    import stagnation.tracking

    monkeypatch.setattr(stagnation.tracking, "open_store", lambda: "sqlite:///unused.db")


def test_train_all_skips_the_rep_model_only_when_the_extract_is_too_thin(
    extract: Path,
    workdir: Path,
    no_store: None,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setattr(
        "stagnation.workflow.train_model",
        _fake_training(
            {
                "rep-passivity": MissingTable("the extract has no activities table"),
                "customer-recycling": NotEnoughHistory("needs at least 400 days of history"),
            }
        ),
    )
    code, out, err = _main(["train", str(extract)], monkeypatch, capsys)
    assert "rep-passivity: skipped: the extract has no activities table" in err
    assert "error: needs at least 400 days of history" in err  # the customer model is not skipped
    assert code == cli.EXIT_BAD_INPUT
    assert "Traceback" not in out + err


def test_train_all_does_not_skip_the_rep_model_on_a_bug(
    extract: Path,
    workdir: Path,
    no_store: None,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setattr(
        "stagnation.workflow.train_model",
        _fake_training({"rep-passivity": ValueError("operands could not be broadcast")}),
    )
    code, _, err = _main(["train", str(extract)], monkeypatch, capsys)
    assert code == cli.EXIT_BUG
    assert "skipped" not in err
    assert "ValueError: operands could not be broadcast" in err
    assert "Traceback (most recent call last)" in err


def test_the_console_script_maps_both_kinds(extract: Path, tmp_path: Path) -> None:
    """Through the installed entry point, in a real process: exit 2 without, 1 with a traceback."""
    script = Path(sys.executable).with_name("stagnation")
    bad = subprocess.run(
        [str(script), "validate", str(tmp_path / "missing")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert bad.returncode == 2, bad.stderr
    assert "no such folder" in bad.stderr and "Traceback" not in bad.stderr

    planted = (
        "import sys, stagnation.cli._extract as commands\n"
        "def broken(folder): raise KeyError('planted')\n"
        "commands.validate_extract = broken\n"
        f"sys.argv = ['stagnation', 'validate', {str(extract)!r}]\n"
        "from stagnation._entry import main\n"
        "main()\n"
    )
    bug = subprocess.run(
        [sys.executable, "-c", planted],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "COLUMNS": "100"},
    )
    assert bug.returncode == 1, bug.stderr
    assert "Traceback (most recent call last)" in bug.stderr
    assert "KeyError: 'planted'" in bug.stderr


@pytest.mark.parametrize(
    ("err", "users"),
    [
        (PermissionError(13, "Permission denied", "/read-only/out.csv"), True),  # from the OS
        (FileNotFoundError(2, "No such file or directory", "extract/orders.csv"), True),
        (FileNotFoundError("a file the package itself expected"), False),  # no path named: a bug
        (MissingTable("no activities"), True),
        (ValueError("cannot happen"), False),
        (KeyError("lightgbm"), False),
    ],
    ids=lambda v: type(v).__name__ if isinstance(v, BaseException) else str(v),
)
def test_which_errors_are_the_users(err: BaseException, users: bool) -> None:
    assert cli.is_user_error(err) is users


def test_features_runs_on_the_pandas_engine(
    extract: Path,
    workdir: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    args = ["features", str(extract), "--entity", "rep", "--as-of", "2022-05-01"]
    code, out, _ = _main([*args, "--out", "f.csv", "--engine", "pandas"], monkeypatch, capsys)
    assert code == 0 and "reps x" in out
    assert (workdir / "f.csv").read_bytes().startswith(b'"rep_id","as_of"')


def test_an_interrupt_wrapped_by_python_stays_an_interrupt(monkeypatch: pytest.MonkeyPatch) -> None:
    """Ctrl-C inside a class body's ``__set_name__`` reaches us as a RuntimeError (seen while
    sklearn imported narwhals): it must end as the interrupt, not as "a bug" with exit 1."""

    def app() -> None:
        try:
            raise KeyboardInterrupt
        except KeyboardInterrupt as stop:
            raise RuntimeError("Error calling __set_name__") from stop

    monkeypatch.setattr(cli, "app", app)
    with pytest.raises(KeyboardInterrupt):
        cli.main()
