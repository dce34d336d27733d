"""Population stability: how far the rows being scored are from the rows a model learned on.

Training stores, per feature, the bins and shares of the latest rows it saw
(:func:`reference_distribution`, kept with the model): the population at the training cutoff
(:func:`with_drift_reference`), so that scoring the same extract right after training compares
like with like. Scoring compares today's rows with them (:func:`population_stability`). The
population stability index of a feature is ``sum((actual - expected) * ln(actual / expected))``
over its bins; by the usual convention below 0.1 is stable, 0.1 to 0.25 a moderate shift and
0.25 or more a major one.

Ages grow with time by construction (a customer scored a year later is a year older): the
features of :data:`GROWS_WITH_TIME` are judged relative to the reference's moment, their values
taken back by the time elapsed since it before they are binned.

The reference also keeps, per bin (and per category), the share of positives among all the
training rows: the base rates that let reasons compare a row with the average entity.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd

#: PSI at or above which a feature counts as drifted far from training.
MAJOR_SHIFT = 0.25
MODERATE_SHIFT = 0.1
#: Rows per bin below which a PSI is noise (empty bins alone exceed MAJOR_SHIFT): not judged.
MIN_ROWS_PER_BIN = 10
_EPS = 1e-4  # share given to an empty bin, so the logarithm stays finite
#: Features that grow by a fixed amount per day by construction (ages), and that amount.
GROWS_WITH_TIME: dict[str, float] = {
    "customer_age_days": 1.0,
    "days_since_first_order": 1.0,
    "owner_tenure_days": 1.0,
    "tenure_years": 1.0 / 365.25,
}
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


def reference_distribution(
    X: pd.DataFrame,
    n_bins: int = 10,
    *,
    labels: pd.Series | np.ndarray | None = None,
    rates_on: pd.DataFrame | None = None,
) -> dict[str, dict[str, Any]]:
    """Return, per column of the reference rows ``X``, its bins and shares (JSON-ready).

    Numeric columns are cut at their deciles (fewer bins when values repeat) plus a missing bin;
    categorical columns keep the share of each category, missing included. With ``labels``
    (one per row of ``rates_on``, default ``X``), each entry also holds ``rates``: the share of
    positives in each bin or category among those rows, and ``base_rate`` over all of them.

    Examples
    --------
    >>> X = pd.DataFrame({"days": [1.0, 2.0, 3.0, 4.0]})
    >>> ref = reference_distribution(X, n_bins=2, labels=np.array([0, 0, 1, 1]))
    >>> ref["days"]["edges"], ref["days"]["rates"], ref["days"]["base_rate"]
    ([2.5], [0.0, 1.0, None], 0.5)
    """
    rated = X if rates_on is None else rates_on
    y = None if labels is None else np.asarray(labels, dtype=float)
    reference: dict[str, dict[str, Any]] = {}
    for name in X.columns:
        column = X[name]
        if _is_categorical(column):
            names = sorted(column.astype("string").fillna(_MISSING).unique().tolist())
            shares = _category_shares(column, names)
            entry: dict[str, Any] = {"kind": "category", "labels": names}
            entry["shares"] = shares.tolist()
            if y is not None:
                text = rated[name].astype("string").fillna(_MISSING).to_numpy(dtype=object)
                codes = pd.Index(names).get_indexer(text)
                entry["rates"] = _rates(np.where(codes < 0, len(names), codes), y, len(names) + 1)
        else:
            values = column.to_numpy(dtype=float)
            finite = values[np.isfinite(values)]
            quantiles = np.linspace(0, 1, n_bins + 1)[1:-1]
            edges = np.unique(np.quantile(finite, quantiles)) if len(finite) else np.array([])
            shares = _numeric_shares(values, edges)
            entry = {"kind": "numeric", "edges": edges.tolist(), "shares": shares.tolist()}
            if y is not None:
                bins = bin_codes(entry, rated[name])
                entry["rates"] = _rates(bins, y, len(edges) + 2)
        if y is not None:
            entry["base_rate"] = float(np.mean(y)) if len(y) else 0.0
        reference[name] = entry
    return reference


def _rates(codes: np.ndarray, y: np.ndarray, n: int) -> list[float | None]:
    """Return the mean of ``y`` per code 0..n-1 (``None`` where a code has no rows)."""
    counts = np.bincount(codes, minlength=n)
    positives = np.bincount(codes, weights=y, minlength=n)
    return [float(p / c) if c else None for p, c in zip(positives, counts, strict=True)]


def bin_codes(entry: dict[str, Any], values: pd.Series) -> np.ndarray:
    """Return, per value, the index of its bin (or category) in a reference entry.

    Numeric: the bin cut at ``edges``, the last index for a missing value; category: the
    label's position, the last index for an unseen value.
    """
    if entry["kind"] == "category":
        labels = list(entry["labels"])
        text = values.astype("string").fillna(_MISSING).to_numpy(dtype=object)
        codes = pd.Index(labels).get_indexer(text)
        return np.where(codes < 0, len(labels), codes)
    edges = np.asarray(entry["edges"], dtype=float)
    x = pd.to_numeric(values, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    return np.where(np.isfinite(x), np.searchsorted(edges, x, side="right"), len(edges) + 1)


def with_drift_reference(
    result: Any, current: pd.DataFrame, as_of: pd.Timestamp, training_rows: pd.DataFrame
) -> Any:
    """Return ``result`` with its drift reference taken from the rows at the training cutoff.

    ``current`` are the features of the population at ``as_of`` (the cutoff: what scoring the
    same extract that day sees); ``training_rows`` (features and ``label``) give each bin's base
    rate. Falls back to the reference already in the card when ``current`` has no rows.
    """
    if current.empty:
        return result
    features = list(result.feature_names)
    reference = reference_distribution(
        current[features], labels=training_rows["label"], rates_on=training_rows[features]
    )
    card = result.card.model_copy(
        update={"reference": reference, "reference_as_of": pd.Timestamp(as_of).to_pydatetime()}
    )
    return replace(result, card=card)


def population_stability(
    reference: dict[str, dict[str, Any]],
    X: pd.DataFrame,
    *,
    elapsed_days: float = 0.0,
) -> pd.DataFrame:
    """Return the PSI of every referenced column of ``X`` against its training distribution.

    ``elapsed_days`` is the time from the reference's moment to today's rows: the features of
    :data:`GROWS_WITH_TIME` are taken back by it before they are compared.

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
    >>> older = pd.DataFrame({"customer_age_days": np.arange(1000.0)})
    >>> later = population_stability(
    ...     reference_distribution(older), older + 600, elapsed_days=600
    ... )
    >>> later["shift"].item()  # everyone is 600 days older, and that is all
    'stable'
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
            values = pd.to_numeric(X[name], errors="coerce").to_numpy(float)
            values = values - GROWS_WITH_TIME.get(name, 0.0) * elapsed_days
            actual = _numeric_shares(values, edges)
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
