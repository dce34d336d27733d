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

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from stagnation.crm import CRM
from stagnation.features import FeatureContext, new_business_at_risk
from stagnation.scoring._matching import MatchingSettings, assign_recipients
from stagnation.scoring._models import ScoringModel, _load, load_scoring_models
from stagnation.scoring._reasons import top_reasons
from stagnation.scoring._reps import (
    ActionSettings,
    coach_reps,
    rep_roster,
    rep_threshold,
)
from stagnation.scoring._yardsticks import yardsticks
from stagnation.snapshots import data_end, data_start, features_at
from stagnation.training import ModelName, population_stability

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
DAY = pd.Timedelta(days=1)


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


def check_prediction_moment(crm: CRM, at: pd.Timestamp, *, horizon_days: int) -> None:
    """Refuse an ``as_of`` before the data starts or more than one horizon after it ends.

    Before the data there is nothing to score; more than a horizon after it, every customer
    looks dormant and every rep idle only because the extract stops.

    Raises
    ------
    ValueError
        Naming the moment, the data's range and the horizon.
    """
    start, end = data_start(crm), data_end(crm)
    latest = end + pd.Timedelta(days=horizon_days)
    if at < start or at > latest:
        raise ValueError(
            f"--as-of {at:%Y-%m-%d} is outside what this extract can score: its events run from "
            f"{start:%Y-%m-%d} to {end - pd.Timedelta(days=1):%Y-%m-%d}, and a prediction may "
            f"come at most one horizon ({horizon_days} days) after them, by {latest:%Y-%m-%d}"
        )


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
    need: list[ModelName] = ["customer-recycling"]
    if crm.activities is not None:
        need.insert(0, "rep-passivity")
    say("loading the models")
    models = load_scoring_models(model_uris, need=need, tracking_uri=tracking_uri)
    settings = matching or MatchingSettings()
    keep = selection or ActionSettings()
    if min_score is not None:
        keep = keep.model_copy(update={"min_score": min_score})

    check_prediction_moment(
        crm, at, horizon_days=max(int(m.settings["horizon_days"]) for m in models.values())
    )
    first = next(iter(models.values()))
    say("indexing the extract")
    contexts = {
        int(first.settings["dormant_days"]): FeatureContext.build(
            crm, dormant_days=int(first.settings["dormant_days"])
        )
    }

    def context(model: ScoringModel) -> FeatureContext:
        dormant = int(model.settings["dormant_days"])
        if dormant not in contexts:
            contexts[dormant] = FeatureContext.build(crm, dormant_days=dormant)
        return contexts[dormant]

    reps = rep_roster(crm, context(first), at)
    parts = []
    drift: list[pd.DataFrame] = []
    if "rep-passivity" in models:
        rep_model = models["rep-passivity"]
        rep_ctx = context(rep_model)
        say("rep features, scores and reasons")
        rep_features_at = features_at(rep_ctx, "rep", at, dormant_days=rep_ctx.dormant_days)
        drift.append(_drift(rep_model, rep_features_at))
        rep_rows = _rep_actions(crm, rep_features_at, rep_model)
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
    if "customer-recycling" in models:
        customer_model = models["customer-recycling"]
        cust_ctx = context(customer_model)
        say("customer features")
        cust_features = features_at(cust_ctx, "customer", at, dormant_days=cust_ctx.dormant_days)
        drift.append(_drift(customer_model, cust_features))
        parts.append(
            _customer_actions(crm, cust_ctx, cust_features, customer_model, at, reps, settings, say)
        )
    say("ranking")
    parts = [p for p in parts if len(p)]
    actions = (
        pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=ACTION_COLUMNS[1:])
    )
    if keep.min_score is not None and len(actions):
        actions = actions.loc[actions["score"] >= keep.min_score]
    warnings = tuple(
        f"{name}: this model did not clearly beat its best baseline "
        f"({m.settings.get('verdict', {}).get('best_baseline', '?')}) out of time when it was "
        "trained; read its scores with that in mind (see its model card)"
        for name, m in models.items()
        if m.settings.get("beats_baselines") is False
    )
    return ScoringResult(_rank(actions, at, top), pd.concat(drift, ignore_index=True), warnings)


def feature_drift(
    crm: CRM,
    as_of: pd.Timestamp | str,
    model_uri: str = "models:/stagnation-customer-recycling@champion",
    *,
    tracking_uri: str | None = None,
) -> pd.DataFrame:
    """Return how far one model's features at ``as_of`` drifted from its training rows.

    The same table :func:`score_with_drift` returns, for one model (any alias, version or
    exported folder): ``model_name``, ``feature``, ``psi``, ``rows`` and ``shift``, worst first.
    A model owner reads it before promoting a challenger trained on older data.
    """
    model = _load(str(model_uri), tracking_uri)
    ctx = FeatureContext.build(crm, dormant_days=int(model.settings["dormant_days"]))
    entity: Literal["rep", "customer"] = "rep" if model.name == "rep-passivity" else "customer"
    features = features_at(ctx, entity, pd.Timestamp(as_of), dormant_days=ctx.dormant_days)
    return _drift(model, features)


def _drift(model: ScoringModel, features: pd.DataFrame) -> pd.DataFrame:
    """Return the PSI of each model feature of today's rows against the training rows."""
    reference = model.settings.get("reference") or {}
    wanted = {name: reference[name] for name in model.feature_names if name in reference}
    elapsed = 0.0
    if model.settings.get("reference_as_of") and len(features):
        since = pd.Timestamp(features["as_of"].iloc[0]) - pd.Timestamp(
            model.settings["reference_as_of"]
        )
        elapsed = since / DAY
    table = (
        population_stability(wanted, features, elapsed_days=elapsed)
        if len(features)
        else pd.DataFrame()
    )
    table.insert(0, "model_name", model.registered_name)
    return table.reindex(columns=["model_name", "feature", "psi", "rows", "shift"])


