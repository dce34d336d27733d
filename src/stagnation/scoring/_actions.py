"""The ranked action list: what a sales manager acts on each week (CONTRACT.md section 4).

Every dormant customer becomes ``release_to_pool`` (it has an owner) or ``assign`` (it sits in
the pool or has no owner), with the rep who should pick it up; every eligible rep becomes
``coach``, with a coach. All rows share one currency, money within the model's horizon:

* customers: ``expected_value = P(reactivation) x expected order value if it reactivates``;
* reps: ``expected_value = P(slide) x the rep's new-customer revenue over the last 365 days,
  scaled to the horizon`` (the new business a slide would stop);

and ``priority = expected_value`` ranks them together. Reasons are the three features that
pushed each row's score up most (LightGBM's own contributions), in plain words.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd

from stagnation.crm import CRM
from stagnation.features import FeatureContext, rep_features
from stagnation.scoring._matching import MatchingSettings, assign_coaches, assign_recipients
from stagnation.scoring._reasons import top_reasons
from stagnation.snapshots import features_at
from stagnation.training import REGISTERED_NAMES, ModelName, population_stability

#: The columns of the action list, in contract order.
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
]
DAY = pd.Timedelta(days=1)


@dataclass(frozen=True)
class ScoringModel:
    """A loaded model with what scoring needs to know about it."""

    name: ModelName
    pyfunc: Any
    settings: dict[str, Any]
    registered_name: str
    version: str

    @property
    def feature_names(self) -> list[str]:
        """Return the model's input columns."""
        from stagnation.tracking import model_features

        return model_features(self.pyfunc)

    def predict(self, features: pd.DataFrame) -> pd.DataFrame:
        """Return ``score`` (and ``expected_value``) for feature rows, checking the inputs."""
        from stagnation.tracking import to_model_input

        missing = [n for n in self.feature_names if n not in features.columns]
        if missing:
            raise ValueError(
                f"the {self.name} model needs features this extract does not give: "
                f"{', '.join(missing)}"
            )
        return self.pyfunc.predict(to_model_input(features, self.feature_names))

    def contributions(self, features: pd.DataFrame) -> pd.DataFrame:
        """Return LightGBM's per-row feature contributions for the rows (reasons)."""
        model = self.pyfunc.unwrap_python_model()
        X = model.features(features)
        return _booster(model.classifier).contributions(X)


def _booster(classifier: Any) -> Any:
    """Return the LightGBM estimator inside a calibrated (and frozen) classifier."""
    seen = classifier
    for _ in range(5):
        if hasattr(seen, "contributions"):
            return seen
        inner = getattr(seen, "estimator", None)
        if inner is None and hasattr(seen, "calibrated_classifiers_"):
            inner = seen.calibrated_classifiers_[0].estimator
        if inner is None:
            break
        seen = inner
    raise ValueError("the model holds no LightGBM estimator to explain its scores with")


def load_scoring_models(
    model_uris: Sequence[str] = (),
    *,
    need: Sequence[ModelName] = ("rep-passivity", "customer-recycling"),
    tracking_uri: str | None = None,
) -> dict[str, ScoringModel]:
    """Load the models to score with: the given URIs or folders, else each model's champion.

    Each model says which one it is in its settings, so the URIs may come in any order.
    """
    models: dict[str, ScoringModel] = {}
    for uri in model_uris:
        model = _load(str(uri), tracking_uri)
        models[model.name] = model
    for name in need:
        if name not in models:
            models[name] = _load(f"models:/{REGISTERED_NAMES[name]}@champion", tracking_uri)
    return {name: models[name] for name in need}


