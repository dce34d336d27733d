"""The minimum history rule and the fold plan fitted to a history (``training/_plan.py``)."""

from __future__ import annotations

import pandas as pd
import pytest

from stagnation.training import NotEnoughHistory, choose_grid, minimum_history_days, plan_splits


@pytest.mark.parametrize(
    ("warmup", "horizon", "grid", "days"),
    [
        # warm-up + 2 weekly steps + gap rounded up to whole weeks + 1 step + horizon
        (60, 90, "weekly", 60 + 14 + 91 + 7 + 90),  # customers at 90/60: 262 days, under 9 months
        (90, 180, "weekly", 90 + 14 + 182 + 7 + 180),  # customers at the defaults: 473 days
        (180, 90, "weekly", 180 + 14 + 91 + 7 + 90),  # reps at the defaults: 382 days
        (90, 180, "monthly", 90 + 62 + 186 + 31 + 180),
    ],
)
def test_minimum_history_is_the_sum_of_its_parts(warmup, horizon, grid, days) -> None:  # type: ignore[no-untyped-def]
    assert minimum_history_days(warmup_days=warmup, horizon_days=horizon, grid=grid) == days


def test_auto_grid_turns_weekly_when_the_dates_span_under_a_year() -> None:
    start = pd.Timestamp("2024-01-01")
    assert choose_grid("auto", first=start, last=start + pd.Timedelta(days=364)) == "weekly"
    assert choose_grid("auto", first=start, last=start + pd.Timedelta(days=365)) == "monthly"
    assert choose_grid("monthly", first=start, last=start) == "monthly"
    with pytest.raises(ValueError, match="grid must be"):
        choose_grid("daily", first=start, last=start)  # type: ignore[arg-type]


def _weekly(days: int) -> pd.DatetimeIndex:
    return pd.date_range("2024-01-01", periods=days // 7 + 1, freq="7D")


@pytest.mark.parametrize(
    ("span_days", "folds", "block"),
    [
        (7 * 17, 0, 21),  # 18 dates: three training dates, the gap, a three-week holdout
        (7 * 31, 3, 28),  # 32 dates: three folds of four weeks
        (7 * 60, 3, 77),  # 61 dates: three folds of eleven weeks
        (7 * 72, 3, 91),  # longer blocks stop at thirteen weeks
    ],
)
def test_weekly_plans_take_as_many_folds_and_weeks_as_fit(span_days, folds, block) -> None:  # type: ignore[no-untyped-def]
    splitter = plan_splits(_weekly(span_days), gap_days=90, grid="weekly")
    assert (splitter.n_splits, splitter.block_days) == (folds, block)
    frame = pd.DataFrame({"as_of": _weekly(span_days)})
    for window in splitter.windows(frame):  # every split keeps the gap
        assert window.start - window.train_before == pd.Timedelta(days=90)


def test_too_few_dates_are_refused_in_plain_words() -> None:
    with pytest.raises(NotEnoughHistory, match=r"10 weekly as_of dates .* too few for a holdout"):
        plan_splits(_weekly(63), gap_days=90, grid="weekly")
    with pytest.raises(NotEnoughHistory, match="ask for fewer --folds"):
        plan_splits(_weekly(7 * 17), gap_days=90, grid="weekly", folds=2)


def test_monthly_plans_keep_three_month_blocks() -> None:
    dates = pd.date_range("2023-04-01", "2025-07-01", freq="MS")
    splitter = plan_splits(dates, gap_days=180, grid="monthly")
    assert (splitter.n_splits, splitter.holdout_months, splitter.block_days) == (3, 3, None)
    assert plan_splits(dates[-14:], gap_days=180, grid="monthly").n_splits == 1
    assert plan_splits(dates[-12:], gap_days=180, grid="monthly").n_splits == 0


def test_a_fold_needs_a_training_date_with_history_behind_it() -> None:
    # 23 weekly dates, the first one a dormancy (60 days) after the data start: a ten-month
    # export at 90/60. Without the rule, one fold fits, trained on the first three dates alone.
    dates = _weekly(7 * 22)
    assert plan_splits(dates, gap_days=90, grid="weekly").n_splits == 1
    start = dates[0] - pd.Timedelta(days=60)
    thin = plan_splits(dates, gap_days=90, grid="weekly", folds_from=start + pd.Timedelta(days=90))
    assert thin.n_splits == 0  # the holdout judges alone, and is exempt: the rule keeps training
    # a holdout alone keeps the history-rich dates for training: blocks of four weeks at most
    assert thin.block_days == 28
    frame = pd.DataFrame({"as_of": dates})
    (holdout,) = thin.windows(frame)
    assert (dates < holdout.train_before).sum() == 7
    with pytest.raises(
        NotEnoughHistory, match=r"each fold also a training date from 2024-01-29 on"
    ):
        plan_splits(dates, gap_days=90, grid="weekly", folds=1, folds_from=dates[4])


def test_folds_with_a_late_enough_training_date_are_kept() -> None:
    dates = _weekly(7 * 31)  # three folds of four weeks without the rule
    splitter = plan_splits(dates, gap_days=90, grid="weekly", folds_from=dates[4])
    frame = pd.DataFrame({"as_of": dates})
    assert splitter.n_splits == 2
    for window in splitter.windows(frame):
        assert (dates[dates < window.train_before] >= dates[4]).any()
    # a folds_from at or before the first date changes nothing
    same = plan_splits(dates, gap_days=90, grid="weekly", folds_from=dates[0])
    assert (same.n_splits, same.block_days) == (3, 28)
