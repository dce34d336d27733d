"""The MLflow pyfunc form of a trained model: plain-typed inputs in, ``score`` (and worth) out.

Self-contained model folders
----------------------------
The wrapper pickles (cloudpickle) the fitted estimators, whose classes may live in
``stagnation.training``; unpickling needs them importable. The model is therefore logged with
``code_paths=[<the stagnation package>]``: the package source is copied into the model folder
(``code/stagnation``) and MLflow puts it on ``sys.path`` when loading. Where ``stagnation`` is
already installed (the ``score`` command), the installed package is used; elsewhere the copy
is. ``pip_requirements`` lists the package's own runtime dependencies pinned to the versions
installed at training time (plus ``cloudpickle`` and ``matplotlib``), and not ``stagnation``
itself, which is not on a package index and travels as code.
"""

from __future__ import annotations

import json
import re
from importlib import metadata
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import mlflow.pyfunc
import numpy as np
import pandas as pd
from mlflow.models import ModelSignature
from mlflow.pyfunc import PyFuncModel, PythonModel
from mlflow.types.schema import ColSpec, Schema

from stagnation.errors import ModelNotFound
from stagnation.training import ModelCard

from ._uri import resolve_tracking_uri, using

#: Key of this package's block in the ``metadata`` of the MLmodel file.
METADATA_KEY = "stagnation"
_FALLBACK_REQUIREMENTS = ["numpy", "pandas", "pyarrow", "pandera", "scikit-learn", "lightgbm"]


def json_safe(value: Any) -> Any:
    """Return ``value`` as JSON types: timestamps as ISO strings, numpy scalars as Python ones.

    Examples
    --------
    >>> json_safe({"as_of": pd.Timestamp("2025-01-01"), "grid": (np.int64(1), 2.5)})
    {'as_of': '2025-01-01T00:00:00', 'grid': [1, 2.5]}
    """
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset, np.ndarray, pd.Index, pd.Series)):
        return [json_safe(v) for v in value]
    if hasattr(value, "model_dump"):  # pydantic settings
        return json_safe(value.model_dump())
    if isinstance(value, (pd.Timestamp, pd.Timedelta)) or hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, np.generic):
        return value.item()
    if value is None or isinstance(value, (bool, int, float, str)):
        return None if isinstance(value, float) and np.isnan(value) else value
    return str(value)


def learned_categories(frame: pd.DataFrame, feature_names: list[str]) -> dict[str, list[Any]]:
    """Return the categories of each categorical feature of ``frame``, as the model learned them."""
    return {
        name: list(frame[name].cat.categories)
        for name in feature_names
        if isinstance(frame[name].dtype, pd.CategoricalDtype)
    }


def to_model_input(frame: pd.DataFrame, feature_names: list[str] | None = None) -> pd.DataFrame:
    """Return ``frame`` in the plain types of the model signature.

    Categorical, string and object columns become ``object`` strings (missing as ``None``);
    every other column becomes ``float64``. MLflow's schema enforcement refuses ``category``
    columns and integers where the signature says ``double``, so convert feature frames with this
    before calling ``predict`` of a loaded model.

    Parameters
    ----------
    frame
        Feature values, typically ``stagnation.features`` output.
    feature_names
        Columns to keep, in order; all of ``frame`` when omitted.

    Returns
    -------
    pandas.DataFrame
        A new frame with ``object`` column labels (MLflow's input-example writer chokes on
        pandas 3 string labels).

    Examples
    --------
    >>> out = to_model_input(pd.DataFrame({"n": [1, 2], "c": pd.Categorical(["a", None])}))
    >>> out.dtypes.astype(str).tolist(), out["c"].tolist()
    (['float64', 'object'], ['a', None])
    """
    names = list(frame.columns) if feature_names is None else list(feature_names)
    missing = [n for n in names if n not in frame.columns]
    if missing:
        raise ValueError(f"the frame lacks the model's feature columns {missing}")
    columns: dict[str, pd.Series] = {}
    for name in names:
        column = frame[name]
        if _is_text(column):
            text = column.astype("string")
            columns[name] = text.astype(object).where(text.notna(), None)
        else:
            columns[name] = pd.to_numeric(column, errors="coerce").astype("float64")
    out = pd.DataFrame(columns, index=frame.index)
    out.columns = pd.Index(names, dtype=object)
    return out


