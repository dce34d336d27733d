"""workflow: label settings with the contract's defaults; truth read back from either format."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from stagnation.crm import CRM
from stagnation.labels import CustomerReactivationSettings, RepPassivitySettings
from stagnation.simulator import SimConfig, simulate, write_sample
from stagnation.snapshots import data_start
from stagnation.workflow import fold_warmup_days, label_settings, read_truth, train_model


def test_label_settings_default_to_the_contract() -> None:
    assert label_settings("rep-passivity") == RepPassivitySettings(horizon_days=90)
    customers = label_settings("customer-recycling")
    assert customers == CustomerReactivationSettings(horizon_days=180, dormant_days=90)
    assert label_settings("customer-recycling", dormant_days=60).dormant_days == 60
    with pytest.raises(ValueError, match="unknown model"):
        label_settings("churn")  # type: ignore[arg-type]


def test_truth_reads_the_same_from_csv_and_parquet(tmp_path: Path) -> None:
    sim = simulate(SimConfig(seed=2, reps=6, customers=300, months=8))
    write_sample(sim, tmp_path / "pq")
    write_sample(sim, tmp_path / "csv", format="csv")
    from_parquet, from_csv = read_truth(tmp_path / "pq"), read_truth(tmp_path / "csv")
    assert from_parquet is not None and from_csv is not None
    for name in ("slides", "customer_months"):
        left, right = from_parquet[name], from_csv[name]
        for column in left.columns:
            if pd.api.types.is_datetime64_any_dtype(left[column]):
                pd.testing.assert_series_equal(left[column], right[column], check_dtype=False)
    assert read_truth(tmp_path / "nowhere") is None


def _left_truncated(days: int, n: int = 1200, seed: int = 0) -> CRM:
    """Customers + orders of an export that starts long after the customers did (day 0)."""
    rng = np.random.default_rng(seed)
    rate = rng.gamma(0.8, 1 / 25, n)
    drop = rng.beta(1.0, 6.0, n)
    rows = []
    for i in range(n):
        t = rng.uniform(-600, days)  # a first order before the export starts, for most
        while t < days and rng.random() > drop[i]:
            if t >= 0:
                rows.append((f"o{i}-{len(rows)}", f"C{i:05d}", t, rng.lognormal(4, 0.6)))
            t += rng.exponential(1 / rate[i])
    start = pd.Timestamp("2025-01-01")
    orders = pd.DataFrame(rows, columns=["order_id", "customer_id", "day", "amount"])
    orders["ordered_at"] = start + pd.to_timedelta(orders.pop("day"), unit="D")
    customers = pd.DataFrame(
        {
            "customer_id": [f"C{i:05d}" for i in range(n)],
            "created_at": start - pd.Timedelta(days=700),
        }
    )
    return CRM.from_frames(customers=customers, orders=orders)


@pytest.mark.slow
def test_no_fold_trains_only_on_the_weeks_just_after_the_warmup() -> None:
    # a 10-month export at 90/60: right after the warm-up no dormant customer has an order on
    # record (it would predate the data), so a fold trained there alone learns nothing that holds
    crm = _left_truncated(days=306)
    settings = label_settings("customer-recycling", horizon_days=90, dormant_days=60)
    assert fold_warmup_days(settings) == 90
    result = train_model(crm, "customer-recycling", horizon_days=90, dormant_days=60)
    enough = data_start(crm) + pd.Timedelta(days=90)
    splits = result.card.splits
    assert "holdout" in splits  # the minimum history rule still trains it
    for name, split in splits.items():
        if name != "holdout":
            assert pd.Timestamp(split["train_before"]) > enough, name
    assert list(splits) == ["holdout"]  # ten months leave no fold with history behind it
