"""Everything the feature builders share, computed once per extract: entity codes and indexes.

:class:`FeatureContext` indexes every event table of a CRM by entity and time (see
:class:`~stagnation.timeline.EventIndex`), with activities already classified as
hunting, farming or inbound at their own moment. Building it is the only pass over the raw
events; features at any number of ``as_of`` dates are queries against it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from stagnation.crm import CRM
from stagnation.features._status import activity_kinds, kinds_from_last
from stagnation.timeline import NAT, EventIndex, TimeRanks

if TYPE_CHECKING:
    from stagnation.features._wide import ExtractWide

#: Channel codes of activities (contract order), used as event values.
CHANNELS = ("call", "visit", "message", "email", "meeting", "other")
#: Ownership reasons with their own code; other texts share the last code.
REASONS = ("assigned", "claimed", "released", "transferred", "rep_left", "other")


def _rep_universe(crm: CRM) -> pd.Index:
    """Return every rep id: the reps table's, else the ids used in the events."""
    if crm.reps is not None:
        return pd.Index(crm.reps["rep_id"], name="rep_id")
    used = [
        frame["rep_id"]
        for name in ("activities", "orders", "opportunities", "ownership")
        if (frame := crm[name]) is not None
    ]
    ids = pd.concat(used).dropna().unique() if used else []
    return pd.Index(sorted(ids), name="rep_id", dtype=pd.StringDtype())


def _codes(crm: CRM, table: str, column: str, universe: pd.Index) -> np.ndarray:
    """Return the entity code (position in ``universe``) of each row's ``column`` id (-1 none).

    The universe of customers is the customers table, and that of reps the reps table when
    given: the codes are then the extract's own id lookups (:meth:`CRM.positions`, made once
    by validation). Reps derived from the events are looked up here.
    """
    if column == "customer_id" or crm.reps is not None:
        return crm.positions(table, column)
    frame = crm[table]
    assert frame is not None
    values = frame[column]
    if isinstance(universe.dtype, pd.StringDtype) and isinstance(values.dtype, pd.StringDtype):
        # Arrow's hash kernel: about ten times faster than Index.get_indexer on 11M ids
        found = pc.index_in(pa.array(values.array), value_set=pa.array(universe.array))
        return found.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64)
    return universe.get_indexer(pd.Index(values))


def _activity_kinds(
    crm: CRM,
    dormant_days: int,
    activities: EventIndex,
    orders: EventIndex | None,
    ranks: TimeRanks,
) -> np.ndarray:
    """Return :func:`activity_kinds`' kind codes, asking the orders index in (customer, time) order.

    The activities index lists the activities by customer and time, so the searches for "the
    customer's last order before this activity" run in ascending order of their keys, over the
    distinct activity times (``ranks``), several times faster than in the table's order. When
    the indexes left rows out (an id outside the customers table, a missing timestamp), the
    kinds come from :func:`activity_kinds` itself.
    """
    a = crm.activities
    assert a is not None
    every_order = crm.orders is None or (orders is not None and len(orders) == len(crm.orders))
    if len(activities) != len(a) or not every_order:
        return activity_kinds(crm, dormant_days=dormant_days)[1]
    at = activities.time.view("datetime64[ns]")
    if orders is not None and len(orders):
        before = orders.position_at_events(activities.entity, ranks, activities.rows)
        before -= 1  # the customer's last order strictly before the activity, if it has one
        has = before >= orders.start[activities.entity]
        last = np.where(has, orders.time[before], NAT.view(np.int64)).view("datetime64[ns]")
    else:
        last = np.full(len(at), NAT)
    inbound = (a["direction"] == "inbound").fillna(False).to_numpy(dtype=bool)
    kind = np.empty(len(a), dtype=np.int8)
    kind[activities.rows] = kinds_from_last(at, last, inbound[activities.rows], dormant_days)[1]
    return kind


