"""Look up the simulator's hidden truth for a population of (entity, as_of) pairs.

Only simulated extracts have truth; these lookups measure how well observable labels and model
scores agree with what really happened in the simulated company.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def slide_truth(
    truth: dict[str, pd.DataFrame], population: pd.DataFrame, horizon_days: int
) -> np.ndarray:
    """Return, per (rep_id, as_of) row, whether a slide starts or is under way in the horizon.

    A slide is under way in ``[as_of, as_of + horizon)`` when it started before the window ends
    and had not completed before the window starts.
    """
    slides = truth["slides"][["rep_id", "slide_started_at", "slide_completed_at"]]
    rows = population[["rep_id", "as_of"]].reset_index(drop=True).rename_axis("row").reset_index()
    pairs = rows.merge(slides, on="rep_id", how="inner")
    end = pairs["as_of"] + pd.Timedelta(days=horizon_days)
    overlaps = (pairs["slide_started_at"] < end) & (
        pairs["slide_completed_at"].isna() | (pairs["slide_completed_at"] >= pairs["as_of"])
    )
    hit = np.zeros(len(population), dtype=bool)
    hit[pairs.loc[overlaps, "row"].to_numpy()] = True
    return hit


def truth_month(as_of: pd.Series) -> pd.Series:
    """Return the truth month whose snapshot is the last one known at each ``as_of``.

    The simulator snapshots its truth at the end of every month, labelled with the month's first
    day; at ``as_of`` the latest snapshot taken is that of the month before ``as_of``'s month
    (for 2025-06-01 and for 2025-06-15 alike: May, taken at the end of May 31).

    Examples
    --------
    >>> truth_month(pd.Series(pd.to_datetime(["2025-06-01", "2025-06-15"]))).tolist()
    [Timestamp('2025-05-01 00:00:00'), Timestamp('2025-05-01 00:00:00')]
    """
    month_start = pd.to_datetime(as_of).dt.to_period("M").dt.to_timestamp()
    return month_start - pd.offsets.MonthBegin(1)


def _customer_month_value(
    truth: dict[str, pd.DataFrame], population: pd.DataFrame, column: str
) -> np.ndarray:
    months = truth["customer_months"]
    month = truth_month(population["as_of"])
    key = pd.MultiIndex.from_arrays([population["customer_id"].to_numpy(), month.to_numpy()])
    return months.set_index(["customer_id", "month"])[column].reindex(key).to_numpy()


def customer_state_truth(truth: dict[str, pd.DataFrame], population: pd.DataFrame) -> pd.Series:
    """Return, per (customer_id, as_of) row, the customer's state at the last month end before.

    States: ``prospect``, ``active``, ``dormant_revivable``, ``dormant_lost`` (missing when the
    truth has no such month, e.g. before the first month end).
    """
    state = _customer_month_value(truth, population, "state")
    return pd.Series(state, index=population.index, name="true_state")


def customer_revivable_truth(truth: dict[str, pd.DataFrame], population: pd.DataFrame) -> pd.Series:
    """Return, per (customer_id, as_of) row, whether the customer could truly be won (back).

    The truth's ``revivable`` flag at the last month end before ``as_of``: a past buyer whose
    need still exists, or a prospect that fits (a hunter can win it). False when unknown.
    """
    flag = pd.Series(_customer_month_value(truth, population, "revivable"), dtype="boolean")
    return pd.Series(
        flag.fillna(False).to_numpy(dtype=bool), index=population.index, name="true_revivable"
    )
