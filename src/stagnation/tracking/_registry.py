"""Registry workflow after training: compare challenger with champion, promote, export."""

from __future__ import annotations

import json
import shutil
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import mlflow
import mlflow.artifacts
import mlflow.pyfunc
import numpy as np
import pandas as pd
from mlflow import MlflowClient
from mlflow.entities.model_registry import ModelVersion
from mlflow.exceptions import MlflowException

from stagnation.errors import ModelNotFound, PathTaken, StoreError
from stagnation.training import classification_metrics, paired_difference

from ._log import CHALLENGER, CHAMPION, HOLDOUT_ARTIFACT, SCORES_ARTIFACT
from ._pyfunc import model_features, to_model_input
from ._uri import client, open_store, registered_name, resolve_tracking_uri, using

#: Metric deciding a promotion: the challenger needs at least the champion's value.
PRIMARY_METRIC = "roc_auc"
#: Metrics compared by :func:`promote`, as :func:`stagnation.training.classification_metrics`.
COMPARED = ("roc_auc", "pr_auc", "lift_at_10", "brier")
#: File an export writes beside the MLflow model files, naming what it holds.
EXPORT_MARKER = "stagnation_export.json"


@dataclass(frozen=True)
class PromotionResult:
    """What :func:`promote` compared and decided.

    Attributes
    ----------
    name
        Registered model name.
    champion
        Version that was ``champion`` before the call (``None`` if there was none).
    challenger
        Version aliased ``challenger`` (``None`` if there is none).
    promoted
        Whether ``champion`` now points to the challenger's version (from :func:`compare`:
        whether :func:`promote` would move it).
    forced
        Whether ``force`` was asked for and needed.
    message
        One readable sentence: what was decided and why.
    comparison
        Metrics (rows: ``roc_auc``, ``pr_auc``, ``lift_at_10``, ``brier``) of ``champion`` and
        ``challenger`` (columns) on the challenger's holdout, plus ``difference``
        (challenger - champion); empty when nothing was compared.
    rows
        Holdout rows both versions were scored on.
    """

    name: str
    champion: str | None
    challenger: str | None
    promoted: bool
    forced: bool
    message: str
    comparison: pd.DataFrame
    rows: int = 0


def _version_by_alias(mlflow_client: MlflowClient, name: str, alias: str) -> ModelVersion | None:
    aliases = mlflow_client.get_registered_model(name).aliases
    if alias not in aliases:
        return None
    return mlflow_client.get_model_version(name, str(aliases[alias]))


def _registered(mlflow_client: MlflowClient, name: str) -> None:
    """Raise ``ValueError`` unless ``name`` is registered and has versions."""
    try:
        mlflow_client.get_registered_model(name)
    except MlflowException as error:
        raise ModelNotFound(
            f"no registered model {name!r} in this tracking store; train it first "
            "(stagnation train) or check MLFLOW_TRACKING_URI",
            advised=True,
        ) from error
    if not mlflow_client.search_model_versions(f"name = '{name}'", max_results=1):
        raise ModelNotFound(f"registered model {name!r} has no versions; train it first")


def _holdout(mlflow_client: MlflowClient, version: ModelVersion, tracking_uri: str) -> pd.DataFrame:
    if not version.run_id:
        raise StoreError(f"version {version.version} of {version.name} has no run to read from")
    with tempfile.TemporaryDirectory(prefix="stagnation-holdout-") as tmp:
        path = mlflow.artifacts.download_artifacts(
            run_id=version.run_id,
            artifact_path=HOLDOUT_ARTIFACT,
            dst_path=tmp,
            tracking_uri=tracking_uri,
        )
        return pd.read_parquet(path)


def _evaluated_scores(
    mlflow_client: MlflowClient, version: ModelVersion, tracking_uri: str
) -> np.ndarray | None:
    """Return the holdout scores of the version's *evaluated* model (fitted before the
    holdout's gap), or ``None`` for runs that did not log them.

    The registered model is refitted on every snapshot, its holdout included, so re-scoring the
    holdout with it would judge it on rows it learned from.
    """
    if not version.run_id:
        return None
    with tempfile.TemporaryDirectory(prefix="stagnation-holdout-") as tmp:
        try:
            path = mlflow.artifacts.download_artifacts(
                run_id=version.run_id,
                artifact_path=SCORES_ARTIFACT,
                dst_path=tmp,
                tracking_uri=tracking_uri,
            )
        except MlflowException:
            return None
        scores = pd.read_parquet(path)
    return scores["lightgbm"].to_numpy(dtype=float) if "lightgbm" in scores else None


