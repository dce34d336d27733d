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
import pyarrow as pa
import pyarrow.compute as pc

from stagnation.crm import CRM
from stagnation.errors import MissingTable
from stagnation.timeline import NAT, EventIndex, to_ns

DAY_NS = 86_400 * 10**9

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
    status, kind = activity_kinds(crm, dormant_days=dormant_days)
    assert crm.activities is not None  # activity_kinds refused an extract without it
    order = np.argsort(to_ns(crm.activities["occurred_at"]), kind="stable")
    acts = crm.activities.take(order).reset_index(drop=True)
    return acts.assign(
        customer_status=pd.Categorical.from_codes(status[order], dtype=STATUS_DTYPE),
        kind=pd.Categorical.from_codes(kind[order], dtype=KIND_DTYPE),
    )


def activity_kinds(crm: CRM, *, dormant_days: int = 90) -> tuple[np.ndarray, np.ndarray]:
    """Return the status and kind codes of every activity, in the activities table's order.

    The codes index :data:`CUSTOMER_STATUSES` and :data:`ACTIVITY_KINDS`;
    :func:`classify_activities` is the same as a sorted, labelled table. The customer's last
    order strictly before each activity comes from one :class:`EventIndex` of the orders (binary
    searches, no join on the text ids).
    """
    if crm.activities is None:
        raise MissingTable("the extract has no 'activities' table; activity kinds need it")
    acts = crm.activities
    at = to_ns(acts["occurred_at"])
    last = np.full(len(acts), NAT)
    if crm.orders is not None and len(crm.orders):
        buyers = pd.Index(crm.orders["customer_id"].dropna().unique())
        n = len(buyers)  # code n: a customer without orders (an empty entity)
        orders = EventIndex(
            _codes_in(buyers, crm.orders["customer_id"], n), crm.orders["ordered_at"], n + 1
        )
        row = orders.last(_codes_in(buyers, acts["customer_id"], n), at)
        last = orders.time_at(row)  # NaT: no order strictly before the activity
    inbound = (acts["direction"] == "inbound").fillna(False).to_numpy(dtype=bool)
    return kinds_from_last(at, last, inbound, dormant_days)


def kinds_from_last(
    at: np.ndarray, last: np.ndarray, inbound: np.ndarray, dormant_days: int
) -> tuple[np.ndarray, np.ndarray]:
    """Return status and kind codes of activities at ``at`` from the last order before each.

    ``last`` is NaT where the customer had no order strictly before the activity; ``inbound``
    marks the inbound activities (their kind is inbound whatever the status).
    """
    # int8 codes written in place: no int64 temporaries (11M activities: 90 MB each)
    never = np.isnat(last)
    recent = (at - last).view(np.int64) <= dormant_days * DAY_NS
    recent &= ~never  # NaT - x is the smallest int64, "recent" by the comparison
    status = np.full(len(recent), 2, dtype=np.int8)
    status[recent] = 1
    status[never] = 0
    kind = recent.astype(np.int8)  # farming where recent, hunting otherwise
    kind[inbound] = 2
    return status, kind


def _codes_in(universe: pd.Index, values: pd.Series, missing: int) -> np.ndarray:
    """Return each value's position in ``universe`` (``missing`` where absent), by Arrow hash."""
    found = pc.index_in(pa.array(values.array), value_set=pa.array(universe.array))
    return found.fill_null(missing).to_numpy(zero_copy_only=False).astype(np.int64)
