"""Labels and populations, pinned at the point-in-time boundaries.

Features see events strictly before ``as_of``; labels see ``[as_of, as_of + horizon)``: an event
exactly at ``as_of`` belongs to the label side, one exactly at the horizon's end to neither.
"""

from __future__ import annotations

import pandas as pd
import pytest

from stagnation.crm import CRM
from stagnation.labels import (
    CustomerReactivationSettings,
    RepPassivitySettings,
    customer_population,
    customer_reactivation_labels,
    rep_passivity_labels,
    rep_population,
)

T = pd.Timestamp("2024-07-01")
S = pd.Timedelta(seconds=1)
D = pd.Timedelta(days=1)


def one_customer(*, created: pd.Timestamp = T - 400 * D, orders=(), activities=(), won=()) -> CRM:
    """A single customer with orders, activities and won opportunities at the given moments."""
    return CRM.from_frames(
        customers=pd.DataFrame({"customer_id": ["c"], "created_at": [created]}),
        orders=pd.DataFrame(
            {
                "order_id": [f"o{i}" for i in range(len(orders))],
                "customer_id": ["c"] * len(orders),
                "ordered_at": pd.Series(list(orders), dtype="datetime64[ns]"),
                "amount": [100.0] * len(orders),
            }
        ),
        activities=pd.DataFrame(
            {
                "activity_id": [f"a{i}" for i in range(len(activities))],
                "customer_id": ["c"] * len(activities),
                "rep_id": ["r"] * len(activities),
                "occurred_at": pd.Series(list(activities), dtype="datetime64[ns]"),
            }
        ),
        opportunities=pd.DataFrame(
            {
                "opportunity_id": [f"p{i}" for i in range(len(won))],
                "customer_id": ["c"] * len(won),
                "rep_id": ["r"] * len(won),
                "created_at": [T - 30 * D] * len(won),
                "closed_at": pd.Series(list(won), dtype="datetime64[ns]"),
                "status": ["won"] * len(won),
            }
        ),
    )


@pytest.mark.parametrize(
    ("case", "eligible", "label", "value"),
    [
        (dict(orders=[T - 200 * D, T]), True, True, 100.0),  # at T: label side
        (dict(orders=[T - 200 * D, T - S]), False, None, None),  # a second before: not dormant
        (dict(orders=[T - 200 * D, T - 90 * D]), False, None, None),  # window start is inside
        (dict(orders=[T - 200 * D, T - 90 * D - S]), True, False, 0.0),
        (dict(orders=[T + 180 * D - S]), True, True, 100.0),  # last second of the horizon
        (dict(orders=[T + 180 * D]), True, False, 0.0),  # the horizon's end is outside
        (dict(activities=[T - 90 * D]), False, None, None),  # a follow-up breaks dormancy too
        (dict(activities=[T - 90 * D - S, T]), True, False, 0.0),
        (dict(won=[T + 10 * D]), True, True, 0.0),  # winning a deal counts as coming back
        (dict(created=T - 90 * D), True, False, 0.0),  # existed for the whole quiet window
        (dict(created=T - 90 * D + S), False, None, None),  # too new to be dormant
    ],
)
def test_customer_reactivation_boundaries(
    case: dict, eligible: bool, label: bool | None, value: float | None
) -> None:
    crm = one_customer(**case)
    assert len(customer_population(crm, T)) == int(eligible)
    labels = customer_reactivation_labels(crm, T)
    assert len(labels) == int(eligible)
    if eligible:
        assert labels["label"].item() == label
        assert labels["value"].item() == value
        assert labels.attrs["settings"] == CustomerReactivationSettings().model_dump()


def test_customers_and_orders_only_is_enough_for_the_customer_label() -> None:
    crm = CRM.from_frames(
        customers=pd.DataFrame({"customer_id": ["c"], "created_at": [T - 400 * D]}),
        orders=pd.DataFrame(
            {"order_id": ["o"], "customer_id": ["c"], "ordered_at": [T + D], "amount": [5.0]}
        ),
    )
    assert customer_reactivation_labels(crm, T)["label"].tolist() == [True]


