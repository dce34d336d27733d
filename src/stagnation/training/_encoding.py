"""Turn a frame with categorical columns into the numeric matrix the LightGBM models read."""

from __future__ import annotations

import numpy as np
import pandas as pd


def is_categorical(column: pd.Series) -> bool:
    """Return whether a column is read as categorical: category, string, object or bool."""
    return bool(
        isinstance(column.dtype, pd.CategoricalDtype)
        or pd.api.types.is_string_dtype(column.dtype)
        or pd.api.types.is_object_dtype(column.dtype)
        or pd.api.types.is_bool_dtype(column.dtype)
    )


def learn_categories(X: object) -> dict[str, list[object]]:
    """Return, per categorical column of a frame, its categories in a stable order.

    Category columns keep their declared categories; string, object and bool columns their
    sorted distinct values. A non-frame input has no categorical columns.
    """
    if not isinstance(X, pd.DataFrame):
        return {}
    out: dict[str, list[object]] = {}
    for name in X.columns:
        column = X[name]
        if not is_categorical(column):
            continue
        if isinstance(column.dtype, pd.CategoricalDtype):
            out[str(name)] = list(column.cat.categories)
        else:
            out[str(name)] = sorted(column.dropna().unique().tolist(), key=str)
    return out


def encode(X: object, categories: dict[str, list[object]]) -> object:
    """Return ``X`` with each categorical column replaced by its integer code as float.

    Values not among the learned ``categories`` (or missing) become NaN, which LightGBM reads
    as missing. Non-frame input is returned unchanged when nothing was categorical.

    Raises
    ------
    ValueError
        When the model learned categorical columns but ``X`` is not a DataFrame, or lacks one of
        them.
    """
    if not categories:
        return X
    if not isinstance(X, pd.DataFrame):
        raise ValueError(
            f"the model was fitted on a DataFrame with categorical columns {sorted(categories)}; "
            "pass a DataFrame with the same columns"
        )
    missing = sorted(set(categories) - set(map(str, X.columns)))
    if missing:
        raise ValueError(f"X lacks the categorical columns {missing} the model was fitted on")
    out = X.copy()
    for name, cats in categories.items():
        values = X[name].astype(object).where(X[name].notna(), None)
        codes = pd.Index(cats, dtype=object).get_indexer(pd.Index(values, dtype=object))
        out[name] = np.where(codes >= 0, codes, np.nan).astype(float)
    return out
