"""The action list on Spark (``score --engine spark``): inputs from Spark, the list on the driver.

:func:`spark_scoring_inputs` gathers the :class:`~stagnation.scoring.ScoringInputs` the pandas
engine gathers (:func:`~stagnation.scoring.gather_inputs`), and
:func:`spark_score` hands them to the same driver part
(:func:`~stagnation.scoring.rank_inputs`), so the list's logic exists once:

1. **Extract-wide stage** (:func:`~stagnation.spark._plan.extract_wide`), once per dormancy the
   models were trained with, shared by the stages below.
2. **Feature rows**: the **roster**, the rep features of every rep, eligible or not
   (:func:`~stagnation.spark.spark_rep_roster`), whose eligible rows are the rep model's (a
   second rep stage, :func:`~stagnation.spark.spark_rep_features`, only when the models were
   trained with different dormancies), and the customer model's rows
   (:func:`~stagnation.spark.spark_customer_features`).
3. **Customer stage**: over customer buckets, each partition runs the pandas code for its
   customers: the owner at ``as_of`` of each dormant customer, the first-order wins, the owners
   who lost a customer within the cooldown, and its part of each rep's new-customer revenue
   (summed on the driver).
4. **Model stage**: the feature rows go back to Spark and ``mapInPandas`` applies the loaded
   :class:`~stagnation.scoring.ScoringModel` per batch: scores and LightGBM's contributions.
   The reasons are worded on the driver from those contributions, because their yardsticks
   compare each row with the median of *all* rows scored, which no batch sees.

Matching, ranking and drift run on the driver: they see only the dormant customers and reps.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from stagnation.features import ExtractWide, new_customer_revenue
from stagnation.labels import CustomerReactivationSettings, customer_population
from stagnation.scoring import (
    FIRMOGRAPHICS,
    ActionSettings,
    CustomerInputs,
    MatchingSettings,
    RepInputs,
    Scored,
    ScoringInputs,
    ScoringModel,
    ScoringResult,
    apply_model,
    firmographics_of,
    first_order_wins,
    load_scoring_models,
    models_needed,
    rank_inputs,
    recent_owners,
    roster_of,
)
from stagnation.snapshots import check_moment_in_range
from stagnation.spark._customers import spark_customer_features
from stagnation.spark._extract import SparkExtract
from stagnation.spark._plan import buckets_of, customer_union, extract_wide, partition_context
from stagnation.spark._reps import spark_rep_features, spark_rep_roster
from stagnation.timeline import to_ns
from stagnation.tracking import to_model_input

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

_INPUTS_SCHEMA = "kind string, customer_id string, rep_id string, " + ", ".join(
    ["industry string", "region string", "size string", "amount double"]
)


def spark_score(
    extract: SparkExtract,
    as_of: pd.Timestamp | str,
    *,
    model_uris: Sequence[str] = (),
    top: int | None = None,
    min_score: float | None = None,
    matching: MatchingSettings | None = None,
    selection: ActionSettings | None = None,
    tracking_uri: str | None = None,
    progress: Callable[[str], None] | None = None,
    buckets: int | None = None,
) -> ScoringResult:
    """Return what :func:`~stagnation.scoring.score_with_drift` returns, the inputs from Spark.

    The parameters are :func:`~stagnation.scoring.score_with_drift`'s, but for ``extract``
    (:func:`~stagnation.spark.read_extract`) and ``buckets`` (partitions of each stage;
    default twice Spark's default parallelism).
    """
    at = pd.Timestamp(as_of)
    say = progress or (lambda _message: None)
    settings = matching or MatchingSettings()
    say("loading the models")
    need = models_needed("activities" in extract.tables)
    models = load_scoring_models(model_uris, need=need, tracking_uri=tracking_uri)
    say("reading the data's range")
    start, end = extract.data_range()
    horizon = max(m.card.horizon_days for m in models.values())
    check_moment_in_range(at, start, end, horizon_days=horizon)
    inputs = spark_scoring_inputs(extract, models, at, settings, say, buckets=buckets)
    return rank_inputs(
        inputs,
        models,
        at,
        top=top,
        min_score=min_score,
        matching=settings,
        selection=selection,
        progress=say,
    )


def rep_universe(extract: SparkExtract) -> list[str]:
    """Return every rep id: the reps table's, else the sorted ids the events use (as pandas)."""
    if extract.reps is not None:
        return [str(r) for r in extract.reps["rep_id"]]
    from pyspark.sql import functions as F

    used: DataFrame | None = None
    for name in ("activities", "orders", "opportunities", "ownership"):
        if name in extract.tables and "rep_id" in extract.tables[name].columns:
            ids = extract.tables[name].select("rep_id").filter(F.col("rep_id").isNotNull())
            used = ids if used is None else used.unionByName(ids)
    if used is None:
        return []
    return sorted(str(r) for r in used.distinct().toPandas()["rep_id"])


def spark_scoring_inputs(
    extract: SparkExtract,
    models: Mapping[str, ScoringModel],
    at: pd.Timestamp,
    settings: MatchingSettings,
    say: Callable[[str], None],
    *,
    buckets: int | None = None,
) -> ScoringInputs:
    """Return the scoring inputs at ``at``, computed on Spark (see the module docstring)."""
    n = buckets_of(extract, buckets)
    dates = np.array([to_ns(pd.Series([at]))[0]])
    activities = "activities" in extract.tables
    wides: dict[int, ExtractWide] = {}

    def wide(dormant: int) -> ExtractWide:
        if dormant not in wides:
            say(f"extract-wide stage (dormancy {dormant} days)")
            wides[dormant] = extract_wide(
                extract,
                dates,
                dormant,
                buckets=n,
                customers="customer-recycling" in models,
                reps=activities,
            )
        return wides[dormant]

    first = next(iter(models.values())).card.dormant_days
    ids = rep_universe(extract)
    features = None
    if activities and ids:
        say("rep roster")
        features = spark_rep_roster(
            extract, at, ids, dormant_days=first, buckets=n, wide=wide(first)
        )
    roster = roster_of(np.array(ids, dtype=object), extract.reps, at, features)
    rep = customer = None
    customer_dormancy = first
    if "customer-recycling" in models:
        customer_dormancy = models["customer-recycling"].card.dormant_days
    say("customer stage: owners, wins, recent owners, new business")
    owners, wins, recent, revenue = customer_stage(
        extract, at, customer_dormancy, settings.cooldown_days, n
    )
    if "rep-passivity" in models:
        model = models["rep-passivity"]
        d = model.card.dormant_days
        if features is not None and d == first:  # the roster's stage gave the model's rows
            rows = features.loc[features["eligible"]].drop(columns="eligible")
            rows = rows.reset_index(drop=True)
        else:
            say("rep features")
            rows = spark_rep_features(extract, at, dormant_days=d, buckets=n, wide=wide(d))
        say("rep scores on Spark")
        scored = spark_apply(extract, model, rows)
        per_day = revenue / 365.0  # new_business_at_risk's arithmetic, on the summed parts
        horizon = float(model.card.horizon_days)
        at_risk = per_day.reindex(pd.Index(rows["rep_id"])).fillna(0.0).to_numpy(dtype=float)
        rep = RepInputs(scored, at_risk * horizon)
    if "customer-recycling" in models:
        model = models["customer-recycling"]
        say("customer features")
        rows = spark_customer_features(
            extract, at, dormant_days=customer_dormancy, buckets=n, wide=wide(customer_dormancy)
        )
        say("customer scores on Spark")
        scored = spark_apply(extract, model, rows)
        owner = owners.reindex(pd.Index(rows["customer_id"]))
        customer = CustomerInputs(
            scored,
            pd.Series(owner.to_numpy(dtype=object), dtype=pd.StringDtype()),
            firmographics_of(extract.customers, rows["customer_id"]),
            wins,
            recent,
        )
    return ScoringInputs(roster, extract.reps, rep, customer)


def customer_stage(
    extract: SparkExtract, at: pd.Timestamp, dormant_days: int, cooldown_days: int, buckets: int
) -> tuple[pd.Series, pd.DataFrame, pd.DataFrame, pd.Series]:
    """Return, from one pass over customer buckets: the owner of each dormant customer at
    ``at`` (by ``customer_id``, ``None`` = pool or none), the first-order wins, the recent
    owners within the cooldown, and each rep's new-customer revenue (:func:`new_customer_revenue`).
    """
    union, columns = customer_union(extract, buckets)
    reps = extract.reps
    population = CustomerReactivationSettings(dormant_days=dormant_days)

    def inputs(rows: pd.DataFrame) -> pd.DataFrame:
        ctx = partition_context(rows, columns, reps, dormant_days)
        ids = customer_population(ctx, at, population)["customer_id"]
        codes = ctx.customers.get_indexer(pd.Index(ids))
        owner_code = ctx.owner_at(codes, np.full(len(codes), at.to_datetime64()))
        rep_ids = np.array([*ctx.reps.to_numpy(dtype=object), None], dtype=object)
        owners = pd.DataFrame(
            {
                "kind": "owner",
                "customer_id": ids.to_numpy(dtype=object),
                "rep_id": rep_ids[np.where(owner_code >= 0, owner_code, -1)],
            }
        )
        wins = first_order_wins(ctx.crm, at).assign(kind="win")
        lost = recent_owners(ctx, at, cooldown_days).assign(kind="lost")
        revenue = new_customer_revenue(ctx.crm, at)
        money = pd.DataFrame(
            {"kind": "revenue", "rep_id": revenue.index.to_numpy(dtype=object), "amount": revenue}
        )
        out = pd.concat([owners, wins, lost, money], ignore_index=True)
        text = out.reindex(columns=["kind", "customer_id", "rep_id", *FIRMOGRAPHICS]).astype(object)
        text = text.where(text.notna(), None)  # Arrow takes None, not pandas' NA
        return text.assign(amount=out.get("amount", pd.Series(dtype=float)).astype(float))

    got = union.groupBy("_bucket").applyInPandas(inputs, schema=_INPUTS_SCHEMA).toPandas()
    kind = got["kind"]
    owners = got.loc[kind == "owner"].set_index("customer_id")["rep_id"]
    wins = got.loc[kind == "win", ["rep_id", *FIRMOGRAPHICS]]
    recent = got.loc[kind == "lost", ["customer_id", "rep_id"]].drop_duplicates()
    revenue = got.loc[kind == "revenue"].groupby("rep_id")["amount"].sum()
    return (
        owners,
        wins.reset_index(drop=True),
        recent.reset_index(drop=True),
        revenue,
    )


def spark_apply(extract: SparkExtract, model: ScoringModel, features: pd.DataFrame) -> Scored:
    """Return the model's scores and reasons of the rows, the model applied by ``mapInPandas``.

    The rows go to Spark in the model's plain input types (:func:`to_model_input`) with their
    position; each batch gets the scores and LightGBM's contributions; the reasons are worded
    on the driver over all rows (see the module docstring).
    """
    if features.empty:
        return apply_model(model, features)
    sample = features.head(1).reset_index(drop=True)
    predicted_names = list(model.predict(sample).columns)  # a missing feature fails here
    contribution_names = list(model.contributions(sample).columns)
    plain = to_model_input(features, model.feature_names)
    plain.insert(0, "_row", np.arange(len(plain), dtype=np.int64))
    spark = next(iter(extract.tables.values())).sparkSession
    frame = spark.createDataFrame(plain)
    outputs = [f"p{i}" for i in range(len(predicted_names))]
    weights = [f"c{i}" for i in range(len(contribution_names))]
    schema = ", ".join(["_row long", *(f"{c} double" for c in [*outputs, *weights])])

    def apply(batches: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
        for batch in batches:
            rows = batch.reset_index(drop=True)
            predicted = model.predict(rows)[predicted_names].to_numpy(dtype=float)
            contributions = model.contributions(rows)[contribution_names].to_numpy(dtype=float)
            out = pd.DataFrame(
                np.column_stack([predicted, contributions]), columns=[*outputs, *weights]
            )
            out.insert(0, "_row", rows["_row"].to_numpy(dtype=np.int64))
            yield out

    got = frame.mapInPandas(apply, schema=schema).toPandas().sort_values("_row")
    predicted = pd.DataFrame(got[outputs].to_numpy(dtype=float), columns=predicted_names)
    contributions = pd.DataFrame(got[weights].to_numpy(dtype=float), columns=contribution_names)
    return Scored(features, predicted, model.reasons_from(contributions, features))
