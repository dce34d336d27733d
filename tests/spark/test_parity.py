"""Parity: the Spark engine gives the pandas path's rows, for both entities, on two companies.

The bundled sample (Parquet files, every table) and a second simulated company written with a
partitioned ``activities/`` folder and without ``reps`` and ``ownership`` (so owners come from
the latest touch and the rep universe from the ids) get features and training snapshots from
both engines, at several ``as_of`` dates (with ``tests/spark/test_cli.py``: 2025-04-01).
Rows, order, dtypes and categories must agree; values to 1e-9 relative (window sums are
differences of running sums, which a partition accumulates over other events; spreads from
running sums of squares get 1e-6 days absolute).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest

from stagnation.crm import load_crm
from stagnation.labels import CustomerReactivationSettings, RepPassivitySettings
from stagnation.simulator import SimConfig, simulate, write_sample
from stagnation.snapshots import customer_snapshots, features_at, rep_snapshots
from stagnation.spark import (
    SparkExtract,
    read_extract,
    spark_customer_features,
    spark_customer_snapshots,
    spark_features_at,
    spark_rep_features,
    spark_rep_snapshots,
)

pytestmark = pytest.mark.slow

SAMPLE = Path(__file__).resolve().parents[2] / "data" / "sample"


@pytest.fixture(scope="module")
def other(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A second company: activities as a folder of 3 Parquet files, no reps, no ownership."""
    folder = tmp_path_factory.mktemp("other") / "extract"
    sim = simulate(SimConfig(seed=5, reps=6, customers=2500, months=24, start="2022-01-01"))
    write_sample(sim, folder)
    shutil.rmtree(folder / "truth")
    for table in ("reps", "ownership"):
        (folder / f"{table}.parquet").unlink()
    activities = pq.read_table(folder / "activities.parquet")
    (folder / "activities.parquet").unlink()
    (folder / "activities").mkdir()
    third = len(activities) // 3 + 1
    for i in range(3):
        pq.write_table(activities.slice(i * third, third), folder / "activities" / f"p{i}.parquet")
    return folder


def same(got: pd.DataFrame, want: pd.DataFrame) -> None:
    assert len(want) > 0
    pd.testing.assert_frame_equal(got, want, rtol=1e-9, atol=1e-6)


GRID = pd.to_datetime(["2024-09-01", "2025-01-01", "2025-05-01"])


def test_sample_customer_features(spark: object) -> None:
    extract = read_extract(spark, SAMPLE)  # type: ignore[arg-type]
    got = spark_customer_features(extract, "2026-01-01", buckets=4)
    want = features_at(load_crm(SAMPLE), "customer", "2026-01-01")
    same(got, want)
    assert want["p_alive"].notna().any() and want["owner_hunting_share_90d"].notna().any()


def test_sample_rep_features(spark: object) -> None:
    extract = read_extract(spark, SAMPLE)  # type: ignore[arg-type]
    got = spark_rep_features(extract, "2026-01-01", buckets=3)
    want = features_at(load_crm(SAMPLE), "rep", "2026-01-01")
    same(got, want)
    assert want["book_customers_vs_peers"].notna().any()
    assert want["book_revenue_vs_peers_365d"].notna().any()


def test_sample_rep_snapshots(spark: object) -> None:
    extract = read_extract(spark, SAMPLE)  # type: ignore[arg-type]
    settings = RepPassivitySettings()
    got = spark_rep_snapshots(extract, GRID, settings, buckets=3)
    want = rep_snapshots(load_crm(SAMPLE), GRID, settings, cutoff="2026-01-01")
    same(got, want)
    assert got.attrs["settings"] == want.attrs["settings"]
    assert want["label"].any() and set(want["as_of"]) == set(GRID)


def test_sample_customer_snapshots(spark: object) -> None:
    extract = read_extract(spark, SAMPLE)  # type: ignore[arg-type]
    settings = CustomerReactivationSettings()
    got = spark_customer_snapshots(extract, GRID, settings, cutoff="2026-01-01", buckets=3)
    want = customer_snapshots(load_crm(SAMPLE), GRID, settings, cutoff="2026-01-01")
    same(got, want)
    assert got.attrs["settings"] == want.attrs["settings"]
    assert want["label"].any()


def test_other_company_without_reps_and_ownership(spark: object, other: Path) -> None:
    extract = read_extract(spark, other)  # type: ignore[arg-type]
    assert isinstance(extract, SparkExtract) and extract.reps is None
    crm = load_crm(other)
    assert crm.reps is None and crm.ownership is None
    got = spark_features_at(extract, ["customer", "rep"], "2023-09-01", buckets=5)
    want = features_at(crm, "customer", "2023-09-01")
    same(got["customer"], want)
    assert want["owner_hunting_share_365d"].notna().any() and want["p_alive"].notna().any()
    want = features_at(crm, "rep", "2023-09-01")
    same(got["rep"], want)
    assert want["book_customers"].notna().any()
