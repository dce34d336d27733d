"""The action list's last step: one ranking over all rows, its columns and their types.

Rows are ranked by ``priority`` (ties by entity type and id, so the same input gives the same
output), numbered from 1, cut to ``top``, cast to the contract's column types (text as
``string``, ``as_of`` as ``datetime64[ns]``, numbers as ``float64``/``int64``), and each gets
its ``instruction``: what to do, to whom, with whom.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

#: The columns of the action list: the contract's (docs/contract.md, section 4), then our own.
ACTION_COLUMNS = [
    "rank",
    "action",
    "entity_type",
    "entity_id",
    "score",
    "expected_value",
    "priority",
    "current_owner",
    "counterpart_id",
    "reasons",
    "as_of",
    "model_name",
    "model_version",
    "instruction",
    "no_counterpart_reason",
]
_TEXT_COLUMNS = (
    "action",
    "entity_type",
    "entity_id",
    "current_owner",
    "counterpart_id",
    "reasons",
    "model_name",
    "model_version",
    "instruction",
    "no_counterpart_reason",
)


def rank_actions(actions: pd.DataFrame, at: pd.Timestamp, top: int | None) -> pd.DataFrame:
    """Return the rows ranked by priority, numbered, cut to ``top``, typed, with instructions."""
    actions = actions.sort_values(
        ["priority", "entity_type", "entity_id"], ascending=[False, True, True], kind="stable"
    ).reset_index(drop=True)
    actions.insert(0, "rank", np.arange(1, len(actions) + 1))
    actions["as_of"] = at
    out = actions.reindex(columns=ACTION_COLUMNS)
    for column in _TEXT_COLUMNS:
        out[column] = out[column].astype(pd.StringDtype())
    out["as_of"] = out["as_of"].astype("datetime64[ns]")
    for column in ("score", "expected_value", "priority"):
        out[column] = out[column].astype("float64")
    out["rank"] = out["rank"].astype("int64")
    out = out.head(top) if top is not None else out
    out["instruction"] = instructions(out)
    return out


def instructions(actions: pd.DataFrame) -> pd.Series:
    """Return each row's action as one sentence: what to do, to whom, with whom.

    Examples
    --------
    A rep below the at-risk line (priority 0, no coach) needs no intervention now.

    >>> rows = pd.DataFrame({"action": ["coach", "coach", "release_to_pool", "assign"],
    ...     "entity_id": ["R1", "R5", "C1", "C2"], "current_owner": [None, None, "R2", None],
    ...     "counterpart_id": ["R9", None, None, "R3"]}, dtype="string")
    >>> rows["priority"] = [5.0, 0.0, 3.0, 2.0]
    >>> instructions(rows).tolist()  # doctest: +NORMALIZE_WHITESPACE
    ['Pair R1 with coach R9', 'No coaching needed for R5 now',
     'Release C1 from R2 to the pool', 'Assign C2 from the pool to R3']
    """
    if actions.empty:
        return pd.Series([], index=actions.index, dtype=pd.StringDtype())
    entity = actions["entity_id"].astype(object).to_numpy()
    owner = actions["current_owner"].astype(object).fillna("").to_numpy()
    other = actions["counterpart_id"].astype(object).fillna("").to_numpy()
    has = other != ""
    action = actions["action"].astype(object).to_numpy()
    calm = actions["priority"].to_numpy(dtype=float) == 0 if "priority" in actions else False
    text = np.select(
        [
            (action == "coach") & has,
            (action == "coach") & calm,
            action == "coach",
            (action == "release_to_pool") & has,
            action == "release_to_pool",
            has,
        ],
        [
            "Pair " + entity + " with coach " + other,
            "No coaching needed for " + entity + " now",
            "Find a coach for " + entity,
            "Release " + entity + " from " + owner + " to the pool and hand it to " + other,
            "Release " + entity + " from " + owner + " to the pool",
            "Assign " + entity + " from the pool to " + other,
        ],
        "Assign " + entity + " from the pool to a hunting rep",
    )
    return pd.Series(text, index=actions.index, dtype=pd.StringDtype())
