"""What the action list is built from, gathered by an engine, and the pandas engine's gathering.

Scoring has two halves. An engine **gathers** the inputs (:class:`ScoringInputs`): the roster
of every rep, each model's feature rows at ``as_of`` with their scores and reasons, and what
the matchings read from the whole extract (each dormant customer's owner, the first-order
wins, the recent owners, the new business at risk). The **driver part**
(:func:`~stagnation.scoring.rank_inputs`) turns them into the ranked action list: drift,
coaches, recipients, ranking, warnings. :func:`gather_inputs` is the pandas engine (one
:class:`~stagnation.features.FeatureContext` per dormancy); ``stagnation.spark`` gathers the
same inputs with Spark.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from stagnation.crm import CRM
from stagnation.features import FeatureContext, new_business_at_risk
from stagnation.labels import RepPassivitySettings, rep_population
from stagnation.scoring._customers import first_order_wins, recent_owners
from stagnation.scoring._matching import MatchingSettings
from stagnation.scoring._models import ScoringModel
from stagnation.scoring._reps import eligible_rows, every_rep_features, roster_of
from stagnation.snapshots import features_at

#: The customers table's columns the recipient matching compares.
FIRMOGRAPHICS = ["industry", "region", "size"]


@dataclass(frozen=True)
class Scored:
    """One model's feature rows at ``as_of`` and what the model says of each row.

    ``predicted`` has ``score`` (and ``expected_value`` for customers), one row per feature
    row; ``reasons`` the top three reasons of each row.
    """

    features: pd.DataFrame
    predicted: pd.DataFrame
    reasons: np.ndarray


@dataclass(frozen=True)
class RepInputs:
    """The rep rows' inputs: the scored reps and, per row, the new business at risk."""

    scored: Scored
    new_business: np.ndarray


@dataclass(frozen=True)
class CustomerInputs:
    """The customer rows' inputs, each aligned with the scored rows where it is per row.

    ``owner``: each row's owner at ``as_of`` (string, ``<NA>`` = pool or none);
    ``firmographics``: each row's ``industry``, ``region``, ``size``; ``wins``: ``rep_id``
    and the firmographics of each customer's first order before ``as_of``;
    ``recent_owners``: ``customer_id``, ``rep_id`` pairs inside the cooldown.
    """

    scored: Scored
    owner: pd.Series
    firmographics: pd.DataFrame
    wins: pd.DataFrame
    recent_owners: pd.DataFrame


@dataclass(frozen=True)
class ScoringInputs:
    """Everything the driver part reads: the roster, the reps table, each model's inputs.

    ``roster`` is :func:`~stagnation.scoring._reps.roster_of`'s (``passivity_score`` still
    NaN); ``reps`` the extract's reps table (teams), ``None`` when it has none; ``rep`` and
    ``customer`` are ``None`` when that model does not score, and hold no rows when nobody is
    eligible.
    """

    roster: pd.DataFrame
    reps: pd.DataFrame | None
    rep: RepInputs | None
    customer: CustomerInputs | None


def apply_model(model: ScoringModel, features: pd.DataFrame) -> Scored:
    """Return the rows with the model's predictions and reasons (nothing run on no rows)."""
    if features.empty:
        return Scored(features, pd.DataFrame({"score": [], "expected_value": []}), np.array([]))
    return Scored(features, model.predict(features), model.reasons(features))


def firmographics_of(customers: pd.DataFrame, ids: pd.Series) -> pd.DataFrame:
    """Return ``FIRMOGRAPHICS`` of the customers ``ids``, in their order."""
    return customers.set_index("customer_id").reindex(ids)[FIRMOGRAPHICS].reset_index(drop=True)


def gather_inputs(
    crm: CRM,
    models: Mapping[str, ScoringModel],
    at: pd.Timestamp,
    settings: MatchingSettings,
    say: Callable[[str], None],
) -> ScoringInputs:
    """Return the scoring inputs at ``at`` from the extract on this machine (pandas engine)."""
    say("indexing the extract")
    contexts: dict[int, FeatureContext] = {}

    def context(model: ScoringModel) -> FeatureContext:
        # one index per dormancy the models were trained with (usually one for both)
        dormant = model.card.dormant_days
        if dormant not in contexts:
            contexts[dormant] = FeatureContext.build(crm, dormant_days=dormant)
        return contexts[dormant]

    first = context(next(iter(models.values())))
    every = every_rep_features(first, at)
    roster = roster_of(first.reps.to_numpy(), crm.reps, at, every)
    rep = customer = None
    if "rep-passivity" in models:
        model = models["rep-passivity"]
        say("rep features, scores and reasons")
        ctx = context(model)
        if every is not None and ctx is first:  # the roster's features hold the model's rows
            passivity = RepPassivitySettings(dormant_days=ctx.dormant_days)
            rows = eligible_rows(every, rep_population(ctx, at, passivity))
        else:
            rows = features_at(ctx, "rep", at)
        scored = apply_model(model, rows)
        horizon = float(model.card.horizon_days)
        at_risk = new_business_at_risk(crm, at, scored.features["rep_id"], horizon)
        rep = RepInputs(scored, at_risk)
    if "customer-recycling" in models:
        model = models["customer-recycling"]
        ctx = context(model)
        say("customer features")
        features = features_at(ctx, "customer", at)
        say("customer scores and reasons")
        scored = apply_model(model, features)
        codes = ctx.customers.get_indexer(pd.Index(features["customer_id"]))
        owner_code = ctx.owner_at(codes, np.full(len(codes), at.to_datetime64()))
        # code -1 (no owner) picks the appended None; an extract may know no rep at all
        rep_ids = np.array([*ctx.reps.to_numpy(dtype=object), None], dtype=object)
        owner = pd.Series(
            rep_ids[np.where(owner_code >= 0, owner_code, -1)], dtype=pd.StringDtype()
        )
        customer = CustomerInputs(
            scored,
            owner,
            firmographics_of(crm.customers, features["customer_id"]),
            first_order_wins(crm, at),
            recent_owners(ctx, at, settings.cooldown_days),
        )
    return ScoringInputs(roster, crm.reps, rep, customer)
