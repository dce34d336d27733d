"""Train one model with temporal validation, calibrate it, and measure it against baselines.

The procedure of :func:`train`, for the snapshots of one target sorted by ``as_of``:

1. :class:`TemporalSplit` with a gap equal to the label horizon: rolling-origin folds, then the
   holdout (the latest block of ``as_of`` dates). :func:`~stagnation.training.plan_splits`
   fits the plan to the history: three-month blocks on a monthly grid, blocks of whole weeks on
   a weekly one, and as many folds as fit (at most three; ``n_splits`` asks for a number).
2. **The model is chosen on the folds** (:mod:`._capacity`): each of its candidates (three LightGBM
   capacities, each boosting from the target's logistic regression or not) is fitted with one bag on
   every fold's training rows, and the best ROC AUC on the pooled fold validation rows wins; without
   a usable fold (a short history) the logistic regression alone is taken. The choice uses every
   fold the history allows, also when ``n_splits`` asks the evaluation for fewer.
   The holdout takes no part in the choice. Then every split (each fold, then the holdout) runs the
   *same* recipe on its training rows (all rows with ``as_of`` more than one horizon before the
   split's first validation date): the latest dates (at least ``calibration_fraction`` of them,
   extended back until they hold ``min_calibration_positives`` positives) form the **calibration
   slice**; the earlier rows, the **fit slice**, train LightGBM (early stopping on its latest dates)
   and every baseline; each is then calibrated on the calibration slice, which comes after its
   training data in time. The calibration slice directly follows the fit slice, without a gap. An
   early fold whose fit slice has fewer than :data:`MIN_TRAIN_POSITIVES` positives is skipped (the
   history is too short yet) and listed in the card's ``skipped_folds``; the others keep their
   names (``fold_2``, ...). Training is refused when the holdout cannot be trained.
3. Every model scores the split's validation rows. Ranking metrics (ROC AUC, PR AUC, precision and
   lift) are computed on each model's own uncalibrated score (calibration is meant to rescale, not
   reorder); probability metrics (Brier, log loss, ECE) on the calibrated probability. On simulated
   data, ``truth_roc_auc`` on the holdout compares scores with the simulator's hidden truth.
4. **The verdict** is read on the pooled out-of-time predictions (every fold's validation rows and
   the holdout's): the ROC AUC and lift@10 difference between LightGBM and each baseline, each with
   a paired bootstrap 95 % interval that resamples entities
   (:func:`~stagnation.training.paired_differences`). ``beats_baselines`` is true only when the
   interval of the AUC difference against the best baseline lies above zero.
5. **The model returned is refitted** on every snapshot (all their label windows close before the
   cutoff), with the chosen candidate and the holdout model's number of trees, and calibrated with a
   sigmoid map fitted on the holdout model's out-of-time scores (smooth, so it carries over to the
   refitted model, and rank-preserving). The metrics reported are those of the evaluated models
   (fitted before each split's gap); the refitted one has seen every labelled date, the latest
   months included.

For customers, the value model (:class:`LightGBMValue`, ``log1p(value)`` of the positive rows
of every snapshot; predictions are ``expm1``) gives the expected order value of a
customer that does reactivate.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import partial
from typing import Any

import numpy as np
import pandas as pd

from stagnation.errors import BadOption, NotEnoughHistory
from stagnation.features import CUSTOMER_FEATURES, REP_FEATURES
from stagnation.simulator import customer_state_truth, slide_truth
from stagnation.training._baselines import baselines
from stagnation.training._calibration import RecalibratedModel, calibrate
from stagnation.training._capacity import CAPACITIES, candidate_params, choose_candidate
from stagnation.training._card import LABEL_SETTINGS, LabelSettings, ModelCard, Verdict
from stagnation.training._compare import paired_differences
from stagnation.training._drift import reference_distribution
from stagnation.training._estimators import LightGBMRisk, LightGBMValue
from stagnation.training._metrics import classification_metrics
from stagnation.training._order import id_free_order
from stagnation.training._plan import Grid, plan_splits
from stagnation.training._result import ENTITY_ID, ModelName, TrainingResult
from stagnation.training._split import SplitWindow

#: Categorical columns each target's snapshots carry besides the numeric features.
CATEGORICAL_FEATURES: dict[str, list[str]] = {
    "rep-passivity": ["t_model_stage"],
    "customer-recycling": ["industry", "region", "size", "source"],
}
#: Label-side columns of the snapshots: never features.
LABEL_COLUMNS = ("label", "value", "baseline_hunting_share", "horizon_hunting_share")
#: Refuse to fit on fewer positives than this.
MIN_TRAIN_POSITIVES = 10
#: Metrics computed on the uncalibrated score (the ranking); the others on probabilities.
RANKING_METRICS = ("roc_auc", "pr_auc", "precision_at_", "lift_at_", "n", "positives")
#: Maximum number of holdout rows whose contributions are computed.
MAX_CONTRIBUTION_ROWS = 2000
MODEL = "lightgbm"


class TooFewPositives(NotEnoughHistory):
    """A split's training slice holds too few positives to fit on."""


