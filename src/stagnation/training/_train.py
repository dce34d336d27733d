"""Train one model with temporal validation, calibrate it, and measure it against baselines.

The procedure of :func:`train`, for the snapshots of one target sorted by ``as_of``:

1. :class:`TemporalSplit` with a gap equal to the label horizon: rolling-origin folds, then the
   holdout (the latest block of ``as_of`` dates). :func:`~stagnation.training.plan_splits`
   fits the plan to the history: three-month blocks on a monthly grid, blocks of whole weeks on
   a weekly one, and as many folds as fit (at most three; ``n_splits`` asks for a number).
2. Every split (each fold, then the holdout) runs the *same* recipe on its training rows (all rows
   with ``as_of`` more than one horizon before the split's first validation date): the latest dates
   (at least ``calibration_fraction`` of them, extended back until they hold
   ``min_calibration_positives`` positives) form the **calibration slice**; the earlier rows, the
   **fit slice**, train LightGBM and every baseline. LightGBM's **capacity** is chosen there too:
   each of :data:`CAPACITIES` is fitted on the fit slice's earlier dates and measured (ROC AUC) on
   its latest ones, and the best is refitted on the whole fit slice with early stopping on those
   latest dates. Each model is then calibrated on the calibration slice, which comes after its
   training data in time. The calibration slice directly follows the fit slice, without a gap. An
   early fold whose fit slice has fewer than :data:`MIN_TRAIN_POSITIVES` positives is skipped (the
   history is too short yet) and listed in ``settings["skipped_folds"]``; the others keep their
   names (``fold_2``, ...). Training is refused when no fold, or the holdout, can be trained.
   The customer model boosts from a logistic regression on recency, frequency and value (the
   ``rfm_logistic`` baseline's recipe, LightGBMRisk's ``base``): its trees learn what the
   regression misses, and it keeps the regression's extrapolation to recencies longer than any
   in training (a cohort's customers age past the training range).
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
   cutoff), with the holdout model's capacity and number of trees, and calibrated with the map
   (sigmoid or isotonic) fitted on the holdout model's out-of-time scores. The metrics reported are
   those of the evaluated models (fitted before each split's gap); the refitted one has seen every
   labelled date, the latest months included.

For customers, the value model (:class:`LightGBMValue`, ``log1p(value)`` of the positive rows
of the holdout's training data; predictions are ``expm1``) gives the expected order value of a
customer that does reactivate.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from stagnation.crm import customer_state_truth, slide_truth
from stagnation.features import CUSTOMER_FEATURES, REP_FEATURES
from stagnation.training._baselines import RFM_FEATURES, baselines, classic_logistic
from stagnation.training._compare import paired_differences
from stagnation.training._drift import reference_distribution
from stagnation.training._estimators import (
    LightGBMRisk,
    LightGBMValue,
    RecalibratedModel,
    calibrate,
)
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
#: LightGBM capacities tried on every split's fit slice; the best out of time is kept. From
#: shallow trees on large leaves without class weights (small, noisy real data: the effective
#: sample is the entities, not their repeated snapshot rows) to the simulator-tuned default.
CAPACITIES: dict[str, dict[str, Any]] = {
    "shallow": {"num_leaves": 4, "min_child_samples": 200, "scale_pos_weight": None},
    "medium": {"num_leaves": 8, "min_child_samples": 100, "scale_pos_weight": "sqrt"},
    "default": {},
}


class TooFewPositives(ValueError):
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
    given: dict[str, Any],
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
        raise ValueError(
            f"{name}, {split}: the calibration slice (as_of from "
            f"{cal_rows['as_of'].min():%Y-%m-%d}) has a single class; use a longer extract"
        )
    X_fit, X_cal = fit_rows[features], cal_rows[features]
    capacity = _choose_capacity(fit_rows, features, params, given)
    chosen = params | CAPACITIES[capacity] if capacity else params
    fitted: dict[str, Any] = {
        MODEL: LightGBMRisk(**chosen).fit(X_fit, y_fit, sample_order=fit_rows["as_of"])
    }
    for base_name, baseline in baselines(name).items():
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
        "capacity": capacity or "given",
        "n_estimators": int(fitted[MODEL].n_estimators_),
    }
    return fitted, calibrated, facts


def _choose_capacity(
    part: pd.DataFrame, features: list[str], params: dict[str, Any], given: dict[str, Any]
) -> str:
    """Return the :data:`CAPACITIES` key whose single booster ranks the latest dates best.

    Each capacity is fitted (one bag, early stopping on the same tail) on the earlier dates of
    ``part`` and scored on its latest dates (the early-stopping share); ``""`` when the caller
    fixed the capacity (``given``, the caller's hyperparameters, names one of its keys) or the
    tail lacks a class.
    """
    fixed = {key for capacity in CAPACITIES.values() for key in capacity}
    if fixed & set(given):
        return ""
    order = part["as_of"].to_numpy()
    base = LightGBMRisk(**params)
    tail = order >= np.quantile(order.astype("int64"), 1 - base.early_stopping_fraction).astype(
        order.dtype
    )
    y = part["label"].to_numpy(dtype=int)
    if len(np.unique(y[tail])) < 2 or len(np.unique(y[~tail])) < 2:
        return ""
    head_rows = part[~tail]
    scores = {}
    for key, capacity in CAPACITIES.items():
        model = LightGBMRisk(**(params | capacity | {"n_bags": 1}))
        model.fit(head_rows[features], y[~tail], sample_order=head_rows["as_of"])
        raw = model.predict_proba(part.loc[tail, features])[:, 1]
        scores[key] = classification_metrics(y[tail], raw)["roc_auc"]
    return max(scores, key=lambda k: scores[k])


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
    settings: dict[str, Any],
    truth: dict[str, pd.DataFrame] | None = None,
    progress: Callable[[str], None] | None = None,
    n_splits: int | None = None,
    grid: Grid | None = None,
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
    settings
        The label settings (must hold ``horizon_days``; e.g. ``snapshots.attrs["settings"]``),
        plus anything else to store with the model (e.g. ``cutoff``); returned enriched.
    truth
        The simulator's truth tables, for ``truth_roc_auc`` on the holdout.
    progress
        Called with a short message as each split starts.
    n_splits
        Folds before the holdout (default: as many as fit, at most three).
    grid
        ``weekly`` or ``monthly``: the spacing of the snapshots' ``as_of`` dates (default:
        weekly when they are at most eight days apart).
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
        raise ValueError(f"unknown model {name!r}: 'rep-passivity' or 'customer-recycling'")
    if "horizon_days" not in settings:
        raise ValueError("settings must hold the label's horizon_days (the temporal gap)")
    entity = ENTITY_ID[name]
    missing = [c for c in (entity, "as_of", "label") if c not in snapshots.columns]
    if missing:
        raise ValueError(f"the {name} snapshots lack the columns {missing}")
    features = feature_columns(snapshots, name)
    horizon = int(settings["horizon_days"])
    keep = [entity, "as_of", *features, "label"] + (["value"] if "value" in snapshots else [])
    frame = id_free_order(snapshots[keep], entity=entity).reset_index(drop=True)
    frame["label"] = frame["label"].astype(bool)
    dates = pd.DatetimeIndex(frame["as_of"].unique())
    if grid is None:
        spacing = np.diff(dates.sort_values().asi8).min() if len(dates) > 1 else 0
        grid = "weekly" if spacing <= 8 * 86_400 * 10**9 else "monthly"
    splitter = plan_splits(dates, gap_days=horizon, grid=grid, folds=n_splits)
    windows = splitter.windows(frame)
    splits = [*splitter.split(frame), splitter.holdout_split(frame)]
    given = dict(params or {})
    if name == "customer-recycling" and "base" not in given:
        given["base"] = classic_logistic(RFM_FEATURES, [])  # boost from the RFM regression
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
                params or {},
            )
        except TooFewPositives as error:
            if window.name == "holdout" or (not split_facts and window is windows[-2]):
                raise
            skipped[window.name] = str(error)  # an early fold: too little history yet
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
    model = RecalibratedModel(
        refit,
        booster.decision_function(holdout[features]),
        holdout["label"].to_numpy(dtype=int),
        method=calibrated[MODEL].method,
    )

    value_model = None
    if name == "customer-recycling" and "value" in frame:
        won = frame[frame["label"] & (frame["value"] > 0)]
        if len(won) >= MIN_TRAIN_POSITIVES:
            value_model = LightGBMValue().fit(won[features], won["value"].to_numpy())

    out_settings = dict(settings) | {
        "model": name,
        "entity_id": entity,
        "features": features,
        "categorical_features": CATEGORICAL_FEATURES[name],
        "grid": [f"{d:%Y-%m-%d}" for d in sorted(frame["as_of"].unique())],
        "data_start": f"{frame['as_of'].min():%Y-%m-%d}",
        "data_end": f"{frame['as_of'].max():%Y-%m-%d}",
        "rows": len(frame),
        "positives": int(frame["label"].sum()),
        "positive_rate": float(frame["label"].mean()),
        "holdout_start": f"{holdout['as_of'].min():%Y-%m-%d}",
        "holdout_rows": len(holdout),
        "holdout_positives": int(holdout["label"].sum()),
        "splits": split_facts,
        "skipped_folds": skipped,
        "grid_frequency": grid,
        "n_splits": splitter.n_splits,
        "block": (
            f"{splitter.block_days} days"
            if splitter.block_days is not None
            else f"{splitter.holdout_months} months"
        ),
        "gap_days": horizon,
        "verdict": verdict,
        "beats_baselines": verdict["beats_baselines"],
        "registered_model": (
            f"refit on all {len(frame):,} snapshots ({frame['as_of'].min():%Y-%m-%d} to "
            f"{frame['as_of'].max():%Y-%m-%d}) with the holdout model's capacity "
            f"({split_facts['holdout']['capacity']}) and {int(booster.n_estimators_)} trees, "
            "calibrated with the holdout model's map"
        ),
        "calibration_fraction": calibration_fraction,
        "calibration_method": split_facts["holdout"]["calibration_method"],
        "lightgbm_params": {
            k: (type(v).__name__ if k == "base" else v) for k, v in hyper.items() if v is not None
        },
        "base_model": "logistic regression on recency, frequency and value (RFM), boosted from"
        if hyper.get("base") is not None
        else None,
        "n_estimators_fitted": int(booster.n_estimators_),
        "capacity": split_facts["holdout"]["capacity"],
        "scale_pos_weight_fitted": float(booster.scale_pos_weight_),
        "value_model": "LightGBMValue on log1p(value) of positives" if value_model else None,
        "training_seconds": round(time.perf_counter() - started, 2),
        # what the registered model learned on, for the drift check at scoring time
        "reference": reference_distribution(
            holdout[features], labels=frame["label"], rates_on=frame[features]
        ),
    }
    out_settings.setdefault(
        "cutoff", f"{frame['as_of'].max() + pd.Timedelta(days=horizon):%Y-%m-%d}"
    )
    return TrainingResult(
        name=name,
        model=model,
        feature_names=features,
        value_model=value_model,
        settings=out_settings,
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
    best = max(base, key=lambda m: pooled_auc[m])
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
