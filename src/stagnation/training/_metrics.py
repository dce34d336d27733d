"""Classification metrics reported for the model and every baseline, side by side."""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike
from sklearn.metrics import average_precision_score, brier_score_loss, log_loss, roc_auc_score

#: The top fractions (in percent) at which precision and lift are reported.
TOP_PERCENTS: tuple[int, ...] = (5, 10, 20)
#: Number of equal-width probability bins of the expected calibration error.
ECE_BINS = 10
_EPS = 1e-15


def precision_at(y: ArrayLike, score: ArrayLike, percent: float) -> float:
    """Return the precision among the top ``percent`` % of rows by score.

    The top holds ``ceil(percent / 100 * n)`` rows (at least one). Ties at the cut are shared
    fairly: when the cut falls inside a group of equal scores, that group contributes its mean
    label times the number of its rows that fit, so the answer does not depend on row order.

    Examples
    --------
    >>> precision_at([1, 0, 0, 0], [0.9, 0.8, 0.1, 0.0], 25)
    1.0
    >>> precision_at([1, 0, 0, 0], [0.5, 0.5, 0.1, 0.0], 25)  # two rows tie for one place
    0.5
    """
    y_arr = np.asarray(y, dtype=float)
    s = np.asarray(score, dtype=float)
    n = len(y_arr)
    if n == 0:
        return math.nan
    k = max(1, math.ceil(percent / 100 * n - 1e-9))
    cut = np.sort(s)[::-1][k - 1]
    above = s > cut
    tied = s == cut
    hits = y_arr[above].sum() + (k - above.sum()) * y_arr[tied].mean()
    return float(hits / k)


def expected_calibration_error(y: ArrayLike, proba: ArrayLike, bins: int = ECE_BINS) -> float:
    """Return the expected calibration error over ``bins`` equal-width bins of ``[0, 1]``.

    ECE = sum over bins of (rows in bin / rows) x |mean label - mean probability| in the bin.
    The last bin includes 1.0.

    Examples
    --------
    >>> expected_calibration_error([0, 1], [0.0, 1.0])
    0.0
    >>> round(expected_calibration_error([0, 0, 1, 1], [0.25, 0.25, 0.25, 0.25]), 3)
    0.25
    """
    y_arr = np.asarray(y, dtype=float)
    p = np.clip(np.asarray(proba, dtype=float), 0.0, 1.0)
    if len(y_arr) == 0:
        return math.nan
    which = np.minimum((p * bins).astype(int), bins - 1)
    count = np.bincount(which, minlength=bins)
    gap = np.abs(
        np.bincount(which, weights=y_arr, minlength=bins)
        - np.bincount(which, weights=p, minlength=bins)
    )
    return float(gap.sum() / count.sum())


def classification_metrics(y: ArrayLike, score: ArrayLike) -> dict[str, float]:
    """Return every reported metric of scores ``score`` against binary labels ``y``.

    Parameters
    ----------
    y
        Binary labels (bool or 0/1).
    score
        Probabilities of the positive class. Ranking metrics only use their order; the Brier
        score, log loss (scores clipped to ``[1e-15, 1 - 1e-15]``) and ECE read them as
        probabilities.

    Returns
    -------
    dict
        ``roc_auc``, ``pr_auc`` (average precision), ``brier``, ``log_loss``,
        ``precision_at_{5,10,20}``, ``lift_at_{5,10,20}`` (precision in the top k % divided by
        the base rate), ``ece``, plus ``n`` (rows) and ``positives``. ROC AUC, PR AUC and lift
        are NaN when only one class is present.

    Examples
    --------
    >>> m = classification_metrics([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])
    >>> m["roc_auc"], m["precision_at_20"], m["lift_at_20"]
    (0.75, 1.0, 2.0)
    """
    y_arr = np.asarray(y).astype(float)
    s = np.asarray(score, dtype=float)
    if y_arr.shape != s.shape or y_arr.ndim != 1:
        raise ValueError(f"y and score must be 1-d and aligned, got {y_arr.shape} and {s.shape}")
    if np.isnan(s).any():
        raise ValueError("score holds NaN: every row must be scored")
    n = len(y_arr)
    positives = float(y_arr.sum())
    base = positives / n if n else math.nan
    two_classes = 0 < positives < n
    clipped = np.clip(s, _EPS, 1 - _EPS)
    out: dict[str, float] = {
        "roc_auc": float(roc_auc_score(y_arr, s)) if two_classes else math.nan,
        "pr_auc": float(average_precision_score(y_arr, s)) if two_classes else math.nan,
        "brier": float(brier_score_loss(y_arr, np.clip(s, 0, 1))) if n else math.nan,
        "log_loss": float(log_loss(y_arr, clipped, labels=[0.0, 1.0])) if n else math.nan,
    }
    for k in TOP_PERCENTS:
        precision = precision_at(y_arr, s, k)
        out[f"precision_at_{k}"] = precision
        out[f"lift_at_{k}"] = precision / base if two_classes else math.nan
    out["ece"] = expected_calibration_error(y_arr, s)
    out["n"] = float(n)
    out["positives"] = positives
    return out
