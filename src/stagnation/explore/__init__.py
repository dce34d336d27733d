"""Tables and figures for exploring an extract: the T-model, the pool's flows, the dormant base.

The helpers behind ``notebooks/01-explore-sample.ipynb``, so that notebooks stay short. Table
helpers are plain pandas and return DataFrames; figure helpers build and return a
:class:`matplotlib.figure.Figure` without touching pyplot's global state (like
:mod:`stagnation.plots`), every axis titled and labelled with its unit.

The vocabulary is the package's (see :mod:`stagnation.features`):

* **hunting share** here is the share of a rep's *outbound* activities that are hunting (on
  prospects or dormant customers), ``hunting / (hunting + farming)``; inbound touches, where the
  customer reached out, are left out because the rep did not choose them. (The model feature
  ``hunting_share_90d`` divides by all activities instead; both fall together.)
* **book coverage** is read from the extract as the rep's credited revenue of the last 365 days
  against the median of employed peers (``book_revenue_vs_peers_365d``, ×); the simulator's truth
  has the real thing (90-day book revenue over three months of quota, ``true_book_coverage``).
* **releases** put a customer into the shared pool (公海), **claims** take one out; a
  **revival** is an order by a customer that had ordered before but not for more than
  ``dormant_days`` days (the package's "dormant buyer" rule, see
  :func:`stagnation.features.customer_status`).
* the **dormant population** at ``as_of`` is :func:`stagnation.labels.customer_population`:
  customers with neither an order nor a follow-up in the ``dormant_days`` before ``as_of``, past
  buyers ("lapsed buyers") and never-buyers ("cold prospects") alike.

Shares are stored as fractions in ``[0, 1]``; table columns ending in ``_pct`` are percentages.
"""

from stagnation.explore._common import (
    AGE_BANDS,
    COVERAGE_BANDS,
    POOL_FLOW_COLUMNS,
    REP_MONTH_COLUMNS,
    TENURE_BANDS,
    VALUE_BANDS,
)
from stagnation.explore._customers import dormant_population, dormant_table, pool_flows, revivals
from stagnation.explore._figures import (
    dormant_chart,
    hunting_share_chart,
    pool_flow_chart,
    trajectory_chart,
)
from stagnation.explore._reps import (
    activity_mix,
    example_reps,
    extract_summary,
    hunting_share_by,
    rep_months,
    rep_trajectories,
    stage_mix,
)

__all__ = [
    "AGE_BANDS",
    "COVERAGE_BANDS",
    "POOL_FLOW_COLUMNS",
    "REP_MONTH_COLUMNS",
    "TENURE_BANDS",
    "VALUE_BANDS",
    "activity_mix",
    "dormant_chart",
    "dormant_population",
    "dormant_table",
    "example_reps",
    "extract_summary",
    "hunting_share_by",
    "hunting_share_chart",
    "pool_flow_chart",
    "pool_flows",
    "rep_months",
    "rep_trajectories",
    "revivals",
    "stage_mix",
    "trajectory_chart",
]
