"""The money at risk: a rep's new business, which a slide into order-following would stop."""

from __future__ import annotations

import numpy as np
import pandas as pd

from stagnation.crm import CRM

DAY = pd.Timedelta(days=1)


def new_business_at_risk(
    crm: CRM, at: pd.Timestamp, rep_ids: pd.Series | np.ndarray, horizon_days: float
) -> np.ndarray:
    """Return, per rep, its revenue from customers first won in the last 365 days, per horizon.

    The revenue rate of the 365 days before ``at`` (only orders before ``at`` count), scaled to
    ``horizon_days``; 0 for a rep without new customers. A slide stops this revenue, so
    ``P(slide) x this`` is the new business at risk that ranks reps in the action list (and in
    the backtest).
    """
    if crm.orders is None or "rep_id" not in crm.orders.columns:
        return np.zeros(len(rep_ids))
    per_day = new_customer_revenue(crm, at) / 365.0
    return per_day.reindex(pd.Index(rep_ids)).fillna(0.0).to_numpy(dtype=float) * horizon_days


def new_customer_revenue(crm: CRM, at: pd.Timestamp) -> pd.Series:
    """Return, per credited rep, the revenue of the 365 days before ``at`` from customers first
    won in them (the sum :func:`new_business_at_risk` scales; a sum over customers, so a Spark
    partition of customers gives its part of it). Empty without ``orders.rep_id``."""
    if crm.orders is None or "rep_id" not in crm.orders.columns:
        return pd.Series(dtype=float)
    orders = crm.orders.loc[crm.orders["ordered_at"] < at]
    first = orders.groupby("customer_id", observed=True)["ordered_at"].transform("min")
    year = at - 365 * DAY
    new = orders.loc[(first >= year) & (orders["ordered_at"] >= year)]
    return new.groupby("rep_id", observed=True)["amount"].sum()