def rep_crm(
    baseline: tuple[int, int], recent: tuple[int, int], horizon_tail: tuple[int, int], **rep
) -> CRM:
    """One rep; (hunting, farming) activities per 30-day block: baseline blocks, the last 30
    days before T, and every 30-day block of the horizon (the label reads the last one)."""
    customers = pd.DataFrame(
        {"customer_id": ["prospect", "buyer"], "created_at": [T - 900 * D] * 2}
    )
    # the buyer ordered yesterday, always: touching it is farming, touching the prospect hunting
    order_days = pd.date_range(T - 400 * D, T + 200 * D, freq="20D")
    orders = pd.DataFrame(
        {
            "order_id": [f"o{i}" for i in range(len(order_days))],
            "customer_id": "buyer",
            "ordered_at": order_days,
            "amount": 1.0,
        }
    )
    rows = []

    def block(start: pd.Timestamp, hunting: int, farming: int) -> None:
        for i in range(hunting + farming):
            customer = "prospect" if i < hunting else "buyer"
            rows.append((customer, start + (i + 1) * pd.Timedelta(minutes=37)))

    for k in range(1, 6):  # baseline: [T-180d, T-30d)
        block(T - 30 * (k + 1) * D, *baseline)
    block(T - 30 * D, *recent)
    for k in range(3):  # horizon: [T, T+90d)
        block(T + 30 * k * D, *horizon_tail)
    acts = pd.DataFrame(rows, columns=["customer_id", "occurred_at"])
    acts["activity_id"] = [f"a{i}" for i in range(len(acts))]
    acts["rep_id"] = "r"
    reps = pd.DataFrame({"rep_id": ["r"], "hired_at": [T - 400 * D], **rep})
    return CRM.from_frames(customers=customers, orders=orders, activities=acts, reps=reps)


def test_a_rep_whose_hunting_halves_is_positive() -> None:
    labels = rep_passivity_labels(rep_crm((20, 20), (20, 20), (4, 36)), T)
    assert labels["label"].tolist() == [True]
    assert labels["baseline_hunting_share"].item() == pytest.approx(0.5)
    assert labels["horizon_hunting_share"].item() == pytest.approx(0.1)


def test_a_rep_who_keeps_hunting_is_negative() -> None:
    labels = rep_passivity_labels(rep_crm((20, 20), (20, 20), (15, 25)), T)
    assert labels["label"].tolist() == [False]  # 0.375 > half of 0.5


def test_a_rep_already_down_at_as_of_is_not_in_the_population() -> None:
    assert rep_population(rep_crm((20, 20), (5, 35), (4, 36)), T).empty


def test_who_is_excluded_from_the_rep_population() -> None:
    assert rep_population(rep_crm((20, 20), (20, 20), (4, 36), hired_at=[T - 100 * D]), T).empty
    assert rep_population(rep_crm((20, 20), (20, 20), (4, 36), left_at=[T]), T).empty
    assert rep_population(rep_crm((2, 38), (2, 38), (0, 40)), T).empty  # not hunting anyway
    assert rep_population(rep_crm((1, 1), (1, 1), (0, 2)), T).empty  # too few activities


def test_a_rep_who_leaves_within_the_horizon_is_scored_but_not_labelled() -> None:
    crm = rep_crm((20, 20), (20, 20), (4, 36), left_at=[T + 89 * D])
    assert len(rep_population(crm, T)) == 1
    assert rep_passivity_labels(crm, T).empty
    stays = rep_crm((20, 20), (20, 20), (4, 36), left_at=[T + 90 * D])
    assert len(rep_passivity_labels(stays, T)) == 1


def test_the_rep_label_needs_activities() -> None:
    crm = one_customer(orders=[T - D])
    crm = CRM.from_frames(customers=crm.customers, orders=crm.orders)
    with pytest.raises(ValueError, match="no activities table"):
        rep_passivity_labels(crm, T)


def test_settings_are_attached_and_checked() -> None:
    settings = RepPassivitySettings(horizon_days=60)
    labels = rep_passivity_labels(rep_crm((20, 20), (20, 20), (4, 36)), T, settings)
    assert labels.attrs["settings"]["horizon_days"] == 60
    with pytest.raises(ValueError):
        RepPassivitySettings(drop_ratio=2.0)
    with pytest.raises(ValueError):
        CustomerReactivationSettings(surprise=1)  # type: ignore[call-arg]
