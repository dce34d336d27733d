"""Customer features and snapshots on Spark: the pandas code per partition, in two stages.

The events of every table keyed by customer (orders, activities, opportunities, ownership) and
the customers themselves are bucketed by a hash of ``customer_id``
(:func:`~stagnation.spark._plan.customer_union`), so that one ``groupBy("_bucket")`` hands a
partition every event of its customers; it rebuilds and indexes their CRM and runs the
unchanged pandas code.

1. **Extract-wide stage** (:func:`~stagnation.spark._plan.extract_wide`): owner totals summed
   by Spark, BG/NBD fitted on the driver on every buyer.
2. **Feature stage**: each partition runs :func:`~stagnation.snapshots.features_at` (or
   :func:`~stagnation.snapshots.customer_snapshots`) with those inputs handed in as an
   :class:`~stagnation.features.ExtractWide`.

The rows come back in the pandas path's order and dtypes: the same frame, value for value.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import numpy as np
import pandas as pd

from stagnation.features import (
    CUSTOMER_CATEGORICALS,
    CUSTOMER_FEATURES,
    ExtractWide,
    FeatureContext,
)
from stagnation.labels import CustomerReactivationSettings
from stagnation.snapshots import customer_snapshots, features_at
from stagnation.spark._extract import SparkExtract
from stagnation.spark._plan import (
    buckets_of,
    customer_union,
    extract_wide,
    partition_context,
    plain_text,
)
from stagnation.timeline import to_ns


def _output_schema(snapshots: bool) -> str:
    fields = [
        "customer_id string",
        "as_of timestamp_ntz",
        *(f"{d.name} double" for d in CUSTOMER_FEATURES),
        *(f"{d.name} string" for d in CUSTOMER_CATEGORICALS),
    ]
    if snapshots:
        fields += ["label boolean", "value double"]
    return ", ".join(fields)


def _as_pandas(rows: pd.DataFrame, customers: pd.DataFrame, snapshots: bool) -> pd.DataFrame:
    """Return Spark's rows in the pandas path's order (customers table, then ``as_of``), dtypes
    and categories (taken from the whole customers table)."""
    position = pd.Index(customers["customer_id"]).get_indexer(rows["customer_id"])
    at = to_ns(rows["as_of"])
    order = np.lexsort((at.view(np.int64), position))
    rows = rows.iloc[order].reset_index(drop=True)
    out = {
        "customer_id": rows["customer_id"].astype(pd.StringDtype()),
        "as_of": pd.Series(at[order]),
    }
    for d in CUSTOMER_FEATURES:
        out[d.name] = rows[d.name].astype(np.float64)
    for d in CUSTOMER_CATEGORICALS:
        values = customers[d.name].astype(pd.StringDtype())
        categories = pd.Index(sorted(values.dropna().unique()), dtype=str)
        out[d.name] = pd.Series(pd.Categorical(rows[d.name].astype(object), categories=categories))
    if snapshots:
        out["label"] = rows["label"].astype(bool)
        out["value"] = rows["value"].astype(np.float64)
    return pd.DataFrame(out)


def _run(
    extract: SparkExtract,
    dates: np.ndarray,
    dormant_days: int,
    work: Callable[[FeatureContext], pd.DataFrame],
    *,
    snapshots: bool,
    buckets: int | None,
    wide: ExtractWide | None = None,
) -> pd.DataFrame:
    n = buckets_of(extract, buckets)
    if wide is None:
        wide = extract_wide(extract, dates, dormant_days, buckets=n, customers=True)
    union, columns = customer_union(extract, n)
    reps = extract.reps
    text = ["customer_id", *(d.name for d in CUSTOMER_CATEGORICALS)]

    def features(rows: pd.DataFrame) -> pd.DataFrame:
        return plain_text(work(partition_context(rows, columns, reps, dormant_days, wide)), text)

    result = union.groupBy("_bucket").applyInPandas(features, schema=_output_schema(snapshots))
    return _as_pandas(result.toPandas(), extract.customers, snapshots)


def spark_customer_features(
    extract: SparkExtract,
    as_of: pd.Timestamp | str,
    *,
    dormant_days: int = 90,
    buckets: int | None = None,
    wide: ExtractWide | None = None,
) -> pd.DataFrame:
    """Return what ``features_at(crm, "customer", as_of)`` returns, computed on Spark.

    Parameters
    ----------
    extract
        The extract read by :func:`~stagnation.spark.read_extract`.
    as_of
        The moment of the prediction; only events strictly before it count.
    dormant_days
        Days without an order after which a buyer is dormant.
    buckets
        Customer partitions (hash buckets of ``customer_id``); default twice Spark's default
        parallelism.
    wide
        The extract-wide inputs at ``as_of`` when already computed
        (:func:`~stagnation.spark._plan.extract_wide`); computed here otherwise.
    """
    at = pd.Timestamp(as_of)
    dates = np.array([to_ns(pd.Series([at]))[0]])

    def work(ctx: FeatureContext) -> pd.DataFrame:
        return features_at(ctx, "customer", at, dormant_days=dormant_days)

    return _run(extract, dates, dormant_days, work, snapshots=False, buckets=buckets, wide=wide)


def spark_customer_snapshots(
    extract: SparkExtract,
    as_of: Iterable[pd.Timestamp] | pd.DatetimeIndex,
    settings: CustomerReactivationSettings | None = None,
    *,
    cutoff: pd.Timestamp | str,
    buckets: int | None = None,
) -> pd.DataFrame:
    """Return what ``customer_snapshots(crm, as_of, settings, cutoff=cutoff)`` returns, on Spark.

    ``as_of`` and ``cutoff`` are explicit: a partition cannot see where the extract ends.
    ``df.attrs["settings"]`` holds the label settings, as on the pandas path.
    """
    s = settings or CustomerReactivationSettings()
    grid = pd.DatetimeIndex(list(as_of)).as_unit("ns")
    end = pd.Timestamp(cutoff)

    def work(ctx: FeatureContext) -> pd.DataFrame:
        return customer_snapshots(ctx, grid, s, cutoff=end)

    out = _run(
        extract, to_ns(grid.to_series()), s.dormant_days, work, snapshots=True, buckets=buckets
    )
    out.attrs["settings"] = s.model_dump()
    return out
