"""Population stability: how far the rows being scored are from the rows a model learned on.

Training stores, per feature, the bins and shares of its training rows
(:func:`reference_distribution`, kept in the model's settings); scoring compares today's rows
with them (:func:`population_stability`). The population stability index of a feature is
``sum((actual - expected) * ln(actual / expected))`` over its bins; by the usual convention below
0.1 is stable, 0.1 to 0.25 a moderate shift and 0.25 or more a major one.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

#: PSI at or above which a feature counts as drifted far from training.
MAJOR_SHIFT = 0.25
MODERATE_SHIFT = 0.1
#: Rows per bin below which a PSI is noise (empty bins alone exceed MAJOR_SHIFT): not judged.
MIN_ROWS_PER_BIN = 10
_EPS = 1e-4  # share given to an empty bin, so the logarithm stays finite
_MISSING = "<missing>"
_OTHER = "<unseen>"


def _is_categorical(values: pd.Series) -> bool:
    return isinstance(values.dtype, pd.CategoricalDtype) or not pd.api.types.is_numeric_dtype(
        values
    )


def _numeric_shares(values: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Return the shares of ``values`` in the bins cut at ``edges``, then a missing bin."""
    finite = np.isfinite(values)
    counts = np.bincount(
        np.searchsorted(edges, values[finite], side="right"), minlength=len(edges) + 1
    )
    shares = np.append(counts, (~finite).sum()).astype(float)
    return shares / max(len(values), 1)


def _category_shares(values: pd.Series, labels: list[str]) -> np.ndarray:
    """Return the shares of ``labels`` (with missing as its own label), then unseen values."""
    text = values.astype("string").fillna(_MISSING)
    counts = text.value_counts()
    known = np.array([counts.get(label, 0) for label in labels], dtype=float)
    shares = np.append(known, len(text) - known.sum())
    return shares / max(len(text), 1)


def reference_distribution(X: pd.DataFrame, n_bins: int = 10) -> dict[str, dict[str, Any]]:
    """Return, per column of the training rows ``X``, its bins and shares (JSON-ready).

    Numeric columns are cut at their deciles (fewer bins when values repeat) plus a missing bin;
    categorical columns keep the share of each category, missing included.
    """
    reference: dict[str, dict[str, Any]] = {}
    for name in X.columns:
        column = X[name]
        if _is_categorical(column):
            labels = sorted(column.astype("string").fillna(_MISSING).unique().tolist())
            shares = _category_shares(column, labels)
            reference[name] = {"kind": "category", "labels": labels, "shares": shares.tolist()}
        else:
            values = column.to_numpy(dtype=float)
            finite = values[np.isfinite(values)]
            quantiles = np.linspace(0, 1, n_bins + 1)[1:-1]
            edges = np.unique(np.quantile(finite, quantiles)) if len(finite) else np.array([])
            shares = _numeric_shares(values, edges)
            reference[name] = {
                "kind": "numeric",
                "edges": edges.tolist(),
                "shares": shares.tolist(),
            }
    return reference


def population_stability(reference: dict[str, dict[str, Any]], X: pd.DataFrame) -> pd.DataFrame:
    """Return the PSI of every referenced column of ``X`` against its training distribution.

    Returns columns ``feature``, ``psi``, ``rows`` and ``shift`` (``stable``, ``moderate``,
    ``major``, or ``too_few_rows`` when there are fewer than :data:`MIN_ROWS_PER_BIN` rows per
    bin, where the index measures sampling noise more than drift), largest PSI first (ties by
    name).

    Examples
    --------
    >>> train = pd.DataFrame({"days": np.arange(1000.0)})
    >>> psi = population_stability(reference_distribution(train), train + 600)
    >>> psi["shift"].item()
    'major'
    """
    rows = []
    for name, ref in reference.items():
        if name not in X.columns:
            continue
        expected = np.asarray(ref["shares"], dtype=float)
        if ref["kind"] == "category":
            actual = _category_shares(X[name], list(ref["labels"]))
        else:
            edges = np.asarray(ref["edges"], dtype=float)
            actual = _numeric_shares(pd.to_numeric(X[name], errors="coerce").to_numpy(float), edges)
        enough = len(X) >= MIN_ROWS_PER_BIN * len(expected)
        expected, actual = np.maximum(expected, _EPS), np.maximum(actual, _EPS)
        psi = float(np.sum((actual - expected) * np.log(actual / expected)))
        rows.append((name, psi, len(X), enough))
    table = pd.DataFrame(rows, columns=["feature", "psi", "rows", "enough"])
    table["shift"] = np.select(
        [
            ~table["enough"].astype(bool),
            table["psi"] >= MAJOR_SHIFT,
            table["psi"] >= MODERATE_SHIFT,
        ],
        ["too_few_rows", "major", "moderate"],
        "stable",
    )
    table = table.drop(columns="enough")
    return table.sort_values(["psi", "feature"], ascending=[False, True], ignore_index=True)