def _load(uri: str, tracking_uri: str | None) -> ScoringModel:
    from stagnation.tracking import load_model, model_version

    try:
        pyfunc, settings = load_model(uri, tracking_uri=tracking_uri)
    except Exception as err:  # MLflow raises its own types for a missing model or alias
        raise ValueError(
            f"cannot load the model {uri}: {err}. Train it first (stagnation train) or pass "
            "--model-uri with a model folder or URI"
        ) from err
    given = settings.get("model")
    if given != "rep-passivity" and given != "customer-recycling":
        raise ValueError(f"{uri} does not say which model it is (settings['model'])")
    version = model_version(uri, tracking_uri=tracking_uri)
    return ScoringModel(given, pyfunc, settings, REGISTERED_NAMES[given], version)


@dataclass(frozen=True)
class ScoringResult:
    """The ranked action list and the drift of today's features from the training rows.

    ``drift`` has ``model_name``, ``feature``, ``psi`` and ``shift`` (``stable``, ``moderate``,
    ``major``: PSI of 0.25 or more), worst first per model.
    """

    actions: pd.DataFrame
    drift: pd.DataFrame


def score(
    crm: CRM,
    as_of: pd.Timestamp | str,
    *,
    model_uris: Sequence[str] = (),
    top: int | None = None,
    matching: MatchingSettings | None = None,
    tracking_uri: str | None = None,
    progress: Callable[[str], None] | None = None,
) -> pd.DataFrame:
    """Return the ranked action list at ``as_of`` (CONTRACT.md section 4).

    The same as :func:`score_with_drift` without the drift table; see it for the parameters.

    Returns
    -------
    pandas.DataFrame
        The columns of :data:`ACTION_COLUMNS`, one row per dormant customer and eligible rep,
        ranked by ``priority`` (ties by entity type and id, so the same input gives the same
        output). An extract without activities gives customer actions only.
    """
    return score_with_drift(
        crm,
        as_of,
        model_uris=model_uris,
        top=top,
        matching=matching,
        tracking_uri=tracking_uri,
        progress=progress,
    ).actions


