"""Rolling-origin temporal splits over ``as_of`` with a gap, and the final holdout."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import pandas as pd

from stagnation.errors import NotEnoughHistory


@dataclass(frozen=True)
class SplitWindow:
    """The time bounds of one split: train on ``as_of < train_before``, evaluate on
    ``start <= as_of < end``."""

    name: str
    train_before: pd.Timestamp
    start: pd.Timestamp
    end: pd.Timestamp


class TemporalSplit:
    """Split snapshots by ``as_of`` into rolling-origin folds and a final holdout.

    Let ``last`` be the latest ``as_of`` of the frame. The **holdout** holds every row with ``as_of
    > last - holdout_months`` (calendar months; on a monthly grid: the latest ``holdout_months``
    dates); ``H`` is its first date. With ``block_days``, every block (the holdout and each fold's
    validation) is that many days instead of months: the split a weekly grid of a short history
    needs (see :func:`~stagnation.training.plan_splits`). The ``n_splits`` **folds** validate on
    consecutive blocks of ``step_months`` months ending at ``H``: fold ``k`` (``k = 1..n_splits``,
    oldest first) validates on ``t_k <= as_of < t_k + step_months`` with ``t_k = H - (n_splits - k +
    1) * step_months``. Every split trains on the rows with ``as_of < t - gap`` (``t = t_k``, or
    ``H`` for the holdout), so every validation date comes more than ``gap_days`` after every
    training date: the training labels, observed over ``[as_of, as_of + horizon)`` with ``horizon =
    gap_days``, are all closed before the first validation date. Training sets grow with ``k``
    (rolling origin, expanding window).

    Parameters
    ----------
    gap_days
        The gap, in days: the label horizon.
    n_splits
        Number of folds before the holdout (0: the holdout only).
    step_months
        Length of each fold's validation block, in calendar months.
    holdout_months
        Length of the holdout, in calendar months, counted back from the latest ``as_of``.
    block_days
        When given, the length in days of the holdout and of each fold's validation block; it
        replaces ``step_months`` and ``holdout_months``.
    min_train_dates
        Refuse a split whose training rows span fewer distinct ``as_of`` dates.
    time_column
        The column holding ``as_of``.

    Examples
    --------
    >>> dates = pd.date_range("2024-01-01", periods=12, freq="MS")
    >>> frame = pd.DataFrame({"as_of": dates})
    >>> splitter = TemporalSplit(gap_days=60, n_splits=2, step_months=2, holdout_months=2)
    >>> [(int(train.max()), test.tolist()) for train, test in splitter.split(frame)]
    [(4, [6, 7]), (6, [8, 9])]
    >>> train, holdout = splitter.holdout_split(frame)
    >>> int(train.max()), holdout.tolist()
    (8, [10, 11])
    """

    def __init__(
        self,
        gap_days: int,
        *,
        n_splits: int = 3,
        step_months: int = 3,
        holdout_months: int = 3,
        block_days: int | None = None,
        min_train_dates: int = 3,
        time_column: str = "as_of",
    ) -> None:
        self.gap_days = gap_days
        self.n_splits = n_splits
        self.step_months = step_months
        self.holdout_months = holdout_months
        self.block_days = block_days
        self.min_train_dates = min_train_dates
        self.time_column = time_column

    def _times(self, X: pd.DataFrame) -> pd.Series:
        if self.time_column not in X.columns:
            raise ValueError(
                f"TemporalSplit: the frame has no {self.time_column!r} column to split on"
            )
        for name, value in [
            ("gap_days", self.gap_days),
            ("n_splits", self.n_splits),
            ("step_months", self.step_months),
            ("holdout_months", self.holdout_months),
            ("block_days", 1 if self.block_days is None else self.block_days),
        ]:
            least = 0 if name in ("gap_days", "n_splits") else 1
            if value < least:
                raise ValueError(f"TemporalSplit: {name} must be at least {least}, got {value}")
        times = pd.to_datetime(X[self.time_column])
        if len(times) == 0 or times.isna().any():
            raise ValueError(f"TemporalSplit: {self.time_column!r} is empty or has missing dates")
        return times

    def windows(self, X: pd.DataFrame) -> list[SplitWindow]:
        """Return the time bounds of every fold, then of the holdout (named ``holdout``)."""
        times = self._times(X)
        last = times.max()
        if self.block_days is None:
            holdout: pd.DateOffset | pd.Timedelta = pd.DateOffset(months=self.holdout_months)
            step: pd.DateOffset | pd.Timedelta = pd.DateOffset(months=self.step_months)
        else:
            holdout = step = pd.Timedelta(days=self.block_days)
        holdout_start = times[times > last - holdout].min()
        gap = pd.Timedelta(days=self.gap_days)
        out = []
        for k in range(1, self.n_splits + 1):
            start = holdout_start - (self.n_splits - k + 1) * step
            out.append(SplitWindow(f"fold_{k}", start - gap, start, start + step))
        out.append(SplitWindow("holdout", holdout_start - gap, holdout_start, last + gap))
        return out

    def _indices(self, times: pd.Series, window: SplitWindow) -> tuple[np.ndarray, np.ndarray]:
        values = times.to_numpy()
        train = np.flatnonzero(values < window.train_before.to_datetime64())
        test = np.flatnonzero(
            (values >= window.start.to_datetime64()) & (values < window.end.to_datetime64())
        )
        n_dates = len(np.unique(values[train]))
        if n_dates < self.min_train_dates or len(test) == 0:
            raise NotEnoughHistory(
                f"TemporalSplit: {window.name} trains on as_of < {window.train_before:%Y-%m-%d} "
                f"({n_dates} dates) and validates on [{window.start:%Y-%m-%d}, "
                f"{window.end:%Y-%m-%d}) ({len(test)} rows); it needs at least "
                f"{self.min_train_dates} training dates and one validation row. The snapshots "
                f"span {times.min():%Y-%m-%d} to {times.max():%Y-%m-%d}: too few as_of dates "
                "for this many folds with this gap; use fewer folds or a longer extract"
            )
        return train, test

    def split(
        self, X: pd.DataFrame, y: object = None, groups: object = None
    ) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """Yield ``(train, validation)`` positional index arrays of each fold, oldest first.

        The holdout is not among them: see :meth:`holdout_split`.
        """
        times = self._times(X)
        for window in self.windows(X)[:-1]:
            yield self._indices(times, window)

    def holdout_split(self, X: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        """Return ``(train, holdout)`` positional indices: the holdout and what precedes its gap."""
        return self._indices(self._times(X), self.windows(X)[-1])

    def get_n_splits(self, X: object = None, y: object = None, groups: object = None) -> int:
        """Return the number of folds (the holdout excluded)."""
        return self.n_splits

    def __repr__(self) -> str:
        blocks = (
            f"block_days={self.block_days}"
            if self.block_days is not None
            else f"step_months={self.step_months}, holdout_months={self.holdout_months}"
        )
        return f"TemporalSplit(gap_days={self.gap_days}, n_splits={self.n_splits}, {blocks})"
