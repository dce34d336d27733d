"""`stagnation validate DATA_DIR`: exit 0 with sizes, exit 2 with every problem, no traceback."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from stagnation import cli
from stagnation.errors import BadOption

CUSTOMERS = "customer_id,created_at\nc1,2024-01-01\nc2,2024-01-05\n"
ORDERS = "order_id,customer_id,ordered_at,amount\no1,c1,2024-02-01,10\no2,c2,2024-03-15,5\n"


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def extract(folder: Path, **tables: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in tables.items():
        (folder / f"{name}.csv").write_text(text, encoding="utf-8")
    return folder


def test_a_valid_extract_exits_0_with_sizes_and_ranges(runner: CliRunner, tmp_path: Path) -> None:
    folder = extract(tmp_path / "ok", customers=CUSTOMERS, orders=ORDERS)
    result = runner.invoke(cli.app, ["validate", str(folder)])
    assert result.exit_code == 0, result.output
    assert "the extract is valid" in result.stdout
    for text in ("customers", "orders", "ordered_at", "2024-02-01", "2024-03-15"):
        assert text in result.stdout
    assert "Traceback" not in result.output


def test_warnings_are_shown_but_do_not_fail(runner: CliRunner, tmp_path: Path) -> None:
    orders = ORDERS + "o3,c1,2199-01-01,1\n"
    folder = extract(tmp_path / "warn", customers=CUSTOMERS, orders=orders)
    result = runner.invoke(cli.app, ["validate", str(folder)])
    assert result.exit_code == 0, result.output
    assert "warning: orders.ordered_at: timestamps in the future - 1 row, e.g. o3" in result.stdout


def test_a_bad_extract_exits_2_listing_every_problem(runner: CliRunner, tmp_path: Path) -> None:
    orders = ORDERS + "o3,c9,2024-02-01,-4\no3,c1,soon,1\n"
    folder = extract(tmp_path / "bad", customers=CUSTOMERS, orders=orders)
    result = runner.invoke(cli.app, ["validate", str(folder)])
    assert result.exit_code == 2
    out = result.stdout
    assert "error: orders.order_id: duplicate ids - 2 rows, e.g. o3" in out
    assert "error: orders.customer_id: customer_id not in customers - 1 row, e.g. o3" in out
    assert "error: orders.amount: negative amounts - 1 row, e.g. o3" in out
    assert "error: orders.ordered_at: unparseable dates - 1 row, e.g. o3" in out
    assert "values: 'soon'" in out and "fix: " in out
    assert "the extract is not valid: 4 errors" in result.stderr
    assert "Traceback" not in result.output


def test_a_missing_table_exits_2(runner: CliRunner, tmp_path: Path) -> None:
    folder = extract(tmp_path / "nocust", orders=ORDERS)
    result = runner.invoke(cli.app, ["validate", str(folder)])
    assert result.exit_code == 2
    assert "error: customers: required table missing" in result.stdout


@pytest.mark.parametrize("make", ["missing", "file"])
def test_a_path_that_is_not_a_folder_exits_2(runner: CliRunner, tmp_path: Path, make: str) -> None:
    path = tmp_path / "nothing"
    if make == "file":
        path.write_text("x", encoding="utf-8")
    result = runner.invoke(cli.app, ["validate", str(path)])
    assert result.exit_code == 2
    assert ("no such folder" if make == "missing" else "not a folder") in result.stderr
    assert "Traceback" not in result.output


@pytest.mark.parametrize("args", [[], ["validate"], ["validate", "a", "b"], ["nonsense"]])
def test_bad_arguments_exit_2_without_traceback(runner: CliRunner, args: list[str]) -> None:
    result = runner.invoke(cli.app, args)
    assert result.exit_code == 2
    assert "Traceback" not in result.output


def test_main_turns_user_errors_into_exit_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(sys, "argv", ["stagnation", "validate", str(tmp_path / "missing")])
    with pytest.raises(SystemExit) as caught:
        cli.main()
    assert caught.value.code == 2
    captured = capsys.readouterr()
    assert "no such folder" in captured.err
    assert "Traceback" not in captured.out + captured.err


def test_main_catches_a_user_error_raised_outside_a_command(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def broken_app() -> None:
        raise BadOption("--as-of must be a date, got 'tomorrow'")

    monkeypatch.setattr(cli, "app", broken_app)
    with pytest.raises(SystemExit) as caught:
        cli.main()
    assert caught.value.code == 2
    assert "error: --as-of must be a date, got 'tomorrow'" in capsys.readouterr().err
