"""Choose LightGBM's capacity, and whether it boosts from a logistic base, out of time.

Small real extracts and large simulated ones want different models: on a real retail log the
signal is mostly recency, frequency and value, and a flexible model on thousands of repeated
snapshot rows of the same customers loses to a logistic regression; on the simulator, the
trees find much more. So the choice is the temporal validation's, not a default's.

:data:`CANDIDATES` crosses three capacities (shallow trees on large leaves without class
weights, a middle ground, the simulator-tuned default) with boosting from the target's logistic
regression (:func:`logistic_base`) or not, plus the regression alone (``none+logistic``: one
stump with a vanishing step on top of it, for data where every tree overfits). Boosting uses
LightGBMRisk's ``base``: the trees learn what the regression misses, and the regression
extrapolates where trees cannot, e.g. to recencies longer than any in training. Each candidate
is fitted with one bag on the training rows of every rolling fold and scored on that fold's
validation rows, and the pooled fold rows judge: the best pooled ROC AUC wins, except that
trees have to earn their place: when the regression alone comes within :data:`TOLERANCE` of the
best, it is taken. On CDNOW at 12 months the default trees led the regression by 0.0008 on the
folds and lost to it by 0.015 at the cutoff; on the bundled sample the trees lead it by 0.12.
Between tree candidates the best one wins, as a fold difference of a few thousandths between
capacities is noise either way. (A paired bootstrap interval instead of a fixed tolerance
proved too wide to use: with the sample's 60-odd positive fold rows the interval of that 0.12
lead reached from -0.26 to +0.03.) The holdout never takes part in the choice. Without a
usable fold (a short history), the choice falls back to :data:`FALLBACK`: the regression alone,
since nothing shows that trees would help.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from stagnation.training._baselines import (
    CLASSIC_REP_LOG,
    CLASSIC_REP_PLAIN,
    CUSTOMER_PATTERN_C,
    CUSTOMER_PATTERN_LOG,
    CUSTOMER_PATTERN_PLAIN,
    classic_logistic,
)
from stagnation.training._estimators import LightGBMRisk
from stagnation.training._metrics import classification_metrics
from stagnation.training._result import ModelName

__all__ = [
    "CANDIDATES",
    "FALLBACK",
    "TOLERANCE",
    "choose_candidate",
    "logistic_base",
]

#: LightGBM capacities tried. A leaf's minimum size is a share of the training rows (one in 500
#: for shallow trees, one in 1,000 for the middle ground), at least LightGBM's default of 20.
CAPACITIES: dict[str, dict[str, Any]] = {
    # one stump with a vanishing step: with the logistic base, the regression alone
    "none": {"n_estimators": 1, "learning_rate": 1e-9, "num_leaves": 2, "scale_pos_weight": None},
    "shallow": {"num_leaves": 4, "min_child_samples": 1 / 500, "scale_pos_weight": None},
    "medium": {"num_leaves": 8, "min_child_samples": 1 / 1000, "scale_pos_weight": "sqrt"},
    "default": {},
}
#: Candidate names: a capacity, and ``+logistic`` when boosting from the logistic base.
CANDIDATES = [f"{c}{b}" for b in ("", "+logistic") for c in CAPACITIES if (c, b) != ("none", "")]
#: How far below the best pooled fold ROC AUC the regression alone may be and still be taken:
#: the loss the real-data benchmark tolerates against an anchor.
TOLERANCE = 0.005
#: The candidate used when no fold can judge: without evidence that trees help, the regression.
FALLBACK = "none+logistic"
#: Fewest positives a fold's training rows need to take part in the choice.
MIN_FOLD_POSITIVES = 10


def logistic_base(name: ModelName) -> Any:
    """Return the unfitted logistic regression a candidate boosts from, per target.

    For customers it is richer than the ``rfm_logistic`` baseline: the orders' time pattern and
    P(alive) on top of RFM, with a strong ridge penalty (:data:`CUSTOMER_PATTERN_C`).
    """
    if name == "customer-recycling":
        return classic_logistic(CUSTOMER_PATTERN_LOG, CUSTOMER_PATTERN_PLAIN, C=CUSTOMER_PATTERN_C)
    return classic_logistic(CLASSIC_REP_LOG, CLASSIC_REP_PLAIN)


def candidate_params(name: ModelName, candidate: str, n_rows: int) -> dict[str, Any]:
    """Return the LightGBMRisk hyperparameters of a candidate for ``n_rows`` training rows."""
    capacity, _, base = candidate.partition("+")
    params = dict(CAPACITIES[capacity])
    if "min_child_samples" in params:
        params["min_child_samples"] = max(20, round(params["min_child_samples"] * n_rows))
    return params | {"base": logistic_base(name) if base else None}


def choose_candidate(
    frame: pd.DataFrame,
    folds: list[tuple[np.ndarray, np.ndarray]],
    features: list[str],
    name: ModelName,
    params: dict[str, Any],
) -> tuple[str, dict[str, float]]:
    """Return the winning candidate and every candidate's pooled fold ROC AUC.

    Parameters
    ----------
    frame
        The snapshots (``as_of``, the features, ``label``), in time order.
    folds
        ``(train, validation)`` positional indices of each rolling fold (not the holdout).
    features
        The model's input columns.
    name
        The target (for the logistic base).
    params
        LightGBMRisk hyperparameters every candidate starts from.
    """
    y = frame["label"].to_numpy(dtype=int)
    usable = [
        (train, test)
        for train, test in folds
        if y[train].sum() >= MIN_FOLD_POSITIVES and len(np.unique(y[test])) == 2
    ]
    if not usable:
        return FALLBACK, {}
    labels = np.concatenate([y[test] for _, test in usable])
    pooled: dict[str, np.ndarray] = {}
    for candidate in CANDIDATES:
        chosen = params | candidate_params(name, candidate, len(frame)) | {"n_bags": 1}
        parts = []
        for train, test in usable:
            part = frame.iloc[train]
            model = LightGBMRisk(**chosen).fit(part[features], y[train], sample_order=part["as_of"])
            parts.append(model.decision_function(frame.iloc[test][features]))
        pooled[candidate] = np.concatenate(parts)
    scores = {k: classification_metrics(labels, v)["roc_auc"] for k, v in pooled.items()}
    best = max(scores, key=lambda k: scores[k])
    if scores[FALLBACK] >= scores[best] - TOLERANCE:
        return FALLBACK, scores
    return best, scores
