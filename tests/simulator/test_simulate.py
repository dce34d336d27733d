"""The simulated company lives the T-model: checked from the tables it writes and its truth.

Nothing here reads simulator internals; every number comes from the six contract tables (the way a
data scientist would see them) and the published truth tables.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from stagnation.crm import validate_extract
from stagnation.features import classify_activities
from stagnation.simulator import SimConfig, Simulation, simulate, truth_month


@pytest.fixture(scope="module")
def sim() -> Simulation:
    """The default company (the bundled sample's settings)."""
    return simulate(SimConfig())


@pytest.fixture(scope="module")
def rep_months(sim: Simulation) -> pd.DataFrame:
    """Observed hunting share per rep and month, joined with the truth's mode and coverage."""
    acts = classify_activities(sim.crm)
    acts["month"] = acts["occurred_at"].dt.to_period("M").dt.to_timestamp()
    counts = acts.pivot_table(
        index=["rep_id", "month"],
        columns="kind",
        values="activity_id",
        aggfunc="count",
        observed=True,
    )
    counts = counts[counts.sum(axis=1) >= 40]  # a month with real work in it
    share = (counts["hunting"] / counts.sum(axis=1)).rename("hunting_share")
    truth = sim.truth["rep_months"].set_index(["rep_id", "month"])
    out = truth.join(share, how="inner").reset_index()
    hired = sim.crm.reps.set_index("rep_id")["hired_at"]
    out["tenure_years"] = (out["month"] - hired.reindex(out["rep_id"]).to_numpy()).dt.days / 365
    return out


def test_default_size_and_all_tables(sim: Simulation) -> None:
    crm = sim.crm
    assert crm.reps is not None and len(crm.reps) == 120
    assert len(crm.customers) >= 0.98 * 12_000
    for name in ("orders", "activities", "opportunities", "ownership"):
        assert crm[name] is not None and len(crm[name]) > 1000, name
    assert set(sim.truth) == {"reps", "slides", "rep_months", "customers", "customer_months"}


def test_validator_accepts_the_sample(sim: Simulation) -> None:
    report = validate_extract(sim.crm)
    assert report.ok, report


@pytest.mark.parametrize("seed", [1, 2])
def test_validator_accepts_small_companies(seed: int) -> None:
    small = simulate(SimConfig(seed=seed, reps=10, customers=800, months=12))
    report = validate_extract(small.crm)
    assert report.ok, report


def test_same_seed_same_tables_other_seed_other_tables() -> None:
    cfg = SimConfig(seed=3, reps=8, customers=400, months=8)
    a, b = simulate(cfg).crm, simulate(cfg).crm
    for (name, left), (_, right) in zip(a.tables(), b.tables(), strict=True):
        pd.testing.assert_frame_equal(left, right, obj=name)
    other = simulate(cfg.model_copy(update={"seed": 4})).crm
    assert other.activities is not None and a.activities is not None
    assert not other.activities["customer_id"].equals(a.activities["customer_id"])


def test_order_followers_hunt_far_less_than_hunters(rep_months: pd.DataFrame) -> None:
    by_mode = rep_months.groupby("mode", observed=True)["hunting_share"].mean()
    assert by_mode["order_follower"] < 0.35 * by_mode["hunter"]
    # a slide is a passage: its months sit between the two
    assert by_mode["order_follower"] < by_mode["sliding"] < by_mode["hunter"]


def test_hunting_share_falls_with_tenure(rep_months: pd.DataFrame) -> None:
    junior = rep_months.loc[rep_months["tenure_years"] < 1, "hunting_share"].mean()
    veteran = rep_months.loc[rep_months["tenure_years"] > 3, "hunting_share"].mean()
    assert veteran < 0.6 * junior
    rho = rep_months["tenure_years"].corr(rep_months["hunting_share"], method="spearman")
    assert rho < -0.3


def test_hunting_share_falls_with_book_coverage(rep_months: pd.DataFrame) -> None:
    low = rep_months.loc[rep_months["book_coverage"] < 0.25, "hunting_share"].mean()
    covered = rep_months.loc[rep_months["book_coverage"] > 0.75, "hunting_share"].mean()
    assert covered < 0.6 * low


def test_slides_unfold_over_weeks_to_months_and_some_recover(sim: Simulation) -> None:
    slides = sim.truth["slides"]
    done = slides.dropna(subset=["slide_completed_at"])
    days = (done["slide_completed_at"] - done["slide_started_at"]).dt.days
    assert days.between(20, 160).all()
    assert days.std() > 10  # not one fixed length
    assert slides["recovered_at"].notna().sum() >= 3
    in_window = slides["slide_started_at"] >= pd.Timestamp(sim.config.start)
    assert in_window.sum() >= 10
    never = sim.truth["reps"]["never_slides"].mean()
    assert 0.05 <= never <= 0.4


HORIZON = pd.Timedelta(days=180)


def _revivable_dormant_outcomes(sim: Simulation) -> dict[str, pd.Series]:
    """Whether truly revivable dormant buyers ordered again within 180 days, by who had them.

    ``recycled``: claimed from the pool by a hunter (outcome counted from the claim).
    ``neglected``: held by an order-follower at a month start (outcome counted from that day,
    whatever happened to the customer afterwards, so nothing is conditioned on the future).
    """
    crm, truth = sim.crm, sim.truth
    assert crm.orders is not None and crm.ownership is not None
    orders = crm.orders[["customer_id", "ordered_at"]].sort_values("ordered_at")
    own = crm.ownership.sort_values("valid_from", kind="stable")
    mode = truth["rep_months"].set_index(["rep_id", "month"])["mode"].astype(str)
    state = truth["customer_months"].set_index(["customer_id", "month"])["state"].astype(str)
    first, last = pd.Timestamp("2023-07-01"), orders["ordered_at"].max() - HORIZON

    def lookup(table: pd.Series, keys: pd.Series, when: pd.Series) -> np.ndarray:
        index = pd.MultiIndex.from_arrays([keys.to_numpy(), truth_month(when).to_numpy()])
        return table.reindex(index).to_numpy()

    claims = own.loc[(own["reason"] == "claimed") & own["valid_from"].between(first, last)]
    claims = pd.merge_asof(
        claims,
        orders,
        left_on="valid_from",
        right_on="ordered_at",
        by="customer_id",
        allow_exact_matches=False,
    )
    claims = claims.loc[(claims["valid_from"] - claims["ordered_at"]) > pd.Timedelta(days=90)]
    claims = pd.merge_asof(
        claims.drop(columns="ordered_at"),
        orders,
        left_on="valid_from",
        right_on="ordered_at",
        by="customer_id",
        direction="forward",
    )
    claims["revived"] = (claims["ordered_at"] - claims["valid_from"]) < HORIZON
    claims["mode"] = lookup(mode, claims["rep_id"], claims["valid_from"])
    claims["state"] = lookup(state, claims["customer_id"], claims["valid_from"])

    held = []
    for t in pd.date_range(first, last, freq="MS"):
        last_order = orders.loc[orders["ordered_at"] < t].groupby("customer_id")["ordered_at"].max()
        dormant = last_order.index[(t - last_order) > pd.Timedelta(days=90)]
        owner = own.loc[own["valid_from"] < t].groupby("customer_id").tail(1)
        owner = owner.set_index("customer_id")["rep_id"].reindex(dormant)
        future = orders.loc[orders["ordered_at"].between(t, t + HORIZON, inclusive="left")]
        frame = pd.DataFrame({"customer_id": dormant, "rep_id": owner.to_numpy()})
        frame = frame.dropna(subset=["rep_id"])
        when = pd.Series(t, index=frame.index)
        frame["mode"] = lookup(mode, frame["rep_id"], when)
        frame["state"] = lookup(state, frame["customer_id"], when)
        frame["revived"] = frame["customer_id"].isin(future["customer_id"])
        held.append(frame)
    neglected = pd.concat(held, ignore_index=True)
    revivable = "dormant_revivable"
    return {
        "recycled": claims.loc[(claims["mode"] == "hunter") & (claims["state"] == revivable)],
        "neglected": neglected.loc[
            (neglected["mode"] == "order_follower") & (neglected["state"] == revivable)
        ],
    }


def test_recycled_customers_revive_more_than_those_left_with_order_followers(
    sim: Simulation,
) -> None:
    out = _revivable_dormant_outcomes(sim)
    recycled, neglected = out["recycled"]["revived"], out["neglected"]["revived"]
    assert len(recycled) >= 50 and len(neglected) >= 300
    assert recycled.mean() > 1.5 * neglected.mean()


def test_releases_obey_the_pool_rule(sim: Simulation) -> None:
    crm, rule = sim.crm, sim.config.pool
    assert crm.activities is not None and crm.ownership is not None and crm.orders is not None
    own = crm.ownership
    released = own.loc[own["reason"] == "released"]
    released = released.loc[released["valid_from"] >= pd.Timestamp(sim.config.start)]
    assert len(released) > 100
    keys = released[["customer_id", "valid_from"]].sort_values("valid_from")
    acts = crm.activities[["customer_id", "occurred_at"]].sort_values("occurred_at")
    last_touch = pd.merge_asof(
        keys, acts, left_on="valid_from", right_on="occurred_at", by="customer_id"
    )
    orders = crm.orders[["customer_id", "ordered_at"]].sort_values("ordered_at")
    last_order = pd.merge_asof(
        keys, orders, left_on="valid_from", right_on="ordered_at", by="customer_id"
    )
    release_day = keys["valid_from"].dt.normalize().to_numpy()
    quiet = (release_day - last_touch["occurred_at"].dt.normalize()).dt.days
    lapse = (release_day - last_order["ordered_at"].dt.normalize()).dt.days
    never_ordered = last_order["ordered_at"].isna()
    no_followup = quiet.isna() | (quiet >= rule.release_after_days_without_followup)
    # how long the releasing owner had held the customer
    rows = own.sort_values(["customer_id", "valid_from"], kind="stable")
    gained = rows.groupby("customer_id")["valid_from"].shift(1)
    held_since = gained[rows["reason"] == "released"].reindex(keys.index)
    held = pd.Series(release_day - held_since.dt.normalize().to_numpy()).dt.days
    assert rule.exempt_won and rule.release_after_days_without_order is not None
    # a past buyer goes only after a year without an order; a prospect after N days without a
    # follow-up, or when held too long without a deal
    assert (lapse[~never_ordered] >= rule.release_after_days_without_order).all()
    no_deal = held >= rule.release_after_days_without_deal
    assert (no_followup | no_deal)[never_ordered].all()
    assert no_followup[never_ordered].any() and (~no_followup & no_deal)[never_ordered].any()
    assert (~never_ordered).sum() > 50


def test_claims_obey_the_daily_cap_and_cooldown(sim: Simulation) -> None:
    crm, rule = sim.crm, sim.config.pool
    assert crm.ownership is not None
    own = crm.ownership.sort_values(["customer_id", "valid_from"], kind="stable")
    claims = own.loc[own["reason"] == "claimed"]
    per_day = claims.groupby(["rep_id", claims["valid_from"].dt.normalize()]).size()
    assert per_day.max() <= rule.daily_claim_cap
    assert len(claims) > 100
    prev = own.groupby("customer_id")[["rep_id", "valid_from"]].shift(1)
    prev_owner = own.groupby("customer_id")["rep_id"].shift(2)  # the owner before the pool
    is_claim = own["reason"] == "claimed"
    back = is_claim & prev["rep_id"].isna() & (prev_owner == own["rep_id"]).fillna(False)
    # the rule counts calendar days: released at night, claimed some mornings later
    gap = (own["valid_from"].dt.normalize() - prev["valid_from"].dt.normalize()).dt.days
    assert (gap[back] >= rule.previous_owner_cooldown_days).all()


def test_amounts_are_heavy_tailed(sim: Simulation) -> None:
    assert sim.crm.orders is not None
    amount = sim.crm.orders["amount"]
    assert (amount >= 0).all()
    assert amount.quantile(0.99) > 8 * amount.median()
    top = amount.sort_values(ascending=False)
    assert top.head(len(top) // 100).sum() > 0.08 * top.sum()  # top 1% of orders, > 8% of money


def test_weekly_rhythm_and_online_growth(sim: Simulation) -> None:
    crm = sim.crm
    assert crm.activities is not None and crm.orders is not None
    per_weekday = crm.activities["occurred_at"].dt.day_of_week.value_counts()
    assert per_weekday[[5, 6]].mean() < 0.3 * per_weekday[[0, 1, 2, 3, 4]].mean()
    window = crm.orders.loc[crm.orders["ordered_at"] >= pd.Timestamp(sim.config.start)]
    online = window.groupby(window["ordered_at"].dt.year)["channel"].apply(
        lambda s: (s == "online").mean()
    )
    assert len(online) == 3 and online.iloc[0] > 0
    assert online.iloc[-1] > 3 * online.iloc[0]


def test_customers_come_from_hunting_referrals_and_inbound(sim: Simulation) -> None:
    sources = sim.crm.customers["source"].value_counts(normalize=True)
    assert sources["cold_outreach"] > 0.5
    assert sources["referral"] > 0.05 and sources["inbound"] > 0.05


def test_truth_states_agree_with_the_orders(sim: Simulation) -> None:
    months = sim.truth["customer_months"]
    assert sim.crm.orders is not None
    last = months["month"].max()
    month_end = last + pd.offsets.MonthEnd(0) + pd.Timedelta(days=1)
    orders = sim.crm.orders
    recent = orders.loc[
        (orders["ordered_at"] < month_end)
        & (orders["ordered_at"] >= month_end - pd.Timedelta(days=sim.config.dormant_days + 1))
    ]
    state = months.loc[months["month"] == last].set_index("customer_id")["state"]
    active = state.index[state == "active"]
    assert set(active) <= set(recent["customer_id"])
    assert {"dormant_revivable", "dormant_lost", "prospect"} <= set(state.astype(str))
