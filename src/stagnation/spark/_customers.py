"""Customer features and snapshots on Spark: the pandas code per partition, in two stages.

The events of every table keyed by customer (orders, activities, opportunities, ownership) and
the customers themselves are tagged with a bucket, a hash of ``customer_id``, and unioned into
one frame (each table's columns prefixed with its name), so that one ``groupBy("_bucket")``
hands a partition every event of its customers. Each partition rebuilds a
:class:`~stagnation.crm.CRM` of its customers (with the whole ``reps`` table), indexes it and
runs the unchanged pandas code.

1. **Extract-wide stage**: each partition returns its owner totals per (rep, ``as_of``)
   (:func:`~stagnation.features.owner_totals`, sums) and its buyers' BG/NBD summaries
   (:func:`~stagnation.features.buyer_history`). Spark sums the totals over the partitions
   (reps x dates rows: a small shuffle); the driver fits BG/NBD per ``as_of`` on every buyer,
   in the customers table's order (so a sample of large populations is the pandas one).
2. **Feature stage**: each partition runs :func:`~stagnation.snapshots.features_at` (or
   :func:`~stagnation.snapshots.customer_snapshots`) with those inputs handed in as an
   :class:`~stagnation.features.ExtractWide`.

The rows come back in the pandas path's order and dtypes: the same frame, value for value.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import replace
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from stagnation.crm import CRM, TABLES
from stagnation.features import (
    CUSTOMER_CATEGORICALS,
    CUSTOMER_FEATURES,
    OWNER_TOTALS,
    ExtractWide,
    FeatureContext,
    buyer_history,
    fit_bgnbd,
    owner_totals,
)
from stagnation.labels import CustomerReactivationSettings
from stagnation.snapshots import customer_snapshots, features_at
from stagnation.spark._extract import SparkExtract, in_read_order
from stagnation.timeline import to_ns

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

#: The tables whose rows belong to one customer, by the customer's bucket.
CUSTOMER_TABLES = ("customers", "orders", "activities", "opportunities", "ownership")
_SCALARS = ("v0", "v1", "v2", "v3", "v4", "v5")


def _bucketed(extract: SparkExtract, buckets: int) -> tuple[DataFrame, dict[str, list[str]]]:
    """Return every customer-keyed row in one frame, tagged with its table and bucket."""
    from pyspark.sql import functions as F

    first = next(iter(extract.tables.values()))
    spark = first.sparkSession
    customers = extract.customers.astype(object).where(extract.customers.notna(), None)
    customers["_file"] = ""
    customers["_seq"] = np.arange(len(customers), dtype=np.int64)
    schema = ", ".join(
        [
            *(
                f"{c.name} {'timestamp_ntz' if c.kind == 'timestamp' else 'string'}"
                for c in TABLES["customers"].columns
            ),
            "_file string",
            "_seq long",
        ]
    )
    sources = {"customers": spark.createDataFrame(customers, schema=schema), **extract.tables}
    columns: dict[str, list[str]] = {}
    parts = []
    for name in CUSTOMER_TABLES:
        if name not in sources:
            continue
        frame = sources[name]
        columns[name] = [c for c in frame.columns if c not in ("_file", "_seq")]
        parts.append(
            frame.select(
                F.pmod(F.xxhash64("customer_id"), F.lit(buckets)).alias("_bucket"),
                F.lit(name).alias("_table"),
                F.col("_file"),
                F.col("_seq"),
                *(F.col(c).alias(f"{name}__{c}") for c in columns[name]),
            )
        )
    union = parts[0]
    for part in parts[1:]:
        union = union.unionByName(part, allowMissingColumns=True)
    return union, columns


def _partition_crm(
    rows: pd.DataFrame, columns: dict[str, list[str]], reps: pd.DataFrame | None
) -> CRM:
    """Rebuild the CRM of one partition's customers, each table in read order."""
    frames: dict[str, pd.DataFrame | None] = {"reps": reps}
    for name, names in columns.items():
        mine = rows[rows["_table"] == name]
        table = mine[["_file", "_seq", *(f"{name}__{c}" for c in names)]]
        frames[name] = in_read_order(table.set_axis(["_file", "_seq", *names], axis=1))
    return CRM.from_frames(**frames)


def _context(
    rows: pd.DataFrame,
    columns: dict[str, list[str]],
    reps: pd.DataFrame | None,
    dormant_days: int,
    wide: ExtractWide | None = None,
) -> FeatureContext:
    ctx = FeatureContext.build(_partition_crm(rows, columns, reps), dormant_days=dormant_days)
    return ctx if wide is None else replace(ctx, wide=wide)


