"""Training snapshots: features at each ``as_of`` of a grid, joined with the labels there.

A snapshot row is one entity at one ``as_of``: its features (events strictly before ``as_of``)
and its label (events in ``[as_of, as_of + horizon)``). A grid only holds ``as_of`` dates whose
label window closes by the training cutoff, so no snapshot sees an event at or after the cutoff:
a model trained "as of" a date knows nothing that happened after it.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal

import pandas as pd

from stagnation.crm import CRM
from stagnation.errors import BadOption, NotEnoughData, NotEnoughHistory
from stagnation.features import FeatureContext, customer_features, rep_features
from stagnation.labels import (
    CustomerReactivationSettings,
    RepPassivitySettings,
    customer_population,
    customer_reactivation_labels,
    rep_passivity_labels,
    rep_population,
)

__all__ = [
    "EVENT_COLUMNS",
    "as_of_grid",
    "check_moment_in_range",
    "check_prediction_moment",
    "customer_snapshots",
    "data_end",
    "data_start",
    "features_at",
    "grid_between",
    "rep_snapshots",
]

#: The time column of each event table: what bounds an extract's data range.
EVENT_COLUMNS = {
    "orders": "ordered_at",
    "activities": "occurred_at",
    "opportunities": "created_at",
}


def data_end(crm: CRM) -> pd.Timestamp:
    """Return the day after the last event of the extract: the default training cutoff."""
    last = [
        frame[column].max()
        for table, column in EVENT_COLUMNS.items()
        if (frame := crm[table]) is not None and len(frame)
    ]
    if not last:
        raise NotEnoughData("the extract has no events (orders, activities or opportunities)")
    return pd.Timestamp(max(last)).normalize() + pd.Timedelta(days=1)


def data_start(crm: CRM) -> pd.Timestamp:
    """Return the moment every event table of the extract has started."""
    first = [
        frame[column].min()
        for table, column in EVENT_COLUMNS.items()
        if (frame := crm[table]) is not None and len(frame)
    ]
    return pd.Timestamp(max(first)).normalize()


def as_of_grid(
    crm: CRM,
    *,
    horizon_days: int,
    cutoff: pd.Timestamp | str | None = None,
    warmup_days: int = 180,
    freq: str = "MS",
) -> pd.DatetimeIndex:
    """Return the ``as_of`` dates of a training grid.

    Parameters
    ----------
    crm
        The extract.
    horizon_days
        Label horizon: only dates ``T`` with ``T + horizon <= cutoff`` are kept.
    cutoff
        Training cutoff (default :func:`data_end`); nothing at or after it is seen.
    warmup_days
        History every ``as_of`` needs after the moment all event tables have started.
    freq
        Pandas frequency of the grid (default month starts; ``"7D"``: weekly from the first
        date).
    """
    end = data_end(crm) if cutoff is None else pd.Timestamp(cutoff)
    return grid_between(
        data_start(crm), end, horizon_days=horizon_days, warmup_days=warmup_days, freq=freq
    )


def grid_between(
    start: pd.Timestamp,
    cutoff: pd.Timestamp,
    *,
    horizon_days: int,
    warmup_days: int = 180,
    freq: str = "MS",
) -> pd.DatetimeIndex:
    """Return :func:`as_of_grid`'s dates from a data start and a cutoff computed elsewhere (by
    Spark, on tables the driver never holds).

    Examples
    --------
    >>> grid_between(pd.Timestamp("2024-01-01"), pd.Timestamp("2025-01-01"), horizon_days=90)
    DatetimeIndex(['2024-07-01', '2024-08-01', '2024-09-01', '2024-10-01'],
                  dtype='datetime64[ns]', freq='MS')
    """
    end = pd.Timestamp(cutoff)
    first = pd.Timestamp(start) + pd.Timedelta(days=warmup_days)
    last = end - pd.Timedelta(days=horizon_days)
    grid = pd.date_range(first, last, freq=freq)
    if len(grid) == 0:
        raise NotEnoughHistory(
            f"no as_of date fits between {first:%Y-%m-%d} (data start + {warmup_days} days) and "
            f"{last:%Y-%m-%d} (cutoff {end:%Y-%m-%d} - horizon {horizon_days} days): the "
            "extract is too short for this horizon"
        )
    return grid.as_unit("ns")


def _training_grid(
    crm: CRM,
    as_of: Iterable[pd.Timestamp] | pd.DatetimeIndex | None,
    horizon_days: int,
    cutoff: pd.Timestamp | str | None,
) -> pd.DatetimeIndex:
    """Return the given ``as_of`` dates (default :func:`as_of_grid`), refusing any whose label
    window would end after the cutoff."""
    end = pd.Timestamp(cutoff) if cutoff is not None else data_end(crm)
    if as_of is None:
        return as_of_grid(crm, horizon_days=horizon_days, cutoff=end)
    grid = pd.DatetimeIndex(list(as_of)).as_unit("ns")
    late = grid[grid + pd.Timedelta(days=horizon_days) > end]
    if len(late):
        raise BadOption(
            f"as_of {late[0]:%Y-%m-%d}: its label window ends after the cutoff {end:%Y-%m-%d}"
        )
    return grid


def rep_snapshots(
    source: CRM | FeatureContext,
    as_of: Iterable[pd.Timestamp] | pd.DatetimeIndex | None = None,
    settings: RepPassivitySettings | None = None,
    *,
    cutoff: pd.Timestamp | str | None = None,
) -> pd.DataFrame:
    """Return the rep-passivity training frame: rep features joined with labels per ``as_of``.

    ``as_of`` defaults to :func:`as_of_grid` up to ``cutoff``. Columns: ``rep_id``, ``as_of``,
    the rep features, then ``baseline_hunting_share``, ``horizon_hunting_share`` and ``label``.
    ``df.attrs["settings"]`` holds the label settings.
    """
    s = settings or RepPassivitySettings()
    ctx = FeatureContext.of(source, dormant_days=s.dormant_days)
    grid = _training_grid(ctx.crm, as_of, s.horizon_days, cutoff)
    labels = rep_passivity_labels(ctx, grid, s)
    features = rep_features(ctx, labels[["rep_id", "as_of"]])
    out = features.join(labels[["baseline_hunting_share", "horizon_hunting_share", "label"]])
    out.attrs["settings"] = s.model_dump()
    return out


def customer_snapshots(
    source: CRM | FeatureContext,
    as_of: Iterable[pd.Timestamp] | pd.DatetimeIndex | None = None,
    settings: CustomerReactivationSettings | None = None,
    *,
    cutoff: pd.Timestamp | str | None = None,
) -> pd.DataFrame:
    """Return the customer-reactivation training frame: features joined with labels per ``as_of``.

    ``as_of`` defaults to :func:`as_of_grid` up to ``cutoff``. Columns: ``customer_id``,
    ``as_of``, the customer features, then ``label`` and ``value``. ``df.attrs["settings"]``
    holds the label settings.
    """
    s = settings or CustomerReactivationSettings()
    ctx = FeatureContext.of(source, dormant_days=s.dormant_days)
    grid = _training_grid(ctx.crm, as_of, s.horizon_days, cutoff)
    labels = customer_reactivation_labels(ctx, grid, s)
    features = customer_features(ctx, labels[["customer_id", "as_of"]])
    out = features.join(labels[["label", "value"]])
    out.attrs["settings"] = s.model_dump()
    return out


def features_at(
    source: CRM | FeatureContext,
    entity: Literal["rep", "customer"],
    as_of: pd.Timestamp | str,
    *,
    dormant_days: int | None = None,
) -> pd.DataFrame:
    """Return one row of features per eligible entity at ``as_of`` (what the models score).

    Reps: :func:`~stagnation.labels.rep_population`; customers: the dormant customers of
    :func:`~stagnation.labels.customer_population`. Only events strictly before ``as_of`` count.
    ``dormant_days`` defaults to the context's own (90 for an extract): a context is built
    with its dormancy once, and need not be told it again.
    """
    at = pd.Timestamp(as_of)
    if dormant_days is None:
        dormant_days = source.dormant_days if isinstance(source, FeatureContext) else 90
    if entity == "rep":
        rep_settings = RepPassivitySettings(dormant_days=dormant_days)
        ctx = FeatureContext.of(source, dormant_days=dormant_days)
        population = rep_population(ctx, at, rep_settings)
        return rep_features(ctx, population[["rep_id", "as_of"]])
    if entity == "customer":
        settings = CustomerReactivationSettings(dormant_days=dormant_days)
        ctx = FeatureContext.of(source, dormant_days=dormant_days)
        population = customer_population(ctx, at, settings)
        return customer_features(ctx, population[["customer_id", "as_of"]])
    raise BadOption(f"entity must be 'rep' or 'customer', not {entity!r}")


def check_prediction_moment(crm: CRM, at: pd.Timestamp, *, horizon_days: int) -> None:
    """Refuse an ``as_of`` before the data starts or more than one horizon after it ends.

    Before the data there is nothing to score; more than a horizon after it, every customer
    looks dormant and every rep idle only because the extract stops.

    Raises
    ------
    BadOption
        Naming the moment, the data's range and the horizon.
    """
    check_moment_in_range(at, data_start(crm), data_end(crm), horizon_days=horizon_days)


def check_moment_in_range(
    at: pd.Timestamp, start: pd.Timestamp, end: pd.Timestamp, *, horizon_days: int
) -> None:
    """Refuse an ``as_of`` outside [``start``, ``end`` + horizon]: :func:`check_prediction_moment`
    for a data range computed elsewhere (by Spark, on tables the driver never holds)."""
    latest = end + pd.Timedelta(days=horizon_days)
    if at < start or at > latest:
        raise BadOption(
            f"--as-of {at:%Y-%m-%d} is outside what this extract can score: its events run from "
            f"{start:%Y-%m-%d} to {end - pd.Timedelta(days=1):%Y-%m-%d}, and a prediction may "
            f"come at most one horizon ({horizon_days} days) after them, by {latest:%Y-%m-%d}"
        )
