"""MLflow tracking and registry: log a trained model, review and promote it, export it, load it.

The only package that imports MLflow. Tracking URI: the ``tracking_uri`` argument, else
``MLFLOW_TRACKING_URI``, else ``sqlite:///mlflow.db`` in the working folder with artifacts in
``./mlruns`` beside it (CONTRACT.md section 3).
"""

from ._log import ModelVersionInfo, git_commit, log_training
from ._pyfunc import StagnationModel, load_model, model_features, to_model_input
from ._registry import PRIMARY_METRIC, PromotionResult, compare, export, model_version, promote
from ._review import model_aliases, model_versions, side_by_side, version_plots
from ._uri import DEFAULT_TRACKING_URI, open_store, resolve_tracking_uri

__all__ = [
    "DEFAULT_TRACKING_URI",
    "PRIMARY_METRIC",
    "ModelVersionInfo",
    "PromotionResult",
    "StagnationModel",
    "compare",
    "export",
    "git_commit",
    "load_model",
    "log_training",
    "model_aliases",
    "model_features",
    "model_version",
    "model_versions",
    "open_store",
    "promote",
    "resolve_tracking_uri",
    "side_by_side",
    "to_model_input",
    "version_plots",
]
