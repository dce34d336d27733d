"""Log a trained model to MLflow: one run, its evidence, the pyfunc model, the registry version."""

from __future__ import annotations

import json
import logging
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import mlflow
import mlflow.pyfunc
import pandas as pd

from stagnation import plots
from stagnation.training import ENTITY_ID, TrainingResult

from . import _report
from ._pyfunc import (
    StagnationModel,
    json_safe,
    learned_categories,
    model_metadata,
    package_dir,
    pip_requirements,
    signature,
    to_model_input,
)
from ._uri import client, experiment_id, open_store, store_lock, using

#: Artifact paths inside a run, shared with :func:`promote`.
HOLDOUT_ARTIFACT = "holdout/holdout.parquet"
#: The evaluated models' calibrated scores on the holdout rows, row-aligned with them.
SCORES_ARTIFACT = "holdout/holdout_scores.parquet"
MODEL_NAME = "model"
CHAMPION, CHALLENGER = "champion", "challenger"
_CONTRIBUTION_ROWS = 2000
#: Column that replaces the entity id in the logged holdout unless ids are asked for.
ROW_COLUMN = "row"
#: Run tag saying whether the run's artifacts carry customer/rep ids (``log_ids``).
LOG_IDS_TAG = "stagnation.log_ids"


@dataclass(frozen=True)
class ModelVersionInfo:
    """A registered model version, as :func:`log_training` left it.

    Attributes
    ----------
    name
        Registered model name.
    version
        Version number, as MLflow spells it (a string).
    run_id
        The MLflow run that logged it.
    aliases
        Aliases pointing to this version (``challenger``, and ``champion`` for the first one).
    """

    name: str
    version: str
    run_id: str
    aliases: tuple[str, ...]

    @property
    def model_uri(self) -> str:
        """Return the registry URI of this version."""
        return f"models:/{self.name}/{self.version}"


