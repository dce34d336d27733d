"""Customer status and activity kinds, point in time: the vocabulary both feature families share.

A customer's status at a moment ``t`` is read from its orders strictly before ``t``:

* ``prospect``: it has never ordered;
* ``active``: its last order lies in ``[t - dormant_days, t)``;
* ``dormant``: it has ordered, but not within ``dormant_days``.

An activity is ``hunting`` when it is outbound (a missing direction means outbound) to a prospect
or to a customer dormant at that moment, ``farming`` when it is outbound to an active customer,
and ``inbound`` when the customer reached out (reactive work).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from stagnation.crm import CRM
from stagnation.errors import MissingTable

CUSTOMER_STATUSES = ("prospect", "active", "dormant")
ACTIVITY_KINDS = ("hunting", "farming", "inbound")


STATUS_DTYPE = pd.CategoricalDtype(list(CUSTOMER_STATUSES))
KIND_DTYPE = pd.CategoricalDtype(list(ACTIVITY_KINDS))


def _status_codes(gap: pd.Series, dormant_days: int) -> np.ndarray:
    """Map "time since the last order strictly before t" (NaT: never ordered) to status codes."""
    return np.where(gap.isna(), 0, np.where(gap <= pd.Timedelta(days=dormant_days), 1, 2))


def customer_status(crm: CRM, at: pd.Timestamp | str, *, dormant_days: int = 90) -> pd.Series:
    """Return every customer's status at ``at``, from orders strictly before it.

    Parameters
    ----------
    crm
        The extract.
    at
        The moment; an order exactly at ``at`` is not seen.
    dormant_days
        Days without an order after which a buyer counts as dormant.

    Returns
    -------
    pandas.Series
        Categorical (``prospect``/``active``/``dormant``) indexed by ``customer_id``, for the
        customers created before ``at``.

    Examples
    --------
    >>> crm = CRM.from_frames(
    ...     customers=pd.DataFrame(
    ...         {"customer_id": ["a", "b", "c"], "created_at": ["2024-01-01"] * 3}
    ...     ),
    ...     orders=pd.DataFrame({"order_id": [1, 2, 3], "customer_id": ["a", "b", "c"],
    ...                          "ordered_at": ["2024-01-05", "2024-07-01", "2024-09-01"],
    ...                          "amount": [10.0, 10.0, 10.0]}),
    ... )
    >>> customer_status(crm, "2024-09-01").tolist()
    ['dormant', 'active', 'prospect']
    """
    at = pd.Timestamp(at)
    customers = crm.customers.loc[crm.customers["created_at"] < at, "customer_id"]
    last = pd.Series(pd.NaT, index=pd.Index(customers, name="customer_id"), dtype="datetime64[ns]")
    if crm.orders is not None:
        seen = crm.orders.loc[crm.orders["ordered_at"] < at]
        last_order = seen.groupby("customer_id", observed=True)["ordered_at"].max()
        last = last_order.reindex(last.index)
    status = pd.Categorical.from_codes(_status_codes(at - last, dormant_days), dtype=STATUS_DTYPE)
    return pd.Series(status, index=last.index, name="status")


def classify_activities(crm: CRM, *, dormant_days: int = 90) -> pd.DataFrame:
    """Return every activity with the customer's status at that moment and the activity's kind.

    Parameters
    ----------
    crm
        The extract; it must have an ``activities`` table.
    dormant_days
        Days without an order after which a buyer counts as dormant.

    Returns
    -------
    pandas.DataFrame
        The activities (sorted by ``occurred_at``) with two more categorical columns:
        ``customer_status`` (status at ``occurred_at``, from orders strictly before it) and
        ``kind`` (``hunting``, ``farming`` or ``inbound``).
    """
    if crm.activities is None:
        raise MissingTable("the extract has no 'activities' table; activity kinds need it")
    acts = crm.activities.sort_values("occurred_at", kind="stable", ignore_index=True)
    if crm.orders is not None and len(crm.orders):
        orders = crm.orders[["customer_id", "ordered_at"]].sort_values("ordered_at", kind="stable")
        last = pd.merge_asof(
            acts[["occurred_at", "customer_id"]],
            orders.rename(columns={"ordered_at": "last_order_at"}),
            left_on="occurred_at",
            right_on="last_order_at",
            by="customer_id",
            allow_exact_matches=False,  # an order at the same moment is not yet seen
        )["last_order_at"]
    else:
        last = pd.Series(pd.NaT, index=acts.index, dtype="datetime64[ns]")
    status = _status_codes(acts["occurred_at"] - last, dormant_days)
    inbound = (acts["direction"] == "inbound").fillna(False).to_numpy(dtype=bool)
    kind = np.where(inbound, 2, np.where(status == 1, 1, 0))
    return acts.assign(
        customer_status=pd.Categorical.from_codes(status, dtype=STATUS_DTYPE),
        kind=pd.Categorical.from_codes(kind, dtype=KIND_DTYPE),
    )
