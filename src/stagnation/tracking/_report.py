"""What a run says in words and numbers: params, metric names, the model card, version notes."""

from __future__ import annotations

import json
import re
from typing import Any

import pandas as pd

from stagnation.training import (
    ENTITY_ID,
    HEADLINE,
    MODEL,
    TrainingResult,
    fold_table,
    holdout_table,
)

#: Longest param value logged inline; longer ones (grids, feature lists) go to settings.json.
MAX_PARAM_CHARS = 250


def flatten(settings: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """Return nested settings as one level with dotted keys.

    Examples
    --------
    >>> flatten({"label": {"horizon_days": 90}, "cutoff": "2025-01-01"})
    {'label.horizon_days': 90, 'cutoff': '2025-01-01'}
    """
    flat: dict[str, Any] = {}
    for key, value in settings.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict) and value:
            flat.update(flatten(value, f"{name}."))
        else:
            flat[name] = value
    return flat


#: Settings kept out of the params: the drift reference (``drift_reference.json``) and the
#: per-split facts (``settings.json``), hundreds of values no reviewer reads one by one.
NOT_PARAMS = (
    "reference",
    "splits",
    "verdict",
    "skipped_folds",
    "registered_model",
    "capacity_fold_roc_auc",
)
#: Settings a version's tags repeat (short values), so the registry list shows them.
TAGGED_SETTINGS = ("cutoff", "rows", "positives", "positive_rate", "reference_as_of")


def run_settings(settings: dict[str, Any]) -> dict[str, Any]:
    """Return the settings written to ``settings.json``: all but the drift reference."""
    return {k: v for k, v in settings.items() if k != "reference"}


def params(settings: dict[str, Any]) -> dict[str, str]:
    """Return settings (JSON types) as MLflow params; long values point to ``settings.json``.

    The drift reference, the per-split facts and the verdict (:data:`NOT_PARAMS`) are artifacts
    only (the verdict's numbers are run metrics too).

    Examples
    --------
    >>> params({"horizon_days": 90, "reference": {"x": {"edges": [1, 2]}}, "splits": {"a": 1}})
    {'horizon_days': '90'}
    """
    out = {}
    kept = {k: v for k, v in settings.items() if k not in NOT_PARAMS}
    for key, value in flatten(kept).items():
        text = value if isinstance(value, str) else json.dumps(value)
        if len(text) > MAX_PARAM_CHARS:
            size = f"{len(value)} items" if isinstance(value, list) else f"{len(text)} chars"
            text = f"<{size}: see settings.json>"
        out[key[:250]] = text
    return out


def _clean(part: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.\-/ ]", "_", str(part))


def metric_dict(metrics: pd.DataFrame) -> dict[str, float]:
    """Return the long metrics table as ``{split_model_metric: value}``.

    Examples
    --------
    >>> table = pd.DataFrame(
    ...     {"model": ["lightgbm"], "split": ["holdout"], "metric": ["roc_auc"], "value": [0.8]}
    ... )
    >>> metric_dict(table)
    {'holdout_lightgbm_roc_auc': 0.8}
    """
    missing = {"model", "split", "metric", "value"} - set(metrics.columns)
    if missing:
        raise ValueError(f"metrics table lacks the columns {sorted(missing)}")
    keys = (
        metrics["split"].map(_clean)
        + "_"
        + metrics["model"].map(_clean)
        + "_"
        + metrics["metric"].map(_clean)
    )
    return dict(zip(keys, metrics["value"].astype(float), strict=True))


def markdown_table(table: pd.DataFrame, digits: int = 3) -> str:
    """Return ``table`` as a GitHub markdown table, index first."""
    header = [str(table.index.name or ""), *map(str, table.columns)]
    lines = ["| " + " | ".join(header) + " |", "|" + " --- |" * len(header)]
    for index, row in table.iterrows():
        cells = [
            v if isinstance(v, str) else "" if pd.isna(v) else f"{float(v):.{digits}f}"
            for v in row.to_numpy(dtype=object)
        ]
        lines.append("| " + " | ".join([str(index), *cells]) + " |")
    return "\n".join(lines)


