"""Customer features at any number of ``as_of`` dates: the inputs of the recycling model.

One row per (customer, ``as_of``) of a population, every value computed from events strictly
before ``as_of`` through the point-in-time queries of :class:`EventIndex` (an event exactly at
``as_of`` belongs to the future). The family has five groups:

* **orders** (:mod:`._customer_orders`): recency, frequency and monetary value over 90/180/365
  days and lifetime, the rhythm of inter-order gaps (mean, spread, last, longest), how overdue
  the customer is against its own rhythm, and how its past dormant spells ended;
* **BG/NBD** (:mod:`._bgnbd`): P(alive) and the expected orders of the next 90 days, from a
  BG/NBD model fitted on every customer's orders before ``as_of``;
* **touches** (:mod:`._customer_engagement`): days since the last touch (any, outbound,
  inbound), touch counts over 30/90/180/365 days and their outbound/inbound/hunting mix;
* **opportunities**: opened, won, lost, open at ``as_of`` and how recently;
* **ownership** (:mod:`._customer_owner`): owner changes, releases, claims, whether the customer
  sits in the pool and since when its holder has it;
* **the owner's own signals**: its hunting share and trend, workload, employment, tenure and book.

Plus the customer's age and its firmographics (``industry``, ``region``, ``size``, ``source``)
as categoricals. A group whose table the extract lacks gives NaN columns (an extract with only
``customers`` and ``orders`` works); NaN always means "not computable", never "zero".

Everything is vectorised over the population: the queries are sorted by (customer, ``as_of``)
once, each feature is a handful of binary searches over the indexed events, and the rows are
put back in the population's order at the end.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from stagnation.features._bgnbd import BGNBD_FEATURES, bgnbd_features
from stagnation.features._context import FeatureContext
from stagnation.features._customer_engagement import (
    OPPORTUNITY_FEATURES,
    TOUCH_FEATURES,
    opportunity_features,
    touch_features,
)
from stagnation.features._customer_orders import ORDER_FEATURES, order_features
from stagnation.features._customer_owner import (
    OWNER_FEATURES,
    OWNERSHIP_FEATURES,
    owner_features,
    ownership_features,
)
from stagnation.features._customer_queries import Queries
from stagnation.features._definitions import FeatureDef, Row, Says, days, number
from stagnation.timeline import days_between, to_ns


def _customer_age(feature: FeatureDef, row: Row) -> str:
    x = number(row.get(feature.name))
    if x is None:
        return "creation date unknown"
    if x < 0:
        return "not yet in the CRM at the scoring date"
    return "added to the CRM within the last day" if round(x) < 1 else f"in the CRM for {days(x)}"


AGE_FEATURES: tuple[FeatureDef, ...] = (
    FeatureDef(
        "customer_age_days",
        "days since the customer was created in the CRM (negative before it existed)",
        "days",
        _customer_age,
    ),
)

#: The customer attributes returned as categoricals after the numeric features.
CUSTOMER_CATEGORICALS: tuple[FeatureDef, ...] = (
    FeatureDef(
        "industry", "the customer's industry", "category", Says("industry: {}", "industry unknown")
    ),
    FeatureDef("region", "the customer's region", "category", Says("region: {}", "region unknown")),
    FeatureDef(
        "size",
        "the customer's company size",
        "category",
        Says("company size: {}", "company size unknown"),
    ),
    FeatureDef(
        "source",
        "how the customer came in (lead source)",
        "category",
        Says("came in through {}", "lead source unknown"),
    ),
)
FIRMOGRAPHICS = tuple(d.name for d in CUSTOMER_CATEGORICALS)

#: Every numeric customer feature, in output order.
CUSTOMER_FEATURES: tuple[FeatureDef, ...] = (
    *AGE_FEATURES,
    *ORDER_FEATURES,
    *BGNBD_FEATURES,
    *TOUCH_FEATURES,
    *OPPORTUNITY_FEATURES,
    *OWNERSHIP_FEATURES,
    *OWNER_FEATURES,
)


def customer_features(ctx: FeatureContext, population: pd.DataFrame) -> pd.DataFrame:
    """Compute every customer feature for each (customer, ``as_of``) row of a population.

    Parameters
    ----------
    ctx
        The indexed extract (:meth:`FeatureContext.build`).
    population
        Columns ``customer_id`` (string) and ``as_of`` (``datetime64[ns]``); any number of rows,
        many customers times many ``as_of`` dates.

    Returns
    -------
    pandas.DataFrame
        One row per population row, in the same order and with the same index: ``customer_id``,
        ``as_of``, every :data:`CUSTOMER_FEATURES` column (``float64``), then the categoricals
        ``industry``, ``region``, ``size`` and ``source`` (categories taken from the whole
        customers table, so they do not depend on the population).

    Raises
    ------
    ValueError
        When a column is missing, an ``as_of`` is missing, or a ``customer_id`` is not in the
        extract's customers table.

    Examples
    --------
    >>> from stagnation.crm import CRM
    >>> crm = CRM.from_frames(
    ...     customers=pd.DataFrame({"customer_id": ["a"], "created_at": ["2024-01-01"]}),
    ...     orders=pd.DataFrame({"order_id": [1, 2], "customer_id": ["a", "a"],
    ...                          "ordered_at": ["2024-02-01", "2024-03-01"],
    ...                          "amount": [10.0, 30.0]}),
    ... )
    >>> population = pd.DataFrame({"customer_id": ["a", "a"],
    ...                            "as_of": pd.to_datetime(["2024-03-01", "2024-03-02"])})
    >>> features = customer_features(FeatureContext.build(crm), population)
    >>> features[["orders_lifetime", "order_value_lifetime", "days_since_last_order"]]
       orders_lifetime  order_value_lifetime  days_since_last_order
    0              1.0                  10.0                   29.0
    1              2.0                  40.0                    1.0
    """
    customer, at = _validate(ctx, population)
    order = np.lexsort((at.view(np.int64), customer))
    q = Queries(customer[order], at[order])

    sorted_features: dict[str, np.ndarray] = {
        "customer_age_days": days_between(q.at, to_ns(ctx.crm.customers["created_at"])[q.customer]),
    }
    for group in (
        order_features,
        bgnbd_features,
        touch_features,
        opportunity_features,
        ownership_features,
        owner_features,
    ):
        sorted_features.update(group(ctx, q))

    out = {
        "customer_id": population["customer_id"].astype(pd.StringDtype()),
        "as_of": pd.Series(at, index=population.index),
    }
    for d in CUSTOMER_FEATURES:
        values = np.empty(len(q), dtype=np.float64)
        values[order] = sorted_features[d.name]
        out[d.name] = pd.Series(values, index=population.index)
    for name in FIRMOGRAPHICS:
        out[name] = pd.Series(_categorical(ctx, name, customer), index=population.index)
    return pd.DataFrame(out, index=population.index)


def _validate(ctx: FeatureContext, population: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Return the population's customer codes and ``as_of`` values, or raise ``ValueError``."""
    missing = [c for c in ("customer_id", "as_of") if c not in population.columns]
    if missing:
        raise ValueError(
            f"population: missing column(s) {missing}; it needs 'customer_id' and 'as_of'"
        )
    try:
        at = to_ns(population["as_of"])
    except (TypeError, ValueError) as err:
        raise ValueError(f"population.as_of: cannot read as timestamps: {err}") from err
    if np.isnat(at).any():
        raise ValueError(
            f"population.as_of: {int(np.isnat(at).sum())} missing value(s); every row needs "
            "the moment its features are computed at"
        )
    ids = pd.Index(population["customer_id"].astype(pd.StringDtype()))
    customer = ctx.customers.get_indexer(ids)
    unknown = ids[customer < 0]
    if len(unknown):
        examples = ", ".join(repr(v) for v in unknown.drop_duplicates()[:5])
        raise ValueError(
            f"population.customer_id: {len(unknown)} row(s) name customers that are not in the "
            f"customers table, e.g. {examples}; build the population from ctx.customers"
        )
    return customer.astype(np.int64), at


def _categorical(ctx: FeatureContext, name: str, customer: np.ndarray) -> pd.Categorical:
    """Return the customers' attribute ``name`` as a categorical (all missing if absent)."""
    customers = ctx.crm.customers
    if name not in customers.columns:
        return pd.Categorical([None] * len(customer), categories=pd.Index([], dtype=str))
    values = customers[name].astype(pd.StringDtype())
    categories = pd.Index(sorted(values.dropna().unique()), dtype=str)
    codes = pd.Categorical(values, categories=categories).codes[customer]
    return pd.Categorical.from_codes(codes, categories=categories)
