"""Backtest: would acting on our ranking have beaten the rules the field uses today?

At past ``as_of`` dates, with a model that saw nothing at or after them, take the top ``K`` of
each strategy and count what really happened (the simulator's truth) and what the extract shows:

* **customers**: our priority (``expected_value = P(reactivation) x expected order value``, the
  action list's order) and our score alone (``P(reactivation)``) against the **pool rule**
  (release the customers longest without a follow-up: ``days_since_last_touch``, never-touched
  first), the **recency rule** (the most recently lapsed buyers first, never-buyers last: the
  RFM habit) and **random** choice. Counted: how many of the K could truly be won at ``as_of``
  (the truth's ``revivable`` flag: a lapsed buyer whose need still exists, or a prospect that
  fits), how many of those were lapsed buyers (``dormant_revivable``), how many did reactivate in
  the horizon (the label), and the order value they brought back in the horizon.
* **reps**: our priority (``P(slide) x the rep's new-customer revenue``, the action list's
  order) and our score alone (``P(slide)``) against the **drift rule** (lowest recent hunting
  share relative to the rep's own past first) and random. Counted: how many of the K truly slid
  in the horizon (a slide starting or under way, per the truth), how many the label marks, and
  the new-customer revenue those sliding reps were bringing in over one horizon.

Every date is its own decision, so a customer that stays near the top for several months is
counted at each of them, with the orders of its (overlapping) horizon each time.

The dates of one trained model are its holdout (:func:`stagnation.training.train`): the latest
label-complete ``as_of`` dates before its cutoff, scored by the model fitted on snapshots whose
labels ended before the holdout began (a gap of one horizon). :func:`backtest` trains at several
cutoffs, a few months apart, so that the holdouts tile a year or more of past dates. Random
choice is its expectation, ``K x`` the population's mean, not a draw, so the table is the same
on every run.

The value brought back is what the customers ordered in the horizon as things were run: a lower
bound on what recycling them to a hunter would have won back.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import numpy as np
import pandas as pd

from stagnation.crm import CRM
from stagnation.features import FeatureContext, new_business_at_risk
from stagnation.labels import CustomerReactivationSettings
from stagnation.simulator import customer_revivable_truth, customer_state_truth, slide_truth
from stagnation.snapshots import data_end
from stagnation.training import FIELD_RULE, STRATEGIES, ModelName, TrainingResult

__all__ = [
    "CUSTOMER_KS",
    "FIELD_RULE",
    "REP_KS",
    "STRATEGIES",
    "Trainer",
    "backtest",
    "backtest_customers",
    "backtest_reps",
    "backtest_summary",
    "priority_beats_rule",
    "rep_thresholds",
]

#: Default numbers of customers acted on per ``as_of``.
CUSTOMER_KS: tuple[int, ...] = (25, 50, 100, 200)
#: Default numbers of reps coached per ``as_of``.
REP_KS: tuple[int, ...] = (3, 5, 10)
#: Strategy names in the tables (:data:`stagnation.training.STRATEGIES`, in that order).
PRIORITY, SCORE, POOL_RULE, RECENCY_RULE, DRIFT_RULE, RANDOM = STRATEGIES

COLUMNS = [
    "entity_type",
    "as_of",
    "k",
    "strategy",
    "population",
    "hits",
    "hits_lapsed_buyers",
    "label_positive",
    "value",
]


def _top(frame: pd.DataFrame, keys: tuple[str, ...], ids: np.ndarray, k: int) -> pd.DataFrame:
    """Return the ``k`` rows highest by ``keys`` (in order), ties by id."""
    descending = [-frame[key].to_numpy(dtype=float) for key in reversed(keys)]
    return frame.iloc[np.lexsort((ids, *descending))[:k]]


def _rows(
    entity_type: str,
    groups: pd.DataFrame,
    ks: Sequence[int],
    strategies: Mapping[str, tuple[str, ...]],
    id_column: str,
    outcome: Callable[[pd.DataFrame], dict[str, float]],
) -> pd.DataFrame:
    """Count the outcome of the top ``K`` of every strategy at every ``as_of``."""
    rows = []
    for at, group in groups.groupby("as_of", sort=True):
        ids = group[id_column].to_numpy(dtype=str)
        everyone = outcome(group)
        for k in ks:
            take = min(k, len(group))
            for strategy, keys in strategies.items():
                chosen = _top(group, keys, ids, take)
                rows.append(
                    {"as_of": at, "k": k, "strategy": strategy, "population": len(group)}
                    | outcome(chosen)
                )
            expected = {key: value * take / len(group) for key, value in everyone.items()}
            rows.append(
                {"as_of": at, "k": k, "strategy": RANDOM, "population": len(group)} | expected
            )
    out = pd.DataFrame(rows)
    out.insert(0, "entity_type", entity_type)
    return out.reindex(columns=COLUMNS)


def backtest_customers(
    result: TrainingResult,
    truth: dict[str, pd.DataFrame],
    ks: Sequence[int] = CUSTOMER_KS,
) -> pd.DataFrame:
    """Return the customer backtest: top ``K`` of ours vs the pool and recency rules vs random.

    Parameters
    ----------
    result
        A trained ``customer-recycling`` model (its holdout is the backtest's dates and rows).
    truth
        The simulator's truth tables (:func:`stagnation.workflow.read_truth`).
    ks
        The numbers of customers acted on at each ``as_of``.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`COLUMNS`, one row per ``as_of``, ``K`` and strategy: ``hits`` = customers
        among the K that could truly be won, ``hits_lapsed_buyers`` = those of them that had
        bought before, ``label_positive`` = customers that reactivated in the horizon,
        ``value`` = their order value in the horizon.
    """
    if result.name != "customer-recycling":
        raise ValueError(
            f"backtest_customers needs the customer-recycling model, not {result.name}"
        )
    holdout = result.holdout
    probability = result.holdout_scores["lightgbm"].to_numpy(dtype=float)
    if result.value_model is not None:
        value = np.clip(result.value_model.predict(holdout[result.feature_names]), 0.0, None)
        expected = probability * np.asarray(value, dtype=float)
    else:
        expected = probability
    untouched = holdout["days_since_last_touch"].to_numpy(dtype=float)
    since_order = holdout["days_since_last_order"].to_numpy(dtype=float)
    frame = pd.DataFrame(
        {
            "customer_id": holdout["customer_id"].to_numpy(),
            "as_of": holdout["as_of"].to_numpy(),
            "priority": expected,
            "score": probability,
            "pool_rule": np.where(np.isnan(untouched), np.inf, untouched),
            "recency_rule": np.where(np.isnan(since_order), -np.inf, -since_order),
            "revivable": customer_revivable_truth(truth, holdout).to_numpy(),
            "revivable_buyer": (customer_state_truth(truth, holdout) == "dormant_revivable")
            .fillna(False)
            .to_numpy(dtype=bool),
            "label": holdout["label"].to_numpy(dtype=bool),
            "value": holdout["value"].to_numpy(dtype=float),
        }
    )

    def outcome(chosen: pd.DataFrame) -> dict[str, float]:
        return {
            "hits": float(chosen["revivable"].sum()),
            "hits_lapsed_buyers": float(chosen["revivable_buyer"].sum()),
            "label_positive": float(chosen["label"].sum()),
            "value": float(chosen["value"].sum()),
        }

    strategies = {
        PRIORITY: ("priority", "score"),
        SCORE: ("score",),
        POOL_RULE: ("pool_rule",),
        RECENCY_RULE: ("recency_rule",),
    }
    return _rows("customer", frame, ks, strategies, "customer_id", outcome)


def backtest_reps(
    result: TrainingResult,
    crm: CRM,
    truth: dict[str, pd.DataFrame],
    ks: Sequence[int] = REP_KS,
) -> pd.DataFrame:
    """Return the rep backtest: top ``K`` of ours vs the drift rule vs random.

    Parameters
    ----------
    result
        A trained ``rep-passivity`` model (its holdout is the backtest's dates and rows).
    crm
        The extract the model was trained on, for each rep's new-customer revenue before
        ``as_of`` (the action list's priority).
    truth
        The simulator's truth tables (:func:`stagnation.workflow.read_truth`).
    ks
        The numbers of reps coached at each ``as_of``.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`COLUMNS`, one row per ``as_of``, ``K`` and strategy: ``hits`` = reps
        among the K that truly slid in the horizon, ``label_positive`` = those the observable
        label marks, ``value`` = the new-customer revenue over one horizon (at the rate of the last
        365 days) of the reps among the K that truly slid: the new business a coach protects.
    """
    if result.name != "rep-passivity":
        raise ValueError(f"backtest_reps needs the rep-passivity model, not {result.name}")
    holdout = result.holdout
    horizon = result.card.horizon_days
    probability = result.holdout_scores["lightgbm"].to_numpy(dtype=float)
    at_risk = np.zeros(len(holdout))
    for at in holdout["as_of"].unique():
        rows = (holdout["as_of"] == at).to_numpy()
        at_risk[rows] = new_business_at_risk(
            crm, pd.Timestamp(at), holdout["rep_id"][rows], horizon
        )
    drift = holdout["hunting_share_vs_own_past"].to_numpy(dtype=float)
    frame = pd.DataFrame(
        {
            "rep_id": holdout["rep_id"].to_numpy(),
            "as_of": holdout["as_of"].to_numpy(),
            "score": probability,
            "priority": probability * at_risk,
            "at_risk": at_risk,
            "drift_rule": np.where(np.isnan(drift), -np.inf, -drift),
            "slid": slide_truth(truth, holdout, horizon),
            "label": holdout["label"].to_numpy(dtype=bool),
        }
    )

    def outcome(chosen: pd.DataFrame) -> dict[str, float]:
        return {
            "hits": float(chosen["slid"].sum()),
            "label_positive": float(chosen["label"].sum()),
            "value": float(chosen["at_risk"].where(chosen["slid"], 0.0).sum()),
        }

    # reps with nothing at risk tie on priority at zero: P(slide) orders them
    strategies = {
        PRIORITY: ("priority", "score"),
        SCORE: ("score",),
        DRIFT_RULE: ("drift_rule",),
    }
    return _rows("rep", frame, ks, strategies, "rep_id", outcome)


def rep_thresholds(
    result: TrainingResult, truth: dict[str, pd.DataFrame], lifts: Sequence[float]
) -> pd.DataFrame:
    """Return what a rep threshold of ``lift x base rate`` flags on a model's holdout dates.

    The base rate is the positive rate of the model's training rows (what
    :class:`stagnation.scoring.ActionSettings` uses). Per lift: the threshold, the reps flagged
    over all dates, how many of them truly slid in the horizon (precision), and the share of
    all true slides they catch (recall).
    """
    if result.name != "rep-passivity":
        raise ValueError(f"rep_thresholds needs the rep-passivity model, not {result.name}")
    base = float(result.card.positive_rate or 0.0)
    score = result.holdout_scores["lightgbm"].to_numpy(dtype=float)
    slid = np.asarray(slide_truth(truth, result.holdout, result.card.horizon_days), dtype=bool)
    rows = []
    for lift in lifts:
        flagged = score >= lift * base
        rows.append(
            {
                "lift": lift,
                "threshold": lift * base,
                "dates": result.holdout["as_of"].nunique(),
                "population": len(score),
                "flagged": int(flagged.sum()),
                "truly_sliding": int((flagged & slid).sum()),
                "all_sliding": int(slid.sum()),
            }
        )
    return pd.DataFrame(rows)


#: How :func:`backtest` trains one model on the history before a cutoff, e.g.
#: ``lambda ctx, name, cutoff: workflow.train_model(ctx, name, cutoff=cutoff, n_splits=0)``.
Trainer = Callable[[FeatureContext, ModelName, pd.Timestamp], TrainingResult]


def backtest(
    crm: CRM | FeatureContext,
    truth: dict[str, pd.DataFrame],
    train: Trainer,
    *,
    rounds: int = 3,
    step_months: int = 3,
    customer_ks: Sequence[int] = CUSTOMER_KS,
    rep_ks: Sequence[int] = REP_KS,
    progress: Callable[[str], None] | None = None,
) -> pd.DataFrame:
    """Train both models at ``rounds`` cutoffs and backtest each on its holdout dates.

    The first cutoff is the end of the data, each next one ``step_months`` earlier; with the
    default three-month holdout and step, the rounds' dates do not overlap. An extract without
    activities backtests the customer model only. Both models use the default label settings
    (one feature context, the contract's dormancy) and no evaluation folds: the folds do not
    change the holdout's model, and without them the earliest cutoffs need less history.
    ``train`` (:data:`Trainer`) is called with that context, the model name and the cutoff: the
    backtest measures whatever training it is given and never reaches up to the workflow.

    Returns
    -------
    pandas.DataFrame
        :func:`backtest_customers` and :func:`backtest_reps` of every round, stacked, with a
        ``cutoff`` column.
    """
    ctx = FeatureContext.of(crm, dormant_days=CustomerReactivationSettings().dormant_days)
    end = data_end(ctx.crm)
    parts = []
    for round_ in range(rounds):
        cutoff = end - pd.DateOffset(months=step_months * round_)
        if progress is not None:
            progress(f"training both models on history before {cutoff:%Y-%m-%d}")
        customers = train(ctx, "customer-recycling", cutoff)
        parts.append(backtest_customers(customers, truth, customer_ks).assign(cutoff=cutoff))
        if ctx.activities_by_rep is not None:
            reps = train(ctx, "rep-passivity", cutoff)
            parts.append(backtest_reps(reps, ctx.crm, truth, rep_ks).assign(cutoff=cutoff))
    return pd.concat(parts, ignore_index=True)


def backtest_summary(table: pd.DataFrame) -> pd.DataFrame:
    """Return the backtest summed over its ``as_of`` dates: one row per entity type and K.

    Columns are ``(measure, strategy)`` pairs, measures ``hits``, ``hits_lapsed_buyers``
    (customers only), ``label_positive`` and ``value``, strategies in the order of
    :data:`STRATEGIES`.
    """
    wide = table.pivot_table(
        index=["entity_type", "k"],
        columns="strategy",
        values=["hits", "hits_lapsed_buyers", "label_positive", "value"],
        aggfunc=lambda values: values.sum(min_count=1),  # a measure a strategy lacks stays NaN
    )
    order = [s for s in STRATEGIES if s in set(table["strategy"])]
    return wide.reindex(columns=order, level="strategy")


def priority_beats_rule(table: pd.DataFrame, measure: str = "hits") -> pd.Series:
    """Return, per entity type and K, whether our priority beat the field's rule.

    Summed over the ``as_of`` dates; customers against the pool rule, reps against the drift
    rule (:data:`FIELD_RULE`); ``measure`` is ``hits`` (true cases), ``label_positive`` or
    ``value``.
    """
    totals = table.pivot_table(
        index=["entity_type", "k"], columns="strategy", values=measure, aggfunc="sum"
    )
    rules = totals.index.get_level_values("entity_type").map(FIELD_RULE)
    against = [totals[rule].iloc[row] for row, rule in enumerate(rules)]
    return (totals[PRIORITY] > np.asarray(against, dtype=float)).rename(f"beats_rule_{measure}")
