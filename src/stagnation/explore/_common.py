"""Constants and helpers shared by the explore tables and figures."""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from stagnation.errors import MissingTable
from stagnation.features import FeatureContext
from stagnation.simulator import truth_month
from stagnation.timeline import EventIndex, to_ns

#: Tenure bands (years, left-closed) of the hunting-share tables.
TENURE_BANDS: tuple[float, ...] = (0.0, 1.0, 2.0, 3.0, 5.0, np.inf)


#: Book-coverage bands (× the peer median of 365-day credited revenue, left-closed).
COVERAGE_BANDS: tuple[float, ...] = (0.0, 0.25, 0.5, 1.0, 1.5, np.inf)


#: Age bands of a dormant customer: days since its last order (left-closed).
AGE_BANDS: tuple[float, ...] = (90.0, 180.0, 365.0, 730.0, np.inf)


#: Value bands of a dormant customer: lifetime order value (currency units, left-closed).
VALUE_BANDS: tuple[float, ...] = (0.0, 5_000.0, 20_000.0, 100_000.0, np.inf)


#: Columns of :func:`rep_months` (without truth).
REP_MONTH_COLUMNS: tuple[str, ...] = (
    "rep_id",
    "as_of",
    "tenure_years",
    "outbound_activities_90d",
    "hunting_activities_90d",
    "hunting_share_outbound_30d",
    "hunting_share_outbound_90d",
    "hunting_share_90d",
    "book_revenue_365d",
    "book_revenue_vs_peers_365d",
    "book_customers",
    "repeat_revenue_share_365d",
    "t_model_stage",
)


#: Columns of :func:`pool_flows`.
POOL_FLOW_COLUMNS: tuple[str, ...] = (
    "into_pool",
    "released",
    "rep_left",
    "out_of_pool",
    "claimed",
    "pool_size",
    "revivals",
    "revivals_from_pool",
    "revival_value",
)


#: Columns the truth adds to :func:`rep_months`, from its ``rep_months`` table.
TRUTH_REP_COLUMNS = {"mode": "true_mode", "book_coverage": "true_book_coverage"}


_EVENT_COLUMN = {
    "customers": "created_at",
    "orders": "ordered_at",
    "activities": "occurred_at",
    "reps": "hired_at",
    "opportunities": "created_at",
    "ownership": "valid_from",
}


_SHARE_LABEL = "hunting share of outbound touches (%, {w} days)"


_VALUE_LABEL = "lifetime order value (currency units, log scale)"


_STATE_COLOURS = {
    "dormant_revivable": "tab:green",
    "dormant_lost": "tab:grey",
    "prospect": "tab:blue",
    "active": "tab:orange",
}


def _activities(ctx: FeatureContext) -> EventIndex:
    if ctx.activities_by_rep is None:
        raise MissingTable(
            "the extract has no activities table; hunting and farming are read from activity "
            "records"
        )
    return ctx.activities_by_rep


def _share(part: pd.Series, whole: pd.Series) -> pd.Series:
    """Return ``part / whole`` as floats, NaN where ``whole`` is 0."""
    whole = whole.astype(float)
    return part.astype(float) / whole.where(whole > 0)


def _employed(ctx: FeatureContext, rep: np.ndarray, at: np.ndarray) -> np.ndarray:
    """Return whether each rep code is employed at ``at`` (hired before it, not left by then)."""
    reps = ctx.crm.reps
    if reps is None:
        return np.ones(len(rep), dtype=bool)
    by_id = reps.set_index("rep_id")
    hired = to_ns(by_id["hired_at"].reindex(ctx.reps))[rep]
    left = to_ns(by_id["left_at"].reindex(ctx.reps))[rep]
    return (np.isnat(hired) | (hired < at)) & (np.isnat(left) | (left > at))


def _band_labels(bins: Sequence[float]) -> dict[str, tuple[float, float]]:
    """Return ``{label: (low, high)}`` of left-closed bands, labelled like ``1-2`` or ``5+``."""
    edges = [float(b) for b in bins]
    if len(edges) < 2 or any(b <= a for a, b in itertools.pairwise(edges)):
        raise ValueError(f"bins must be at least two increasing edges, got {list(bins)}")
    return {
        (f"{_fmt(a)}+" if np.isinf(b) else f"{_fmt(a)}-{_fmt(b)}"): (a, b)
        for a, b in itertools.pairwise(edges)
    }


def _band(values: pd.Series, bins: Sequence[float]) -> pd.Series:
    """Cut ``values`` into left-closed bands labelled as in :func:`_band_labels`."""
    labels = list(_band_labels(bins))
    return pd.cut(values.astype(float), [float(b) for b in bins], right=False, labels=labels)


def _fmt(edge: float) -> str:
    if edge >= 1000 and edge % 1000 == 0:
        return f"{edge / 1000:g}k"
    return f"{edge:g}"


def _with_level(band: pd.Series, present: np.ndarray, level: str) -> pd.Series:
    """Return ``band`` with ``level`` added as its last category, set where not ``present``."""
    out = band.cat.add_categories([level])
    return out.where(present, level)


def _per_period(
    times: pd.Series, edges: pd.DatetimeIndex, weights: pd.Series | None = None
) -> np.ndarray:
    """Return the number (or weighted sum) of ``times`` in each ``[edges[i], edges[i + 1])``."""
    t = to_ns(times)
    bucket = np.searchsorted(to_ns(edges), t, side="right") - 1
    inside = (bucket >= 0) & (bucket < len(edges) - 1)
    w = None if weights is None else weights.to_numpy(dtype=float)[inside]
    return np.bincount(bucket[inside], weights=w, minlength=len(edges) - 1).astype(float)


def _month_before(as_of: pd.Series) -> np.ndarray:
    """Return the truth month (see :func:`~stagnation.simulator.truth_month`) per ``as_of``."""
    return to_ns(pd.DatetimeIndex(truth_month(as_of)))


def _with_rep_truth(frame: pd.DataFrame, truth: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """Add the truth's mode and book coverage at the month end before each ``as_of``."""
    months = truth["rep_months"]
    key = pd.MultiIndex.from_arrays([frame["rep_id"].to_numpy(), _month_before(frame["as_of"])])
    index = pd.MultiIndex.from_arrays(
        [months["rep_id"].astype("string").to_numpy(), to_ns(months["month"])]
    )
    out = frame.copy()
    for column, name in TRUTH_REP_COLUMNS.items():
        values = pd.Series(months[column].to_numpy(), index=index).reindex(key).to_numpy()
        out[name] = values
    out["true_mode"] = pd.Categorical(
        out["true_mode"], categories=["hunter", "sliding", "order_follower", "recovering"]
    )
    out["true_book_coverage"] = out["true_book_coverage"].astype(float)
    return out
