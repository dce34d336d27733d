"""Exploration helpers: documented columns, the T-model on the sample, hand-counted pool flows.

The sample-based tests read ``data/sample`` once per module (about two seconds); the pool,
revival and dormancy counts are checked on tiny CRMs built inline, counted by hand.
"""

from __future__ import annotations

import re
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure

from stagnation import explore
from stagnation.crm import CRM, load_crm, validate_extract
from stagnation.features import FeatureContext
from stagnation.workflow import read_truth

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample"
UNIT = re.compile(r"\(.+\)")


@pytest.fixture(autouse=True)
def _agg(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MPLBACKEND", "Agg")


@pytest.fixture(scope="module")
def sample() -> tuple[FeatureContext, dict[str, pd.DataFrame]]:
    truth = read_truth(SAMPLE)
    assert truth is not None
    return FeatureContext.build(load_crm(SAMPLE)), truth


@pytest.fixture(scope="module")
def months(sample: tuple[FeatureContext, dict[str, pd.DataFrame]]) -> pd.DataFrame:
    ctx, truth = sample
    return explore.rep_months(ctx, truth=truth)


# --- the T-model in the sample -------------------------------------------------------------


def test_rep_months_has_the_documented_columns_and_only_employed_reps(months, sample) -> None:
    ctx, _ = sample
    assert list(months.columns) == [*explore.REP_MONTH_COLUMNS, "true_mode", "true_book_coverage"]
    assert months["as_of"].dt.is_month_start.all()
    assert not months.duplicated(["rep_id", "as_of"]).any()
    reps = ctx.crm.reps.set_index("rep_id").loc[months["rep_id"]]
    assert (reps["hired_at"].to_numpy() < months["as_of"].to_numpy()).all()
    left = reps["left_at"].to_numpy()
    assert (np.isnat(left) | (left > months["as_of"].to_numpy())).all()
    shares = months[["hunting_share_outbound_30d", "hunting_share_outbound_90d"]].to_numpy()
    assert (np.isnan(shares) | ((shares >= 0) & (shares <= 1))).all()
    assert np.isnan(shares).mean() < 0.05  # nearly every employed rep works outbound
    # the outbound share leaves inbound touches out, so it is never below the all-touch share
    both = months[["hunting_share_outbound_90d", "hunting_share_90d"]].dropna()
    assert (both["hunting_share_outbound_90d"] >= both["hunting_share_90d"] - 1e-12).all()
    assert months["true_mode"].notna().all()  # the truth covers every employed rep-month


def test_hunting_share_falls_with_tenure_on_the_sample(months) -> None:
    table = explore.hunting_share_by(months, "tenure_years", explore.TENURE_BANDS)
    assert list(table.columns) == [
        "rep_months",
        "reps",
        "mean_pct",
        "median_pct",
        "q25_pct",
        "q75_pct",
    ]
    assert list(table.index) == ["0-1", "1-2", "2-3", "3-5", "5+"]
    assert table["mean_pct"].is_monotonic_decreasing
    assert table["mean_pct"].iloc[0] > 2 * table["mean_pct"].iloc[-1]
    assert (table["q25_pct"] <= table["median_pct"]).all()
    assert (table["median_pct"] <= table["q75_pct"]).all()
    assert table["rep_months"].sum() == months["hunting_share_outbound_90d"].notna().sum()


def test_hunting_share_falls_with_book_coverage_and_tracks_the_hidden_mode(months) -> None:
    coverage = explore.hunting_share_by(
        months, "book_revenue_vs_peers_365d", explore.COVERAGE_BANDS
    )
    assert coverage["median_pct"].iloc[0] > coverage["median_pct"].iloc[-1] + 30
    mode = explore.hunting_share_by(months, "true_mode")["median_pct"]
    assert mode["hunter"] > mode["sliding"] > mode["order_follower"]


def test_stage_mix_rows_are_shares_of_the_band(months) -> None:
    mix = explore.stage_mix(months)
    stages = ["prospecting", "negotiating", "qualified", "maintaining", "deepening"]
    assert list(mix.columns) == [*stages, "rep_months"]
    assert np.allclose(mix[stages].sum(axis=1), 100)
    assert mix.loc["0-1", "deepening"] == 0  # nobody lives off the book in the first year
    assert mix.loc["5+", "deepening"] > 10


def test_hunting_share_by_counts_bands_by_hand() -> None:
    frame = pd.DataFrame(
        {
            "rep_id": ["a", "a", "b", "b", "c"],
            "tenure_years": [0.2, 0.9, 1.0, 4.0, 9.0],
            "hunting_share_outbound_90d": [0.8, 0.6, np.nan, 0.3, 0.1],
        }
    )
    table = explore.hunting_share_by(frame, "tenure_years", (0, 1, 3, np.inf))
    assert table["rep_months"].to_dict() == {"0-1": 2, "3+": 2}  # the NaN share is dropped
    assert table["reps"].to_dict() == {"0-1": 1, "3+": 2}
    assert table.loc["0-1", "mean_pct"] == pytest.approx(70.0)
    assert table.loc["3+", "median_pct"] == pytest.approx(20.0)
    with pytest.raises(ValueError, match="missing column"):
        explore.hunting_share_by(frame, "book_customers")
    with pytest.raises(ValueError, match="increasing"):
        explore.hunting_share_by(frame, "tenure_years", (3, 1))


def test_example_reps_match_their_stories_in_the_truth(sample) -> None:
    _, truth = sample
    picks = explore.example_reps(truth)
    assert list(picks.values()) == [
        "slid",
        "slid and recovered",
        "recovered from an earlier slide",
        "never slid",
    ]
    slides = truth["slides"]
    by_story = {story: rep for rep, story in picks.items()}
    slid = slides[slides["rep_id"] == by_story["slid"]].iloc[-1]
    assert slid["slide_started_at"] >= pd.Timestamp("2023-05-01")
    assert pd.isna(slid["recovery_started_at"])
    assert by_story["never slid"] not in set(slides["rep_id"])


def test_rep_trajectories_follow_the_reps_weekly(sample) -> None:
    ctx, _ = sample
    traj = explore.rep_trajectories(ctx, ["R0024", "R0026"])
    assert list(traj.columns) == [
        "rep_id",
        "as_of",
        "outbound_activities",
        "hunting_activities",
        "hunting_share_outbound",
    ]
    assert set(traj["rep_id"]) == {"R0024", "R0026"}
    steps = traj.loc[traj["rep_id"] == "R0024", "as_of"].diff().dropna()
    assert (steps == pd.Timedelta(days=7)).all()
    assert (traj["hunting_activities"] <= traj["outbound_activities"]).all()
    with pytest.raises(ValueError, match="window_days"):
        explore.rep_trajectories(ctx, ["R0024"], window_days=45)
    with pytest.raises(ValueError, match="not reps"):
        explore.rep_trajectories(ctx, ["nobody"])


# --- pool flows, revivals and the dormant base, counted by hand ------------------------------

T = pd.Timestamp


def _pool_crm() -> CRM:
    """Four customers, two reps, January to March 2024 (see the test for the story)."""
    ids = ["c1", "c2", "c3", "c4"]
    return CRM.from_frames(
        customers=pd.DataFrame({"customer_id": ids, "created_at": [T("2023-01-01")] * 4}),
        reps=pd.DataFrame({"rep_id": ["r1", "r2"], "hired_at": [T("2020-01-01")] * 2}),
        activities=pd.DataFrame(
            {
                "activity_id": ["a1"],
                "customer_id": ["c1"],
                "rep_id": ["r1"],
                "occurred_at": [T("2024-01-01")],
            }
        ),
        orders=pd.DataFrame(
            {
                "order_id": [f"o{i}" for i in range(7)],
                "customer_id": ["c1", "c1", "c2", "c2", "c3", "c4", "c4"],
                "ordered_at": [
                    T("2023-06-01"),  # c1's first order
                    T("2024-02-10"),  # c1 again after 254 days: a revival, claimed from the pool
                    T("2024-01-01"),
                    T("2024-03-31"),  # exactly 90 days later: not dormant yet, no revival
                    T("2024-01-15"),  # c3's first order: new business
                    T("2023-10-01"),
                    T("2024-03-05"),  # after 156 days: a revival, owner never changed via pool
                ],
                "amount": [10.0, 250.0, 5.0, 5.0, 7.0, 3.0, 40.0],
            }
        ),
        ownership=pd.DataFrame(
            {
                "customer_id": ["c1", "c1", "c1", "c2", "c2", "c2", "c3", "c4", "c4"],
                "valid_from": [
                    T("2023-01-01"),
                    T("2024-01-10"),
                    T("2024-02-01"),
                    T("2023-01-01"),
                    T("2024-01-20"),
                    T("2024-03-15"),
                    T("2024-02-15"),
                    T("2023-01-01"),
                    T("2024-03-01"),
                ],
                "rep_id": ["r1", None, "r2", "r1", None, "r2", None, "r1", "r2"],
                "reason": [
                    "assigned",
                    "released",
                    "claimed",
                    "assigned",
                    "rep_left",
                    "assigned",
                    "released",
                    "assigned",
                    "transferred",
                ],
            }
        ),
    )


def test_pool_flows_count_a_hand_built_ownership_table() -> None:
    flows = explore.pool_flows(FeatureContext.build(_pool_crm()))
    assert list(flows.columns) == list(explore.POOL_FLOW_COLUMNS)
    assert list(flows.index) == [T("2024-01-01"), T("2024-02-01"), T("2024-03-01")]
    expected = pd.DataFrame(
        {
            "into_pool": [2, 1, 0],  # Jan: c1 released, c2's rep left; Feb: c3 starts in the pool
            "released": [1, 1, 0],
            "rep_left": [1, 0, 0],
            "out_of_pool": [0, 1, 1],  # Feb: c1 claimed; Mar: c2 assigned by a manager
            "claimed": [0, 1, 0],
            "pool_size": [2, 2, 1],  # end of Jan: c1, c2; Feb: c2, c3; Mar: c3
            "revivals": [0, 1, 1],
            "revivals_from_pool": [0, 1, 0],
            "revival_value": [0.0, 250.0, 40.0],
        },
        index=flows.index,
    ).astype(float)
    pd.testing.assert_frame_equal(flows, expected)


def test_revivals_need_a_previous_order_and_more_than_the_dormant_days() -> None:
    revived = explore.revivals(FeatureContext.build(_pool_crm()))
    assert list(revived.columns) == [
        "customer_id",
        "ordered_at",
        "amount",
        "days_dormant",
        "owner",
        "from_pool",
    ]
    assert revived["customer_id"].tolist() == ["c1", "c4"]
    assert revived["days_dormant"].tolist() == [254.0, 156.0]
    assert revived["owner"].tolist() == ["r2", "r2"]
    assert revived["from_pool"].tolist() == [True, False]
    longer = explore.revivals(FeatureContext.build(_pool_crm(), dormant_days=200))
    assert longer["customer_id"].tolist() == ["c1"]


def test_pool_flows_without_ownership_keep_the_revivals() -> None:
    crm = _pool_crm()
    flows = explore.pool_flows(FeatureContext.build(CRM(**{**crm.__dict__, "ownership": None})))
    assert flows["claimed"].isna().all() and flows["pool_size"].isna().all()
    assert flows["revivals"].tolist() == [0.0, 1.0, 1.0]
    assert flows["revivals_from_pool"].tolist() == [0.0, 0.0, 0.0]


def _dormant_crm() -> CRM:
    ids = ["buyer", "prospect", "active", "touched", "new"]
    created = [T("2023-01-01")] * 4 + [T("2024-04-01")]
    return CRM.from_frames(
        customers=pd.DataFrame({"customer_id": ids, "created_at": created}),
        reps=pd.DataFrame({"rep_id": ["r1"], "hired_at": [T("2020-01-01")]}),
        orders=pd.DataFrame(
            {
                "order_id": ["o1", "o2", "o3", "o4"],
                "customer_id": ["buyer", "buyer", "active", "touched"],
                "ordered_at": [T("2023-06-01"), T("2023-10-01"), T("2024-05-01"), T("2023-01-05")],
                "amount": [10_000.0, 20_000.0, 50.0, 70.0],
            }
        ),
        activities=pd.DataFrame(
            {
                "activity_id": ["a1", "a2"],
                "customer_id": ["prospect", "touched"],
                "rep_id": ["r1", "r1"],
                "occurred_at": [T("2023-12-01"), T("2024-05-15")],
            }
        ),
        ownership=pd.DataFrame(
            {
                "customer_id": ["buyer", "buyer"],
                "valid_from": [T("2023-01-01"), T("2024-01-01")],
                "rep_id": ["r1", None],
                "reason": ["assigned", "released"],
            }
        ),
    )


def test_dormant_population_bands_age_and_value() -> None:
    truth = {
        "customer_months": pd.DataFrame(
            {
                "customer_id": ["buyer", "prospect", "buyer"],
                "month": [T("2024-05-01"), T("2024-05-01"), T("2024-06-01")],
                "state": ["dormant_revivable", "prospect", "dormant_lost"],
            }
        )
    }
    ctx = FeatureContext.build(_dormant_crm())
    dormant = explore.dormant_population(ctx, "2024-06-01", truth=truth)
    assert list(dormant.columns) == [
        "customer_id",
        "as_of",
        "kind",
        "days_since_last_order",
        "days_since_last_touch",
        "orders_lifetime",
        "order_value_lifetime",
        "in_pool",
        "age_band",
        "value_band",
        "true_state",
    ]
    rows = dormant.set_index("customer_id")
    assert list(rows.index) == ["buyer", "prospect"]  # active, touched and new are not dormant
    assert rows.loc["buyer", "kind"] == "lapsed buyer"
    assert rows.loc["buyer", "days_since_last_order"] == 244.0
    assert rows.loc["buyer", "age_band"] == "180-365"
    assert rows.loc["buyer", "value_band"] == "20k-100k"
    assert rows.loc["buyer", "in_pool"]
    assert rows.loc["buyer", "true_state"] == "dormant_revivable"  # May's month end, not June's
    assert rows.loc["prospect", "kind"] == "cold prospect"
    assert rows.loc["prospect", "age_band"] == "never ordered"
    assert rows.loc["prospect", "value_band"] == "none"
    table = explore.dormant_table(dormant)
    assert table.loc["180-365", "20k-100k"] == 1
    assert table.loc["never ordered", "none"] == 1
    assert table.loc["all", "all"] == 2
    assert table.loc["all", "lifetime_value"] == 30_000.0


# --- figures ---------------------------------------------------------------------------------


def _check_labelled(fig: Figure) -> None:
    assert isinstance(fig, Figure)
    assert fig.get_suptitle()
    for ax in fig.axes:
        assert ax.get_title(), "every panel has a title"
        assert UNIT.search(ax.get_ylabel()), f"y label without a unit: {ax.get_ylabel()!r}"
        if ax.get_xlabel():
            assert UNIT.search(ax.get_xlabel()), f"x label without a unit: {ax.get_xlabel()!r}"
    assert fig.axes[-1].get_xlabel(), "the bottom (or last) panel labels its x axis"
    assert plt.get_fignums() == []  # nothing registered with pyplot


def test_figures_are_titled_and_labelled_with_units(months, sample, tmp_path) -> None:
    ctx, truth = sample
    stories = explore.example_reps(truth)
    figures = {
        "share": explore.hunting_share_chart(months),
        "share_truth": explore.hunting_share_chart(
            months, coverage="true_book_coverage", coverage_label="book coverage (truth, ×)"
        ),
        "trajectories": explore.trajectory_chart(
            explore.rep_trajectories(ctx, list(stories)), truth["slides"], stories=stories
        ),
        "pool": explore.pool_flow_chart(explore.pool_flows(ctx)),
        "dormant": explore.dormant_chart(explore.dormant_population(ctx, truth=truth)),
        "dormant_no_truth": explore.dormant_chart(explore.dormant_population(ctx)),
    }
    for name, fig in figures.items():
        _check_labelled(fig)
        fig.savefig(tmp_path / f"{name}.png", dpi=40)  # draws: a missing glyph would warn
    share = figures["share"].axes[0]
    assert share.get_ylabel() == "hunting share of outbound touches (%, 90 days)"
    assert share.get_xlabel() == "tenure (years)"
    slides = [p for p in figures["trajectories"].axes[0].patches if p.get_label() != ""]
    assert slides, "the truth's slide is shaded"


def test_figures_refuse_empty_inputs() -> None:
    with pytest.raises(ValueError, match="empty"):
        explore.pool_flow_chart(pd.DataFrame(columns=list(explore.POOL_FLOW_COLUMNS)))
    with pytest.raises(ValueError, match="empty"):
        explore.trajectory_chart(pd.DataFrame({"rep_id": [], "as_of": []}))


def test_extract_summary_counts_problems_per_table() -> None:
    crm = CRM.from_frames(
        customers=pd.DataFrame({"customer_id": ["c1"], "created_at": ["2024-01-05"]}),
        orders=pd.DataFrame(
            {
                "order_id": ["o1", "o2"],
                "customer_id": ["c1", "c9"],
                "ordered_at": ["2024-02-01", "2024-03-01"],
                "amount": [10.0, 5.0],
            }
        ),
    )
    summary = explore.extract_summary(validate_extract(crm))
    assert list(summary.columns) == ["rows", "time_column", "first", "last", "errors", "warnings"]
    assert summary.loc["orders", "errors"] == 1
    assert summary.loc["customers", "errors"] == 0
    assert summary.loc["orders", "last"] == T("2024-03-01")


def test_activity_mix_adds_up(sample) -> None:
    ctx, _ = sample
    mix = explore.activity_mix(ctx)
    assert list(mix.index) == ["hunting", "farming", "inbound"]
    assert mix["activities"].sum() == len(ctx.crm.activities)
    assert mix["share_pct"].sum() == pytest.approx(100)
    assert mix["share_of_outbound_pct"].iloc[:2].sum() == pytest.approx(100)