def feature_columns(snapshots: pd.DataFrame, name: ModelName) -> list[str]:
    """Return the model's input columns: the target's features and categoricals, in order.

    Raises
    ------
    ValueError
        When the snapshots lack one of them.
    """
    defs = REP_FEATURES if name == "rep-passivity" else CUSTOMER_FEATURES
    names = [f.name for f in defs] + CATEGORICAL_FEATURES[name]
    missing = [n for n in names if n not in snapshots.columns]
    if missing:
        raise ValueError(
            f"the {name} snapshots lack the feature columns {missing[:5]}"
            f"{' ...' if len(missing) > 5 else ''}: build them with the matching snapshots "
            "function of stagnation.snapshots"
        )
    return names


def _calibration_mask(part: pd.DataFrame, fraction: float, min_positives: int) -> np.ndarray:
    """Return the rows of the calibration slice: the latest dates of ``part`` (see module)."""
    per_date = part.groupby("as_of")["label"].agg(["size", "sum"]).sort_index()
    n_dates = max(1, round(fraction * len(per_date)))
    positives = per_date["sum"].to_numpy()[::-1].cumsum()
    enough = int(np.searchsorted(positives, min_positives) + 1)
    n_dates = min(max(n_dates, enough), len(per_date) - 1)
    if n_dates < 1:
        return np.zeros(len(part), dtype=bool)
    first = per_date.index[len(per_date) - n_dates]
    return (part["as_of"] >= first).to_numpy()


