"""The models scoring runs with: loaded from folders, URIs or the registry's champions."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd

from stagnation.errors import BadExtract, BadOption, ModelNotFound
from stagnation.scoring._reasons import top_reasons
from stagnation.scoring._yardsticks import is_level, yardsticks
from stagnation.tracking import load_model, model_features, model_version, to_model_input
from stagnation.training import REGISTERED_NAMES, ModelCard, ModelName, explained_estimator


@dataclass(frozen=True)
class ScoringModel:
    """A loaded model with what scoring needs to know about it."""

    name: ModelName
    pyfunc: Any
    card: ModelCard
    registered_name: str
    version: str

    @property
    def feature_names(self) -> list[str]:
        """Return the model's input columns."""
        return model_features(self.pyfunc)

    def predict(self, features: pd.DataFrame) -> pd.DataFrame:
        """Return ``score`` (and ``expected_value``) for feature rows, checking the inputs."""
        missing = [n for n in self.feature_names if n not in features.columns]
        if missing:
            raise BadExtract(
                f"the {self.name} model needs features this extract does not give: "
                f"{', '.join(missing)}"
            )
        return self.pyfunc.predict(to_model_input(features, self.feature_names))

    def contributions(self, features: pd.DataFrame) -> pd.DataFrame:
        """Return LightGBM's per-row feature contributions for the rows (reasons)."""
        model = self.pyfunc.unwrap_python_model()
        X = model.features(features)
        return explained_estimator(model.classifier).contributions(X)

    def reasons(self, features: pd.DataFrame) -> np.ndarray:
        """Return each row's top three reasons, each read against its yardstick."""
        rows = features.reset_index(drop=True)
        return self.reasons_from(self.contributions(rows), rows)

    def reasons_from(self, contributions: pd.DataFrame, features: pd.DataFrame) -> np.ndarray:
        """Return the top three reasons from contributions computed elsewhere (on Spark).

        ``features`` are all the rows scored (the peers' medians are theirs), in the order of
        ``contributions``.
        """
        rows = features.reset_index(drop=True)
        entity: Literal["rep", "customer"] = "rep" if self.name == "rep-passivity" else "customer"
        compare = yardsticks(entity, rows, self.card.reference)
        return top_reasons(
            contributions.reset_index(drop=True), rows, compare=compare, level=is_level
        ).to_numpy()


def load_scoring_models(
    model_uris: Sequence[str] = (),
    *,
    need: Sequence[ModelName] = ("rep-passivity", "customer-recycling"),
    tracking_uri: str | None = None,
) -> dict[str, ScoringModel]:
    """Load the models to score with: the given URIs or folders, else each model's champion.

    Each model says which one it is in its card, so the URIs may come in any order. When
    URIs are given, scoring uses those models only (a batch job that ships one exported model
    never reaches for a registry); without URIs it loads the ``champion`` of each model in
    ``need``.

    Raises
    ------
    ValueError
        When a model cannot be loaded, or the given models hold none of ``need``.
    """
    if not model_uris:
        return {
            name: load_model_at(f"models:/{REGISTERED_NAMES[name]}@champion", tracking_uri)
            for name in need
        }
    given: dict[str, ScoringModel] = {}
    for uri in model_uris:
        model = load_model_at(str(uri), tracking_uri)
        given[model.name] = model
    models: dict[str, ScoringModel] = {name: given[name] for name in need if name in given}
    if not models:
        raise BadOption(
            f"the models given ({', '.join(sorted(given))}) cannot score this extract, which "
            f"needs {' or '.join(need)}"
        )
    return models


def load_model_at(uri: str, tracking_uri: str | None) -> ScoringModel:
    """Load one model (a folder or an MLflow URI) through tracking, as scoring uses it.

    Raises
    ------
    ValueError
        When it cannot be loaded (with what to do), or does not say which model it is.
    """
    try:
        pyfunc, card = load_model(uri, tracking_uri=tracking_uri)
    except Exception as err:  # MLflow raises its own types for a missing model or alias
        if isinstance(err, ModelNotFound) and err.advised:  # it says what to do already
            advice = ""
        elif uri.startswith("models:/"):
            advice = ". Train it first (stagnation train) or pass --model-uri with a model folder"
        else:
            advice = (
                ". --model-uri takes a folder written by `stagnation export` or an MLflow "
                "model URI: check the path"
            )
        raise ModelNotFound(f"cannot load the model {uri}: {err}{advice}") from err
    version = model_version(uri, tracking_uri=tracking_uri)
    return ScoringModel(card.model, pyfunc, card, REGISTERED_NAMES[card.model], version)
