"""Customer features, pinned on small hand-built extracts.

Reference values are computed by hand from the inline tables (the arithmetic is in the comments).
The point-in-time boundary (CONTRACT.md section 2) is pinned with events exactly at ``as_of``,
one second before and one second after; windows are ``[as_of - days, as_of)``.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from stagnation.crm import CRM, load_crm
from stagnation.features._context import FeatureContext
from stagnation.features._customer import CUSTOMER_FEATURES, FIRMOGRAPHICS, customer_features
from stagnation.features._customer_engagement import OPPORTUNITY_FEATURES, TOUCH_FEATURES
from stagnation.features._customer_owner import OWNERSHIP_FEATURES

AT = pd.Timestamp("2024-06-01 09:00:00")
SECOND = pd.Timedelta(seconds=1)
DAY = pd.Timedelta(days=1)
SAMPLE = Path(__file__).resolve().parents[2] / "data" / "sample"


def days(n: float) -> pd.Timestamp:
    """Return the moment ``n`` days before AT."""
    return AT - n * DAY


CREATED = days(1000)


def customers(*ids: str, created: pd.Timestamp = CREATED) -> pd.DataFrame:
    return pd.DataFrame({"customer_id": list(ids), "created_at": [created] * len(ids)})


def orders(rows: list[tuple[str, pd.Timestamp, float]], **extra: list[object]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["customer_id", "ordered_at", "amount"])
    return frame.assign(order_id=[f"o{i}" for i in range(len(rows))], **extra)


def activities(rows: list[tuple[str, str, pd.Timestamp, str]]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["customer_id", "rep_id", "occurred_at", "direction"])
    return frame.assign(activity_id=[f"a{i}" for i in range(len(rows))])


def features(crm: CRM, ids: list[str], at: pd.Timestamp = AT) -> pd.DataFrame:
    population = pd.DataFrame({"customer_id": ids, "as_of": [at] * len(ids)})
    return customer_features(FeatureContext.build(crm), population).set_index("customer_id")


# ---------------------------------------------------------------- the point-in-time boundary


@pytest.mark.parametrize(
    ("ordered_at", "days_since_last_order", "orders_365d"),
    [
        (AT, np.nan, 0.0),  # exactly at as_of: belongs to the future
        (AT - SECOND, 1 / 86_400, 1.0),
        (AT + SECOND, np.nan, 0.0),
    ],
)
def test_order_is_seen_only_strictly_before_as_of(
    ordered_at: pd.Timestamp, days_since_last_order: float, orders_365d: float
) -> None:
    crm = CRM.from_frames(customers=customers("a"), orders=orders([("a", ordered_at, 5.0)]))
    row = features(crm, ["a"]).loc["a"]
    np.testing.assert_allclose(row["days_since_last_order"], days_since_last_order)
    assert row["orders_365d"] == orders_365d
    assert row["order_value_lifetime"] == 5.0 * orders_365d


@pytest.mark.parametrize(
    ("occurred_at", "days_since_last_touch", "touches_30d"),
    [(AT, np.nan, 0.0), (AT - SECOND, 1 / 86_400, 1.0), (AT + SECOND, np.nan, 0.0)],
)
def test_touch_is_seen_only_strictly_before_as_of(
    occurred_at: pd.Timestamp, days_since_last_touch: float, touches_30d: float
) -> None:
    crm = CRM.from_frames(
        customers=customers("a"), activities=activities([("a", "r1", occurred_at, "outbound")])
    )
    row = features(crm, ["a"]).loc["a"]
    np.testing.assert_allclose(row["days_since_last_touch"], days_since_last_touch)
    np.testing.assert_allclose(row["days_since_last_outbound_touch"], days_since_last_touch)
    assert row["touches_30d"] == touches_30d


@pytest.mark.parametrize(
    ("ordered_at", "orders_90d", "orders_180d"),
    [
        (days(90), 1.0, 1.0),  # windows are [as_of - 90d, as_of): the start is inside
        (days(90) - SECOND, 0.0, 1.0),
        (days(180), 0.0, 1.0),
        (days(180) - SECOND, 0.0, 0.0),
    ],
)
def test_window_start_is_inside(
    ordered_at: pd.Timestamp, orders_90d: float, orders_180d: float
) -> None:
    crm = CRM.from_frames(customers=customers("a"), orders=orders([("a", ordered_at, 1.0)]))
    row = features(crm, ["a"]).loc["a"]
    assert (row["orders_90d"], row["orders_180d"]) == (orders_90d, orders_180d)


# ---------------------------------------------------------------- order rhythm


def test_gap_statistics_and_overdue_ratio_by_hand() -> None:
    crm = CRM.from_frames(
        customers=customers("steady", "revived", "once", "never"),
        orders=orders(
            [
                # gaps 10, 20, 30; last order 45 days before as_of
                ("steady", days(105), 100.0),
                ("steady", days(95), 200.0),
                ("steady", days(75), 300.0),
                ("steady", days(45), 400.0),
                # gaps 120 (> 90 dormant days: a spell that ended in an order), then 10
                ("revived", days(140), 50.0),
                ("revived", days(20), 50.0),
                ("revived", days(10), 50.0),
                ("once", days(30), 70.0),
            ]
        ),
    )
    got = features(crm, ["steady", "revived", "once", "never"])
    nan = np.nan
    expected = pd.DataFrame(
        {
            # column:                 steady          revived        once   never
            "days_since_last_order": [45.0, 10.0, 30.0, nan],
            "days_since_first_order": [105.0, 140.0, 30.0, nan],
            "orders_lifetime": [4.0, 3.0, 1.0, 0.0],
            "orders_90d": [2.0, 2.0, 1.0, 0.0],
            "order_value_90d": [700.0, 100.0, 70.0, 0.0],
            "order_value_lifetime": [1000.0, 150.0, 70.0, 0.0],
            "average_order_value": [250.0, 50.0, 70.0, nan],
            "order_gap_mean_days": [20.0, 65.0, nan, nan],
            # population std: sqrt((10² + 0² + 10²) / 3); sqrt((55² + 55²) / 2)
            "order_gap_std_days": [np.sqrt(200 / 3), 55.0, nan, nan],
            "order_gap_cv": [np.sqrt(200 / 3) / 20, 55 / 65, nan, nan],
            "last_order_gap_days": [30.0, 10.0, nan, nan],
            "longest_order_gap_days": [30.0, 120.0, nan, nan],
            "overdue_ratio": [45 / 20, 10 / 65, nan, nan],
            "recency_vs_longest_gap": [45 / 30, 10 / 120, nan, nan],
            "revived_dormant_spells": [0.0, 1.0, 0.0, 0.0],
            "days_since_last_revival": [nan, 20.0, nan, nan],
        },
        index=pd.Index(
            ["steady", "revived", "once", "never"], name="customer_id", dtype=pd.StringDtype()
        ),
    )
    pd.testing.assert_frame_equal(got[expected.columns], expected, atol=1e-6)


def test_gap_statistics_ignore_orders_at_or_after_as_of() -> None:
    crm = CRM.from_frames(
        customers=customers("a"),
        orders=orders([("a", days(30), 1.0), ("a", days(10), 1.0), ("a", AT, 1.0)]),
    )
    row = features(crm, ["a"]).loc["a"]
    assert (row["order_gap_mean_days"], row["last_order_gap_days"]) == (20.0, 20.0)
    assert row["overdue_ratio"] == 10 / 20


def test_online_share_is_nan_when_the_extract_has_no_order_channel() -> None:
    rows = [("a", days(30), 1.0), ("a", days(20), 1.0), ("b", days(5), 1.0)]
    with_channel = CRM.from_frames(
        customers=customers("a", "b"),
        orders=orders(rows, channel=["online", "offline", "offline"]),
    )
    assert features(with_channel, ["a", "b"])["online_order_share"].tolist() == [0.5, 0.0]
    without = CRM.from_frames(customers=customers("a", "b"), orders=orders(rows))
    assert features(without, ["a", "b"])["online_order_share"].isna().all()


# ---------------------------------------------------------------- touches and opportunities


def test_touch_mix_and_touches_since_last_order() -> None:
    crm = CRM.from_frames(
        customers=customers("a"),
        orders=orders([("a", days(200), 10.0)]),
        activities=activities(
            [
                ("a", "r1", days(250), "outbound"),  # before the first order: hunting a prospect
                ("a", "r1", days(100), "outbound"),  # dormant since days(110): hunting
                ("a", "r1", days(40), "inbound"),
                ("a", "r2", days(20), "outbound"),  # hunting
            ]
        ),
    )
    row = features(crm, ["a"]).loc["a"]
    assert row["touches_30d"] == 1.0
    assert row["touches_90d"] == 2.0
    assert row["touches_365d"] == 4.0
    assert (row["outbound_touches_90d"], row["inbound_touches_90d"]) == (1.0, 1.0)
    assert (row["hunting_touches_90d"], row["hunting_touches_365d"]) == (1.0, 3.0)
    assert row["days_since_last_inbound_touch"] == 40.0
    assert row["days_since_last_outbound_touch"] == 20.0
    assert row["inbound_touch_share_365d"] == 0.25
    assert row["outbound_touches_since_last_order"] == 2.0


def test_open_opportunities_at_as_of() -> None:
    crm = CRM.from_frames(
        customers=customers("a"),
        orders=orders([("a", days(300), 1.0)]),
        opportunities=pd.DataFrame(
            {
                "opportunity_id": ["p1", "p2", "p3", "p4", "p5"],
                "customer_id": ["a"] * 5,
                "rep_id": ["r1"] * 5,
                "created_at": [days(100), days(80), days(30), days(10), AT],
                "closed_at": [days(50), days(60), AT, pd.NaT, pd.NaT],
                "status": ["won", "lost", "won", "open", "open"],
                "amount": [100.0, 200.0, 300.0, 400.0, 500.0],
            }
        ),
    )
    row = features(crm, ["a"]).loc["a"]
    # p1 won and p2 lost before as_of; p3 closes exactly at as_of, so it is still open;
    # p4 is open; p5 is created at as_of and not seen
    assert row["opportunities_lifetime"] == 4.0
    assert (row["opportunities_won"], row["opportunities_lost"]) == (1.0, 1.0)
    assert row["opportunity_win_rate"] == 0.5
    assert row["open_opportunities"] == 2.0
    assert row["open_opportunity_value"] == 700.0
    assert row["days_since_last_opportunity"] == 10.0
    assert row["days_since_last_won_opportunity"] == 50.0


# ---------------------------------------------------------------- ownership and the owner


def test_ownership_history_pool_and_owner_signals() -> None:
    ownership = pd.DataFrame(
        [
            ("kept", days(400), "r1", "assigned"),
            ("kept", days(200), None, "released"),
            ("kept", days(100), "r2", "claimed"),
            ("pooled", days(300), "r1", "assigned"),
            ("pooled", days(50), None, "released"),
            ("stale", days(30), "r3", "assigned"),
            ("prospect", days(500), "r2", "assigned"),
            ("buyer", days(500), "r2", "assigned"),
            ("prospect", AT, "r1", "transferred"),  # at as_of: not seen
        ],
        columns=["customer_id", "valid_from", "rep_id", "reason"],
    )
    reps = pd.DataFrame(
        {
            "rep_id": ["r1", "r2", "r3"],
            "hired_at": [days(1000), days(500), days(800)],
            "left_at": [pd.NaT, AT + DAY, days(1)],  # r3 left before as_of, books not moved
        }
    )
    acts = activities(
        [
            # r2 in the last 90 days: 3 hunting (prospect), 1 farming (buyer ordered recently)
            ("prospect", "r2", days(80), "outbound"),
            ("prospect", "r2", days(60), "outbound"),
            ("prospect", "r2", days(40), "outbound"),
            ("buyer", "r2", days(30), "outbound"),
            ("buyer", "r2", days(20), "inbound"),
            # earlier in the year: 4 farming on the buyer (it ordered 10 days before each)
            *[("buyer", "r2", days(200 - k), "outbound") for k in range(4)],
        ]
    )
    crm = CRM.from_frames(
        customers=customers("kept", "pooled", "stale", "prospect", "buyer"),
        orders=orders([("buyer", days(210), 1.0), ("buyer", days(40), 1.0)]),
        activities=acts,
        reps=reps,
        ownership=ownership,
    )
    got = features(crm, ["kept", "pooled", "stale"])
    nan = np.nan
    expected = pd.DataFrame(
        {
            # column:                 kept     pooled   stale
            "owner_changes_lifetime": [2.0, 1.0, 0.0],
            "owner_changes_365d": [2.0, 1.0, 0.0],
            "times_released": [1.0, 1.0, 0.0],
            "times_claimed": [1.0, 0.0, 0.0],
            "in_pool": [0.0, 1.0, 0.0],
            "days_since_owner_change": [100.0, 50.0, 30.0],
            "has_owner": [1.0, 0.0, 1.0],
            # r2: 3 hunting of 5 activities in 90 days, 3 of 9 in 365 days
            "owner_hunting_share_90d": [3 / 5, nan, nan],
            "owner_hunting_share_365d": [3 / 9, nan, nan],
            "owner_hunting_share_ratio": [1.8, nan, nan],
            "owner_activities_90d": [5.0, nan, 0.0],
            "owner_employed": [1.0, nan, 0.0],
            "owner_tenure_days": [500.0, nan, 800.0],
            "owner_book_size": [3.0, nan, 1.0],  # r2: kept, prospect, buyer
        },
        index=pd.Index(["kept", "pooled", "stale"], name="customer_id", dtype=pd.StringDtype()),
    )
    pd.testing.assert_frame_equal(got[expected.columns], expected)


def test_owner_falls_back_to_the_latest_order_rep_without_ownership() -> None:
    crm = CRM.from_frames(
        customers=customers("a", "b"),
        orders=orders(
            [("a", days(50), 1.0), ("a", days(5), 1.0), ("b", days(5), 1.0)],
            rep_id=["r1", "r2", None],
        ),
    )
    got = features(crm, ["a", "b"])
    assert got["has_owner"].tolist() == [1.0, 0.0]
    # no reps, activities or ownership tables: nothing to say about the owner or the pool
    assert got[["owner_employed", "owner_hunting_share_90d", "in_pool"]].isna().all().all()


# ---------------------------------------------------------------- degraded extracts


def test_customers_and_orders_only() -> None:
    crm = CRM.from_frames(customers=customers("a", "b"), orders=orders([("a", days(10), 3.0)]))
    got = features(crm, ["a", "b"])
    assert got["orders_lifetime"].tolist() == [1.0, 0.0]
    assert got["order_value_lifetime"].tolist() == [3.0, 0.0]
    for d in (*TOUCH_FEATURES, *OPPORTUNITY_FEATURES, *OWNERSHIP_FEATURES):
        assert got[d.name].isna().all(), d.name


def test_activities_without_orders() -> None:
    crm = CRM.from_frames(
        customers=customers("a"), activities=activities([("a", "r1", days(3), "outbound")])
    )
    row = features(crm, ["a"]).loc["a"]
    assert row["days_since_last_touch"] == 3.0
    assert row["hunting_touches_90d"] == 1.0  # never ordered: a prospect
    assert row["outbound_touches_since_last_order"] == 1.0
    assert np.isnan(row["orders_365d"]) and np.isnan(row["days_since_last_order"])
    assert row["has_owner"] == 1.0 and row["owner_activities_90d"] == 1.0


# ---------------------------------------------------------------- the output frame


def _random_crm(seed: int) -> CRM:
    rng = np.random.default_rng(seed)
    ids = [f"c{i}" for i in range(12)]
    span = 700 * 86_400

    def moments(n: int) -> pd.DatetimeIndex:
        return days(700) + pd.to_timedelta(rng.integers(0, span, n), unit="s")

    n_o, n_a = 60, 200
    return CRM.from_frames(
        customers=customers(*ids).assign(industry=rng.choice(["retail", "food", None], 12)),
        orders=pd.DataFrame(
            {
                "order_id": range(n_o),
                "customer_id": rng.choice(ids[:10], n_o),
                "ordered_at": moments(n_o),
                "amount": rng.uniform(1, 100, n_o).round(2),
                "rep_id": rng.choice(["r1", "r2"], n_o),
            }
        ),
        activities=pd.DataFrame(
            {
                "activity_id": range(n_a),
                "customer_id": rng.choice(ids, n_a),
                "rep_id": rng.choice(["r1", "r2", "r3"], n_a),
                "occurred_at": moments(n_a),
                "direction": rng.choice(["outbound", "inbound"], n_a),
            }
        ),
    )


def test_rows_follow_the_population_and_match_one_at_a_time() -> None:
    crm = _random_crm(seed=11)
    ctx = FeatureContext.build(crm)
    rng = np.random.default_rng(3)
    population = pd.DataFrame(
        {
            "customer_id": rng.choice([f"c{i}" for i in range(12)], 40),  # repeats included
            "as_of": days(0) - pd.to_timedelta(rng.integers(0, 600, 40), unit="D"),
        },
        index=pd.Index(rng.permutation(100)[:40], name="row"),
    )
    got = customer_features(ctx, population)
    assert got.index.equals(population.index)
    assert got["customer_id"].tolist() == population["customer_id"].tolist()
    assert (got["as_of"].to_numpy() == population["as_of"].to_numpy()).all()
    names = [d.name for d in CUSTOMER_FEATURES]
    assert list(got.columns) == ["customer_id", "as_of", *names, *FIRMOGRAPHICS]
    assert (got[names].dtypes == "float64").all()
    one_by_one = pd.concat([customer_features(ctx, population.iloc[[i]]) for i in range(40)])
    pd.testing.assert_frame_equal(got, one_by_one)


def test_firmographics_are_categoricals_and_missing_columns_are_all_missing() -> None:
    crm = CRM.from_frames(
        customers=customers("a", "b", "c").assign(region=["east", None, "west"]),
        orders=orders([("a", days(1), 1.0)]),
    )
    got = features(crm, ["c", "b", "a"])
    assert got["region"].tolist() == ["west", np.nan, "east"]
    assert list(got["region"].cat.categories) == ["east", "west"]
    for name in FIRMOGRAPHICS:
        assert isinstance(got[name].dtype, pd.CategoricalDtype)
    assert got["industry"].isna().all()


def test_customer_age_from_created_at() -> None:
    crm = CRM.from_frames(customers=customers("a", created=days(12.5)), orders=orders([]))
    assert features(crm, ["a"]).loc["a", "customer_age_days"] == 12.5


def test_unknown_customer_is_named() -> None:
    crm = CRM.from_frames(customers=customers("a"), orders=orders([]))
    with pytest.raises(ValueError, match=re.escape("'ghost'")):
        features(crm, ["a", "ghost"])


def test_missing_as_of_is_refused() -> None:
    ctx = FeatureContext.build(CRM.from_frames(customers=customers("a"), orders=orders([])))
    population = pd.DataFrame({"customer_id": ["a"], "as_of": [pd.NaT]})
    with pytest.raises(ValueError, match=r"population\.as_of"):
        customer_features(ctx, population)


def test_feature_definitions_are_unique_named_and_described() -> None:
    names = [d.name for d in CUSTOMER_FEATURES]
    assert len(names) == len(set(names))
    units = {"days", "count", "money", "share", "ratio", "flag", "years"}
    for d in CUSTOMER_FEATURES:
        assert re.fullmatch(r"[a-z][a-z0-9_]*", d.name), d.name
        assert d.unit in units, d.name
        assert d.description and "\n" not in d.description, d.name


# ---------------------------------------------------------------- the bundled sample


@pytest.mark.slow
def test_sample_revivable_dormant_customers_lapsed_more_recently() -> None:
    """Among dormant buyers, the truth's revivable ones ordered more recently than lost ones.

    Reads the simulator's hidden truth (state at the previous month end) only to check that the
    recency feature carries the signal the recycling model needs.
    """
    crm = load_crm(SAMPLE)
    ctx = FeatureContext.build(crm)
    truth = pd.read_parquet(SAMPLE / "truth" / "customer_months.parquet")
    for at in pd.to_datetime(["2024-07-01", "2025-01-01", "2025-07-01"]):
        population = pd.DataFrame({"customer_id": crm.customers["customer_id"], "as_of": at})
        got = customer_features(ctx, population)
        dormant = got[(got["orders_lifetime"] > 0) & (got["orders_90d"] == 0)]
        month = truth.loc[truth["month"] == at - pd.DateOffset(months=1)]
        state = dormant["customer_id"].map(month.set_index("customer_id")["state"])
        median = dormant.groupby(state.astype(str))["days_since_last_order"].median()
        assert median["dormant_revivable"] < median["dormant_lost"], (at, median.to_dict())
