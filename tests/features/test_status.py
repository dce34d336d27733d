"""Customer status and activity kinds, pinned at the point-in-time boundary.

An order exactly at the moment of interest is not yet seen (CONTRACT.md section 2); an order
exactly ``dormant_days`` earlier still makes the customer active.
"""

from __future__ import annotations

import pandas as pd
import pytest

from stagnation.crm import CRM
from stagnation.features import classify_activities, customer_status

AT = pd.Timestamp("2024-06-01 09:00:00")
SECOND = pd.Timedelta(seconds=1)
DAYS_90 = pd.Timedelta(days=90)


def crm_with_orders(*ordered_at: pd.Timestamp, activities: pd.DataFrame | None = None) -> CRM:
    n = len(ordered_at)
    return CRM.from_frames(
        customers=pd.DataFrame(
            {
                "customer_id": [f"c{i}" for i in range(max(n, 1))],
                "created_at": ["2024-01-01"] * max(n, 1),
            }
        ),
        orders=pd.DataFrame(
            {
                "order_id": range(n),
                "customer_id": [f"c{i}" for i in range(n)],
                "ordered_at": list(ordered_at),
                "amount": [1.0] * n,
            }
        ),
        activities=activities,
    )


@pytest.mark.parametrize(
    ("ordered_at", "status"),
    [
        (AT, "prospect"),  # exactly at as_of: belongs to the future
        (AT + SECOND, "prospect"),
        (AT - SECOND, "active"),
        (AT - DAYS_90, "active"),  # exactly dormant_days back: still within
        (AT - DAYS_90 - SECOND, "dormant"),
    ],
)
def test_status_sees_only_orders_strictly_before(ordered_at: pd.Timestamp, status: str) -> None:
    assert customer_status(crm_with_orders(ordered_at), AT).tolist() == [status]


def test_customers_created_at_or_after_as_of_are_not_there_yet() -> None:
    crm = CRM.from_frames(
        customers=pd.DataFrame(
            {"customer_id": ["old", "now", "later"], "created_at": [AT - SECOND, AT, AT + SECOND]}
        ),
        orders=pd.DataFrame(columns=["order_id", "customer_id", "ordered_at", "amount"]),
    )
    assert customer_status(crm, AT).index.tolist() == ["old"]


def test_activity_kinds_follow_the_status_at_that_moment() -> None:
    acts = pd.DataFrame(
        {
            "activity_id": ["same_moment", "after", "missing_dir", "inbound", "lapsed"],
            "customer_id": ["c0", "c0", "c0", "c0", "c1"],
            "rep_id": ["r"] * 5,
            "occurred_at": [AT, AT + SECOND, AT + SECOND, AT + SECOND, AT + DAYS_90 + SECOND],
            "direction": ["outbound", "outbound", None, "inbound", "outbound"],
        }
    )
    crm = crm_with_orders(AT, AT - SECOND, activities=acts)
    kinds = classify_activities(crm).set_index("activity_id")
    # c0 orders exactly at AT: an activity at the same moment still sees a prospect
    assert kinds.loc["same_moment", "customer_status"] == "prospect"
    assert kinds.loc["same_moment", "kind"] == "hunting"
    assert kinds.loc["after", "kind"] == "farming"
    assert kinds.loc["missing_dir", "kind"] == "farming"  # missing direction means outbound
    assert kinds.loc["inbound", "kind"] == "inbound"
    # c1 last ordered a second before AT; 90 days and a second later it is dormant again
    assert kinds.loc["lapsed", "customer_status"] == "dormant"
    assert kinds.loc["lapsed", "kind"] == "hunting"


def test_activity_kinds_need_activities() -> None:
    with pytest.raises(ValueError, match="activities"):
        classify_activities(crm_with_orders(AT))