def _is_text(column: pd.Series) -> bool:
    dtype = column.dtype
    return (
        isinstance(dtype, pd.CategoricalDtype)
        or pd.api.types.is_string_dtype(dtype)
        or pd.api.types.is_object_dtype(dtype)
    )


def signature(feature_names: list[str], categorical: set[str], with_value: bool) -> ModelSignature:
    """Return the plain signature: strings for categoricals, doubles otherwise, none required."""
    columns: list[Any] = [
        ColSpec("string" if name in categorical else "double", name, required=False)
        for name in feature_names
    ]
    outputs: list[Any] = [ColSpec("double", "score")]
    if with_value:
        outputs.append(ColSpec("double", "expected_value"))
    return ModelSignature(inputs=Schema(columns), outputs=Schema(outputs))


class StagnationModel(PythonModel):
    """Score plain feature columns with a calibrated classifier (and a value model).

    Parameters
    ----------
    name
        ``rep-passivity`` or ``customer-recycling``.
    classifier
        Fitted calibrated classifier; ``predict_proba(X)[:, 1]`` is the probability.
    value_model
        Fitted regressor of the order value of a reactivating customer, or ``None``.
    feature_names
        The classifier's input columns, in order.
    categories
        ``{column: categories}`` of the categorical features, as learned in training.
    settings
        The training settings (JSON types), stored with the model.
    """

    def __init__(
        self,
        name: str,
        classifier: Any,
        value_model: Any | None,
        feature_names: list[str],
        categories: dict[str, list[Any]],
        settings: dict[str, Any],
    ) -> None:
        self.name = name
        self.classifier = classifier
        self.value_model = value_model
        self.feature_names = list(feature_names)
        self.categories = {k: list(v) for k, v in categories.items()}
        self.settings = settings

    def features(self, model_input: pd.DataFrame) -> pd.DataFrame:
        """Return the model's feature frame: categories restored, numbers as floats.

        Categorical columns may arrive as strings, objects or categoricals; a value the model
        never saw becomes missing. Extra columns are ignored.
        """
        missing = [n for n in self.feature_names if n not in model_input.columns]
        if missing:
            raise ValueError(f"{self.name} model input lacks the feature columns {missing}")
        columns: dict[str, Any] = {}
        for name in self.feature_names:
            column = model_input[name]
            if name in self.categories:
                learned = self.categories[name]
                by_text = {str(c): c for c in learned}
                values = column.astype("string").map(by_text)
                columns[name] = pd.Categorical(values, categories=learned)
            else:
                columns[name] = pd.to_numeric(column, errors="coerce").astype("float64")
        return pd.DataFrame(columns, index=model_input.index)

    def predict(
        self, context: Any, model_input: pd.DataFrame, params: dict[str, Any] | None = None
    ) -> pd.DataFrame:
        """Return ``score`` (calibrated probability) and, with a value model, ``expected_value``."""
        X = self.features(model_input)
        score = np.asarray(self.classifier.predict_proba(X), dtype=float)[:, 1]
        out = pd.DataFrame({"score": score}, index=model_input.index)
        if self.value_model is not None:
            value = np.asarray(self.value_model.predict(X), dtype=float)
            out["expected_value"] = score * np.clip(value, 0.0, None)
        return out


def pip_requirements() -> list[str]:
    """Return the model's pip requirements: this package's runtime dependencies, pinned."""
    try:
        declared = metadata.requires("stagnation") or []
    except metadata.PackageNotFoundError:
        declared = _FALLBACK_REQUIREMENTS
    names = [
        match.group(0)
        for req in declared
        if "extra ==" not in req and (match := re.match(r"[A-Za-z0-9._-]+", req))
    ]
    pinned = []
    for name in [*names, "cloudpickle", "matplotlib"]:
        try:
            pinned.append(f"{name}=={metadata.version(name)}")
        except metadata.PackageNotFoundError:
            pinned.append(name)
    return list(dict.fromkeys(pinned))


def package_dir() -> str:
    """Return the folder of the ``stagnation`` package, shipped with each model as code."""
    return str(Path(__file__).resolve().parents[1])  # stagnation/tracking/_pyfunc.py


