"""The model card: everything a trained model must carry to be scored, reviewed and reproduced.

:func:`~stagnation.training.train` writes one :class:`ModelCard`; tracking stores it with the
model (the MLmodel metadata and the run's ``settings.json``, the drift reference in
``drift_reference.json``) and gives it back on loading; scoring reads its fields (the label
settings it must reuse, the drift reference, the base rate, the verdict). A card is frozen and
refuses unknown keys, so a misspelt setting fails where it is written, not where it is read.

Cards of models trained before the card existed (the flat settings dict, schema version 1:
``horizon_days``, ``dormant_days`` ... at the top level) are read by :meth:`ModelCard.parse`:
the label settings are folded into :attr:`ModelCard.labels`.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from stagnation.labels import CustomerReactivationSettings, RepPassivitySettings
from stagnation.training._result import ModelName

#: Version of the card's layout: 1 the flat settings dict, 2 this card.
SCHEMA_VERSION = 2
LabelSettings = RepPassivitySettings | CustomerReactivationSettings
#: The label settings class of each model.
LABEL_SETTINGS: dict[str, type[RepPassivitySettings] | type[CustomerReactivationSettings]] = {
    "rep-passivity": RepPassivitySettings,
    "customer-recycling": CustomerReactivationSettings,
}


def labels_of(name: ModelName, values: Mapping[str, Any]) -> LabelSettings:
    """Return label settings of model ``name`` from plain values (``snapshots.attrs["settings"]``).

    Examples
    --------
    >>> labels_of("customer-recycling", {"horizon_days": 120})
    CustomerReactivationSettings(dormant_days=90, horizon_days=120)
    """
    return LABEL_SETTINGS[name].model_validate(dict(values))


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Verdict(_Frozen):
    """LightGBM against each baseline on the pooled out-of-time rows (the paired bootstrap).

    ``against[baseline][metric]`` holds ``estimate``, ``low`` and ``high`` of LightGBM minus
    the baseline (95 % interval); ``beats_baselines`` is true when the interval of the ROC AUC
    difference against ``best_baseline`` lies above zero.
    """

    rows: int
    positives: int
    entities: int
    splits: list[str]
    best_baseline: str
    against: dict[str, dict[str, dict[str, float]]]
    beats_baselines: bool


class ModelCard(_Frozen):
    """What a trained model was trained on, how, and how it did (see the module docstring)."""

    schema_version: int = SCHEMA_VERSION
    model: ModelName
    labels: LabelSettings = Field(description="the label settings: scoring reuses them")
    cutoff: datetime = Field(description="training saw only events strictly before this")
    features: list[str] = Field(description="the model's input columns, in order")
    entity_id: str = ""
    categorical_features: list[str] = Field(default_factory=list)
    tables: dict[str, int] = Field(default_factory=dict, description="rows per extract table")
    pool_rules: dict[str, Any] | None = None
    # the data range and the as_of grid of the snapshots
    data_start: date | None = None
    data_end: date | None = None
    grid: list[date] = Field(default_factory=list)
    rows: int | None = None
    positives: int | None = None
    positive_rate: float | None = Field(None, description="the base rate of the training rows")
    # the fold plan and its splits
    grid_frequency: Literal["weekly", "monthly"] | None = None
    n_splits: int | None = None
    block: str | None = None
    gap_days: int | None = None
    holdout_start: date | None = None
    holdout_rows: int | None = None
    holdout_positives: int | None = None
    splits: dict[str, dict[str, Any]] = Field(default_factory=dict)
    skipped_folds: dict[str, str] = Field(default_factory=dict)
    # the model chosen, how it was calibrated, and the verdict
    capacity: str | None = None
    capacity_fold_roc_auc: dict[str, float] = Field(default_factory=dict)
    lightgbm_params: dict[str, Any] = Field(default_factory=dict)
    n_estimators_fitted: int | None = None
    scale_pos_weight_fitted: float | None = None
    calibration_fraction: float | None = None
    calibration_method: str | None = None
    registered_model: str | None = None
    value_model: str | None = None
    verdict: Verdict | None = None
    beats_baselines: bool | None = None
    training_seconds: float | None = None
    # the drift guard: feature distributions of the training rows, and their moment
    reference: dict[str, dict[str, Any]] | None = None
    reference_as_of: datetime | None = None

    @model_validator(mode="before")
    @classmethod
    def _labels_of_the_model(cls, data: Any) -> Any:
        """Build ``labels`` as the model's own settings class; read a schema-1 (flat) card."""
        if not isinstance(data, dict) or data.get("model") not in LABEL_SETTINGS:
            return data
        kind = LABEL_SETTINGS[data["model"]]
        data = dict(data)
        if "labels" not in data:  # schema 1: the label settings sat at the top level
            data["labels"] = {k: data.pop(k) for k in list(data) if k in kind.model_fields}
        if isinstance(data["labels"], dict):
            data["labels"] = kind.model_validate(data["labels"])
        return data

    @model_validator(mode="after")
    def _labels_fit_the_model(self) -> ModelCard:
        if not isinstance(self.labels, LABEL_SETTINGS[self.model]):
            raise ValueError(f"the {self.model} model needs {LABEL_SETTINGS[self.model].__name__}")
        return self

    @property
    def horizon_days(self) -> int:
        """Return the label horizon (also the gap of the temporal splits)."""
        return self.labels.horizon_days

    @property
    def dormant_days(self) -> int:
        """Return the dormancy the features and labels were built with."""
        return self.labels.dormant_days

    @classmethod
    def parse(cls, stored: dict[str, Any]) -> ModelCard:
        """Return the card of a stored model (its JSON, either schema version).

        Raises
        ------
        ValueError
            When the stored card does not fit (pydantic's message names the field).
        """
        return cls.model_validate(stored)

    def to_json(self) -> dict[str, Any]:
        """Return the card as JSON types (dates and moments as ISO text), as tracking stores it.

        Unset optional fields (``None``) are left out; :meth:`parse` restores them.
        """
        return self.model_dump(mode="json", exclude_none=True)
