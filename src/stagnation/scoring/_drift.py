"""The drift guard: how far today's features moved from the rows a model was trained on."""

from __future__ import annotations

from typing import Literal

import pandas as pd

from stagnation.crm import CRM
from stagnation.features import FeatureContext
from stagnation.scoring._models import ScoringModel, load_model_at
from stagnation.snapshots import features_at
from stagnation.training import population_stability

DAY = pd.Timedelta(days=1)


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
    model = load_model_at(str(model_uri), tracking_uri)
    ctx = FeatureContext.build(crm, dormant_days=model.card.dormant_days)
    entity: Literal["rep", "customer"] = "rep" if model.name == "rep-passivity" else "customer"
    features = features_at(ctx, entity, pd.Timestamp(as_of))
    return model_drift(model, features)


def model_drift(model: ScoringModel, features: pd.DataFrame) -> pd.DataFrame:
    """Return the PSI of each model feature of today's rows against the training rows."""
    reference = model.card.reference or {}
    wanted = {name: reference[name] for name in model.feature_names if name in reference}
    elapsed = 0.0
    if model.card.reference_as_of is not None and len(features):
        since = pd.Timestamp(features["as_of"].iloc[0]) - pd.Timestamp(model.card.reference_as_of)
        elapsed = since / DAY
    table = (
        population_stability(wanted, features, elapsed_days=elapsed)
        if len(features)
        else pd.DataFrame()
    )
    table.insert(0, "model_name", model.registered_name)
    return table.reindex(columns=["model_name", "feature", "psi", "rows", "shift"])
