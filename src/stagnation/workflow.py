"""From an extract to a trained, evaluated model: the steps ``stagnation train`` runs.

Load settings, build point-in-time training snapshots up to the cutoff, train and evaluate
against the baselines. Logging to MLflow is :mod:`stagnation.tracking`'s job; this module never
imports MLflow, so it runs the same from a notebook, a batch script or a test.

The extract is read through a *training source*: the pandas feature context, or a Spark extract
(:func:`stagnation.spark.read_extract`, ``train --engine spark``), whose snapshots and drift
reference are built on Spark. Either way the grid, the splits and LightGBM (on the driver, from
the collected snapshot rows) are the same code.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, Protocol

import pandas as pd

from stagnation.crm import CRM, TABLES
from stagnation.errors import BadOption, MissingTable, NotEnoughHistory
from stagnation.features import FeatureContext
from stagnation.labels import CustomerReactivationSettings, RepPassivitySettings
from stagnation.snapshots import (
    customer_snapshots,
    data_end,
    data_start,
    features_at,
    grid_between,
    rep_snapshots,
)
from stagnation.spark import (
    SparkExtract,
    spark_customer_snapshots,
    spark_features_at,
    spark_rep_snapshots,
)
from stagnation.training import (
    FOLD_WARMUP_FACTOR,
    GRID_FREQUENCY,
    Grid,
    ModelName,
    TrainingResult,
    choose_grid,
    minimum_history_days,
    train,
    with_drift_reference,
)

__all__ = [
    "MODEL_NAMES",
    "TrainingSource",
    "fold_warmup_days",
    "label_settings",
    "read_truth",
    "train_model",
    "training_grid",
]

MODEL_NAMES: tuple[ModelName, ...] = ("rep-passivity", "customer-recycling")

Settings = RepPassivitySettings | CustomerReactivationSettings


class TrainingSource(Protocol):
    """What training reads from an extract, wherever it lives (pandas or Spark)."""

    def data_range(self) -> tuple[pd.Timestamp, pd.Timestamp]:
        """Return (``data_start``, ``data_end``) as :mod:`stagnation.snapshots` defines them."""
        ...

    def table_sizes(self) -> dict[str, int]:
        """Return the rows of every table present, in contract order (for the model card)."""
        ...

    def snapshots(
        self, settings: Settings, dates: pd.DatetimeIndex, cutoff: pd.Timestamp
    ) -> pd.DataFrame:
        """Return the training snapshots of the model ``settings`` belong to, on ``dates``."""
        ...

    def features_at(self, entity: Literal["rep", "customer"], at: pd.Timestamp) -> pd.DataFrame:
        """Return the features of ``entity``'s population at ``at`` (the drift reference)."""
        ...


@dataclass(frozen=True)
class PandasSource:
    """An extract on this machine, indexed once (:class:`~stagnation.features.FeatureContext`)."""

    ctx: FeatureContext

    def data_range(self) -> tuple[pd.Timestamp, pd.Timestamp]:
        return data_range(self.ctx.crm)

    def table_sizes(self) -> dict[str, int]:
        return {table: len(frame) for table, frame in self.ctx.crm.tables()}

    def snapshots(
        self, settings: Settings, dates: pd.DatetimeIndex, cutoff: pd.Timestamp
    ) -> pd.DataFrame:
        if isinstance(settings, RepPassivitySettings):
            return rep_snapshots(self.ctx, dates, settings=settings, cutoff=cutoff)
        return customer_snapshots(self.ctx, dates, settings=settings, cutoff=cutoff)

    def features_at(self, entity: Literal["rep", "customer"], at: pd.Timestamp) -> pd.DataFrame:
        return features_at(self.ctx, entity, at)


@dataclass(frozen=True)
class SparkSource:
    """An extract read by Spark: snapshots and features computed there, collected to the driver.

    ``buckets``: the partitions of each stage (default twice Spark's default parallelism).
    """

    extract: SparkExtract
    dormant_days: int
    buckets: int | None = None

    def data_range(self) -> tuple[pd.Timestamp, pd.Timestamp]:
        return self.extract.data_range()

    def table_sizes(self) -> dict[str, int]:
        frames = self.extract.tables
        counts = {"customers": len(self.extract.customers)}
        if self.extract.reps is not None:
            counts["reps"] = len(self.extract.reps)
        counts.update({table: frame.count() for table, frame in frames.items()})
        return {table: counts[table] for table in TABLES if table in counts}

    def snapshots(
        self, settings: Settings, dates: pd.DatetimeIndex, cutoff: pd.Timestamp
    ) -> pd.DataFrame:
        if isinstance(settings, RepPassivitySettings):
            return spark_rep_snapshots(self.extract, dates, settings, buckets=self.buckets)
        return spark_customer_snapshots(
            self.extract, dates, settings, cutoff=cutoff, buckets=self.buckets
        )

    def features_at(self, entity: Literal["rep", "customer"], at: pd.Timestamp) -> pd.DataFrame:
        rows = spark_features_at(
            self.extract, [entity], at, dormant_days=self.dormant_days, buckets=self.buckets
        )
        return rows[entity]