def _fit_split(
    part: pd.DataFrame,
    features: list[str],
    name: ModelName,
    params: dict[str, Any],
    split: str,
    calibration_fraction: float,
    min_calibration_positives: int,
    pool_rules: dict[str, Any] | None = None,
) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """Fit LightGBM and the baselines on the fit slice; calibrate them on the later slice.

    Returns the fitted (uncalibrated) models, their calibrated versions, and facts about the
    slices.
    """
    cal = _calibration_mask(part, calibration_fraction, min_calibration_positives)
    fit_rows, cal_rows = part[~cal], part[cal]
    y_fit = fit_rows["label"].to_numpy(dtype=int)
    y_cal = cal_rows["label"].to_numpy(dtype=int)
    if y_fit.sum() < MIN_TRAIN_POSITIVES:
        raise TooFewPositives(
            f"{name}, {split}: only {int(y_fit.sum())} positives to train on (as_of "
            f"{fit_rows['as_of'].min():%Y-%m-%d} to {fit_rows['as_of'].max():%Y-%m-%d}); at least "
            f"{MIN_TRAIN_POSITIVES} are needed: use a longer extract or fewer folds"
        )
    if len(np.unique(y_cal)) < 2:
        raise NotEnoughHistory(
            f"{name}, {split}: the calibration slice (as_of from "
            f"{cal_rows['as_of'].min():%Y-%m-%d}) has a single class; use a longer extract"
        )
    X_fit, X_cal = fit_rows[features], cal_rows[features]
    fitted: dict[str, Any] = {
        MODEL: LightGBMRisk(**params).fit(X_fit, y_fit, sample_order=fit_rows["as_of"])
    }
    for base_name, baseline in baselines(name, pool_rules).items():
        fitted[base_name] = baseline.fit(X_fit, y_fit)
    calibrated = {key: calibrate(model, X_cal, y_cal) for key, model in fitted.items()}
    facts = {
        "fit_rows": len(fit_rows),
        "fit_positives": int(y_fit.sum()),
        "fit_as_of": [f"{fit_rows['as_of'].min():%Y-%m-%d}", f"{fit_rows['as_of'].max():%Y-%m-%d}"],
        "calibration_rows": len(cal_rows),
        "calibration_positives": int(y_cal.sum()),
        "calibration_as_of": [
            f"{cal_rows['as_of'].min():%Y-%m-%d}",
            f"{cal_rows['as_of'].max():%Y-%m-%d}",
        ],
        "calibration_method": calibrated[MODEL].method,
        "n_estimators": int(fitted[MODEL].n_estimators_),
    }
    return fitted, calibrated, facts


