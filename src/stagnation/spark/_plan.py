"""The partitions of a Spark run and its extract-wide stage.

A partition is one ``_bucket`` of a frame that unions the rows of several tables, each table's
columns prefixed with its name (``orders__amount``) and every row tagged with its table, file
and position (``_table``, ``_file``, ``_seq``): one ``groupBy("_bucket").applyInPandas`` hands
a partition every row it needs, whatever their tables. :func:`partition_context` rebuilds the
partition's :class:`~stagnation.crm.CRM` (each table in the pandas path's read order, with the
whole ``reps`` table) and indexes it, so the unchanged pandas code runs on it.

**Extract-wide stage** (:func:`extract_wide`): over customer buckets (a hash of
``customer_id``: every row of a customer in one partition), each partition returns its owner
and rep totals per (rep, ``as_of``), sums Spark adds up (reps x dates rows: a small shuffle),
and its buyers' BG/NBD summaries, which the driver fits per ``as_of`` on all buyers in the
customers table's order (the pandas fit, its 50,000-buyer sample included). The peers' medians
of the rep totals are taken on the driver. The result, an
:class:`~stagnation.features.ExtractWide`, is handed to every partition of the feature stage.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from stagnation.crm import CRM, TABLES
from stagnation.features import (
    OWNER_TOTALS,
    REP_TOTALS,
    ExtractWide,
    FeatureContext,
    buyer_history,
    fit_bgnbd,
    owner_totals,
    peer_median,
    rep_totals,
)
from stagnation.spark._extract import SparkExtract, in_read_order
from stagnation.timeline import to_ns

if TYPE_CHECKING:
    from pyspark.sql import Column, DataFrame

#: The tables whose rows belong to one customer.
CUSTOMER_TABLES = ("customers", "orders", "activities", "opportunities", "ownership")
#: Every total of the extract-wide stage, in the order of its value columns.
TOTALS = (*OWNER_TOTALS, *REP_TOTALS)
_VALUES = tuple(f"v{i}" for i in range(len(TOTALS)))
#: Rows of a partition that are not a contract table.
MEMBERS = "members"


def buckets_of(extract: SparkExtract, buckets: int | None) -> int:
    """Return the number of buckets: as given, else twice Spark's default parallelism."""
    if buckets is not None:
        return buckets
    first = next(iter(extract.tables.values()))
    return max(2 * first.sparkSession.sparkContext.defaultParallelism, 1)


def customers_frame(extract: SparkExtract) -> DataFrame:
    """Return the driver's customers table as a tagged Spark frame (read order in ``_seq``)."""
    spark = next(iter(extract.tables.values())).sparkSession
    customers = extract.customers.astype(object).where(extract.customers.notna(), None)
    customers["_file"] = ""
    customers["_seq"] = np.arange(len(customers), dtype=np.int64)
    kinds = {c.name: c.kind for c in TABLES["customers"].columns}
    schema = ", ".join(
        [
            *(f"{n} {'timestamp_ntz' if k == 'timestamp' else 'string'}" for n, k in kinds.items()),
            "_file string",
            "_seq long",
        ]
    )
    return spark.createDataFrame(customers, schema=schema)


def customer_bucket(buckets: int) -> Column:
    """Return the bucket of a row by its ``customer_id``."""
    from pyspark.sql import functions as F

    return F.pmod(F.xxhash64("customer_id"), F.lit(buckets))


