"""Training: estimators, temporal splits with a gap, calibration, metrics and baselines.

Nothing here imports MLflow: :func:`train` returns a :class:`TrainingResult` that
``stagnation.tracking`` logs and registers.
"""

from stagnation.training._baselines import RuleScore, baselines, classic_logistic
from stagnation.training._calibration import RecalibratedModel, calibrate, explained_estimator
from stagnation.training._card import SCHEMA_VERSION, ModelCard, Verdict, labels_of
from stagnation.training._compare import Interval, paired_difference, paired_differences
from stagnation.training._drift import (
    GROWS_WITH_TIME,
    MAJOR_SHIFT,
    bin_codes,
    population_stability,
    reference_distribution,
    with_drift_reference,
)
from stagnation.training._estimators import LightGBMRisk, LightGBMValue
from stagnation.training._metrics import (
    classification_metrics,
    expected_calibration_error,
    precision_at,
)
from stagnation.training._plan import (
    FOLD_WARMUP_FACTOR,
    GRID_FREQUENCY,
    Grid,
    NotEnoughHistory,
    choose_grid,
    minimum_history_days,
    plan_splits,
)
from stagnation.training._result import (
    ENTITY_ID,
    HEADLINE,
    MODEL,
    REGISTERED_NAMES,
    ModelName,
    TrainingResult,
    fold_table,
    holdout_table,
)
from stagnation.training._split import SplitWindow, TemporalSplit
from stagnation.training._strategies import FIELD_RULE, STRATEGIES
from stagnation.training._train import CATEGORICAL_FEATURES, feature_columns, train

__all__ = [
    "CATEGORICAL_FEATURES",
    "ENTITY_ID",
    "FIELD_RULE",
    "FOLD_WARMUP_FACTOR",
    "GRID_FREQUENCY",
    "GROWS_WITH_TIME",
    "HEADLINE",
    "MAJOR_SHIFT",
    "MODEL",
    "REGISTERED_NAMES",
    "SCHEMA_VERSION",
    "STRATEGIES",
    "Grid",
    "Interval",
    "LightGBMRisk",
    "LightGBMValue",
    "ModelCard",
    "ModelName",
    "NotEnoughHistory",
    "RecalibratedModel",
    "RuleScore",
    "SplitWindow",
    "TemporalSplit",
    "TrainingResult",
    "Verdict",
    "baselines",
    "bin_codes",
    "calibrate",
    "choose_grid",
    "classic_logistic",
    "classification_metrics",
    "expected_calibration_error",
    "explained_estimator",
    "feature_columns",
    "fold_table",
    "holdout_table",
    "labels_of",
    "minimum_history_days",
    "paired_difference",
    "paired_differences",
    "plan_splits",
    "population_stability",
    "precision_at",
    "reference_distribution",
    "train",
    "with_drift_reference",
]