def _trained_through(version: ModelVersion) -> pd.Timestamp | None:
    """Return the latest ``as_of`` the version's registered model was fitted on (tag)."""
    return _tag_time(version, "data_end")


def _score(name: str, version: str, holdout: pd.DataFrame) -> np.ndarray:
    model = mlflow.pyfunc.load_model(f"models:/{name}/{version}")
    features = model_features(model)
    missing = [c for c in features if c not in holdout.columns]
    if missing:
        raise StoreError(
            f"version {version} of {name} needs the columns {missing}, which the challenger's "
            "holdout lacks; the two versions cannot be compared (use force to promote anyway)"
        )
    scores = model.predict(to_model_input(holdout, features))
    return np.asarray(scores["score"], dtype=float)


def compare(name: str, *, tracking_uri: str | None = None) -> PromotionResult:
    """Compare the ``challenger`` with the ``champion`` as :func:`promote` would; move nothing.

    Both versions re-score the challenger's holdout snapshots (the newest label-complete data,
    logged with the challenger's run). ``promoted`` in the result says whether
    :func:`promote` *would* promote (challenger's ROC AUC at least the champion's); aliases and
    tags stay as they are.

    Parameters
    ----------
    name
        Registered model name, or its short form (``customer-recycling``).
    tracking_uri
        Tracking/registry URI; resolved as in :func:`resolve_tracking_uri`.

    Raises
    ------
    ValueError
        When the model is not registered, has no versions, or the versions cannot be compared
        (different feature columns).
    """
    return _decide(name, tracking_uri=tracking_uri, force=False, apply=False)


def promote(name: str, *, force: bool = False, tracking_uri: str | None = None) -> PromotionResult:
    """Move alias ``champion`` to the ``challenger`` version when it is at least as good.

    The comparison uses the challenger's holdout snapshots (the newest label-complete data,
    logged with its run), restricted to the rows the champion never trained on (``as_of`` after
    the champion's ``data_end``). The challenger is scored by its *evaluated* model (fitted before
    the holdout's gap; its registered model is refitted on those very rows), the champion by its
    registered model. The rule, on the paired bootstrap 95 % interval of the ROC AUC difference:
    promote when the challenger is not significantly worse and either saw newer data or is
    significantly better. A tie on the same data does not promote. ``force`` promotes
    regardless and is recorded in the version's tags. With no champion yet, the challenger is
    promoted without comparison; with no challenger, or the same version under both aliases,
    nothing changes. :func:`compare` shows the same comparison without promoting.

    Parameters
    ----------
    name
        Registered model name, or its short form (``customer-recycling``).
    force
        Promote even when the challenger is worse or cannot be compared.
    tracking_uri
        Tracking/registry URI; resolved as in :func:`resolve_tracking_uri`.

    Returns
    -------
    PromotionResult
        Both versions' metrics side by side and the decision.

    Raises
    ------
    ValueError
        When the model is not registered, has no versions, or the versions cannot be compared
        (different feature columns) and ``force`` is not set.
    """
    return _decide(name, tracking_uri=tracking_uri, force=force, apply=True)