def tagged_union(frames: dict[str, DataFrame]) -> tuple[DataFrame, dict[str, list[str]]]:
    """Return one frame of every table's rows (each with a ``_bucket`` column) and its columns."""
    from pyspark.sql import functions as F

    columns: dict[str, list[str]] = {}
    parts = []
    for name, frame in frames.items():
        columns[name] = [c for c in frame.columns if c not in ("_bucket", "_file", "_seq")]
        parts.append(
            frame.select(
                F.col("_bucket"),
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


def customer_union(extract: SparkExtract, buckets: int) -> tuple[DataFrame, dict[str, list[str]]]:
    """Return every customer-keyed row, bucketed by customer (see :func:`tagged_union`)."""
    sources = {"customers": customers_frame(extract), **extract.tables}
    return tagged_union(
        {
            name: sources[name].withColumn("_bucket", customer_bucket(buckets))
            for name in CUSTOMER_TABLES
            if name in sources
        }
    )


def table_rows(rows: pd.DataFrame, name: str, columns: list[str]) -> pd.DataFrame:
    """Return the partition's rows of table ``name``, in read order, with plain column names."""
    mine = rows[rows["_table"] == name]
    table = mine[["_file", "_seq", *(f"{name}__{c}" for c in columns)]]
    return in_read_order(table.set_axis(["_file", "_seq", *columns], axis=1))


def partition_context(
    rows: pd.DataFrame,
    columns: dict[str, list[str]],
    reps: pd.DataFrame | None,
    dormant_days: int,
    wide: ExtractWide | None = None,
) -> FeatureContext:
    """Return the indexed CRM of one partition (its tables, the whole ``reps``), with ``wide``."""
    frames: dict[str, pd.DataFrame | None] = {"reps": reps}
    for name, names in columns.items():
        if name != MEMBERS:
            frames[name] = table_rows(rows, name, names)
    ctx = FeatureContext.build(CRM.from_frames(**frames), dormant_days=dormant_days)
    return ctx if wide is None else replace(ctx, wide=wide)


def plain_text(frame: pd.DataFrame, names: list[str]) -> pd.DataFrame:
    """Return ``frame`` with ``names`` as object columns of text or None, as Arrow hands them to
    Spark (pandas' Arrow-backed text columns are refused)."""
    out = frame.copy()
    for name in names:
        values = out[name].astype(object)
        out[name] = values.where(values.notna(), None)
    return out.reset_index(drop=True)


def _partials(
    columns: dict[str, list[str]],
    reps: pd.DataFrame | None,
    dates: np.ndarray,
    dormant_days: int,
    *,
    buyers: bool,
    book: bool,
) -> Callable[[pd.DataFrame], pd.DataFrame]:
    """Return the stage's function: one partition's rep totals and buyers' summaries."""

    def partials(rows: pd.DataFrame) -> pd.DataFrame:
        ctx = partition_context(rows, columns, reps, dormant_days)
        n_reps = len(ctx.reps)
        rep = np.tile(np.arange(n_reps), len(dates))
        at = np.repeat(dates, n_reps)
        totals = owner_totals(ctx, rep, at)
        if book:
            totals.update({k: v.reshape(-1) for k, v in rep_totals(ctx, dates).items()})
        values = np.column_stack([totals.get(n, np.zeros(len(rep))) for n in TOTALS])
        used = values.any(axis=1)
        parts = [pd.DataFrame(values[used], columns=list(_VALUES))]
        parts[0].insert(0, "kind", "rep")
        parts[0].insert(1, "key", ctx.reps.to_numpy(dtype=object)[rep[used]])
        parts[0].insert(2, "as_of", at[used])
        for date in dates if buyers else ():
            codes, x, t_x, age = buyer_history(ctx, date)
            summary = {"kind": "buyer", "key": ctx.customers.to_numpy(dtype=object)[codes]}
            parts.append(
                pd.DataFrame(
                    {**summary, "as_of": np.full(len(codes), date), "v0": x, "v1": t_x, "v2": age}
                )
            )
        return plain_text(pd.concat(parts, ignore_index=True), ["kind", "key"])

    return partials


def extract_wide(
    extract: SparkExtract,
    dates: np.ndarray,
    dormant_days: int,
    *,
    buckets: int,
    customers: bool = True,
    reps: bool = False,
) -> ExtractWide:
    """Run the extract-wide stage for ``dates`` (``datetime64[ns]``).

    ``customers``: the inputs of the customer features (owner totals, BG/NBD, the online flag);
    ``reps``: those of the rep features (book counts and revenue per rep, their peer medians).
    """
    from pyspark.sql import functions as F

    union, columns = customer_union(extract, buckets)
    fn = _partials(columns, extract.reps, dates, dormant_days, buyers=customers, book=reps)
    schema = "kind string, key string, as_of timestamp_ntz, " + ", ".join(
        f"{v} double" for v in _VALUES
    )
    stage = union.groupBy("_bucket").applyInPandas(fn, schema=schema).persist()
    try:
        summed = (
            stage.filter(F.col("kind") == "rep")
            .groupBy("key", "as_of")
            .agg(*(F.sum(v).alias(n) for v, n in zip(_VALUES, TOTALS, strict=True)))
            .toPandas()
        )
        history = (
            stage.filter(F.col("kind") == "buyer").select("key", "as_of", "v0", "v1", "v2")
        ).toPandas()
    finally:
        stage.unpersist()
    keys = pd.MultiIndex.from_arrays(
        [pd.Index(summed["key"].astype(str)), pd.Index(to_ns(summed["as_of"]).view(np.int64))],
        names=["rep_id", "as_of"],
    )
    totals = summed.set_index(keys)[list(TOTALS)]
    online = False
    if "orders" in extract.tables and "channel" in extract.tables["orders"].columns:
        orders = extract.tables["orders"]
        online = not orders.filter(F.col("channel").isNotNull()).isEmpty()
    return ExtractWide(
        online_orders=online,
        bgnbd=_fit_bgnbd(extract, history, dates) if customers else {},
        totals=totals,
        peer_medians=_peer_medians(extract, totals, dates) if reps else None,
        customer_sources=bool(extract.customers["source"].notna().any()),
    )


def _fit_bgnbd(
    extract: SparkExtract, history: pd.DataFrame, dates: np.ndarray
) -> dict[int, np.ndarray | None]:
    """Fit BG/NBD per date on every buyer, in the customers table's order (as pandas does)."""
    position = pd.Index(extract.customers["customer_id"]).get_indexer(history["key"])
    at = to_ns(history["as_of"])
    out: dict[int, np.ndarray | None] = {}
    for date in dates:
        mine = np.flatnonzero(at == date)
        mine = mine[np.argsort(position[mine], kind="stable")]
        x, t_x, age = (history[v].to_numpy(dtype=float)[mine] for v in ("v0", "v1", "v2"))
        out[int(date.astype(np.int64))] = fit_bgnbd(x, t_x, age) if len(mine) else None
    return out


def _peer_medians(extract: SparkExtract, totals: pd.DataFrame, dates: np.ndarray) -> pd.DataFrame:
    """Return the peers' median of each rep total per date (index: dates as int64 ns)."""
    stamps = dates.astype("datetime64[ns]").astype(np.int64)
    out = {}
    for name in REP_TOTALS:
        wide = (  # dates x reps
            totals[name]
            .reset_index()
            .pivot_table(index="as_of", columns="rep_id", values=name, aggfunc="sum")
            .reindex(stamps)
            .fillna(0.0)
        )
        rep_ids = pd.Index(wide.columns.astype(str))
        out[name] = peer_median(
            extract.reps, rep_ids, wide.to_numpy(dtype=float), dates.astype("datetime64[ns]")
        )
    return pd.DataFrame(out, index=pd.Index(stamps))