def _rank(actions: pd.DataFrame, at: pd.Timestamp, top: int | None) -> pd.DataFrame:
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


def _reasons(
    model: ScoringModel, entity: Literal["rep", "customer"], features: pd.DataFrame
) -> np.ndarray:
    """Return each row's top reasons, each read against its yardstick."""
    rows = features.reset_index(drop=True)
    compare = yardsticks(entity, rows, model.settings.get("reference"))
    return top_reasons(model.contributions(rows), rows, compare=compare).to_numpy()


def _rep_actions(crm: CRM, features: pd.DataFrame, model: ScoringModel) -> pd.DataFrame:
    if features.empty:
        return pd.DataFrame()
    predicted = model.predict(features)
    horizon = float(model.settings["horizon_days"])
    at = pd.Timestamp(features["as_of"].iloc[0])
    at_risk = new_business_at_risk(crm, at, features["rep_id"], horizon)
    value = predicted["score"].to_numpy() * at_risk
    team = (
        crm.reps.set_index("rep_id")["team"].reindex(features["rep_id"]).to_numpy()
        if crm.reps is not None
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
            "reasons": _reasons(model, "rep", features),
            "model_name": model.registered_name,
            "model_version": model.version,
            "team": team,
        }
    )


def _customer_actions(
    crm: CRM,
    ctx: FeatureContext,
    features: pd.DataFrame,
    model: ScoringModel,
    at: pd.Timestamp,
    reps: pd.DataFrame,
    settings: MatchingSettings,
    say: Callable[[str], None],
) -> pd.DataFrame:
    if features.empty:
        return pd.DataFrame()
    say("customer scores and reasons")
    predicted = model.predict(features)
    codes = ctx.customers.get_indexer(pd.Index(features["customer_id"]))
    owner_code = ctx.owner_at(codes, np.full(len(codes), at.to_datetime64()))
    # code -1 (no owner) picks the appended None; an extract may know no rep at all
    rep_ids = np.array([*ctx.reps.to_numpy(dtype=object), None], dtype=object)
    owner = pd.Series(rep_ids[np.where(owner_code >= 0, owner_code, -1)], dtype=pd.StringDtype())
    value = predicted["expected_value"].to_numpy()
    rows = pd.DataFrame(
        {
            "action": np.where(owner.notna(), "release_to_pool", "assign"),
            "entity_type": "customer",
            "entity_id": features["customer_id"].to_numpy(),
            "score": predicted["score"].to_numpy(),
            "expected_value": value,
            "priority": value,
            "current_owner": owner.to_numpy(),
            "reasons": _reasons(model, "customer", features),
            "model_name": model.registered_name,
            "model_version": model.version,
        }
    )
    firmographics = crm.customers.set_index("customer_id").reindex(features["customer_id"])
    candidates = pd.DataFrame(
        {
            "customer_id": rows["entity_id"],
            "priority": rows["priority"],
            "current_owner": owner,
            "industry": firmographics["industry"].to_numpy(),
            "region": firmographics["region"].to_numpy(),
            "size": firmographics["size"].to_numpy(),
        }
    )
    say("matching recipients")
    recipient = assign_recipients(
        candidates, reps, _wins(crm, at), _recent_owners(ctx, at, settings.cooldown_days), settings
    )
    rows["counterpart_id"] = recipient.to_numpy()
    if not reps["employed"].astype("boolean").fillna(False).any():
        why = "no rep to hand it to: the extract has no activity records of an employed rep"
    else:
        why = (
            f"every rep who may take it already got {settings.max_new_customers_per_rep} "
            "customers higher on this list (or is its owner or a recent owner)"
        )
    rows["no_counterpart_reason"] = pd.Series(why, index=rows.index, dtype=object).where(
        recipient.isna().to_numpy()
    )
    return rows


def _wins(crm: CRM, at: pd.Timestamp) -> pd.DataFrame:
    """Return, per customer won before ``at``, the rep credited with its first order."""
    columns = ["rep_id", "industry", "region", "size"]
    if crm.orders is None or "rep_id" not in crm.orders.columns:
        return pd.DataFrame(columns=columns)
    orders = crm.orders.loc[crm.orders["ordered_at"] < at].sort_values("ordered_at", kind="stable")
    first = orders.groupby("customer_id", observed=True).head(1).dropna(subset=["rep_id"])
    firm = crm.customers.set_index("customer_id").reindex(first["customer_id"])
    return pd.DataFrame(
        {"rep_id": first["rep_id"].to_numpy(), **{c: firm[c].to_numpy() for c in columns[1:]}}
    )


def _recent_owners(ctx: FeatureContext, at: pd.Timestamp, cooldown_days: int) -> pd.DataFrame:
    """Return (customer_id, rep_id) pairs where the rep lost the customer within the cooldown.

    Reads the "lost" rows the feature context already indexes by the rep who lost a customer.
    """
    idx = ctx.ownership_by_rep
    if idx is None:
        return pd.DataFrame(columns=["customer_id", "rep_id"])
    start = (at - cooldown_days * DAY).value
    customer = idx.column("customer")
    keep = (idx.column("lost") > 0) & (idx.time >= start) & (idx.time < at.value) & (customer >= 0)
    pairs = pd.DataFrame(
        {
            "customer_id": ctx.customers.to_numpy()[customer[keep]],
            "rep_id": ctx.reps.to_numpy()[idx.entity[keep]],
        }
    )
    return pairs.drop_duplicates().reset_index(drop=True)
