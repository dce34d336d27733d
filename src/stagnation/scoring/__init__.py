"""Scoring: the ranked action list with reasons, recipients and coaches.

:func:`score` turns the champions (or given model folders) and an extract into the action list
of docs/contract.md (section 4); :func:`top_reasons` renders LightGBM's contributions in plain
words, each read against a yardstick (:func:`yardsticks`); :func:`assign_recipients` and
:func:`assign_coaches` pick who acts.
"""

from stagnation.features import new_business_at_risk  # re-exported: the rows' money at risk
from stagnation.scoring._actions import (
    ScoringResult,
    models_needed,
    rank_inputs,
    score,
    score_with_drift,
)
from stagnation.scoring._customers import first_order_wins, recent_owners
from stagnation.scoring._drift import feature_drift
from stagnation.scoring._inputs import (
    FIRMOGRAPHICS,
    CustomerInputs,
    RepInputs,
    Scored,
    ScoringInputs,
    apply_model,
    firmographics_of,
    gather_inputs,
)
from stagnation.scoring._matching import MatchingSettings, assign_coaches, assign_recipients
from stagnation.scoring._models import ScoringModel, load_scoring_models
from stagnation.scoring._rank import ACTION_COLUMNS, instructions
from stagnation.scoring._reasons import PHRASES, describe_reason, reason_topic, top_reasons
from stagnation.scoring._reps import ROSTER_FEATURES, ActionSettings, rep_threshold, roster_of
from stagnation.scoring._yardsticks import OWN_PAST, format_value, is_level, yardsticks

__all__ = [
    "ACTION_COLUMNS",
    "FIRMOGRAPHICS",
    "OWN_PAST",
    "PHRASES",
    "ROSTER_FEATURES",
    "ActionSettings",
    "CustomerInputs",
    "MatchingSettings",
    "RepInputs",
    "Scored",
    "ScoringInputs",
    "ScoringModel",
    "ScoringResult",
    "apply_model",
    "assign_coaches",
    "assign_recipients",
    "describe_reason",
    "feature_drift",
    "firmographics_of",
    "first_order_wins",
    "format_value",
    "gather_inputs",
    "instructions",
    "is_level",
    "load_scoring_models",
    "models_needed",
    "new_business_at_risk",
    "rank_inputs",
    "reason_topic",
    "recent_owners",
    "rep_threshold",
    "roster_of",
    "score",
    "score_with_drift",
    "top_reasons",
    "yardsticks",
]