def data_range(crm: CRM) -> tuple[pd.Timestamp, pd.Timestamp]:
    """Return (``data_start``, ``data_end``) of an extract on this machine."""
    end = data_end(crm)  # first: it names an extract without events
    return data_start(crm), end


def training_source(crm: CRM | FeatureContext | SparkExtract, dormant_days: int) -> TrainingSource:
    """Return the source training reads ``crm`` through, indexed with this dormancy."""
    if isinstance(crm, SparkExtract):
        return SparkSource(crm, dormant_days=dormant_days)
    return PandasSource(FeatureContext.of(crm, dormant_days=dormant_days))


def label_settings(
    name: ModelName, *, horizon_days: int | None = None, dormant_days: int | None = None
) -> RepPassivitySettings | CustomerReactivationSettings:
    """Return the label settings of ``name``, with the contract's defaults where not given.

    Defaults: rep passivity 90 days; customer recycling 180 days with dormancy at 90 days.
    """
    given: dict[str, int] = {}
    if horizon_days is not None:
        given["horizon_days"] = horizon_days
    if dormant_days is not None:
        given["dormant_days"] = dormant_days
    if name == "rep-passivity":
        return RepPassivitySettings(**given)
    if name == "customer-recycling":
        return CustomerReactivationSettings(**given)
    raise BadOption(f"unknown model {name!r}; choose one of {', '.join(MODEL_NAMES)}")


def read_truth(data_dir: str | Path) -> dict[str, pd.DataFrame] | None:
    """Return the simulator's truth tables next to an extract, or ``None`` for real data."""
    folder = Path(data_dir) / "truth"
    if not folder.is_dir():
        return None
    tables = {p.stem: pd.read_parquet(p) for p in sorted(folder.glob("*.parquet"))}
    for path in sorted(folder.glob("*.csv")):
        frame = pd.read_csv(path, dtype={"rep_id": "string", "customer_id": "string"})
        for column in frame.columns:
            if column.endswith("_at") or column == "month":  # the truth's timestamp columns
                frame[column] = pd.to_datetime(frame[column]).astype("datetime64[ns]")
        tables[path.stem] = frame
    return tables or None


def warmup_days(settings: RepPassivitySettings | CustomerReactivationSettings) -> int:
    """Return the history the first ``as_of`` needs: the rep baseline, or the dormancy window."""
    if isinstance(settings, RepPassivitySettings):
        return settings.baseline_days
    return settings.dormant_days


def fold_warmup_days(settings: RepPassivitySettings | CustomerReactivationSettings) -> int:
    """Return the history a fold's training dates need (:func:`~stagnation.training.plan_splits`).

    Customers: :data:`~stagnation.training.FOLD_WARMUP_FACTOR` dormancy windows, so that the
    dormant customers a fold learns from can have orders on record; reps: the warm-up.
    """
    if isinstance(settings, RepPassivitySettings):
        return warmup_days(settings)
    return math.ceil(FOLD_WARMUP_FACTOR * settings.dormant_days)


def training_grid(
    crm: CRM | SparkExtract | tuple[pd.Timestamp, pd.Timestamp],
    name: ModelName,
    settings: RepPassivitySettings | CustomerReactivationSettings,
    cutoff: pd.Timestamp,
    grid: str = "auto",
) -> tuple[Grid, pd.DatetimeIndex]:
    """Return the grid chosen for ``name`` and its ``as_of`` dates before ``cutoff``.

    ``crm`` is the extract, a Spark extract, or its (``data_start``, ``data_end``) when known.

    Raises
    ------
    BadOption
        When the cutoff lies after the end of the data (labels there are not observed).
    NotEnoughHistory
        When the history before the cutoff is shorter than
        :func:`~stagnation.training.minimum_history_days` for these settings, with the numbers
        and what to change.
    """
    if isinstance(crm, tuple):
        start, end = crm
    elif isinstance(crm, SparkExtract):
        start, end = crm.data_range()
    else:
        start, end = data_range(crm)
    if cutoff > end:  # a wrong option for every model, not a model the extract is too thin for
        raise BadOption(
            f"the training cutoff {cutoff:%Y-%m-%d} lies after the end of the data "
            f"({end - pd.Timedelta(days=1):%Y-%m-%d}): labels after it are not observed; "
            f"use --as-of {end:%Y-%m-%d} or earlier (the default is the end of the data)"
        )
    horizon, warmup = settings.horizon_days, warmup_days(settings)
    first, last = start + pd.Timedelta(days=warmup), cutoff - pd.Timedelta(days=horizon)
    chosen = choose_grid(grid, first=first, last=last)  # type: ignore[arg-type]
    need = minimum_history_days(warmup_days=warmup, horizon_days=horizon, grid=chosen)
    have = (cutoff - start).days
    if have < need:
        knobs = "--horizon-days" if name == "rep-passivity" else "--horizon-days or --dormant-days"
        raise NotEnoughHistory(
            f"{name} needs at least {need} days of history before the cutoff with a "
            f"{chosen} grid (warm-up {warmup} + 3 training dates + gap {horizon} + 2 "
            f"validation dates + horizon {horizon}); this extract has {have} days "
            f"({start:%Y-%m-%d} to {cutoff:%Y-%m-%d}). Use a longer extract, "
            + ("a later --as-of, " if cutoff < end else "")
            + f"or a shorter {knobs}"
            + ("" if chosen == "weekly" else ", or --grid weekly")
        )
    dates = grid_between(
        start, cutoff, horizon_days=horizon, warmup_days=warmup, freq=GRID_FREQUENCY[chosen]
    )
    return chosen, dates


