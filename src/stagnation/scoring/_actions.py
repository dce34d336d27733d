"""The ranked action list: what a sales manager acts on each week (docs/contract.md, section 4).

Every dormant customer becomes ``release_to_pool`` (it has an owner) or ``assign`` (it sits in
the pool or has no owner), with the rep who should pick it up; a rep whose risk of sliding is
well above the base rate (:class:`~stagnation.scoring.ActionSettings`) becomes ``coach``: pair
that rep with the coach in ``counterpart_id``. Each row also says what to do in one sentence
(``instruction``) and, when no counterpart fits, why (``no_counterpart_reason``). All rows share
one currency, money within the model's horizon:

* customers: ``expected_value = P(reactivation) x expected order value if it reactivates``;
* reps: ``expected_value = P(slide) x the rep's new-customer revenue over the last 365 days,
  scaled to the horizon`` (the new business a slide would stop);

and ``priority = expected_value`` ranks them together. Reasons are the three features that
pushed each row's score up most (LightGBM's own contributions), in plain words.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import pandas as pd

from stagnation.crm import CRM
from stagnation.scoring._customers import customer_actions
from stagnation.scoring._drift import model_drift
from stagnation.scoring._inputs import ScoringInputs, gather_inputs
from stagnation.scoring._matching import MatchingSettings
from stagnation.scoring._models import ScoringModel, load_scoring_models
from stagnation.scoring._rank import ACTION_COLUMNS, rank_actions
from stagnation.scoring._reps import ActionSettings, coach_reps, rep_actions, rep_threshold
from stagnation.snapshots import check_prediction_moment
from stagnation.training import ModelName


@dataclass(frozen=True)
class ScoringResult:
    """The ranked action list and the drift of today's features from the training rows.

    ``drift`` has ``model_name``, ``feature``, ``psi`` and ``shift`` (``stable``, ``moderate``,
    ``major``: PSI of 0.25 or more), worst first per model. ``warnings``: plain sentences a
    user must see, e.g. that a model scoring did not clearly beat its best baseline.
    """

    actions: pd.DataFrame
    drift: pd.DataFrame
    warnings: tuple[str, ...] = ()


def score(
    crm: CRM,
    as_of: pd.Timestamp | str,
    *,
    model_uris: Sequence[str] = (),
    top: int | None = None,
    min_score: float | None = None,
    matching: MatchingSettings | None = None,
    selection: ActionSettings | None = None,
    tracking_uri: str | None = None,
    progress: Callable[[str], None] | None = None,
) -> pd.DataFrame:
    """Return the ranked action list at ``as_of`` (docs/contract.md, section 4).

    The same as :func:`score_with_drift` without the drift table; see it for the parameters.

    Returns
    -------
    pandas.DataFrame
        The columns of :data:`ACTION_COLUMNS`, one row per dormant customer and per rep at
        risk, ranked by ``priority`` (ties by entity type and id, so the same input gives the
        same output). An extract without activities gives customer actions only.
    """
    return score_with_drift(
        crm,
        as_of,
        model_uris=model_uris,
        top=top,
        min_score=min_score,
        matching=matching,
        selection=selection,
        tracking_uri=tracking_uri,
        progress=progress,
    ).actions


def score_with_drift(
    crm: CRM,
    as_of: pd.Timestamp | str,
    *,
    model_uris: Sequence[str] = (),
    top: int | None = None,
    min_score: float | None = None,
    matching: MatchingSettings | None = None,
    selection: ActionSettings | None = None,
    tracking_uri: str | None = None,
    progress: Callable[[str], None] | None = None,
) -> ScoringResult:
    """Return the ranked action list at ``as_of`` and the drift of the features scored.

    Parameters
    ----------
    crm
        The extract; only events strictly before ``as_of`` are used.
    as_of
        The moment of the prediction.
    model_uris
        Model folders (``stagnation export``) or MLflow URIs. When given, only these models
        score (one customer model gives customer rows only); when empty, the registry's
        ``champion`` of each model the extract can feed.
    top
        Keep only the ``top`` highest-priority rows.
    min_score
        Keep only rows whose score is at least this (overrides ``selection.min_score``).
    matching
        Caps and cooldown of the recipient and coach matching.
    selection
        Which rows the list keeps (:class:`ActionSettings`: reps at risk, a score floor).
    tracking_uri
        Where the registry lives (default as in :func:`stagnation.tracking.resolve_tracking_uri`).
    progress
        Called with a short message as each step starts (a progress bar, a log, a timer).

    Returns
    -------
    ScoringResult
        ``actions``: as :func:`score`; ``drift``: the population stability of every model
        feature of the rows scored against the rows the model was trained on.
    """
    at = pd.Timestamp(as_of)
    say = progress or (lambda _message: None)
    settings, keep = matching or MatchingSettings(), selection or ActionSettings()
    say("loading the models")
    models = load_scoring_models(
        model_uris, need=models_needed(crm.activities is not None), tracking_uri=tracking_uri
    )
    check_prediction_moment(crm, at, horizon_days=max(m.card.horizon_days for m in models.values()))
    inputs = gather_inputs(crm, models, at, settings, say)
    return rank_inputs(
        inputs,
        models,
        at,
        top=top,
        min_score=min_score,
        matching=settings,
        selection=keep,
        progress=say,
    )


def models_needed(activities: bool) -> list[ModelName]:
    """Return the models an extract can feed: the customer model, and the rep model when it
    has activity records."""
    need: list[ModelName] = ["customer-recycling"]
    if activities:
        need.insert(0, "rep-passivity")
    return need


def rank_inputs(
    inputs: ScoringInputs,
    models: Mapping[str, ScoringModel],
    at: pd.Timestamp,
    *,
    top: int | None = None,
    min_score: float | None = None,
    matching: MatchingSettings | None = None,
    selection: ActionSettings | None = None,
    progress: Callable[[str], None] | None = None,
) -> ScoringResult:
    """Return the ranked action list and the drift from gathered inputs (the driver part).

    Both engines end here, so the action list's logic exists once: the drift of each model's
    rows, the rep rows and their coaches, the customer rows and their recipients, the score
    floor, the ranking and the warnings. ``inputs`` come from
    :func:`~stagnation.scoring.gather_inputs` (pandas) or ``stagnation.spark``; the other
    parameters are :func:`score_with_drift`'s.
    """
    say = progress or (lambda _message: None)
    settings = matching or MatchingSettings()
    keep = selection or ActionSettings()
    if min_score is not None:
        keep = keep.model_copy(update={"min_score": min_score})
    reps = inputs.roster.copy()
    parts = []
    drift: list[pd.DataFrame] = []
    if "rep-passivity" in models and inputs.rep is not None:
        rep_model = models["rep-passivity"]
        drift.append(model_drift(rep_model, inputs.rep.scored.features))
        rep_rows = rep_actions(inputs.rep, inputs.reps, rep_model)
        if len(rep_rows):
            reps["passivity_score"] = (
                rep_rows.set_index("entity_id")["score"].reindex(reps["rep_id"]).to_numpy()
            )
            say("matching coaches")
            line = rep_threshold(rep_model, keep)
            rep_rows = rep_rows.reset_index(drop=True)
            at_risk = (rep_rows["score"] >= line).to_numpy()
            coach, why = coach_reps(rep_rows.loc[at_risk], reps, settings)
            rep_rows["counterpart_id"] = None
            rep_rows["no_counterpart_reason"] = (
                f"P(slide) below the at-risk line of {line:.0%} ({keep.min_rep_lift:g} x the "
                "model's base rate): no coaching needed now, free to coach"
            )
            rep_rows.loc[at_risk, "counterpart_id"] = coach
            rep_rows.loc[at_risk, "no_counterpart_reason"] = why
            rep_rows.loc[~at_risk, "priority"] = 0.0  # no intervention to rank
            parts.append(rep_rows.drop(columns=["team"]))
    if "customer-recycling" in models and inputs.customer is not None:
        customer_model = models["customer-recycling"]
        drift.append(model_drift(customer_model, inputs.customer.scored.features))
        parts.append(customer_actions(inputs.customer, customer_model, reps, settings, say))
    say("ranking")
    parts = [p for p in parts if len(p)]
    actions = (
        pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=ACTION_COLUMNS[1:])
    )
    if keep.min_score is not None and len(actions):
        actions = actions.loc[actions["score"] >= keep.min_score]
    warnings = tuple(
        f"{name}: this model did not clearly beat its best baseline "
        f"({m.card.verdict.best_baseline if m.card.verdict else '?'}) out of time when it was "
        "trained; read its scores with that in mind (see its model card)"
        for name, m in models.items()
        if m.card.beats_baselines is False
    )
    return ScoringResult(
        rank_actions(actions, at, top), pd.concat(drift, ignore_index=True), warnings
    )