def _score(fitted: Any, calibrated: Any, X: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    raw = fitted.predict_proba(X)[:, 1]
    return raw, calibrated.predict_proba(X)[:, 1]


def _metric_rows(model: str, split: str, y: np.ndarray, raw: np.ndarray, prob: np.ndarray) -> list:
    by_rank = classification_metrics(y, raw)
    by_prob = classification_metrics(y, prob)
    return [
        (model, split, metric, by_rank[metric] if metric.startswith(RANKING_METRICS) else value)
        for metric, value in by_prob.items()
    ]


def _truth_labels(
    name: ModelName, truth: dict[str, pd.DataFrame], holdout: pd.DataFrame, horizon: int
) -> np.ndarray:
    """Return the simulator's truth per holdout row (NaN when unknown) as floats."""
    if name == "rep-passivity":
        return slide_truth(truth, holdout, horizon).astype(float)
    state = customer_state_truth(truth, holdout)
    return np.where(state.isna(), np.nan, (state == "dormant_revivable").astype(float))


def _window_facts(window: SplitWindow, frame: pd.DataFrame, train: np.ndarray, test: np.ndarray):
    return {
        "train_before": f"{window.train_before:%Y-%m-%d}",
        "validate_from": f"{window.start:%Y-%m-%d}",
        "validate_to": f"{frame['as_of'].iloc[test].max():%Y-%m-%d}",
        "train_rows": len(train),
        "train_positives": int(frame["label"].iloc[train].sum()),
        "validation_rows": len(test),
        "validation_positives": int(frame["label"].iloc[test].sum()),
    }


def train(
    snapshots: pd.DataFrame,
    name: ModelName,
    *,
    labels: LabelSettings,
    cutoff: pd.Timestamp | None = None,
    tables: dict[str, int] | None = None,
    pool_rules: dict[str, Any] | None = None,
    truth: dict[str, pd.DataFrame] | None = None,
    progress: Callable[[str], None] | None = None,
    n_splits: int | None = None,
    grid: Grid | None = None,
    folds_from: pd.Timestamp | None = None,
    calibration_fraction: float = 0.1,
    min_calibration_positives: int = 5,
    params: dict[str, Any] | None = None,
) -> TrainingResult:
    """Train, calibrate and evaluate one model against its baselines (see the module docstring).

    Parameters
    ----------
    snapshots
        From :func:`~stagnation.snapshots.rep_snapshots` (``rep-passivity``) or
        :func:`~stagnation.snapshots.customer_snapshots` (``customer-recycling``).
    name
        Which model.
    labels
        The label settings the snapshots were built with (their horizon is the temporal gap);
        stored in the model card, which scoring reads them from.
    cutoff
        The training cutoff (nothing at or after it was seen); default: the last ``as_of``
        plus one horizon.
    tables
        Rows per table of the extract, stored in the card.
    pool_rules
        The company's pool settings (``contact_expire_days``, ``deal_expire_days``): adds the
        company's own pool rule to the customer baselines.
    truth
        The simulator's truth tables, for ``truth_roc_auc`` on the holdout.
    progress
        Called with a short message as each split starts.
    n_splits
        Folds before the holdout (default: as many as fit, at most three).
    grid
        ``weekly`` or ``monthly``: the spacing of the snapshots' ``as_of`` dates (default:
        weekly when they are at most eight days apart).
    folds_from
        The earliest ``as_of`` a fold's training dates count from (see
        :func:`~stagnation.training.plan_splits`); default: any.
    calibration_fraction, min_calibration_positives
        The calibration slice of every split's training data.
    params
        LightGBM hyperparameters overriding :class:`LightGBMRisk`'s defaults.

    Raises
    ------
    NotEnoughHistory
        Too few ``as_of`` dates for the holdout (or for the folds asked for).
    ValueError
        Missing columns or settings, too few positives to train on, or a calibration slice
        with a single class.
    """
    started = time.perf_counter()
    if name not in ENTITY_ID:
        raise BadOption(f"unknown model {name!r}: 'rep-passivity' or 'customer-recycling'")
    if not isinstance(labels, LABEL_SETTINGS[name]):
        raise ValueError(f"the {name} model needs {LABEL_SETTINGS[name].__name__} as labels")
    entity = ENTITY_ID[name]
    missing = [c for c in (entity, "as_of", "label") if c not in snapshots.columns]
    if missing:
        raise ValueError(f"the {name} snapshots lack the columns {missing}")
    features = feature_columns(snapshots, name)
    horizon = labels.horizon_days
    keep = [entity, "as_of", *features, "label"] + (["value"] if "value" in snapshots else [])
    frame = id_free_order(snapshots[keep], entity=entity).reset_index(drop=True)
    frame["label"] = frame["label"].astype(bool)
    dates = pd.DatetimeIndex(frame["as_of"].unique())
    if grid is None:
        spacing = np.diff(dates.sort_values().asi8).min() if len(dates) > 1 else 0
        grid = "weekly" if spacing <= 8 * 86_400 * 10**9 else "monthly"
    plan = partial(plan_splits, dates, gap_days=horizon, grid=grid, folds_from=folds_from)
    splitter = plan(folds=n_splits)
    windows = splitter.windows(frame)
    splits = [*splitter.split(frame), splitter.holdout_split(frame)]
    given = dict(params or {})
    fixed = {"base", *(key for c in CAPACITIES.values() for key in c)}
    if fixed & set(given):
        candidate, candidate_scores = "given", dict[str, float]()
    else:
        if progress is not None:
            progress(f"{name}: choosing the capacity on the folds")
        # the choice uses every fold the history allows, whatever n_splits the evaluation asks
        auto = splitter if n_splits is None else plan()
        folds = list(auto.split(frame))
        candidate, candidate_scores = choose_candidate(frame, folds, features, name, given)
        given |= candidate_params(name, candidate, len(frame))
    hyper = LightGBMRisk(**given).get_params(deep=False)

    rows: list[tuple[str, str, str, float]] = []
    pooled: list[pd.DataFrame] = []
    split_facts: dict[str, Any] = {}
    skipped: dict[str, str] = {}
    for window, (train_idx, test_idx) in zip(windows, splits, strict=True):
        if progress is not None:
            progress(f"{name}: {window.name}")
        part, test = frame.iloc[train_idx], frame.iloc[test_idx]
        try:
            fitted, calibrated, facts = _fit_split(
                part,
                features,
                name,
                hyper,
                window.name,
                calibration_fraction,
                min_calibration_positives,
                pool_rules,
            )
        except TooFewPositives as error:
            if window.name == "holdout":
                raise
            skipped[window.name] = str(error)  # a fold with too little history: the holdout decides
            continue
        split_facts[window.name] = _window_facts(window, frame, train_idx, test_idx) | facts
        y = test["label"].to_numpy(dtype=int)
        scores = {}
        for key in fitted:
            raw, prob = _score(fitted[key], calibrated[key], test[features])
            rows += _metric_rows(key, window.name, y, raw, prob)
            scores[key] = (raw, prob)
        pooled.append(
            pd.DataFrame({"entity": test[entity].to_numpy(), "label": y})
            .assign(split=window.name)
            .join(pd.DataFrame({key: raw for key, (raw, _) in scores.items()}))
        )
        if window.name == "holdout" and truth is not None:
            true = _truth_labels(name, truth, test, horizon)
            known = ~np.isnan(true)
            for key, (raw, _) in scores.items():
                auc = classification_metrics(true[known], raw[known])["roc_auc"]
                rows.append((key, "holdout", "truth_roc_auc", auc))
    # after the loop: fitted/calibrated/scores/test are the holdout's
    holdout = test.reset_index(drop=True)
    holdout_scores = pd.DataFrame({key: prob for key, (_, prob) in scores.items()})
    booster = fitted[MODEL]
    importance = pd.Series(booster.feature_importances_, index=features, name="gain")
    sample = holdout.sample(n=min(MAX_CONTRIBUTION_ROWS, len(holdout)), random_state=0)
    contributions = booster.contributions(sample.sort_index()[features])
    verdict = _verdict(pd.concat(pooled, ignore_index=True), list(fitted))
    rows += verdict.pop("metric_rows")
    if progress is not None:
        progress(f"{name}: refitting on every snapshot")
    refit_params = booster.get_params(deep=False) | {
        "n_estimators": int(booster.n_estimators_),
        "early_stopping_fraction": 0.0,
    }
    refit = LightGBMRisk(**refit_params).fit(
        frame[features], frame["label"].to_numpy(dtype=int), sample_order=frame["as_of"]
    )
    # the calibration map: the holdout model's log-odds on the holdout; with a single class
    # there, every split's out-of-time LightGBM scores (logits of their raw probabilities)
    map_scores = booster.decision_function(holdout[features])
    map_labels = holdout["label"].to_numpy(dtype=int)
    if len(np.unique(map_labels)) < 2:
        everything = pd.concat(pooled, ignore_index=True)
        p = everything[MODEL].clip(1e-12, 1 - 1e-12).to_numpy(dtype=float)
        map_scores, map_labels = np.log(p / (1 - p)), everything["label"].to_numpy(dtype=int)
    # sigmoid: a smooth map carries over to the refitted model's scores, and it keeps their
    # ranking (isotonic steps would tie customers the model tells apart)
    model = RecalibratedModel(refit, map_scores, map_labels, method="sigmoid")

    value_model = None
    if name == "customer-recycling" and "value" in frame:
        won = frame[frame["label"] & (frame["value"] > 0)]
        if len(won) >= MIN_TRAIN_POSITIVES:
            value_model = LightGBMValue().fit(won[features], won["value"].to_numpy())

    card = ModelCard(
        model=name,
        labels=labels,
        cutoff=cutoff if cutoff is not None else frame["as_of"].max() + pd.Timedelta(days=horizon),
        tables=dict(tables or {}),
        pool_rules=dict(pool_rules) if pool_rules else None,
        entity_id=entity,
        features=features,
        categorical_features=CATEGORICAL_FEATURES[name],
        grid=[pd.Timestamp(d).date() for d in sorted(frame["as_of"].unique())],
        data_start=frame["as_of"].min().date(),
        data_end=frame["as_of"].max().date(),
        rows=len(frame),
        positives=int(frame["label"].sum()),
        positive_rate=float(frame["label"].mean()),
        holdout_start=holdout["as_of"].min().date(),
        holdout_rows=len(holdout),
        holdout_positives=int(holdout["label"].sum()),
        splits=split_facts,
        skipped_folds=skipped,
        grid_frequency=grid,
        n_splits=splitter.n_splits,
        block=(
            f"{splitter.block_days} days"
            if splitter.block_days is not None
            else f"{splitter.holdout_months} months"
        ),
        gap_days=horizon,
        verdict=Verdict(**verdict),
        beats_baselines=verdict["beats_baselines"],
        registered_model=(
            f"refit on all {len(frame):,} snapshots ({frame['as_of'].min():%Y-%m-%d} to "
            f"{frame['as_of'].max():%Y-%m-%d}) with the chosen capacity ({candidate}) and the "
            f"holdout model's {int(booster.n_estimators_)} trees, "
            "calibrated with the holdout model's map"
        ),
        calibration_fraction=calibration_fraction,
        calibration_method=split_facts["holdout"]["calibration_method"],
        lightgbm_params={
            k: (type(v).__name__ if k == "base" else v) for k, v in hyper.items() if v is not None
        },
        n_estimators_fitted=int(booster.n_estimators_),
        capacity=candidate,
        capacity_fold_roc_auc=candidate_scores,
        scale_pos_weight_fitted=float(booster.scale_pos_weight_),
        value_model="LightGBMValue on log1p(value) of positives" if value_model else None,
        training_seconds=round(time.perf_counter() - started, 2),
        # what the registered model learned on, for the drift check at scoring time
        reference=reference_distribution(
            holdout[features], labels=frame["label"], rates_on=frame[features]
        ),
    )
    return TrainingResult(
        name=name,
        model=model,
        feature_names=features,
        value_model=value_model,
        card=card,
        metrics=pd.DataFrame(rows, columns=["model", "split", "metric", "value"]),
        holdout=holdout,
        holdout_scores=holdout_scores,
        feature_importance=importance,
        contributions=contributions,
    )


def _verdict(pooled: pd.DataFrame, models: list[str]) -> dict[str, Any]:
    """Return LightGBM against each baseline on the pooled out-of-time rows (see module)."""
    y = pooled["label"].to_numpy()
    base = [m for m in models if m != MODEL]
    pooled_auc = {m: classification_metrics(y, pooled[m].to_numpy())["roc_auc"] for m in models}
    diffs = paired_differences(
        y, {m: pooled[m].to_numpy() for m in models}, MODEL, groups=pooled["entity"].to_numpy()
    )
    # a baseline that cannot rank (one score for every row: its feature is missing, e.g. days
    # since the last touch on an extract without activities) is no yardstick
    ranking = [m for m in base if (pooled[m] != pooled[m].iloc[0]).any()] or base
    best = max(ranking, key=lambda m: pooled_auc[m])
    # diffs hold baseline - lightgbm: turn them round to lightgbm - baseline
    against = {
        m: {k: {"estimate": -v.estimate, "low": -v.high, "high": -v.low} for k, v in d.items()}
        for m, d in diffs.items()
    }
    beats = bool(against[best]["roc_auc"]["low"] > 0)
    metric_rows = [(MODEL, "pooled", "roc_auc", pooled_auc[MODEL])]
    for m in base:
        metric_rows.append((m, "pooled", "roc_auc", pooled_auc[m]))
        for k, v in against[m].items():
            for part in ("estimate", "low", "high"):
                metric_rows.append((MODEL, "pooled", f"{k}_diff_vs_{m}_{part}", v[part]))
    return {
        "rows": len(pooled),
        "positives": int(y.sum()),
        "entities": int(pooled["entity"].nunique()),
        "splits": sorted(pooled["split"].unique()),
        "best_baseline": best,
        "against": against,
        "beats_baselines": beats,
        "metric_rows": metric_rows,
    }
