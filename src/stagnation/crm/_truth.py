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


def customer_state_truth(truth: dict[str, pd.DataFrame], population: pd.DataFrame) -> pd.Series:
    """Return, per (customer_id, as_of) row, the customer's state at the last month end before.

    States: ``prospect``, ``active``, ``dormant_revivable``, ``dormant_lost`` (missing when the
    truth has no such month, e.g. before the first month end).
    """
    months = truth["customer_months"]
    month = (population["as_of"] - pd.Timedelta(days=1)).dt.to_period("M").dt.to_timestamp()
    key = pd.MultiIndex.from_arrays([population["customer_id"].to_numpy(), month.to_numpy()])
    state = months.set_index(["customer_id", "month"])["state"].reindex(key)
    return pd.Series(state.to_numpy(), index=population.index, name="true_state")
