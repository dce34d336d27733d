"""Rep features and snapshots on Spark: the pandas code per rep partition, after a customer stage.

A rep's features read its own activities, credited orders, pool moves and opportunities, but
also its customers' histories: an activity is hunting or farming by the customer's last order
before it, a win is a customer's first order ever, a pool release is the previous owner's
loss. And they compare the rep's book and revenue with its peers'. So the plan is:

1. **Customer stage** (:func:`~stagnation.spark._plan.extract_wide`, over customer buckets):
   the customers each rep owns and its 365-day revenue per ``as_of``, summed by Spark; the
   peers' medians on the driver.
2. **Rep stage**: a rep bucket (a hash of ``rep_id``) gets its reps' activities and every row
   of each customer related to them (any activity, credited order, ownership row or
   opportunity naming one of its reps): the customers, all their orders, ownership rows and
   opportunities, repeated in each rep bucket that relates to them. The partition runs
   :func:`~stagnation.labels.rep_population` and :func:`~stagnation.features.rep_features`
   unchanged, for its own reps, with the stage-1 inputs handed in.

The rows come back in the pandas path's order (the reps table's, else the sorted rep ids, then
``as_of``) and dtypes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from stagnation.errors import MissingTable
from stagnation.features import (
    REP_FEATURES,
    T_MODEL_STAGES,
    ExtractWide,
    FeatureContext,
    rep_features,
)
from stagnation.labels import RepPassivitySettings, rep_passivity_labels, rep_population
from stagnation.spark._extract import SparkExtract
from stagnation.spark._plan import (
    MEMBERS,
    buckets_of,
    customers_frame,
    extract_wide,
    partition_context,
    plain_text,
    table_rows,
    tagged_union,
)
from stagnation.timeline import to_ns

if TYPE_CHECKING:
    from pyspark.sql import Column, DataFrame

T_MODEL_DTYPE = pd.CategoricalDtype(list(T_MODEL_STAGES))
#: What the labels add to the rep snapshot rows.
LABEL_COLUMNS = ("baseline_hunting_share", "horizon_hunting_share", "label")


def rep_union(
    extract: SparkExtract, buckets: int, everyone: Sequence[str] = ()
) -> tuple[DataFrame, dict[str, list[str]]]:
    """Return the rows of every rep bucket: its reps' activities, their customers' rows, and
    the bucket's reps (table ``members``; the reps ``everyone`` are members too, events or
    not)."""
    from pyspark.sql import functions as F

    def bucket() -> Column:
        return F.pmod(F.xxhash64("rep_id"), F.lit(buckets)).alias("_bucket")

    pairs = None
    for name in ("activities", "orders", "ownership", "opportunities"):
        if name in extract.tables:
            named = extract.tables[name].filter(F.col("rep_id").isNotNull())
            both = named.select("rep_id", "customer_id")
            pairs = both if pairs is None else pairs.unionByName(both)
    assert pairs is not None  # rep features refuse an extract without activities first
    pairs = pairs.distinct()
    related = pairs.select(bucket(), "customer_id").distinct()
    sources = {"customers": customers_frame(extract), **extract.tables}
    frames: dict[str, DataFrame] = {
        name: sources[name].join(related, "customer_id")
        for name in ("customers", "orders", "ownership", "opportunities")
        if name in sources
    }
    frames["activities"] = extract.tables["activities"].select("*", bucket())
    members = pairs.select("rep_id")
    if len(everyone):
        spark = pairs.sparkSession
        ids = pd.DataFrame({"rep_id": pd.Series(list(everyone), dtype=object)})
        members = members.unionByName(spark.createDataFrame(ids, schema="rep_id string"))
    members = members.select("rep_id", bucket()).distinct()
    frames[MEMBERS] = members.select("*", F.lit("").alias("_file"), F.lit(0).alias("_seq"))
    return tagged_union(frames)


def _output_schema(snapshots: bool, eligible: bool = False) -> str:
    fields = [
        "rep_id string",
        "as_of timestamp_ntz",
        *(f"{d.name} double" for d in REP_FEATURES),
        "t_model_stage string",
    ]
    if snapshots:
        fields += ["baseline_hunting_share double", "horizon_hunting_share double", "label boolean"]
    if eligible:
        fields.append("eligible boolean")
    return ", ".join(fields)


def _as_pandas(
    rows: pd.DataFrame, reps: pd.DataFrame | None, snapshots: bool, eligible: bool = False
) -> pd.DataFrame:
    """Return Spark's rows in the pandas path's order and dtypes."""
    ids = rows["rep_id"].astype(str)
    at = to_ns(rows["as_of"])
    if reps is not None:
        key: np.ndarray = pd.Index(reps["rep_id"]).get_indexer(ids)
    else:  # the rep universe of an extract without reps: its sorted ids
        key = np.searchsorted(np.array(sorted(set(ids)), dtype=object), ids.to_numpy(dtype=object))
    order = np.lexsort((at.view(np.int64), key))
    rows = rows.iloc[order].reset_index(drop=True)
    columns = {d.name: rows[d.name].to_numpy(dtype=np.float64) for d in REP_FEATURES}
    out = pd.DataFrame(
        {
            "rep_id": rows["rep_id"].astype(pd.StringDtype()).to_numpy(),
            "as_of": at[order],
            **columns,
        }
    )
    out["t_model_stage"] = pd.Categorical(rows["t_model_stage"].astype(object), dtype=T_MODEL_DTYPE)
    if snapshots:
        out["baseline_hunting_share"] = rows["baseline_hunting_share"].astype(np.float64)
        out["horizon_hunting_share"] = rows["horizon_hunting_share"].astype(np.float64)
        out["label"] = rows["label"].astype(bool)
    if eligible:
        out["eligible"] = rows["eligible"].astype(bool)
    return out


def _run(
    extract: SparkExtract,
    dates: np.ndarray,
    dormant_days: int,
    work: Callable[[FeatureContext, pd.Index], pd.DataFrame],
    *,
    snapshots: bool,
    buckets: int | None,
    wide: ExtractWide | None = None,
    everyone: Sequence[str] = (),
    eligible: bool = False,
) -> pd.DataFrame:
    if "activities" not in extract.tables:
        raise MissingTable(
            "the extract has no activities table; rep features need activity records "
            "(hunting/farming follow-ups) of each rep, so the rep model cannot run on customers "
            "and orders alone"
        )
    n = buckets_of(extract, buckets)
    if wide is None:
        wide = extract_wide(extract, dates, dormant_days, buckets=n, customers=False, reps=True)
    union, columns = rep_union(extract, n, everyone)
    reps = extract.reps

    def features(rows: pd.DataFrame) -> pd.DataFrame:
        ctx = partition_context(rows, columns, reps, dormant_days, wide)
        members = pd.Index(table_rows(rows, MEMBERS, columns[MEMBERS])["rep_id"].astype(str))
        return plain_text(work(ctx, members), ["rep_id", "t_model_stage"])

    schema = _output_schema(snapshots, eligible)
    result = union.groupBy("_bucket").applyInPandas(features, schema=schema)
    return _as_pandas(result.toPandas(), extract.reps, snapshots, eligible)


def spark_rep_features(
    extract: SparkExtract,
    as_of: pd.Timestamp | str,
    *,
    dormant_days: int = 90,
    buckets: int | None = None,
    wide: ExtractWide | None = None,
) -> pd.DataFrame:
    """Return what ``features_at(crm, "rep", as_of)`` returns, computed on Spark.

    Parameters
    ----------
    extract
        The extract read by :func:`~stagnation.spark.read_extract`; it needs activities.
    as_of
        The moment of the prediction; only events strictly before it count.
    dormant_days
        Days without an order after which a buyer is dormant (for activity kinds).
    buckets
        Partitions of each stage; default twice Spark's default parallelism.
    wide
        The extract-wide inputs at ``as_of`` when already computed
        (:func:`~stagnation.spark._plan.extract_wide`); computed here otherwise.

    Raises
    ------
    MissingTable
        When the extract has no activities table.
    """
    at = pd.Timestamp(as_of)
    settings = RepPassivitySettings(dormant_days=dormant_days)

    def work(ctx: FeatureContext, members: pd.Index) -> pd.DataFrame:
        population = rep_population(ctx, at, settings)
        population = population[population["rep_id"].isin(members)].reset_index(drop=True)
        return rep_features(ctx, population[["rep_id", "as_of"]])

    dates = np.array([to_ns(pd.Series([at]))[0]])
    return _run(extract, dates, dormant_days, work, snapshots=False, buckets=buckets, wide=wide)


def spark_rep_roster(
    extract: SparkExtract,
    as_of: pd.Timestamp | str,
    rep_ids: Sequence[str],
    *,
    dormant_days: int = 90,
    buckets: int | None = None,
    wide: ExtractWide | None = None,
) -> pd.DataFrame:
    """Return ``rep_features`` at ``as_of`` of every rep of ``rep_ids`` (eligible or not), in
    that order: the roster the action list's matchings read
    (:func:`~stagnation.scoring.roster_of`). Column ``eligible`` says which rows
    :func:`spark_rep_features` gives (the rep population at ``as_of``): the rep model's rows
    come out of the same stage."""
    at = pd.Timestamp(as_of)
    settings = RepPassivitySettings(dormant_days=dormant_days)

    def work(ctx: FeatureContext, members: pd.Index) -> pd.DataFrame:
        ids = pd.Series(members, dtype=pd.StringDtype())
        rows = pd.DataFrame({"rep_id": ids, "as_of": at}).astype({"as_of": "datetime64[ns]"})
        population = rep_population(ctx, at, settings)["rep_id"]
        return rep_features(ctx, rows).assign(eligible=ids.isin(population).to_numpy())

    dates = np.array([to_ns(pd.Series([at]))[0]])
    rows = _run(
        extract,
        dates,
        dormant_days,
        work,
        snapshots=False,
        buckets=buckets,
        wide=wide,
        everyone=rep_ids,
        eligible=True,
    )
    position = pd.Index(rows["rep_id"].astype(object)).get_indexer(pd.Index(list(rep_ids)))
    if (position < 0).any():  # every member gets a row: a missing one is a bug, not bad input
        raise RuntimeError(f"the rep stage lost {(position < 0).sum()} reps of the roster")
    return rows.iloc[position].reset_index(drop=True)


def spark_rep_snapshots(
    extract: SparkExtract,
    as_of: Iterable[pd.Timestamp] | pd.DatetimeIndex,
    settings: RepPassivitySettings | None = None,
    *,
    buckets: int | None = None,
) -> pd.DataFrame:
    """Return what ``rep_snapshots(crm, as_of, settings, cutoff=...)`` returns, on Spark.

    ``as_of`` is explicit (a partition cannot see where the extract ends) and must leave each
    label window inside the data; ``df.attrs["settings"]`` holds the label settings.
    """
    s = settings or RepPassivitySettings()
    grid = pd.DatetimeIndex(list(as_of)).as_unit("ns")

    def work(ctx: FeatureContext, members: pd.Index) -> pd.DataFrame:
        labels = rep_passivity_labels(ctx, grid, s)
        labels = labels[labels["rep_id"].isin(members)].reset_index(drop=True)
        features = rep_features(ctx, labels[["rep_id", "as_of"]])
        return features.join(labels[list(LABEL_COLUMNS)])

    out = _run(
        extract, to_ns(grid.to_series()), s.dormant_days, work, snapshots=True, buckets=buckets
    )
    out.attrs["settings"] = s.model_dump()
    return out
