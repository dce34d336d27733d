"""``stagnation features --engine spark``: the same files as the pandas engine, or exit 2."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from stagnation import cli

pytestmark = pytest.mark.slow

SAMPLE = Path(__file__).resolve().parents[2] / "data" / "sample"


def features(tmp_path: Path, *options: str) -> tuple[int, str]:
    args = ["features", str(SAMPLE), "--as-of", "2025-04-01", *options]
    result = CliRunner().invoke(cli.app, args)
    return result.exit_code, result.output


def test_features_of_both_entities_on_spark_write_the_pandas_files(
    spark: object, tmp_path: Path
) -> None:
    on_spark, on_pandas = tmp_path / "spark", tmp_path / "pandas"
    code, output = features(
        tmp_path, "--entity", "all", "--out", str(on_spark), "--engine", "spark"
    )
    assert code == 0, output
    assert "reps x 64 features" in output and "customers x 68 features" in output
    code, output = features(tmp_path, "--entity", "all", "--out", str(on_pandas))
    assert code == 0, output
    for name in ("rep.parquet", "customer.parquet"):
        got, want = pd.read_parquet(on_spark / name), pd.read_parquet(on_pandas / name)
        assert len(want) > 0
        pd.testing.assert_frame_equal(got, want, rtol=1e-9, atol=1e-6)
    assert sorted(p.name for p in on_spark.iterdir()) == ["customer.parquet", "rep.parquet"]


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