#: Card fields kept in the MLmodel file as one JSON string, not as YAML. The drift reference
#: (bins of every feature) is most of the card, 2,300 of an 80 kB file's 2,700 lines, and MLflow
#: reads the file with PyYAML's pure-Python parser three times per load: 1.5 s for both models
#: of the 11.3M-activity company, against a few milliseconds for one string. Loading reads both
#: forms, so models logged before keep loading.
PACKED_FIELDS = ("reference",)


def model_metadata(model: StagnationModel) -> dict[str, Any]:
    """Return the MLmodel ``metadata`` block: model name, features and settings (JSON types)."""
    settings = dict(model.settings)
    for field in PACKED_FIELDS:
        if settings.get(field) is not None:
            settings[field] = json.dumps(settings[field], separators=(",", ":"))
    return {
        METADATA_KEY: {
            "model": model.name,
            "feature_names": model.feature_names,
            "categorical": sorted(model.categories),
            "settings": settings,
        }
    }


def _unpacked(settings: dict[str, Any]) -> dict[str, Any]:
    """Return the card's settings as logged, with :data:`PACKED_FIELDS` read back."""
    for field in PACKED_FIELDS:
        if isinstance(settings.get(field), str):
            settings[field] = json.loads(settings[field])
    return settings


def load_model(
    model_uri: str | Path, *, tracking_uri: str | None = None
) -> tuple[PyFuncModel, ModelCard]:
    """Load a stagnation model and the card it was trained with.

    Parameters
    ----------
    model_uri
        A local model folder (an export), or an MLflow URI such as
        ``models:/stagnation-customer-recycling@champion`` or ``runs:/<id>/model``.
    tracking_uri
        Tracking/registry URI for ``models:/`` and ``runs:/`` URIs; resolved as in
        :func:`resolve_tracking_uri`.

    Returns
    -------
    tuple
        The :class:`PyFuncModel` (``predict`` takes plain columns, see
        :func:`to_model_input`) and its :class:`~stagnation.training.ModelCard` (a model
        trained before the card, with flat settings, is read too).

    Raises
    ------
    ValueError
        When the folder or URI holds no stagnation model, or its card does not fit.
    """
    uri = str(model_uri)
    if "://" not in uri and not uri.startswith(("models:", "runs:")):
        path = Path(uri)
        if not (path / "MLmodel").is_file():
            raise ModelNotFound(f"{path} is not an MLflow model folder (no MLmodel file)")
        uri = str(path.resolve())
        with using(resolve_tracking_uri(tracking_uri)):
            model = mlflow.pyfunc.load_model(uri)
    else:
        store = resolve_tracking_uri(tracking_uri)
        if uri.startswith(("models:", "runs:")):
            _require_store(store, uri)
        with using(store):
            model = mlflow.pyfunc.load_model(uri)
    block = (model.metadata.metadata or {}).get(METADATA_KEY)
    if block is None:
        raise ModelNotFound(f"{model_uri} is not a stagnation model (no {METADATA_KEY!r} metadata)")
    return model, ModelCard.parse(_unpacked(dict(block.get("settings") or {})))


def _require_store(tracking_uri: str, model_uri: str) -> None:
    """Refuse to read ``model_uri`` from a sqlite store that does not exist (MLflow would create
    an empty one: a command that only reads the registry must not leave a store behind)."""
    if not tracking_uri.startswith("sqlite:///"):
        return
    db = unquote(tracking_uri.removeprefix("sqlite:///").split("?", 1)[0])
    if db and db != ":memory:" and not Path(db).is_file():
        raise ModelNotFound(
            f"no MLflow registry at {db} to load {model_uri} from: run `stagnation train` here, "
            "set MLFLOW_TRACKING_URI to the registry, or pass --model-uri with a model folder",
            advised=True,
        )


def model_features(model: PyFuncModel) -> list[str]:
    """Return the feature columns a loaded stagnation model expects, in order."""
    block = (model.metadata.metadata or {}).get(METADATA_KEY) or {}
    names = block.get("feature_names")
    if names is None:
        raise ModelNotFound("not a stagnation model: its MLmodel metadata has no feature names")
    return list(names)