def git_commit() -> str:
    """Return the git commit of the ``stagnation`` source, or ``unknown`` outside a checkout."""
    try:
        done = subprocess.run(
            ["git", "-C", package_dir(), "rev-parse", "HEAD"],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    commit = done.stdout.strip()
    return commit if done.returncode == 0 and commit else "unknown"


class _DropMessage(logging.Filter):
    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text

    def filter(self, record: logging.LogRecord) -> bool:
        return self.text not in record.getMessage()


@contextmanager
def _quiet_cloudpickle_notice() -> Iterator[None]:
    """Hide MLflow's per-call notice that a Python object is pickled (we know; see _pyfunc)."""
    logger = logging.getLogger("mlflow.pyfunc")
    notice = _DropMessage("Passing a Python object as `python_model`")
    logger.addFilter(notice)
    try:
        yield
    finally:
        logger.removeFilter(notice)


def _save_figure(fig: Any, path: Path) -> None:
    fig.savefig(path, dpi=110)


def _write_plots(result: TrainingResult, folder: Path) -> None:
    """Write the evaluation plots of ``result`` as PNG files into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    label = result.holdout["label"].to_numpy(dtype=float)
    scores = {str(c): result.holdout_scores[c].to_numpy(dtype=float) for c in result.holdout_scores}
    if _report.MODEL in scores:  # the model first, drawn thickest
        scores = {_report.MODEL: scores.pop(_report.MODEL), **scores}
    both_classes = 0 < label.sum() < len(label)
    if scores and both_classes:
        _save_figure(plots.lift_gain_chart(label, scores), folder / "lift_gain.png")
        _save_figure(plots.roc_pr_curves(label, scores), folder / "roc_pr.png")
    if _report.MODEL in scores:
        model_score = scores[_report.MODEL]
        _save_figure(plots.calibration_curve(label, model_score), folder / "calibration.png")
    if not result.feature_importance.empty:
        chart = plots.feature_importance_chart(result.feature_importance)
        _save_figure(chart, folder / "feature_importance.png")
    contributions = result.contributions
    if not contributions.empty:
        contributions = contributions.head(_CONTRIBUTION_ROWS)
        X = result.holdout.loc[contributions.index, list(contributions.columns)]
        summary = plots.contribution_summary(contributions, X)
        _save_figure(summary, folder / "contributions.png")


def logged_holdout(result: TrainingResult, *, log_ids: bool = False) -> pd.DataFrame:
    """Return the holdout as it is logged: without the entity id unless ``log_ids``.

    :func:`promote` needs the rows (features, ``label``), not whom they describe, so by default
    the ``customer_id`` / ``rep_id`` column is replaced by ``row``, the row number (0, 1, ...):
    a per-employee judgement ("slid into order-follower mode") must not be copied into MLflow,
    which has a wider audience and a longer retention than the CRM. Column ``entity`` numbers
    the entities (0, 1, ... in order of first row), so that promote's bootstrap can resample
    entities, whose snapshot rows repeat, without knowing who they are.
    """
    holdout = result.holdout
    entity = ENTITY_ID[result.name]
    if log_ids or entity not in holdout.columns:
        return holdout
    position = holdout.columns.get_loc(entity)
    anonymous = holdout.drop(columns=[entity]).reset_index(drop=True)
    anonymous.insert(int(position), ROW_COLUMN, range(len(anonymous)))  # type: ignore[arg-type]
    anonymous.insert(int(position) + 1, "entity", pd.factorize(holdout[entity])[0])  # type: ignore[arg-type]
    return anonymous


def _write_artifacts(
    result: TrainingResult, settings: dict[str, Any], folder: Path, *, log_ids: bool = False
) -> None:
    """Write everything but the model and the card into ``folder``."""
    kept = _report.run_settings(settings)
    (folder / "settings.json").write_text(json.dumps(kept, indent=2, sort_keys=True))
    if "reference" in settings:  # the drift guard's bins and shares: an artifact, not params
        reference = json.dumps(settings["reference"], indent=1, sort_keys=True)
        (folder / "drift_reference.json").write_text(reference)
    (folder / "feature_names.json").write_text(json.dumps(result.feature_names, indent=2))
    result.metrics.to_csv(folder / "metrics.csv", index=False)
    importance = result.feature_importance.rename("gain").rename_axis("feature")
    importance.to_csv(folder / "feature_importance.csv")
    holdout_dir = folder / "holdout"
    holdout_dir.mkdir()
    logged_holdout(result, log_ids=log_ids).to_parquet(folder / HOLDOUT_ARTIFACT)
    result.holdout_scores.to_parquet(folder / SCORES_ARTIFACT)
    _write_plots(result, folder / "plots")


def _check(result: TrainingResult) -> None:
    """Raise ``ValueError`` when ``result`` lacks what logging and promotion need."""
    leaks = {ENTITY_ID[result.name], "as_of", "label", "value"} & set(result.feature_names)
    if leaks:
        raise ValueError(f"{result.name}: feature_names include non-features {sorted(leaks)}")
    missing = [n for n in result.feature_names if n not in result.holdout.columns]
    if missing:
        raise ValueError(f"{result.name}: holdout lacks the feature columns {missing}")
    if "label" not in result.holdout.columns:
        raise ValueError(f"{result.name}: holdout has no 'label' column")
    if not result.contributions.index.isin(result.holdout.index).all():
        raise ValueError(f"{result.name}: contributions must be indexed by holdout row labels")
    if len(result.holdout_scores) != len(result.holdout):
        raise ValueError(
            f"{result.name}: holdout_scores has {len(result.holdout_scores)} rows, "
            f"holdout {len(result.holdout)}"
        )


def input_example(result: TrainingResult) -> pd.DataFrame:
    """Return one synthetic row of plain feature columns that describes no real entity.

    Numeric features take the holdout's median, categorical ones their most frequent value
    (missing when the column is empty): a valid model input for MLflow's signature check and
    serving example, not a copy of anyone's figures.
    """
    holdout = result.holdout
    example = holdout[result.feature_names].head(1).reset_index(drop=True)
    for name in result.feature_names:  # every value is overwritten: nothing of the real row stays
        values = holdout[name]
        if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
            example[name] = float(values.median()) if values.notna().any() else float("nan")
        else:
            mode = values.dropna().mode()
            example.loc[0, name] = mode.iloc[0] if len(mode) else None
    return to_model_input(example, result.feature_names)


def log_training(
    result: TrainingResult,
    *,
    tracking_uri: str | None = None,
    source_commit: str | None = None,
    log_ids: bool = False,
) -> ModelVersionInfo:
    """Log a trained model to MLflow, register a new version and set its aliases.

    One experiment per model, named as the registered model. The run holds every setting as a
    param (long values in ``settings.json``), every metric as ``{split}_{model}_{metric}``
    (``holdout_lightgbm_roc_auc``, ``fold_1_rfm_logistic_lift_at_10``), PNG plots under
    ``plots/``, ``model_card.md``, ``metrics.csv``, the holdout snapshots (``holdout/``, which
    :func:`promote` re-scores) and the pyfunc model. The new version gets alias ``challenger``,
    and ``champion`` when the model has none yet (the contract's rule, so that a first training
    can score), even when it does not clearly beat its best baseline out of time: tag
    ``beats_baselines`` says which, train and score say so, and :func:`promote` replaces such a
    champion only by a challenger that passes its paired test. Description and tags carry the
    headline metrics, the verdict, data range, settings and source commit.

    Parameters
    ----------
    result
        The trained model and its evaluation.
    tracking_uri
        Where to log; resolved as in :func:`resolve_tracking_uri`.
    source_commit
        Git commit of the code; ``git rev-parse HEAD`` of the package checkout when omitted
        (``unknown`` outside a checkout).
    log_ids
        Keep the customer/rep ids in the logged holdout (opt-in; tag ``stagnation.log_ids``).
        By default no artifact, param or tag of the run carries an id: the holdout's id column
        becomes a row number (:func:`logged_holdout`) and the input example is a synthetic row
        (:func:`input_example`).

    Returns
    -------
    ModelVersionInfo
        Name, version, run id and aliases of the new version.
    """
    _check(result)
    uri = open_store(tracking_uri)
    commit = source_commit or git_commit()
    settings = json_safe(result.card.to_json())
    name = result.registered_name
    mlflow_client = client(uri)
    categories = learned_categories(result.holdout, result.feature_names)
    wrapper = StagnationModel(
        result.name,
        result.model,
        result.value_model,
        result.feature_names,
        categories,
        settings,
    )
    description, tags = _report.version_notes(result, settings, source_commit=commit)
    with (
        store_lock(uri),  # one registration at a time on a sqlite store
        using(uri),
        tempfile.TemporaryDirectory(prefix="stagnation-run-") as tmp,
    ):
        folder = Path(tmp)
        _write_artifacts(result, settings, folder, log_ids=log_ids)
        experiment = experiment_id(mlflow_client, name, uri)
        with mlflow.start_run(experiment_id=experiment, run_name=f"train-{result.name}") as run:
            run_id = run.info.run_id
            mlflow.set_tags({"stagnation.model": result.name, "source_commit": commit})
            mlflow.set_tag(LOG_IDS_TAG, str(log_ids).lower())
            mlflow.log_params(_report.params(settings))
            mlflow.log_metrics(_report.metric_dict(result.metrics))
            mlflow.log_artifacts(str(folder))
            with _quiet_cloudpickle_notice():
                info = mlflow.pyfunc.log_model(
                    name=MODEL_NAME,
                    python_model=wrapper,
                    signature=signature(
                        result.feature_names, set(categories), result.value_model is not None
                    ),
                    input_example=input_example(result),
                    pip_requirements=pip_requirements(),
                    code_paths=[package_dir()],
                    metadata=model_metadata(wrapper),
                )
            registered = mlflow.register_model(info.model_uri, name, tags=tags)
            version = str(registered.version)
            card = _report.model_card(
                result, settings, version=version, run_id=run_id, source_commit=commit
            )
            mlflow.log_text(card, "model_card.md")
    with store_lock(uri):  # "champion when none exists" is decided by one process at a time
        mlflow_client.update_model_version(name, version, description=description)
        aliases = [CHALLENGER]
        if CHAMPION not in mlflow_client.get_registered_model(name).aliases:
            aliases.insert(0, CHAMPION)
        for alias in aliases:
            mlflow_client.set_registered_model_alias(name, alias, version)
    return ModelVersionInfo(name=name, version=version, run_id=run_id, aliases=tuple(aliases))
