"""``stagnation features --engine spark``: the same file as the pandas engine, or exit 2."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from stagnation import cli

pytestmark = pytest.mark.slow

SAMPLE = Path(__file__).resolve().parents[2] / "data" / "sample"


def features(tmp_path: Path, *options: str) -> tuple[int, str]:
    args = ["features", str(SAMPLE), "--as-of", "2026-01-01", *options]
    result = CliRunner().invoke(cli.app, args)
    return result.exit_code, result.output


def test_customer_features_on_spark_write_the_pandas_file(spark: object, tmp_path: Path) -> None:
    spark_file, pandas_file = tmp_path / "spark.csv", tmp_path / "pandas.csv"
    code, output = features(
        tmp_path, "--entity", "customer", "--out", str(spark_file), "--engine", "spark"
    )
    assert code == 0, output
    assert "947 customers x 68 features" in output
    code, output = features(tmp_path, "--entity", "customer", "--out", str(pandas_file))
    assert code == 0, output
    got, want = pd.read_csv(spark_file), pd.read_csv(pandas_file)
    pd.testing.assert_frame_equal(got, want, rtol=1e-9, atol=1e-6)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pandas.csv", "spark.csv"]


@pytest.mark.parametrize("as_of", ["1990-01-01", "2040-01-01"])
def test_a_moment_outside_the_data_exits_2_on_spark_too(
    spark: object, tmp_path: Path, as_of: str
) -> None:
    out = tmp_path / "f.parquet"
    args = ["features", str(SAMPLE), "--entity", "customer", "--as-of", as_of, "--out", str(out)]
    result = CliRunner().invoke(cli.app, [*args, "--engine", "spark"])
    assert result.exit_code == 2, result.output
    assert "outside what this extract can score" in result.output
    assert "Traceback" not in result.output and not out.exists()


def test_rep_features_on_spark_are_refused_before_any_work(tmp_path: Path) -> None:
    code, output = features(
        tmp_path, "--entity", "all", "--out", str(tmp_path / "f"), "--engine", "spark"
    )
    assert code == 2
    assert "--engine spark is not available yet for rep features" in output
    assert list(tmp_path.iterdir()) == []
