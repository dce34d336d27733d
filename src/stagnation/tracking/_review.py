"""What a model owner reads before promoting: versions, champion vs challenger, their plots."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

import mlflow.artifacts
import pandas as pd
from mlflow.entities.model_registry import ModelVersion
from mlflow.exceptions import MlflowException

from stagnation.errors import ModelNotFound

from ._log import CHALLENGER, CHAMPION
from ._report import HEADLINE, find_setting
from ._uri import client, registered_name, resolve_tracking_uri

#: Settings shown side by side, in this order (``settings`` tag of each version).
REVIEWED_SETTINGS = (
    "data_start",
    "data_end",
    "cutoff",
    "horizon_days",
    "dormant_days",
    "rows",
    "positives",
    "positive_rate",
    "holdout_start",
    "holdout_rows",
    "holdout_positives",
    "calibration_method",
    "n_estimators_fitted",
    "training_seconds",
)


#: Columns of :func:`model_versions`.
VERSION_COLUMNS = [
    "version",
    "aliases",
    "created",
    *HEADLINE,
    "best_baseline_roc_auc",
    "data_start",
    "data_end",
    "source_commit",
    "run_id",
]


def _settings(version: ModelVersion, tracking_uri: str) -> dict[str, Any]:
    """Return the settings a version was trained with (its run's ``settings.json``)."""
    if not version.run_id:
        return {}
    with tempfile.TemporaryDirectory(prefix="stagnation-settings-") as tmp:
        path = mlflow.artifacts.download_artifacts(
            run_id=version.run_id,
            artifact_path="settings.json",
            dst_path=tmp,
            tracking_uri=tracking_uri,
        )
        return dict(json.loads(Path(path).read_text(encoding="utf-8")))


def model_aliases(name: str, *, tracking_uri: str | None = None) -> dict[str, str]:
    """Return ``{alias: version}`` of a registered model; empty when it is not registered."""
    try:
        registered = client(resolve_tracking_uri(tracking_uri)).get_registered_model(
            registered_name(name)
        )
    except MlflowException:
        return {}
    return {alias: str(version) for alias, version in sorted(registered.aliases.items())}


def model_versions(name: str, *, tracking_uri: str | None = None) -> pd.DataFrame:
    """Return every version of a registered model, newest first, with what a reviewer scans.

    Columns (:data:`VERSION_COLUMNS`): ``version``, ``aliases``, ``created`` (UTC), the
    holdout's headline metrics (``roc_auc``, ``lift_at_10``, ...; from the version's tags),
    ``best_baseline_roc_auc``, ``data_start``, ``data_end``, ``source_commit`` and ``run_id``.
    No rows when the model is not registered (yet).

    Parameters
    ----------
    name
        Registered model name, or its short form (``customer-recycling``).
    tracking_uri
        Tracking/registry URI; resolved as in :func:`resolve_tracking_uri`.
    """
    name = registered_name(name)
    uri = resolve_tracking_uri(tracking_uri)
    aliases: dict[str, list[str]] = {}
    for alias, number in model_aliases(name, tracking_uri=uri).items():
        aliases.setdefault(number, []).append(alias)
    rows = []
    for version in client(uri).search_model_versions(f"name = '{name}'"):
        tags = version.tags
        row: dict[str, Any] = {
            "version": int(version.version),
            "aliases": ", ".join(sorted(aliases.get(str(version.version), []))),
            "created": pd.Timestamp(version.creation_timestamp, unit="ms"),
        }
        row |= {k: float(tags[k]) if k in tags else float("nan") for k in HEADLINE}
        row["best_baseline_roc_auc"] = float(tags.get("best_baseline_roc_auc", "nan"))
        row |= {k: tags.get(k, "") for k in ("data_start", "data_end", "source_commit")}
        row["run_id"] = version.run_id
        rows.append(row)
    if not rows:
        return pd.DataFrame(columns=VERSION_COLUMNS)
    table = pd.DataFrame(rows).reindex(columns=VERSION_COLUMNS)
    return table.sort_values("version", ascending=False, ignore_index=True)


def _version(name: str, which: str, tracking_uri: str) -> ModelVersion:
    """Return the version named by an alias or a number."""
    mlflow_client = client(tracking_uri)
    if which.isdigit():
        return mlflow_client.get_model_version(name, which)
    aliases = mlflow_client.get_registered_model(name).aliases
    if which not in aliases:
        raise ModelNotFound(f"{name} has no version with alias {which!r} (has: {sorted(aliases)})")
    return mlflow_client.get_model_version(name, str(aliases[which]))


def side_by_side(
    name: str,
    versions: tuple[str, ...] = (CHAMPION, CHALLENGER),
    *,
    tracking_uri: str | None = None,
) -> pd.DataFrame:
    """Return versions side by side: holdout metrics as logged, data range and settings.

    Each version is measured on *its own* holdout here (what training logged); :func:`compare`
    re-scores both on the challenger's holdout, which is what a promotion decides on.

    Parameters
    ----------
    name
        Registered model name, or its short form.
    versions
        Aliases or version numbers, one column each (``"champion v3"``).
    tracking_uri
        Tracking/registry URI; resolved as in :func:`resolve_tracking_uri`.

    Returns
    -------
    pandas.DataFrame
        Rows indexed by ``(section, item)``: ``metric`` rows (holdout of the model and its best
        baseline), ``setting`` rows (:data:`REVIEWED_SETTINGS`), and ``source`` rows (commit,
        run id).
    """
    name = registered_name(name)
    uri = resolve_tracking_uri(tracking_uri)
    columns = {}
    for which in versions:
        version = _version(name, which, uri)
        tags, settings = version.tags, _settings(version, uri)
        column: dict[tuple[str, str], Any] = {}
        for metric in HEADLINE:
            column["metric", metric] = float(tags[metric]) if metric in tags else float("nan")
        column["metric", "best baseline"] = tags.get("best_baseline", "")
        column["metric", "best baseline roc_auc"] = float(tags.get("best_baseline_roc_auc", "nan"))
        for key in REVIEWED_SETTINGS:
            found = find_setting(settings, key)  # labels.horizon_days, or flat in older runs
            column["setting", key] = tags.get(key, "") if found is None else found
        column["source", "source_commit"] = tags.get("source_commit", "")
        column["source", "run_id"] = version.run_id
        label = which if which.isdigit() else f"{which} v{version.version}"
        columns[label] = column
    table = pd.DataFrame(columns)
    table.index = table.index.set_names(["section", "item"])
    return table


def version_plots(
    name: str, which: str, dst: str | Path, *, tracking_uri: str | None = None
) -> dict[str, Path]:
    """Download the plots a version's training logged; return ``{plot name: PNG path}``.

    Plots: ``lift_gain``, ``roc_pr``, ``calibration``, ``feature_importance``,
    ``contributions`` (those the holdout allowed). ``which`` is an alias or a version number.
    """
    name = registered_name(name)
    uri = resolve_tracking_uri(tracking_uri)
    version = _version(name, which, uri)
    folder = Path(dst) / f"{name}-v{version.version}"
    folder.mkdir(parents=True, exist_ok=True)
    local = mlflow.artifacts.download_artifacts(
        run_id=version.run_id, artifact_path="plots", dst_path=str(folder), tracking_uri=uri
    )
    return {path.stem: path for path in sorted(Path(local).glob("*.png"))}