def _decide(name: str, *, tracking_uri: str | None, force: bool, apply: bool) -> PromotionResult:
    """Compare challenger and champion; with ``apply``, move the alias and tag the decision."""
    name = registered_name(name)
    uri = open_store(tracking_uri)  # a new store is set up under the lock, as training does
    mlflow_client = client(uri)
    _registered(mlflow_client, name)
    champion = _version_by_alias(mlflow_client, name, CHAMPION)
    challenger = _version_by_alias(mlflow_client, name, CHALLENGER)
    old = str(champion.version) if champion else None
    would = "" if apply else "would be "
    if challenger is None:
        message = f"{name} has no '{CHALLENGER}' version: nothing to promote"
        return PromotionResult(name, old, None, False, False, message, pd.DataFrame())
    new = str(challenger.version)
    if champion is None or str(champion.version) == new:
        if champion is None:
            if apply:
                mlflow_client.set_registered_model_alias(name, CHAMPION, new)
            message = f"{name} had no champion: version {new} {would or 'is now '}'{CHAMPION}'"
        else:
            message = f"version {new} of {name} is already both champion and challenger"
        return PromotionResult(name, old, new, champion is None, False, message, pd.DataFrame())
    holdout = _holdout(mlflow_client, challenger, uri)
    # the champion is judged only on rows it never trained on: as_of after its data end
    seen_until = _trained_through(champion)
    as_of = pd.to_datetime(holdout["as_of"]) if "as_of" in holdout else None
    if seen_until is not None and as_of is not None:
        unseen = (as_of > seen_until).to_numpy()
    else:
        unseen = np.ones(len(holdout), dtype=bool)
    newer = _newer_data(challenger, champion)
    if not unseen.any() and not force:
        message = (
            f"{'not promoted' if apply else 'would not promote'}: champion v{old} was trained on "
            "every holdout row of "
            f"challenger v{new} (data to {seen_until:%Y-%m-%d}), so no fair comparison exists"
            + ("" if newer else "; the challenger saw no newer data either")
        )
        if apply:
            mlflow_client.set_model_version_tag(name, new, "promotion", message[:250])
        return PromotionResult(name, old, new, False, False, message, pd.DataFrame(), 0)
    rows = holdout[unseen] if unseen.any() else holdout
    label = rows["label"].to_numpy(dtype=float)
    try:
        with using(uri):
            evaluated = _evaluated_scores(mlflow_client, challenger, uri)
            scores = {
                CHAMPION: _score(name, str(champion.version), rows),
                CHALLENGER: (
                    evaluated[unseen]
                    if evaluated is not None and unseen.any()
                    else _score(name, new, rows)
                ),
            }
    except StoreError:  # the versions cannot be compared; anything else is a bug, never forced
        if not force:
            raise
        if apply:
            mlflow_client.set_registered_model_alias(name, CHAMPION, new)
        message = f"forced: version {new} of {name} is now '{CHAMPION}' without comparison"
        mlflow_client.set_model_version_tag(name, new, "promotion", message[:250])
        return PromotionResult(name, old, new, True, True, message, pd.DataFrame(), len(rows))
    metrics = {}
    for key, score in scores.items():
        computed = classification_metrics(label, score)
        metrics[key] = {m: float(computed[m]) for m in COMPARED}
    comparison = pd.DataFrame(metrics)
    comparison["difference"] = comparison[CHALLENGER] - comparison[CHAMPION]
    comparison.index.name = "metric"
    entity = next((c for c in ("customer_id", "rep_id", "entity") if c in rows.columns), None)
    groups = rows[entity].to_numpy() if entity else np.arange(len(rows))
    interval = paired_difference(label, scores[CHALLENGER], scores[CHAMPION], groups=groups)[
        "roc_auc"
    ]
    worse, better = interval.high < 0, interval.low > 0
    good = bool(not worse and (newer or better))
    verdict = (
        f"challenger v{new} minus champion v{old} ROC AUC {interval} (95 % interval) on "
        f"{len(rows):,} holdout rows the champion never trained on; the challenger "
        + ("saw newer data" if newer else "saw no newer data")
    )
    if not apply:
        outcome = "would promote" if good else "would not promote"
        message = f"{outcome}: {verdict}"
        return PromotionResult(name, old, new, good, False, message, comparison, len(rows))
    if good or force:
        mlflow_client.set_registered_model_alias(name, CHAMPION, new)
        how = "promoted" if good else "forced promotion (--force) although the rule refuses"
        message = f"{how}: {verdict}; version {new} is now '{CHAMPION}'"
    else:
        reason = "significantly worse" if worse else "neither newer data nor significantly better"
        message = f"not promoted ({reason}): {verdict}; '{CHAMPION}' stays on version {old}"
    mlflow_client.set_model_version_tag(name, new, "promotion", message[:250])
    if force and not good:
        mlflow_client.set_model_version_tag(name, new, "promotion_forced", "true")
    return PromotionResult(
        name, old, new, good or force, force and not good, message, comparison, len(rows)
    )


