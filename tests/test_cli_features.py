"""`stagnation features DATA_DIR --entity rep|customer --as-of T --out FILE`."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from stagnation import cli
from stagnation.features import CUSTOMER_FEATURES, REP_FEATURES

SAMPLE = "data/sample"


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.mark.parametrize(
    ("entity", "defs"), [("rep", REP_FEATURES), ("customer", CUSTOMER_FEATURES)]
)
@pytest.mark.parametrize("suffix", [".parquet", ".csv"])
def test_features_writes_one_row_per_eligible_entity(
    runner: CliRunner, tmp_path: Path, entity: str, defs: tuple, suffix: str
) -> None:
    out = tmp_path / f"features{suffix}"
    args = ["features", SAMPLE, "--entity", entity, "--as-of", "2025-06-01", "--out", str(out)]
    result = runner.invoke(cli.app, args)
    assert result.exit_code == 0, result.output
    table = pd.read_parquet(out) if suffix == ".parquet" else pd.read_csv(out)
    assert table[f"{entity}_id"].is_unique and len(table) > 10
    assert {d.name for d in defs} <= set(table.columns)
    assert f"{len(table):,} {entity}s" in result.stdout


def customers_and_orders(folder: Path) -> Path:
    folder.mkdir()
    (folder / "customers.csv").write_text(
        "customer_id,created_at\nc1,2023-01-01\nc2,2023-01-01\n", encoding="utf-8"
    )
    (folder / "orders.csv").write_text(
        "order_id,customer_id,ordered_at,amount\no1,c1,2023-02-01,10\no2,c2,2024-05-01,5\n",
        encoding="utf-8",
    )
    return folder


def test_a_customers_and_orders_extract_gives_customer_features(
    runner: CliRunner, tmp_path: Path
) -> None:
    data = customers_and_orders(tmp_path / "small")
    out = tmp_path / "c.csv"
    args = ["features", str(data), "--entity", "customer", "--as-of", "2024-01-01"]
    result = runner.invoke(cli.app, [*args, "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert pd.read_csv(out)["customer_id"].tolist() == ["c1", "c2"]


def test_the_rep_features_refuse_an_extract_without_activities(
    runner: CliRunner, tmp_path: Path
) -> None:
    data = customers_and_orders(tmp_path / "small")
    out = tmp_path / "r.csv"
    args = ["features", str(data), "--entity", "rep", "--as-of", "2024-01-01", "--out", str(out)]
    result = runner.invoke(cli.app, args)
    assert result.exit_code == 2
    assert "activities" in result.output and "Traceback" not in result.output
    assert not out.exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--entity", "rep", "--as-of", "someday"], "--as-of"),
        (["--entity", "team", "--as-of", "2025-01-01"], "team"),
        (["--entity", "rep", "--as-of", "2025-01-01", "--out", "x.xlsx"], "xlsx"),
    ],
)
def test_bad_arguments_exit_2(
    runner: CliRunner, tmp_path: Path, args: list[str], message: str
) -> None:
    if "--out" not in args:
        args = [*args, "--out", str(tmp_path / "f.parquet")]
    result = runner.invoke(cli.app, ["features", SAMPLE, *args])
    assert result.exit_code == 2
    assert message in result.output and "Traceback" not in result.output


def test_all_entities_write_the_same_rows_as_one_entity_at_a_time(
    runner: CliRunner, tmp_path: Path
) -> None:
    at = ["--as-of", "2025-06-01"]
    folder = tmp_path / "both"
    result = runner.invoke(cli.app, ["features", SAMPLE, "--entity", "all", *at, "--out", folder])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in folder.iterdir()) == ["customer.parquet", "rep.parquet"]
    for entity in ("rep", "customer"):
        one = tmp_path / f"{entity}.parquet"
        args = ["features", SAMPLE, "--entity", entity, *at, "--out", str(one)]
        assert runner.invoke(cli.app, args).exit_code == 0
        both = pd.read_parquet(folder / f"{entity}.parquet")
        pd.testing.assert_frame_equal(both, pd.read_parquet(one))
        assert f"{len(both):,} {entity}s" in result.stdout


def test_all_entities_with_a_file_name_write_one_file_per_entity_beside_it(
    runner: CliRunner, tmp_path: Path
) -> None:
    out = tmp_path / "f.csv"
    args = ["features", SAMPLE, "--entity", "all", "--as-of", "2025-06-01", "--out", str(out)]
    result = runner.invoke(cli.app, args)
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["f-customer.csv", "f-rep.csv"]


@pytest.mark.parametrize("name", ["f.xlsx", "existing-file"])
def test_all_entities_refuse_an_out_that_is_neither_a_folder_nor_a_prefix(
    runner: CliRunner, tmp_path: Path, name: str
) -> None:
    (tmp_path / "existing-file").write_text("x", encoding="utf-8")
    out = tmp_path / name
    args = ["features", SAMPLE, "--entity", "all", "--as-of", "2025-06-01", "--out", str(out)]
    result = runner.invoke(cli.app, args)
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert str(out) in result.output.replace("\n", "")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["existing-file"]


def test_all_entities_leave_no_file_when_one_entity_fails(
    runner: CliRunner, tmp_path: Path
) -> None:
    data = customers_and_orders(tmp_path / "small")  # no activities: the rep features refuse
    out = tmp_path / "both"
    args = ["features", str(data), "--entity", "all", "--as-of", "2024-01-01", "--out", str(out)]
    result = runner.invoke(cli.app, args)
    assert result.exit_code == 2 and "activities" in result.output
    assert not out.exists() or not any(out.iterdir())
