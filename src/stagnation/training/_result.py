"""What training hands to tracking and scoring: one trained, evaluated model.

``training`` builds a :class:`TrainingResult`; ``tracking`` logs it to MLflow, registers it and
exports it; ``scoring`` loads it back. Nothing here imports MLflow.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import pandas as pd

if TYPE_CHECKING:  # the card imports ModelName from here
    from stagnation.training._card import ModelCard

ModelName = Literal["rep-passivity", "customer-recycling"]
#: Registered model name in MLflow of each model.
REGISTERED_NAMES: dict[str, str] = {
    "rep-passivity": "stagnation-rep-passivity",
    "customer-recycling": "stagnation-customer-recycling",
}
#: Id column of each model's entity.
ENTITY_ID: dict[str, str] = {"rep-passivity": "rep_id", "customer-recycling": "customer_id"}
#: The model's own name in the metrics tables (baselines have theirs).
MODEL = "lightgbm"
#: Metrics shown first, in this order.
HEADLINE = ("roc_auc", "pr_auc", "lift_at_10", "precision_at_10", "brier", "log_loss", "ece")


def _model_order(models: pd.Index) -> list[str]:
    """Return the model first, then the baselines alphabetically."""
    return [m for m in [MODEL, *sorted(m for m in models if m != MODEL)] if m in models]


def holdout_table(metrics: pd.DataFrame) -> pd.DataFrame:
    """Return holdout metrics as models x metrics, the model first, headline metrics first."""
    rows = metrics[metrics["split"] == "holdout"]
    table = rows.pivot_table(index="model", columns="metric", values="value", aggfunc="first")
    columns = [m for m in HEADLINE if m in table.columns]
    columns += sorted(c for c in table.columns if c not in columns)
    return table.reindex(index=_model_order(table.index), columns=columns)


def fold_table(metrics: pd.DataFrame, metric: str = "roc_auc") -> pd.DataFrame:
    """Return ``metric`` of every split (folds, then the holdout) as models x splits."""
    split = metrics["split"].astype(str)
    rows = metrics[
        (metrics["metric"] == metric) & (split.str.startswith("fold_") | (split == "holdout"))
    ]
    table = rows.pivot_table(index="model", columns="split", values="value", aggfunc="first")
    folds = sorted(
        (c for c in table.columns if c != "holdout"), key=lambda c: int(str(c).split("_")[-1])
    )
    splits = [*folds, "holdout"]
    return table.reindex(index=_model_order(table.index), columns=[c for c in splits if c in table])


@dataclass
class TrainingResult:
    """A trained model, how it was trained, and how it did against the baselines.

    Attributes
    ----------
    name
        ``rep-passivity`` or ``customer-recycling``.
    model
        The fitted, calibrated classifier (scikit-learn API): ``predict_proba(X)[:, 1]`` is the
        calibrated probability; ``X`` holds exactly :attr:`feature_names` (numeric columns and
        pandas categoricals; no ids, no ``as_of``).
    feature_names
        The model's input columns, in order.
    value_model
        For ``customer-recycling``: a fitted regressor whose ``predict(X)`` is the expected order
        value within the horizon of a customer that does reactivate; ``None`` for reps.
    card
        Everything needed to reproduce and to score consistently (:class:`ModelCard`): the label
        settings (horizon, dormancy, ...), the training cutoff, the as_of grid, data date range
        and row counts, the fold plan, the verdict and the drift reference.
    metrics
        Long table with columns ``model`` (``lightgbm`` or a baseline's name), ``split``
        (``fold_1`` ... ``fold_k``, ``holdout``), ``metric`` (``roc_auc``, ``pr_auc``, ``brier``,
        ``log_loss``, ``precision_at_5``, ``lift_at_5``, ... ``ece``, ``truth_roc_auc`` on
        simulated data) and ``value``.
    holdout
        The holdout snapshots: entity id, ``as_of``, the feature columns and ``label`` (and
        ``value`` for customers): what :func:`promote` re-scores both versions on.
    holdout_scores
        One column per model and baseline (``lightgbm``, baseline names): their scores on
        :attr:`holdout`, row-aligned.
    feature_importance
        Gain importance of each feature (LightGBM), indexed by feature name.
    contributions
        LightGBM's per-row feature contributions (SHAP values) on a sample of holdout rows:
        rows x features (without the bias column).
    """

    name: ModelName
    model: Any
    feature_names: list[str]
    value_model: Any | None
    card: ModelCard
    metrics: pd.DataFrame
    holdout: pd.DataFrame
    holdout_scores: pd.DataFrame
    feature_importance: pd.Series
    contributions: pd.DataFrame = field(default_factory=pd.DataFrame)

    @property
    def registered_name(self) -> str:
        """Return the MLflow registered model name."""
        return REGISTERED_NAMES[self.name]

    def holdout_table(self) -> pd.DataFrame:
        """Return the holdout metrics of the model and every baseline (models x metrics)."""
        return holdout_table(self.metrics)

    def fold_table(self, metric: str = "roc_auc") -> pd.DataFrame:
        """Return one metric of the model and every baseline per fold and on the holdout."""
        return fold_table(self.metrics, metric)

    def headline(self) -> dict[str, float]:
        """Return the holdout metrics of the model itself, as ``{metric: value}``."""
        m = self.metrics
        rows = m[(m["model"] == "lightgbm") & (m["split"] == "holdout")]
        return dict(zip(rows["metric"], rows["value"].astype(float), strict=True))

    def verdict_table(self) -> pd.DataFrame:
        """Return LightGBM minus each baseline on the pooled out-of-time rows, with intervals.

        One row per baseline; columns ``roc_auc_diff`` and ``lift_at_10_diff`` as
        ``"+0.021 [+0.008, +0.034]"`` (estimate and paired bootstrap 95 % interval).
        """
        against = self.card.verdict.against if self.card.verdict else {}
        rows = {
            baseline: {
                f"{metric}_diff": "{estimate:+.3f} [{low:+.3f}, {high:+.3f}]".format(**v)
                for metric, v in metrics.items()
            }
            for baseline, metrics in against.items()
        }
        return pd.DataFrame.from_dict(rows, orient="index").rename_axis("baseline")

    def verdict(self) -> str:
        """Return one plain sentence: does the model beat its best baseline out of time?"""
        v = self.card.verdict
        if v is None:
            return "no out-of-time verdict was computed"
        best = v.best_baseline
        auc = v.against[best]["roc_auc"]
        pooled = (
            f"on {v.rows:,} pooled out-of-time rows ({v.positives:,} positives, "
            f"{v.entities:,} {ENTITY_ID[self.name].removesuffix('_id')}s)"
        )
        diff = f"ROC AUC {auc['estimate']:+.3f} [{auc['low']:+.3f}, {auc['high']:+.3f}]"
        if v.beats_baselines:
            return f"beats the best baseline, {best}, {pooled}: {diff}"
        return (
            f"does NOT clearly beat the best baseline, {best}, {pooled}: {diff}; the 95 % "
            "interval does not exclude a loss (tag beats_baselines=false)"
        )