def _newer_data(challenger: ModelVersion, champion: ModelVersion) -> bool:
    """Return whether the challenger saw events the champion did not: a later training cutoff.

    The cutoff, not the last snapshot date: two trainings on the same extract and cutoff with
    another ``--grid`` end their snapshots a few days apart, yet saw the same events. Versions
    without a ``cutoff`` tag fall back to the last snapshot date (``data_end``).
    """
    ours, theirs = _tag_time(challenger, "cutoff"), _tag_time(champion, "cutoff")
    if ours is None or theirs is None:
        ours, theirs = _trained_through(challenger), _trained_through(champion)
    return bool(ours is not None and (theirs is None or ours > theirs))


def _tag_time(version: ModelVersion, tag: str) -> pd.Timestamp | None:
    value = (version.tags or {}).get(tag)
    try:
        return pd.Timestamp(value) if value else None
    except ValueError:
        return None


def _is_previous_export(folder: Path) -> bool:
    return (folder / EXPORT_MARKER).is_file() and (folder / "MLmodel").is_file()


def export(name: str, *, alias: str = CHAMPION, out: Path, tracking_uri: str | None = None) -> Path:
    """Write the version under ``alias`` as a self-contained MLflow model folder.

    The folder holds the MLflow model files (``MLmodel``, the pickled model, ``code/`` with the
    ``stagnation`` package, requirements, signature and input example) and
    ``stagnation_export.json`` naming the model, version, alias and run. It is written to a
    temporary sibling folder and renamed into place, so ``out`` is never half-written. An
    existing ``out`` is replaced only when empty or itself an export (it holds
    ``stagnation_export.json``); anything else is refused.

    Parameters
    ----------
    name
        Registered model name, or its short form (``customer-recycling``).
    alias
        Which version to export.
    out
        Destination folder.
    tracking_uri
        Tracking/registry URI; resolved as in :func:`resolve_tracking_uri`.

    Returns
    -------
    pathlib.Path
        ``out``, which ``mlflow.pyfunc.load_model`` and :func:`load_model` accept.

    Raises
    ------
    ValueError
        When the model or alias is unknown, or ``out`` exists and is not an export.
    """
    name = registered_name(name)
    out = Path(out)
    uri = open_store(tracking_uri)  # a new store is set up under the lock, as training does
    mlflow_client = client(uri)
    _registered(mlflow_client, name)
    version = _version_by_alias(mlflow_client, name, alias)
    if version is None:
        raise ModelNotFound(f"{name} has no version aliased {alias!r}")
    if out.exists() and (not out.is_dir() or (any(out.iterdir()) and not _is_previous_export(out))):
        raise PathTaken(
            f"{out} exists and is not a previous model export; choose another --out or remove it"
        )
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        model_dir = staging / "model"
        mlflow.artifacts.download_artifacts(
            artifact_uri=f"models:/{name}/{version.version}",
            dst_path=str(model_dir),
            tracking_uri=uri,
            registry_uri=uri,
        )
        if not (model_dir / "MLmodel").is_file():
            raise StoreError(f"version {version.version} of {name} has no MLmodel file")
        marker = {
            "registered_model": name,
            "version": str(version.version),
            "alias": alias,
            "run_id": version.run_id,
            "exported_at": datetime.now(UTC).isoformat(timespec="seconds"),
        }
        (model_dir / EXPORT_MARKER).write_text(json.dumps(marker, indent=2) + "\n")
        previous = staging / "previous"
        if out.exists():
            out.rename(previous)
        try:
            model_dir.rename(out)
        except OSError:
            if previous.exists():
                previous.rename(out)
            raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return out


def model_version(model_uri: str | Path, *, tracking_uri: str | None = None) -> str:
    """Return the registry version behind ``model_uri`` (``unknown`` when it has none).

    ``models:/NAME/VERSION`` names it; ``models:/NAME@ALIAS`` is resolved in the registry; an
    exported folder records it in ``stagnation_export.json``.
    """
    uri = str(model_uri)
    if uri.startswith("models:/"):
        name, _, rest = uri.removeprefix("models:/").partition("/")
        if "@" in name:
            name, alias = name.split("@", 1)
            mlflow_client = client(resolve_tracking_uri(tracking_uri))
            version = _version_by_alias(mlflow_client, registered_name(name), alias)
            return "unknown" if version is None else str(version.version)
        return rest or "unknown"
    marker = Path(uri) / EXPORT_MARKER
    if marker.is_file():
        return str(json.loads(marker.read_text(encoding="utf-8")).get("version", "unknown"))
    return "unknown"