def train_model(
    crm: CRM | FeatureContext | SparkExtract,
    name: ModelName,
    *,
    cutoff: pd.Timestamp | str | None = None,
    horizon_days: int | None = None,
    dormant_days: int | None = None,
    truth: dict[str, pd.DataFrame] | None = None,
    progress: Callable[[str], None] | None = None,
    n_splits: int | None = None,
    grid: str = "auto",
    pool_rules: dict[str, Any] | None = None,
) -> TrainingResult:
    """Build training snapshots from history before ``cutoff`` and train model ``name``.

    Parameters
    ----------
    crm
        The extract (or an already built feature context with the same dormancy), or an
        extract read by Spark (:func:`stagnation.spark.read_extract`): its snapshots and drift
        reference are then built on Spark and LightGBM trains here on the collected rows.
    name
        ``rep-passivity`` or ``customer-recycling``.
    cutoff
        Training cutoff (``stagnation train --as-of``): nothing at or after it is seen (default:
        the end of the data).
    horizon_days, dormant_days
        Label settings (defaults per CONTRACT.md section 3); stored with the model.
    truth
        The simulator's truth, to report AUC against it (simulated data only).
    progress
        Called with a short message before each step.
    n_splits
        Rolling-origin folds evaluated before the holdout (default: as many as the history
        allows, at most three; the holdout's model does not depend on them).
    grid
        ``auto`` (monthly ``as_of`` dates when they span a year or more, else weekly),
        ``weekly`` or ``monthly``.
    pool_rules
        The company's pool settings (``pool_rules.json`` of an imported extract:
        ``contact_expire_days``, ``deal_expire_days``, ``enabled``): the customer model is then
        also measured against the company's own release rule.

    Raises
    ------
    NotEnoughHistory
        When the history before the cutoff is too short (the message gives the rule).
    ValueError
        When the extract cannot train this model (the rep model needs activities).
    """
    settings = label_settings(name, horizon_days=horizon_days, dormant_days=dormant_days)
    say = progress or (lambda _message: None)
    say("reading the data range on Spark" if isinstance(crm, SparkExtract) else "indexing")
    source = training_source(crm, settings.dormant_days)
    start, end = source.data_range()
    cutoff = pd.Timestamp(cutoff) if cutoff is not None else end
    chosen, dates = training_grid((start, end), name, settings, cutoff, grid)
    say(f"building {name} snapshots on {len(dates)} {chosen} dates up to {cutoff:%Y-%m-%d}")
    tables = source.table_sizes()
    if isinstance(settings, RepPassivitySettings) and "activities" not in tables:
        raise MissingTable(
            "the rep-passivity model needs the activities table (hunting and farming are read "
            "from activity records); this extract has only " + ", ".join(tables)
        )
    snapshots = source.snapshots(settings, dates, cutoff)
    if snapshots.empty:
        raise NotEnoughHistory(
            f"no {name} snapshot between {dates[0]:%Y-%m-%d} and {dates[-1]:%Y-%m-%d}: no "
            + ("eligible rep" if name == "rep-passivity" else "dormant customer")
            + " on any as_of date"
        )
    say(f"training on {len(snapshots):,} snapshots")
    result = train(
        snapshots,
        name,
        labels=settings,  # horizon_days, dormant_days, ...: what scoring must reuse
        cutoff=cutoff,
        tables=tables,
        pool_rules=dict(pool_rules) if pool_rules and name == "customer-recycling" else None,
        truth=truth,
        n_splits=n_splits,
        grid=chosen,
        folds_from=start + pd.Timedelta(days=fold_warmup_days(settings)),
        progress=progress,
    )
    entity: Literal["rep", "customer"] = "rep" if name == "rep-passivity" else "customer"
    current = source.features_at(entity, cutoff)
    return with_drift_reference(result, current, cutoff, snapshots)  # drift: like with like
