"""The customer rows of the action list: release to the pool or assign, and to whom."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from stagnation.crm import CRM
from stagnation.features import FeatureContext
from stagnation.scoring._matching import MatchingSettings, assign_recipients
from stagnation.scoring._models import ScoringModel

if TYPE_CHECKING:
    from stagnation.scoring._inputs import CustomerInputs

DAY = pd.Timedelta(days=1)


def customer_actions(
    inputs: CustomerInputs,
    model: ScoringModel,
    reps: pd.DataFrame,
    settings: MatchingSettings,
    say: Callable[[str], None],
) -> pd.DataFrame:
    """Return one row per dormant customer scored, with its recipient (or why there is none).

    ``release_to_pool`` when the customer has an owner at ``as_of``, else ``assign``; the
    recipient comes from :func:`~stagnation.scoring.assign_recipients` over ``reps`` (the
    roster), never the owner or a rep who lost it within the cooldown.
    """
    features, predicted = inputs.scored.features, inputs.scored.predicted
    if features.empty:
        return pd.DataFrame()
    owner = inputs.owner
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
            "reasons": inputs.scored.reasons,
            "model_name": model.registered_name,
            "model_version": model.version,
        }
    )
    firmographics = inputs.firmographics
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
    recipient = assign_recipients(candidates, reps, inputs.wins, inputs.recent_owners, settings)
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


def first_order_wins(crm: CRM, at: pd.Timestamp) -> pd.DataFrame:
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


def recent_owners(ctx: FeatureContext, at: pd.Timestamp, cooldown_days: int) -> pd.DataFrame:
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
