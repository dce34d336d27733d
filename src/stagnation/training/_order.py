"""Row order of training snapshots that does not depend on how the ids are spelled.

LightGBM's bagging draws rows by position, so the order of the training rows is part of what a
model learns. Sorting snapshots by ``(as_of, entity id)`` made the model depend on the ids'
spelling: the same company with its customers renamed (Chinese names instead of numbered codes)
trained a different model (rep holdout AUC 0.779 against 0.746). Ordering by ``as_of`` and then
by a hash of the row's own values gives every relabelling of the ids the same rows in the same
order; rows that tie are identical in everything the model sees, so their order does not matter.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def id_free_order(frame: pd.DataFrame, *, entity: str) -> pd.DataFrame:
    """Return ``frame`` sorted by ``as_of``, then by a hash of every column but ``entity``.

    Parameters
    ----------
    frame
        Snapshots: ``entity`` (the id column), ``as_of``, features, label columns.
    entity
        The id column, left out of the sort key.

    Returns
    -------
    pandas.DataFrame
        The same rows (index kept), in an order that renaming the ids does not change.

    Examples
    --------
    >>> snaps = pd.DataFrame({"rep_id": ["b", "a"], "as_of": ["2024-01-01"] * 2, "x": [1.0, 2.0]})
    >>> renamed = snaps.assign(rep_id=["a", "b"])
    >>> id_free_order(snaps, entity="rep_id")["x"].tolist() == (
    ...     id_free_order(renamed, entity="rep_id")["x"].tolist())
    True
    """
    content = frame.drop(columns=[entity, "as_of"])
    row_hash = pd.util.hash_pandas_object(content, index=False).to_numpy()
    order = np.lexsort((row_hash, frame["as_of"].to_numpy()))
    return frame.iloc[order]