def score_with_drift(
    crm: CRM,
    as_of: pd.Timestamp | str,
    *,
    model_uris: Sequence[str] = (),
    top: int | None = None,
    matching: MatchingSettings | None = None,
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
        Model folders (``stagnation export``) or MLflow URIs; a model not given is the
        registry's ``champion``.
    top
        Keep only the ``top`` highest-priority rows.
    matching
        Caps and cooldown of the recipient and coach matching.
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

    customer_model = models["customer-recycling"]
    say("indexing the extract")
    cust_ctx = FeatureContext.build(crm, dormant_days=int(customer_model.settings["dormant_days"]))
    reps = _rep_roster(crm, cust_ctx, at)
    parts = []
    drift: list[pd.DataFrame] = []
    if "rep-passivity" in models:
        rep_model = models["rep-passivity"]
        dormant = int(rep_model.settings["dormant_days"])
        rep_ctx = (
            cust_ctx
            if dormant == cust_ctx.dormant_days
            else FeatureContext.build(crm, dormant_days=dormant)
        )
        say("rep features, scores and reasons")
        rep_features_at = features_at(rep_ctx, "rep", at, dormant_days=rep_ctx.dormant_days)
        drift.append(_drift(rep_model, rep_features_at))
        rep_rows = _rep_actions(crm, rep_features_at, rep_model)
        if rep_rows.empty:
            rep_rows = pd.DataFrame(columns=[*ACTION_COLUMNS[1:], "team"])
        reps["passivity_score"] = (
            rep_rows.set_index("entity_id")["score"].reindex(reps["rep_id"]).to_numpy()
        )
        say("matching coaches")
        rep_rows["counterpart_id"] = assign_coaches(
            rep_rows[["entity_id", "priority", "team"]].rename(columns={"entity_id": "rep_id"}),
            reps,
            settings,
        ).to_numpy()
        parts.append(rep_rows.drop(columns=["team"]))
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
    return ScoringResult(_rank(actions, at, top), pd.concat(drift, ignore_index=True))


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
    table = population_stability(wanted, features) if len(features) else pd.DataFrame()
    table.insert(0, "model_name", model.registered_name)
    return table.reindex(columns=["model_name", "feature", "psi", "rows", "shift"])


def _rank(actions: pd.DataFrame, at: pd.Timestamp, top: int | None) -> pd.DataFrame:
    actions = actions.sort_values(
        ["priority", "entity_type", "entity_id"], ascending=[False, True, True], kind="stable"
    ).reset_index(drop=True)
    actions.insert(0, "rank", np.arange(1, len(actions) + 1))
    actions["as_of"] = at
    out = actions.reindex(columns=ACTION_COLUMNS)
    for column in (
        "action",
        "entity_type",
        "entity_id",
        "current_owner",
        "counterpart_id",
        "reasons",
        "model_name",
        "model_version",
    ):
        out[column] = out[column].astype(pd.StringDtype())
    out["as_of"] = out["as_of"].astype("datetime64[ns]")
    for column in ("score", "expected_value", "priority"):
        out[column] = out[column].astype("float64")
    out["rank"] = out["rank"].astype("int64")
    return out.head(top) if top is not None else out


def _rep_roster(crm: CRM, ctx: FeatureContext, at: pd.Timestamp) -> pd.DataFrame:
    """Return every rep with what matching needs: employed, team, hunting, book, record."""
    ids = ctx.reps.to_numpy()
    roster = pd.DataFrame({"rep_id": pd.Series(ids, dtype=pd.StringDtype())})
    reps = crm.reps.set_index("rep_id") if crm.reps is not None else None
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
    if ctx.activities_by_rep is None or len(roster) == 0:
        for column in (
            "hunting_share_90d",
            "book_customers",
            "tenure_years",
            "new_customers_won_365d",
        ):
            roster[column] = np.nan
        roster["employed"] = False  # no activity records: nobody to hand customers to
        return roster
    features = rep_features(
        ctx,
        pd.DataFrame({"rep_id": roster["rep_id"], "as_of": at}).astype({"as_of": "datetime64[ns]"}),
    )
    for column in ("hunting_share_90d", "book_customers", "tenure_years", "new_customers_won_365d"):
        roster[column] = features[column].to_numpy()
    return roster


def new_business_at_risk(
    crm: CRM, at: pd.Timestamp, rep_ids: pd.Series | np.ndarray, horizon_days: float
) -> np.ndarray:
    """Return, per rep, its revenue from customers first won in the last 365 days, per horizon.

    The revenue rate of the 365 days before ``at`` (only orders before ``at`` count), scaled to
    ``horizon_days``; 0 for a rep without new customers. A slide stops this revenue, so
    ``P(slide) x this`` is the new business at risk that ranks reps in the action list.
    """
    if crm.orders is None:
        return np.zeros(len(rep_ids))
    orders = crm.orders.loc[crm.orders["ordered_at"] < at]
    first = orders.groupby("customer_id", observed=True)["ordered_at"].transform("min")
    year = at - 365 * DAY
    new = orders.loc[(first >= year) & (orders["ordered_at"] >= year)]
    per_day = new.groupby("rep_id", observed=True)["amount"].sum() / 365.0
    return per_day.reindex(pd.Index(rep_ids)).fillna(0.0).to_numpy(dtype=float) * horizon_days


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
            "reasons": top_reasons(model.contributions(features), features).to_numpy(),
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
    owner = pd.Series(
        np.where(owner_code >= 0, ctx.reps.to_numpy()[np.maximum(owner_code, 0)], None),
        dtype=pd.StringDtype(),
    )
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
            "reasons": top_reasons(model.contributions(features), features).to_numpy(),
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
    rows["counterpart_id"] = assign_recipients(
        candidates, reps, _wins(crm, at), _recent_owners(ctx, at, settings.cooldown_days), settings
    ).to_numpy()
    return rows


def _wins(crm: CRM, at: pd.Timestamp) -> pd.DataFrame:
    """Return, per customer won before ``at``, the rep credited with its first order."""
    columns = ["rep_id", "industry", "region", "size"]
    if crm.orders is None:
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
