"""The rep rows of the action list: who gets one, the new business at risk, and the coach.

Every eligible rep gets a row (the contract's action list), but only a rep **at risk** -- P(slide)
at least :attr:`ActionSettings.min_rep_lift` times the model's base rate (the positive rate of
its training rows) -- is paired with a coach and ranked by the money at risk; the others have
priority 0 ("no coaching needed now") and may coach. ``min_score`` drops rows below a score.
Coaches come from :func:`~stagnation.scoring.assign_coaches`; a rep at risk never coaches.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field

from stagnation.features import FeatureContext, rep_features
from stagnation.scoring._matching import MatchingSettings, _coach_pool, assign_coaches
from stagnation.scoring._models import ScoringModel

if TYPE_CHECKING:
    from stagnation.scoring._inputs import RepInputs

#: The rep features the matchings read from the roster.
ROSTER_FEATURES = ("hunting_share_90d", "book_customers", "tenure_years", "new_customers_won_365d")


class ActionSettings(BaseModel):
    """Which rows the action list keeps (see the module docstring)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    min_rep_lift: float = Field(
        1.0,
        ge=0,
        description="the at-risk line: a rep is paired with a coach when P(slide) is at least "
        "this many times the model's base rate (the positive rate of its training rows); the "
        "others keep their row (every eligible rep has one) with priority 0, and may coach",
    )
    min_score: float | None = Field(
        None,
        ge=0,
        le=1,
        description="keep only rows (customers and reps) whose score is at least this",
    )


def rep_threshold(model: ScoringModel, settings: ActionSettings) -> float:
    """Return the P(slide) a rep needs for a row: ``min_rep_lift`` x base rate, and min_score."""
    base = float(model.card.positive_rate or 0.0)
    return max(settings.min_rep_lift * base, settings.min_score or 0.0)


def every_rep_features(ctx: FeatureContext, at: pd.Timestamp) -> pd.DataFrame | None:
    """Return the rep features of every rep at ``at``, eligible or not, in the context's order.

    ``None`` when the extract has no activity records (or no rep): the roster then counts nobody
    as employed. The eligible reps' rows are the rep model's (:func:`eligible_rows`).
    """
    ids = ctx.reps.to_numpy()
    if ctx.activities_by_rep is None or not len(ids):
        return None
    queries = pd.DataFrame({"rep_id": pd.Series(ids, dtype=pd.StringDtype()), "as_of": at})
    return rep_features(ctx, queries.astype({"as_of": "datetime64[ns]"}))


def eligible_rows(every: pd.DataFrame, population: pd.DataFrame) -> pd.DataFrame:
    """Return the rows of ``every`` (:func:`every_rep_features`) of the ``population``'s reps.

    In the population's order, with a fresh index: the rows ``features_at(ctx, "rep", at)``
    computes, since a rep's features do not depend on which other reps are asked about.
    """
    rows = pd.Index(every["rep_id"]).get_indexer(pd.Index(population["rep_id"]))
    return every.iloc[rows].reset_index(drop=True)


def roster_of(
    ids: np.ndarray,
    reps_table: pd.DataFrame | None,
    at: pd.Timestamp,
    features: pd.DataFrame | None,
) -> pd.DataFrame:
    """Return the roster of the reps ``ids`` from the reps table and their features at ``at``.

    ``features`` has one row per id, in the same order (``ROSTER_FEATURES`` at least), or is
    ``None`` when the extract has no activity records: then nobody counts as employed.
    """
    roster = pd.DataFrame({"rep_id": pd.Series(ids, dtype=pd.StringDtype())})
    reps = reps_table.set_index("rep_id") if reps_table is not None else None
    if reps is not None:
        hired = reps["hired_at"].reindex(ids)
        left = reps["left_at"].reindex(ids)
        roster["employed"] = (
            (hired.isna() | (hired <= at)) & (left.isna() | (left > at))
        ).to_numpy()
        roster["team"] = reps["team"].reindex(ids).to_numpy()
    else:
        roster["employed"] = True
        roster["team"] = pd.NA
    roster["passivity_score"] = np.nan
    if features is None or len(roster) == 0:
        for column in ROSTER_FEATURES:
            roster[column] = np.nan
        roster["employed"] = False  # no activity records: nobody to hand customers to
        return roster
    for column in ROSTER_FEATURES:
        roster[column] = features[column].to_numpy()
    return roster


def rep_actions(
    inputs: RepInputs, reps_table: pd.DataFrame | None, model: ScoringModel
) -> pd.DataFrame:
    """Return one ``coach`` row per rep scored: P(slide), the new business at risk, reasons."""
    features, predicted = inputs.scored.features, inputs.scored.predicted
    if features.empty:
        return pd.DataFrame()
    value = predicted["score"].to_numpy() * inputs.new_business
    team = (
        reps_table.set_index("rep_id")["team"].reindex(features["rep_id"]).to_numpy()
        if reps_table is not None
        else pd.NA
    )
    return pd.DataFrame(
        {
            "action": "coach",
            "entity_type": "rep",
            "entity_id": features["rep_id"].to_numpy(),
            "score": predicted["score"].to_numpy(),
            "expected_value": value,
            "priority": value,
            "current_owner": pd.NA,
            "reasons": inputs.scored.reasons,
            "model_name": model.registered_name,
            "model_version": model.version,
            "team": team,
        }
    )


def coach_reps(
    rows: pd.DataFrame, roster: pd.DataFrame, settings: MatchingSettings
) -> tuple[np.ndarray, np.ndarray]:
    """Return each rep row's coach and, where there is none, why (one priority-ordered pass).

    ``rows`` has ``entity_id``, ``priority`` and ``team``; ``roster`` is :func:`roster_of`'s with
    ``passivity_score`` filled in.
    """
    at_risk = rows[["entity_id", "priority", "team"]].rename(columns={"entity_id": "rep_id"})
    picked = assign_coaches(at_risk, roster, settings).astype(object)
    coach = picked.where(picked.notna(), None).to_numpy(dtype=object)
    mentees = roster["rep_id"].isin(at_risk["rep_id"]).to_numpy()
    pool = int((_coach_pool(roster, settings) & ~mentees).sum())
    if pool == 0:
        why = (
            f"no rep can coach: none is an employed veteran ({settings.min_coach_tenure_years:g}+ "
            "years) with a strong record of new customers who is not at risk"
        )
    else:
        why = (
            f"every eligible coach ({pool}) already has {settings.max_mentees_per_coach} "
            "mentees in this list"
        )
    reason = np.array([why if c is None else None for c in coach], dtype=object)
    return coach, reason
