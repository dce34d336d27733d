"""The temporal splitter: gaps between training and validation dates, holdout at the end."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from stagnation.training import TemporalSplit


def monthly(periods: int, per_date: int = 2, start: str = "2023-01-01") -> pd.DataFrame:
    dates = pd.date_range(start, periods=periods, freq="MS")
    return pd.DataFrame({"as_of": np.repeat(dates, per_date), "id": range(periods * per_date)})


def spans(frame: pd.DataFrame, splitter: TemporalSplit) -> list[tuple[str, str, str, str]]:
    out = []
    for train, test in [*splitter.split(frame), splitter.holdout_split(frame)]:
        t, v = frame["as_of"].iloc[train], frame["as_of"].iloc[test]
        out.append(tuple(f"{d:%Y-%m}" for d in (t.min(), t.max(), v.min(), v.max())))
    return out


def test_folds_and_holdout_read_like_a_table() -> None:
    frame = monthly(24)  # 2023-01 ... 2024-12
    splitter = TemporalSplit(gap_days=90, n_splits=3, step_months=3, holdout_months=3)
    assert spans(frame, splitter) == [
        # train from, train to, validate from, validate to
        ("2023-01", "2023-10", "2024-01", "2024-03"),  # 2023-10-01 + 90 d = 2023-12-30
        ("2023-01", "2024-01", "2024-04", "2024-06"),  # 2024-01-01 + 90 d = 2024-03-31
        ("2023-01", "2024-04", "2024-07", "2024-09"),
        ("2023-01", "2024-07", "2024-10", "2024-12"),  # the holdout: the latest 3 months
    ]


@pytest.mark.parametrize("gap_days", [0, 30, 89, 90, 92, 180])
@pytest.mark.parametrize("n_splits", [0, 1, 2, 3])
def test_every_validation_date_is_more_than_a_gap_after_every_training_date(
    gap_days: int, n_splits: int
) -> None:
    frame = monthly(30, per_date=3).sample(frac=1, random_state=0)  # any row order
    splitter = TemporalSplit(gap_days=gap_days, n_splits=n_splits, step_months=2)
    gap = pd.Timedelta(days=gap_days)
    for train, test in [*splitter.split(frame), splitter.holdout_split(frame)]:
        assert len(train) and len(test)
        assert frame["as_of"].iloc[train].max() + gap < frame["as_of"].iloc[test].min()


def test_the_holdout_is_the_latest_dates_and_folds_precede_it() -> None:
    frame = monthly(20)
    splitter = TemporalSplit(gap_days=60, n_splits=2, step_months=2, holdout_months=3)
    _, holdout = splitter.holdout_split(frame)
    latest = sorted(frame["as_of"].unique())[-3:]
    assert sorted(frame["as_of"].iloc[holdout].unique()) == latest
    for _, test in splitter.split(frame):
        assert frame["as_of"].iloc[test].max() < min(latest)


def test_split_does_not_change_the_splitter() -> None:
    splitter = TemporalSplit(gap_days=60, n_splits=2)
    before = repr(splitter), vars(splitter).copy()
    list(splitter.split(monthly(20)))
    assert (repr(splitter), vars(splitter)) == before
    assert splitter.get_n_splits() == 2


def test_no_folds_leaves_the_holdout_alone_and_needs_less_history() -> None:
    frame = monthly(12)
    with_folds = TemporalSplit(gap_days=180, n_splits=3, step_months=3)
    holdout_only = TemporalSplit(gap_days=180, n_splits=0)
    assert list(holdout_only.split(frame)) == []
    assert [w.name for w in holdout_only.windows(frame)] == ["holdout"]
    train, holdout = holdout_only.holdout_split(frame)
    assert [a.tolist() for a in holdout_only.holdout_split(frame)] == [
        a.tolist() for a in with_folds.holdout_split(frame)
    ]
    assert len(train) and len(holdout)
    with pytest.raises(ValueError, match="too few as_of dates"):  # the folds need more history
        list(with_folds.split(frame))
    with pytest.raises(ValueError, match="n_splits must be at least 0"):
        TemporalSplit(gap_days=30, n_splits=-1).holdout_split(frame)


def test_too_few_dates_are_refused_with_the_reason() -> None:
    splitter = TemporalSplit(gap_days=180, n_splits=3, step_months=3)
    with pytest.raises(ValueError, match="too few as_of dates"):
        list(splitter.split(monthly(12)))


def test_a_frame_without_as_of_is_refused() -> None:
    with pytest.raises(ValueError, match="no 'as_of' column"):
        TemporalSplit(gap_days=30).holdout_split(pd.DataFrame({"x": [1]}))