def find_setting(settings: dict[str, Any], *names: str) -> Any:
    """Return the setting named like one of ``names``: top level first, then nested; or ``None``.

    Examples
    --------
    >>> find_setting({"label": {"horizon_days": 90}}, "horizon_days")
    90
    """
    flat = flatten(settings)
    for name in names:
        if name in flat:
            return flat[name]
        for key, value in flat.items():
            if key.endswith(f".{name}"):
                return value
    return None


def _days(settings: dict[str, Any], name: str) -> str:
    value = find_setting(settings, name)
    return "the configured number of" if value is None else str(value)


def _label_definition(result: TrainingResult, settings: dict[str, Any]) -> str:
    horizon = _days(settings, "horizon_days")
    dormant = _days(settings, "dormant_days")
    if result.name == "customer-recycling":
        return (
            f"A customer is in the population at `as_of` when dormant: no order and no activity "
            f"in the {dormant} days before it (cold prospects and lapsed buyers alike). Positive "
            f"when it orders, or wins an opportunity, within {horizon} days after `as_of`. "
            f"`expected_value` = P(positive) x the value model's order value within the horizon."
        )
    baseline = _days(settings, "baseline_days")
    ratio = find_setting(settings, "drop_ratio")
    ratio = "the configured share" if ratio is None else ratio
    return (
        f"A rep is in the population at `as_of` when tenured, still employed, active and still "
        f"hunting over the {baseline} days before it. Positive when, within {horizon} days, the "
        f"rep keeps working but the hunting share falls to {ratio} of the baseline or less."
    )


_LIMITS = {
    "customer-recycling": [
        "The value model is fitted on reactivating customers only; `expected_value` inherits "
        "its error and the classifier's.",
        "Customers with very short histories carry little signal; their scores sit near the "
        "base rate.",
    ],
    "rep-passivity": [
        "The label is an observable proxy for 'sliding into order-follower mode'; reps who "
        "leave within the horizon are excluded from training, not counted as slides.",
        "Reps with small books have noisy hunting shares.",
    ],
}
_COMMON_LIMITS = [
    "Evaluated on the latest label-complete snapshots only; behaviour may drift after them. "
    "Retrain and compare (`stagnation promote`) as new data arrives.",
    "Metrics on simulated data measure the pipeline, not a real company.",
    "Probabilities are calibrated on a window after the training folds; recalibrate if the base "
    "rate moves.",
]