def _extract_wide_stage(
    union: DataFrame,
    columns: dict[str, list[str]],
    extract: SparkExtract,
    dates: np.ndarray,
    dormant_days: int,
) -> ExtractWide:
    """Run stage 1: owner totals summed by Spark, BG/NBD fitted on the driver."""
    from pyspark.sql import functions as F

    reps = extract.reps

    def partials(rows: pd.DataFrame) -> pd.DataFrame:
        ctx = _context(rows, columns, reps, dormant_days)
        n_reps = len(ctx.reps)
        rep = np.tile(np.arange(n_reps), len(dates))
        at = np.repeat(dates, n_reps)
        totals = owner_totals(ctx, rep, at)
        values = np.column_stack([totals.get(n, np.zeros(len(rep))) for n in OWNER_TOTALS])
        used = values.any(axis=1)
        owner = pd.DataFrame(values[used], columns=list(_SCALARS))
        owner.insert(0, "kind", "owner")
        owner.insert(1, "key", ctx.reps.to_numpy(dtype=object)[rep[used]])
        owner.insert(2, "as_of", at[used])
        buyers = []
        for date in dates:
            codes, x, t_x, age = buyer_history(ctx, date)
            buyers.append(
                pd.DataFrame(
                    {
                        "kind": "buyer",
                        "key": ctx.customers.to_numpy(dtype=object)[codes],
                        "as_of": np.full(len(codes), date),
                        "v0": x,
                        "v1": t_x,
                        "v2": age,
                    }
                )
            )
        out = pd.concat([owner, *buyers], ignore_index=True)
        return out.astype({"kind": object, "key": object})  # not pandas' Arrow-backed text

    schema = "kind string, key string, as_of timestamp_ntz, " + ", ".join(
        f"{v} double" for v in _SCALARS
    )
    stage = union.groupBy("_bucket").applyInPandas(partials, schema=schema).persist()
    try:
        owner = (
            stage.filter(F.col("kind") == "owner")
            .groupBy("key", "as_of")
            .agg(*(F.sum(v).alias(n) for v, n in zip(_SCALARS, OWNER_TOTALS, strict=True)))
            .toPandas()
        )
        buyers = stage.filter(F.col("kind") == "buyer").select("key", "as_of", "v0", "v1", "v2")
        history = buyers.toPandas()
    finally:
        stage.unpersist()
    owner_index = pd.MultiIndex.from_arrays(
        [owner["key"].astype(str), to_ns(owner["as_of"]).view(np.int64)]
    )
    owner = owner.set_index(owner_index)[list(OWNER_TOTALS)]
    position = pd.Index(extract.customers["customer_id"]).get_indexer(history["key"])
    at = to_ns(history["as_of"])
    bgnbd: dict[int, np.ndarray | None] = {}
    for date in dates:
        mine = np.flatnonzero(at == date)
        mine = mine[np.argsort(position[mine], kind="stable")]
        x, t_x, age = (history[v].to_numpy(dtype=float)[mine] for v in ("v0", "v1", "v2"))
        bgnbd[int(date.astype(np.int64))] = fit_bgnbd(x, t_x, age) if len(mine) else None
    online = False
    if "orders" in extract.tables and "channel" in extract.tables["orders"].columns:
        orders = extract.tables["orders"]
        online = not orders.filter(F.col("channel").isNotNull()).isEmpty()
    return ExtractWide(online_orders=online, bgnbd=bgnbd, owner=owner)


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


def _for_spark(frame: pd.DataFrame) -> pd.DataFrame:
    """Return a feature frame with plain columns Arrow hands to Spark (text for categoricals)."""
    out = frame.copy()
    out["customer_id"] = out["customer_id"].astype(object)
    for d in CUSTOMER_CATEGORICALS:
        values = out[d.name].astype(object)
        out[d.name] = values.where(values.notna(), None)
    return out.reset_index(drop=True)


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
) -> pd.DataFrame:
    first = next(iter(extract.tables.values()), None)
    if first is None:
        raise ValueError("the extract has no event tables")
    n = buckets or max(2 * first.sparkSession.sparkContext.defaultParallelism, 1)
    union, columns = _bucketed(extract, n)
    wide = _extract_wide_stage(union, columns, extract, dates, dormant_days)
    reps = extract.reps

    def features(rows: pd.DataFrame) -> pd.DataFrame:
        return _for_spark(work(_context(rows, columns, reps, dormant_days, wide)))

    result = union.groupBy("_bucket").applyInPandas(features, schema=_output_schema(snapshots))
    return _as_pandas(result.toPandas(), extract.customers, snapshots)


def spark_customer_features(
    extract: SparkExtract,
    as_of: pd.Timestamp | str,
    *,
    dormant_days: int = 90,
    buckets: int | None = None,
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
    """
    at = pd.Timestamp(as_of)
    dates = np.array([to_ns(pd.Series([at]))[0]])

    def work(ctx: FeatureContext) -> pd.DataFrame:
        return features_at(ctx, "customer", at, dormant_days=dormant_days)

    return _run(extract, dates, dormant_days, work, snapshots=False, buckets=buckets)


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
