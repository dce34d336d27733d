"""workflow: label settings with the contract's defaults; truth read back from either format."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from stagnation.labels import CustomerReactivationSettings, RepPassivitySettings
from stagnation.simulator import SimConfig, simulate, write_sample
from stagnation.workflow import label_settings, read_truth


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