def model_card(
    result: TrainingResult,
    settings: dict[str, Any],
    *,
    version: str,
    run_id: str,
    source_commit: str,
) -> str:
    """Return the model card (markdown) of a trained, registered model version."""
    holdout = result.holdout
    label = holdout["label"].astype(float)
    as_of = pd.to_datetime(holdout["as_of"]) if "as_of" in holdout else pd.Series(dtype=object)
    entity = ENTITY_ID[result.name]
    noun = entity.removesuffix("_id") + "s"
    n_entities = holdout[entity].nunique() if entity in holdout else "?"
    holdout_range = f"{as_of.min():%Y-%m-%d} to {as_of.max():%Y-%m-%d}" if len(as_of) else "-"
    start = find_setting(settings, "data_start") or "unknown"
    end = find_setting(settings, "data_end") or "unknown"
    data = [f"- Snapshots (as_of) from {start} to {end}."]
    rows, positives = find_setting(settings, "rows"), find_setting(settings, "positives")
    if rows is not None:
        data.append(f"- Training snapshots: {rows} rows, {positives} positives.")
    data += [
        f"- Holdout (the latest label-complete snapshots): {len(holdout)} rows of "
        f"{n_entities} {noun}, as_of {holdout_range}, {int(label.sum())} positives "
        f"(rate {label.mean():.3f}).",
        f"- Features ({len(result.feature_names)}): " + ", ".join(result.feature_names) + ".",
    ]
    table = holdout_table(result.metrics)
    shown = [c for c in HEADLINE if c in table.columns] or list(table.columns)
    limits = "\n".join(f"- {x}" for x in [*_LIMITS.get(result.name, []), *_COMMON_LIMITS])
    settings_rows = "\n".join(f"| {k} | {v} |" for k, v in params(settings).items())
    sections = [
        f"# {result.registered_name} v{version}",
        f"Run `{run_id}`, source commit `{source_commit}`.",
        "## Data",
        "\n".join(data),
        "## Label and population",
        _label_definition(result, settings),
        "## Holdout metrics, model vs baselines",
        markdown_table(table[shown]),
        "Lift and precision at 10 % are over the top 10 % of rows by score; every metric of "
        "every split is in `metrics.csv` and in the run's metrics.",
    ]
    sections += [
        "## Verdict against the baselines (pooled out-of-time rows)",
        f"The model {result.verdict()}.",
        "Differences are LightGBM minus the baseline over every fold's and the holdout's "
        "validation rows, with paired bootstrap 95 % intervals that resample "
        f"{noun} (their snapshot rows repeat).",
        markdown_table(result.verdict_table()) if "verdict" in settings else "",
        "## Which model is registered",
        str(find_setting(settings, "registered_model") or "the model evaluated on the holdout")
        + ". The metrics above are those of the evaluated models, fitted before each split's "
        "gap.",
    ]
    for metric in ("roc_auc", "lift_at_10"):
        folds = fold_table(result.metrics, metric)
        if not folds.empty:
            sections += [f"## {metric} per temporal fold and on the holdout", markdown_table(folds)]
    sections += [
        "## Known limits",
        limits,
        "## Settings",
        "Long values are in `settings.json`.\n\n| setting | value |\n| --- | --- |\n"
        + settings_rows,
    ]
    return "\n\n".join(sections) + "\n"


def _tag(value: Any) -> str:
    """Return a short tag value: numbers to four significant digits, text as is."""
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)[:250]


def version_notes(
    result: TrainingResult, settings: dict[str, Any], *, source_commit: str
) -> tuple[str, dict[str, str]]:
    """Return the registry description and tags of a new version."""
    headline = result.headline()
    table = holdout_table(result.metrics)
    baselines = [m for m in table.index if m != MODEL]
    best = None
    if baselines and "roc_auc" in table.columns:
        best = table.loc[baselines, "roc_auc"].astype(float).idxmax()
    start = find_setting(settings, "data_start") or "unknown"
    end = find_setting(settings, "data_end") or "unknown"
    horizon = find_setting(settings, "horizon_days")
    dormant = find_setting(settings, "dormant_days")
    parts = [f"{result.name}: data {start} to {end}, horizon {horizon} d"]
    if result.name == "customer-recycling":
        parts[0] += f", dormancy {dormant} d"
    metric_text = ", ".join(f"{k} {headline[k]:.3f}" for k in HEADLINE if k in headline)
    parts.append(f"Holdout: {metric_text}.")
    if best is not None:
        parts.append(f"Best baseline {best}: ROC AUC {table.loc[best, 'roc_auc']:.3f}.")
    if "verdict" in settings:
        parts.append(f"Out of time, the model {result.verdict()}.")
    tags = {k: f"{headline[k]:.4f}" for k in HEADLINE if k in headline}
    if "beats_baselines" in settings:
        tags["beats_baselines"] = str(bool(settings["beats_baselines"])).lower()
    tags |= {
        "data_start": str(start),
        "data_end": str(end),
        "horizon_days": str(horizon),
        "source_commit": source_commit,
        "holdout_rows": str(len(result.holdout)),
        "settings": "settings.json (run artifact)",
    }
    tags |= {k: _tag(settings[k]) for k in TAGGED_SETTINGS if settings.get(k) is not None}
    if dormant is not None:
        tags["dormant_days"] = str(dormant)
    if best is not None:
        tags["best_baseline"] = str(best)
        tags["best_baseline_roc_auc"] = f"{float(table.loc[best, 'roc_auc']):.4f}"
    return "\n".join(parts), tags
