"""MLflow tracking and registry: log a trained model, promote it, export it, load it back.

The only package that imports MLflow. Tracking URI: the ``tracking_uri`` argument, else
``MLFLOW_TRACKING_URI``, else ``sqlite:///mlflow.db`` in the working folder with artifacts in
``./mlruns`` beside it (CONTRACT.md section 3).
"""

from ._log import ModelVersionInfo, git_commit, log_training
from ._pyfunc import StagnationModel, load_model, model_features, to_model_input
from ._registry import PRIMARY_METRIC, PromotionResult, export, model_version, promote
from ._uri import DEFAULT_TRACKING_URI, resolve_tracking_uri

__all__ = [
    "DEFAULT_TRACKING_URI",
    "PRIMARY_METRIC",
    "ModelVersionInfo",
    "PromotionResult",
    "StagnationModel",
    "export",
    "git_commit",
    "load_model",
    "log_training",
    "model_features",
    "model_version",
    "promote",
    "resolve_tracking_uri",
    "to_model_input",
]