@dataclass
class FeatureContext:
    """Indexes over one CRM extract, shared by the rep and customer feature builders.

    Attributes
    ----------
    crm
        The extract.
    dormant_days
        Days without an order after which a buyer counts as dormant (for activity kinds).
    customers, reps
        The entity universes (``customer_id`` / ``rep_id`` as a pandas Index); an entity's code
        is its position there.
    orders_by_customer, orders_by_rep
        Orders by the ordering customer / by the credited rep; values ``amount``, ``rep``
        (rep code, -1 none), ``customer`` (customer code), ``online`` (0/1).
    activities_by_customer, activities_by_rep
        Activities; values ``hunting``, ``farming``, ``inbound``, ``outbound`` (0/1 each),
        ``channel`` (code into :data:`CHANNELS`), ``rep`` and ``customer`` codes.
    ownership_by_customer, ownership_by_rep
        Ownership rows (``valid_from``); values ``rep`` (-1 = pool) and ``reason`` (code into
        :data:`REASONS`). ``ownership_by_rep`` indexes rows by the rep who gains the customer,
        plus, as ``lost`` rows, by the rep who loses it.
    opportunities_created, opportunities_closed
        Opportunities by customer at ``created_at`` / at ``closed_at``; values ``won``,
        ``lost`` (0/1), ``amount``, ``rep``.
    wide
        Extract-wide inputs handed in when the context holds only a part of the customers
        (one partition of a Spark run, :class:`~stagnation.features.ExtractWide`); ``None``
        (the default): the context holds the whole extract and computes them itself.
    """

    crm: CRM
    dormant_days: int
    customers: pd.Index
    reps: pd.Index
    orders_by_customer: EventIndex | None
    orders_by_rep: EventIndex | None
    activities_by_customer: EventIndex | None
    activities_by_rep: EventIndex | None
    ownership_by_customer: EventIndex | None
    ownership_by_rep: EventIndex | None
    opportunities_created: EventIndex | None
    opportunities_closed: EventIndex | None
    wide: ExtractWide | None = None

    @classmethod
    def build(cls, crm: CRM, *, dormant_days: int = 90) -> FeatureContext:
        """Index every event table of ``crm`` once."""
        customers = pd.Index(crm.customers["customer_id"], name="customer_id")
        reps = _rep_universe(crm)
        n_c, n_r = len(customers), len(reps)

        orders_c = orders_r = None
        if crm.orders is not None:
            o = crm.orders
            values = {
                "amount": o["amount"].to_numpy(dtype=float),
                "rep": _codes(crm, "orders", "rep_id", reps),
                "customer": _codes(crm, "orders", "customer_id", customers),
                "online": (o["channel"] == "online").fillna(False).to_numpy(dtype=float),
            }
            ranked = TimeRanks(o["ordered_at"])  # one time sort for both indexes
            orders_c = EventIndex(values["customer"], ranked, n_c, values)
            orders_r = EventIndex(values["rep"], ranked, n_r, values)

        acts_c = acts_r = None
        if crm.activities is not None:
            a = crm.activities
            values = {
                "channel": a["channel"].cat.codes.to_numpy(),
                "rep": _codes(crm, "activities", "rep_id", reps),
                "customer": _codes(crm, "activities", "customer_id", customers),
            }
            ranked = TimeRanks(a["occurred_at"])  # one time sort for both indexes
            acts_c = EventIndex(values["customer"], ranked, n_c, values)
            kind = _activity_kinds(crm, dormant_days, acts_c, orders_c, ranked)
            values.update(hunting=kind == 0, farming=kind == 1, inbound=kind == 2)
            values["outbound"] = kind != 2
            acts_c.carry(values)
            acts_r = EventIndex(values["rep"], ranked, n_r, values)

        own_c = own_r = None
        if crm.ownership is not None:
            w = crm.ownership
            reason = pd.Categorical(w["reason"], categories=list(REASONS)).codes
            reason = np.where(reason < 0, len(REASONS) - 1, reason)
            rep = _codes(crm, "ownership", "rep_id", reps)
            cust = _codes(crm, "ownership", "customer_id", customers)
            own_c = EventIndex(cust, w["valid_from"], n_c, {"rep": rep, "reason": reason})
            # by rep: gains (the new owner) and losses (the previous owner of the same customer)
            order = np.lexsort((w["valid_from"].to_numpy(), cust))
            prev = np.full(len(w), -1)
            same = np.r_[False, cust[order][1:] == cust[order][:-1]]
            prev[order[1:]] = np.where(same[1:], rep[order][:-1], -1)
            entity = np.concatenate([rep, prev])
            times = np.concatenate([w["valid_from"].to_numpy(), w["valid_from"].to_numpy()])
            own_r = EventIndex(
                entity,
                times,
                n_r,
                {
                    "gained": np.r_[np.ones(len(w)), np.zeros(len(w))],
                    "lost": np.r_[np.zeros(len(w)), np.ones(len(w))],
                    "claimed": np.r_[reason == REASONS.index("claimed"), np.zeros(len(w), bool)],
                    "released": np.r_[np.zeros(len(w), bool), reason == REASONS.index("released")],
                    "customer": np.r_[cust, cust],
                },
            )

        opp_open = opp_close = None
        if crm.opportunities is not None:
            p = crm.opportunities
            values = {
                "won": (p["status"] == "won").to_numpy(dtype=float),
                "lost": (p["status"] == "lost").to_numpy(dtype=float),
                "amount": p["amount"].fillna(0.0).to_numpy(dtype=float),
                "rep": _codes(crm, "opportunities", "rep_id", reps),
            }
            cust = _codes(crm, "opportunities", "customer_id", customers)
            opp_open = EventIndex(cust, p["created_at"], n_c, values)
            opp_close = EventIndex(cust, p["closed_at"], n_c, values)

        return cls(
            crm,
            dormant_days,
            customers,
            reps,
            orders_c,
            orders_r,
            acts_c,
            acts_r,
            own_c,
            own_r,
            opp_open,
            opp_close,
        )

    @classmethod
    def of(cls, source: CRM | FeatureContext, *, dormant_days: int) -> FeatureContext:
        """Return ``source`` if it is a context with these settings, else build one from it."""
        if isinstance(source, FeatureContext):
            if source.dormant_days != dormant_days:
                raise ValueError(
                    f"the feature context classifies activities with dormant_days="
                    f"{source.dormant_days}; these settings ask for {dormant_days}"
                )
            return source
        return cls.build(source, dormant_days=dormant_days)

    def owner_at(self, customer: np.ndarray, at: np.ndarray) -> np.ndarray:
        """Return each customer's owner (rep code; -1 = pool or none) just before ``at``.

        With an ``ownership`` table: the rep of the customer's last row strictly before ``at``.
        Without one: the rep of its latest activity or credited order strictly before ``at``.
        """
        if self.ownership_by_customer is not None:
            rows = self.ownership_by_customer.last(customer, at)
            return self.ownership_by_customer.value_at("rep", rows, fill=-1).astype(np.int64)
        owner = np.full(len(customer), -1, dtype=np.int64)
        latest = np.full(len(customer), np.datetime64("NaT", "ns"))
        sources: tuple[EventIndex | None, ...] = (
            self.activities_by_customer,
            self.orders_by_customer,
        )
        for events in sources:
            if events is None:
                continue
            row = events.last(customer, at)
            when = events.time_at(row)
            rep = events.value_at("rep", row, fill=-1).astype(np.int64)
            newer = (rep >= 0) & (np.isnat(latest) | (when > latest))
            owner = np.where(newer, rep, owner)
            latest = np.where(newer, when, latest)
        return owner
