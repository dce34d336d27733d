"""Training snapshots: grids end where label windows close; nothing after the cutoff is seen."""

from __future__ import annotations

import pandas as pd
import pytest

from stagnation.crm import CRM, load_crm
from stagnation.features import CUSTOMER_FEATURES, REP_FEATURES, FeatureContext
from stagnation.snapshots import (
    as_of_grid,
    customer_snapshots,
    data_end,
    features_at,
    rep_snapshots,
)

CUTOFF = pd.Timestamp("2025-03-01")


@pytest.fixture(scope="module")
def sample() -> CRM:
    return load_crm("data/sample")


@pytest.fixture(scope="module")
def ctx(sample: CRM) -> FeatureContext:
    return FeatureContext.build(sample)


def _before(crm: CRM, cutoff: pd.Timestamp) -> CRM:
    """The extract as it looked at ``cutoff``: every event at or after it removed."""
    frames = dict(crm.tables())
    time_of = {
        "orders": "ordered_at",
        "activities": "occurred_at",
        "ownership": "valid_from",
        "opportunities": "created_at",
    }
    for name, column in time_of.items():
        frames[name] = frames[name].loc[frames[name][column] < cutoff]
    opp = frames["opportunities"].copy()
    still_open = ~(opp["closed_at"] < cutoff)
    opp.loc[still_open, "status"] = "open"
    opp.loc[still_open, "closed_at"] = pd.NaT
    frames["opportunities"] = opp
    reps = frames["reps"].copy()
    reps.loc[reps["left_at"] >= cutoff, "left_at"] = pd.NaT
    frames["reps"] = reps
    frames["customers"] = frames["customers"].loc[frames["customers"]["created_at"] < cutoff]
    return CRM(**frames)


def test_the_grid_ends_where_label_windows_close(sample: CRM) -> None:
    end = data_end(sample)
    assert end == pd.Timestamp("2026-01-01")
    grid = as_of_grid(sample, horizon_days=180)
    assert grid[0] == pd.Timestamp("2023-07-01")  # six months after activities start
    assert grid[-1] + pd.Timedelta(days=180) <= end < grid[-1] + pd.Timedelta(days=180 + 31)
    assert (grid.day == 1).all()
    with pytest.raises(ValueError, match="too short"):
        as_of_grid(sample, horizon_days=2000)


@pytest.mark.slow
def test_snapshots_before_a_cutoff_never_see_what_came_after(sample: CRM, ctx: FeatureContext):
    """The same snapshots come out of the full extract and of the extract cut at the cutoff."""
    past = FeatureContext.build(_before(sample, CUTOFF))
    for build in (rep_snapshots, customer_snapshots):
        full = build(ctx, cutoff=CUTOFF)
        cut = build(past, cutoff=CUTOFF)
        assert len(full) > 100
        pd.testing.assert_frame_equal(full, cut)


def test_snapshots_join_features_and_labels(ctx: FeatureContext) -> None:
    reps = rep_snapshots(ctx, cutoff=CUTOFF)
    assert list(reps.columns[:2]) == ["rep_id", "as_of"]
    assert {f.name for f in REP_FEATURES} <= set(reps.columns)
    assert reps["label"].dtype == bool and 0 < reps["label"].mean() < 0.5
    assert reps["as_of"].max() + pd.Timedelta(days=90) <= CUTOFF
    customers = customer_snapshots(ctx, cutoff=CUTOFF)
    assert {f.name for f in CUSTOMER_FEATURES} <= set(customers.columns)
    assert {"label", "value"} <= set(customers.columns)
    assert customers["as_of"].max() + pd.Timedelta(days=180) <= CUTOFF
    assert not customers.duplicated(["customer_id", "as_of"]).any()


def test_a_grid_date_whose_label_window_is_open_is_refused(ctx: FeatureContext) -> None:
    with pytest.raises(ValueError, match="after the cutoff"):
        customer_snapshots(ctx, [pd.Timestamp("2025-01-01")], cutoff=CUTOFF)


def test_features_at_gives_one_row_per_eligible_entity(ctx: FeatureContext) -> None:
    at = pd.Timestamp("2025-06-01")
    reps = features_at(ctx, "rep", at)
    customers = features_at(ctx, "customer", at)
    assert reps["rep_id"].is_unique and len(reps) > 10
    assert customers["customer_id"].is_unique and len(customers) > 100
    assert (reps["as_of"] == at).all() and (customers["as_of"] == at).all()
