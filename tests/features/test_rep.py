"""Rep features, pinned at the point-in-time boundary and on small hand-checked CRMs.

Every expected value below is counted by hand from the inline tables. Windows are ``[T - w, T)``:
an activity exactly at ``as_of`` belongs to the future (CONTRACT.md section 2), one exactly
30 days earlier is inside the 30-day window.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from stagnation.crm import CRM, load_crm
from stagnation.features._context import FeatureContext
from stagnation.features._rep import REP_FEATURES, T_MODEL_STAGES, rep_features, t_model_stage

AT = pd.Timestamp("2024-06-01 09:00:00")
SECOND = pd.Timedelta(seconds=1)
DAY = pd.Timedelta(days=1)


def customers(*ids: str, source: list[str] | None = None) -> pd.DataFrame:
    frame = pd.DataFrame({"customer_id": list(ids), "created_at": [AT - 400 * DAY] * len(ids)})
    if source is not None:
        frame["source"] = source
    return frame


def reps(*ids: str) -> pd.DataFrame:
    return pd.DataFrame({"rep_id": list(ids), "hired_at": [AT - 730 * DAY] * len(ids)})


def activities(rows: list[tuple[str, str, pd.Timestamp, str]]) -> pd.DataFrame:
    """Rows of (customer_id, rep_id, occurred_at, direction)."""
    return pd.DataFrame(
        {
            "activity_id": [f"a{i}" for i in range(len(rows))],
            "customer_id": [r[0] for r in rows],
            "rep_id": [r[1] for r in rows],
            "occurred_at": [r[2] for r in rows],
            "direction": [r[3] for r in rows],
            "channel": ["call"] * len(rows),
        }
    )


def orders(rows: list[tuple[str, str | None, pd.Timestamp, float]]) -> pd.DataFrame:
    """Rows of (customer_id, rep_id, ordered_at, amount)."""
    return pd.DataFrame(
        {
            "order_id": [f"o{i}" for i in range(len(rows))],
            "customer_id": [r[0] for r in rows],
            "rep_id": [r[1] for r in rows],
            "ordered_at": [r[2] for r in rows],
            "amount": [r[3] for r in rows],
        }
    )


def features(crm: CRM, *rep_ids: str, at: pd.Timestamp = AT) -> pd.DataFrame:
    population = pd.DataFrame({"rep_id": list(rep_ids), "as_of": [at] * len(rep_ids)})
    return rep_features(FeatureContext.build(crm), population).set_index("rep_id")


def one_activity_crm(occurred_at: pd.Timestamp) -> CRM:
    """One outbound activity of r1 on a prospect (so: hunting) at ``occurred_at``."""
    return CRM.from_frames(
        customers=customers("c1"),
        orders=orders([]),
        activities=activities([("c1", "r1", occurred_at, "outbound")]),
        reps=reps("r1"),
    )


@pytest.mark.parametrize(
    ("occurred_at", "counted"),
    [
        (AT, False),  # exactly at as_of: the label side
        (AT + SECOND, False),
        (AT - SECOND, True),
        (AT - 30 * DAY, True),  # window start is inclusive: [T - 30d, T)
        (AT - 30 * DAY - SECOND, False),
    ],
)
def test_30_day_window_is_half_open_at_as_of(occurred_at: pd.Timestamp, counted: bool) -> None:
    row = features(one_activity_crm(occurred_at), "r1").loc["r1"]
    assert row["activities_30d"] == (1.0 if counted else 0.0)
    assert row["hunting_activities_30d"] == (1.0 if counted else 0.0)
    if counted:
        assert row["hunting_share_30d"] == 1.0
    else:  # no activity in the window: the share is not computable, not zero
        assert np.isnan(row["hunting_share_30d"])


def test_hunting_farming_and_inbound_flow_through_point_in_time() -> None:
    # c1 ordered 10 days before its outbound touch: farming. c2 never ordered: hunting.
    # c1's order exactly at as_of does not turn the hunting touch at as_of - 1s on c3 into
    # anything else; the farming touch at as_of is not seen.
    crm = CRM.from_frames(
        customers=customers("c1", "c2", "c3"),
        orders=orders([("c1", "r1", AT - 20 * DAY, 50.0), ("c3", "r1", AT, 70.0)]),
        activities=activities(
            [
                ("c1", "r1", AT - 10 * DAY, "outbound"),  # farming
                ("c2", "r1", AT - 5 * DAY, "outbound"),  # hunting
                ("c1", "r1", AT - 3 * DAY, "inbound"),  # inbound
                ("c3", "r1", AT - SECOND, "outbound"),  # hunting (c3 orders only at T)
                ("c2", "r1", AT, "outbound"),  # not seen
            ]
        ),
        reps=reps("r1"),
    )
    row = features(crm, "r1").loc["r1"]
    assert row["hunting_activities_30d"] == 2.0
    assert row["farming_activities_30d"] == 1.0
    assert row["inbound_activities_30d"] == 1.0
    assert row["outbound_activities_30d"] == 3.0
    assert row["hunting_share_30d"] == pytest.approx(2 / 4)
    assert row["inbound_share_90d"] == pytest.approx(1 / 4)
    assert row["customers_touched_90d"] == 3.0
    assert row["call_share_90d"] == 1.0
    assert row["days_since_last_activity"] == pytest.approx(1 / 86_400)
    assert row["days_since_last_hunting"] == pytest.approx(1 / 86_400)
    assert row["book_revenue_90d"] == 50.0  # the order at as_of is not seen


def test_new_customer_win_is_credited_to_the_rep_on_the_first_order() -> None:
    crm = CRM.from_frames(
        customers=customers("c1", "c2", "c3", source=["cold_outreach", "referral", "referral"]),
        orders=orders(
            [
                ("c1", "r1", AT - 10 * DAY, 60.0),  # c1's first order: a win for r1
                ("c1", "r2", AT - 5 * DAY, 30.0),  # repeat order: no win for r2
                ("c2", "r1", AT - 100 * DAY, 40.0),  # a win for r1, outside 90 days
                ("c2", "r1", AT - 2 * DAY, 10.0),
                ("c3", "r2", AT, 99.0),  # at as_of: not seen, so no win yet
            ]
        ),
        activities=activities([("c1", "r1", AT - 400 * DAY, "outbound")]),
        reps=reps("r1", "r2"),
    )
    out = features(crm, "r1", "r2")
    assert out["new_customers_won_90d"].tolist() == [1.0, 0.0]
    assert out["new_customers_won_365d"].tolist() == [2.0, 0.0]
    assert out.loc["r1", "days_since_last_new_customer"] == 10.0
    assert np.isnan(out.loc["r2", "days_since_last_new_customer"])
    # r1's 365-day revenue: c1 60 (first), c2 40 (first) + 10 (repeat) = 110
    assert out.loc["r1", "book_revenue_365d"] == 110.0
    assert out.loc["r1", "top1_customer_revenue_share_365d"] == pytest.approx(60 / 110)
    assert out.loc["r1", "top5_customer_revenue_share_365d"] == 1.0
    assert out.loc["r1", "repeat_revenue_share_365d"] == pytest.approx(10 / 110)
    assert out.loc["r1", "referral_revenue_share_365d"] == pytest.approx(50 / 110)
    assert out.loc["r2", "repeat_revenue_share_365d"] == 1.0
    # peers: median of 110 and 30 is 70
    assert out["book_revenue_vs_peers_365d"].tolist() == pytest.approx([110 / 70, 30 / 70])


def test_book_and_pool_moves_come_from_the_ownership_table() -> None:
    ownership = pd.DataFrame(
        {
            "customer_id": ["c1", "c1", "c2", "c3", "c3", "c4"],
            "valid_from": [AT - 100 * DAY, AT - 10 * DAY, AT - 50 * DAY, AT - 20 * DAY, AT, AT],
            "rep_id": ["r1", None, "r1", "r2", "r1", "r2"],
            "reason": ["assigned", "released", "claimed", "assigned", "transferred", "claimed"],
        }
    )
    crm = CRM.from_frames(
        customers=customers("c1", "c2", "c3", "c4"),
        activities=activities([("c1", "r1", AT - DAY, "outbound")]),
        reps=reps("r1", "r2"),
        ownership=ownership,
    )
    out = features(crm, "r1", "r2")
    # r1 holds c2 (c1 was released, c3 arrives only at as_of); r2 holds c3 (c4 only at as_of)
    assert out["book_customers"].tolist() == [1.0, 1.0]
    assert out["book_customers_vs_peers"].tolist() == [1.0, 1.0]
    assert out["pool_claims_90d"].tolist() == [1.0, 0.0]
    assert out["pool_releases_90d"].tolist() == [1.0, 0.0]
    # no orders table: order features are not computable
    assert out["book_revenue_365d"].isna().all()
    assert out["new_customers_won_90d"].isna().all()


def test_missing_tables_give_nan_not_zero() -> None:
    crm = CRM.from_frames(
        customers=customers("c1"),
        activities=activities([("c1", "r1", AT - DAY, "outbound")]),
    )
    row = features(crm, "r1").loc["r1"]
    for name in ("tenure_years", "pool_claims_90d", "open_opportunities", "book_revenue_90d"):
        assert np.isnan(row[name]), name
    # without ownership, the owner is the rep of the latest activity before as_of
    assert row["book_customers"] == 1.0
    assert row["activities_30d"] == 1.0


def test_tenure_and_open_opportunities() -> None:
    opportunities = pd.DataFrame(
        {
            "opportunity_id": ["p1", "p2", "p3"],
            "customer_id": ["c1", "c1", "c1"],
            "rep_id": ["r1", "r1", "r1"],
            "created_at": [AT - 60 * DAY, AT - 30 * DAY, AT - 20 * DAY],
            "closed_at": [AT - 10 * DAY, AT, None],
            "status": ["won", "lost", "open"],
        }
    )
    crm = CRM.from_frames(
        customers=customers("c1"),
        activities=activities([("c1", "r1", AT - DAY, "outbound")]),
        reps=reps("r1"),
        opportunities=opportunities,
    )
    row = features(crm, "r1").loc["r1"]
    assert row["open_opportunities"] == 2.0  # p2 closes only at as_of; p3 is open
    assert row["opportunities_created_90d"] == 3.0
    assert row["opportunities_won_365d"] == 1.0
    assert row["tenure_years"] == pytest.approx(730 / 365.25)


def test_customers_and_orders_only_extract_is_refused() -> None:
    crm = CRM.from_frames(customers=customers("c1"), orders=orders([("c1", None, AT - DAY, 1.0)]))
    population = pd.DataFrame({"rep_id": ["r1"], "as_of": [AT]})
    with pytest.raises(ValueError, match="no activities table; rep features need activity"):
        rep_features(FeatureContext.build(crm), population)


def test_unknown_rep_is_named() -> None:
    ctx = FeatureContext.build(one_activity_crm(AT - DAY))
    population = pd.DataFrame({"rep_id": ["r1", "ghost"], "as_of": [AT, AT]})
    with pytest.raises(ValueError, match="ghost"):
        rep_features(ctx, population)


def random_crm(seed: int) -> CRM:
    """Three reps, twenty customers, a year of random activities, orders and ownership."""
    rng = np.random.default_rng(seed)
    cust = [f"c{i}" for i in range(20)]
    rep_ids = ["r0", "r1", "r2"]

    def when(n: int) -> pd.Series:
        return pd.Series(AT - pd.to_timedelta(rng.integers(-90 * 86_400, 400 * 86_400, n), "s"))

    n_a, n_o, n_w = 400, 60, 30
    acts = pd.DataFrame(
        {
            "activity_id": range(n_a),
            "customer_id": rng.choice(cust, n_a),
            "rep_id": rng.choice(rep_ids, n_a),
            "occurred_at": when(n_a),
            "direction": rng.choice(["outbound", "inbound"], n_a, p=[0.85, 0.15]),
            "channel": rng.choice(["call", "visit", "message", "email"], n_a),
        }
    )
    acts.loc[:5, "occurred_at"] = AT  # events exactly at as_of
    order_frame = pd.DataFrame(
        {
            "order_id": range(n_o),
            "customer_id": rng.choice(cust, n_o),
            "rep_id": rng.choice(rep_ids, n_o),
            "ordered_at": when(n_o),
            "amount": rng.integers(1, 100, n_o).astype(float),
        }
    )
    ownership = pd.DataFrame(
        {
            "customer_id": rng.choice(cust, n_w),
            "valid_from": when(n_w),
            "rep_id": rng.choice([*rep_ids, None], n_w),
            "reason": rng.choice(["assigned", "claimed", "released"], n_w),
        }
    )
    return CRM.from_frames(
        customers=pd.DataFrame({"customer_id": cust, "created_at": [AT - 500 * DAY] * 20}),
        orders=order_frame,
        activities=acts,
        reps=reps(*rep_ids),
        ownership=ownership,
    )


def test_events_at_or_after_as_of_change_nothing() -> None:
    crm = random_crm(seed=3)
    past = CRM.from_frames(
        customers=crm.customers,
        orders=crm.orders.loc[crm.orders["ordered_at"] < AT],
        activities=crm.activities.loc[crm.activities["occurred_at"] < AT],
        reps=crm.reps,
        ownership=crm.ownership.loc[crm.ownership["valid_from"] < AT],
    )
    full, cut = features(crm, "r0", "r1", "r2"), features(past, "r0", "r1", "r2")
    pd.testing.assert_frame_equal(full, cut)


def test_output_follows_population_order_and_index() -> None:
    ctx = FeatureContext.build(random_crm(seed=1))
    rng = np.random.default_rng(2)
    dates = pd.to_datetime(["2024-03-01", "2024-06-01", AT, "2024-08-01"])
    population = pd.DataFrame(
        {"rep_id": rng.choice(["r0", "r1", "r2"], 15), "as_of": rng.choice(dates, 15)},
        index=pd.Index(rng.permutation(100)[:15], name="row"),
    )
    out = rep_features(ctx, population)
    assert out.index.equals(population.index)
    assert out["rep_id"].tolist() == population["rep_id"].tolist()
    assert out["as_of"].tolist() == population["as_of"].tolist()
    names = [d.name for d in REP_FEATURES]
    assert out.columns.tolist() == ["rep_id", "as_of", *names, "t_model_stage"]
    assert (out[names].dtypes == "float64").all()
    assert out["as_of"].dtype == "datetime64[ns]"
    assert out["t_model_stage"].cat.categories.tolist() == list(T_MODEL_STAGES)
    # each row is what that row alone gives: nothing leaks between population rows
    for i in (0, 7, 14):
        alone = rep_features(ctx, population.iloc[[i]])
        pd.testing.assert_frame_equal(alone, out.iloc[[i]])


def test_feature_names_are_unique_lower_snake_case_and_described() -> None:
    names = [d.name for d in REP_FEATURES]
    assert len(set(names)) == len(names)
    assert all(n == n.lower() and " " not in n for n in names)
    assert all(
        d.description and d.unit in {"days", "count", "money", "share", "ratio", "years"}
        for d in REP_FEATURES
    )


@pytest.mark.parametrize(
    ("revenue", "open_opps", "tenure", "hunting", "repeat", "vs_peers", "stage"),
    [
        (0.0, 0.0, 0.2, 0.9, np.nan, np.nan, "prospecting"),
        (0.0, np.nan, 0.2, 0.9, np.nan, np.nan, "prospecting"),  # no opportunities table
        (0.0, 2.0, 0.3, 0.9, np.nan, np.nan, "negotiating"),
        (5e4, 1.0, 0.7, 0.6, 0.3, 0.4, "qualified"),
        (5e4, 1.0, 1.5, 0.4, 0.7, 0.9, "maintaining"),
        (2e5, 0.0, 5.0, 0.40, 0.95, 1.6, "maintaining"),  # still hunting
        (2e5, 0.0, 5.0, 0.05, 0.95, 1.6, "deepening"),
        (2e5, 0.0, 5.0, np.nan, 0.95, 1.6, "deepening"),  # no activities at all
        (2e5, 0.0, np.nan, 0.05, 0.95, 1.6, "deepening"),  # tenure unknown
    ],
)
def test_t_model_stage_rule(
    revenue: float,
    open_opps: float,
    tenure: float,
    hunting: float,
    repeat: float,
    vs_peers: float,
    stage: str,
) -> None:
    row = pd.DataFrame(
        {
            "book_revenue_365d": [revenue],
            "open_opportunities": [open_opps],
            "tenure_years": [tenure],
            "hunting_share_90d": [hunting],
            "repeat_revenue_share_365d": [repeat],
            "book_revenue_vs_peers_365d": [vs_peers],
        }
    )
    assert list(t_model_stage(row)) == [stage]


@pytest.mark.slow
def test_order_followers_hunt_far_less_than_hunters_on_the_sample() -> None:
    """The simulator's hidden truth (read only here): mode per rep and month."""
    ctx = FeatureContext.build(load_crm("data/sample"))
    truth = pd.read_parquet("data/sample/truth/rep_months.parquet")
    truth["as_of"] = (truth["month"] + pd.offsets.MonthBegin(1)).astype("datetime64[ns]")
    truth = truth.reset_index(drop=True)
    out = rep_features(ctx, truth[["rep_id", "as_of"]])
    share = out["hunting_share_90d"].groupby(truth["mode"]).mean()
    # measured 2025-11: hunter 0.47, sliding 0.30, recovering 0.10, order_follower 0.07
    assert share["order_follower"] < 0.5 * share["hunter"]
    assert share["order_follower"] < 0.15 < 0.35 < share["hunter"]
    stage = out["t_model_stage"].groupby(truth["mode"]).agg(lambda s: (s == "deepening").mean())
    assert stage["order_follower"] > 0.5 > 0.05 > stage["hunter"]
