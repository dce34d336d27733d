"""The commands of the models' life: ``features``, ``train``, ``promote``, ``export``, ``score``.

Each parses its options (``--as-of`` once, by :func:`parse_moment`), calls the package and
prints a short summary; errors the user can fix exit 2 through :func:`user_errors`. The heavy
parts of the package (MLflow, LightGBM, SciPy) are imported inside the commands that need them,
so that ``--help`` and the other commands do not pay for them.
"""

from __future__ import annotations

import logging
import re
import time
from enum import StrEnum
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal

import pandas as pd
import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from stagnation.cli._output import EXIT_BAD_INPUT, user_errors
from stagnation.cli._spark import (
    Engine,
    EngineOption,
    check_engine,
    spark_extract,
    spark_failures,
    spark_rows,
    spark_scoring,
)
from stagnation.crm import check_writable, load_crm, write_table, write_tables
from stagnation.errors import BadOption, NotEnoughData, PathTaken
from stagnation.features import FeatureContext
from stagnation.labels import CustomerReactivationSettings, RepPassivitySettings

if TYPE_CHECKING:
    from stagnation.training import ModelCard


class Entity(StrEnum):
    """Which entities to compute features for."""

    rep = "rep"
    customer = "customer"
    all = "all"


def entity_outputs(entity: Entity, out: Path) -> dict[Literal["rep", "customer"], Path]:
    """Return the file each entity's features go to: ``out`` itself, or one per entity for all.

    With ``--entity all``, an ``--out`` ending in ``.parquet``/``.csv`` is a prefix
    (``f.parquet`` -> ``f-rep.parquet``, ``f-customer.parquet``); any other name is a folder
    (``DIR/rep.parquet``, ``DIR/customer.parquet``).
    """
    if entity is not Entity.all:
        return {"rep" if entity is Entity.rep else "customer": out}
    names: tuple[Literal["rep", "customer"], ...] = ("rep", "customer")
    if out.suffix in (".parquet", ".csv"):
        return {e: out.with_name(f"{out.stem}-{e}{out.suffix}") for e in names}
    if out.suffix:
        raise BadOption(
            f"cannot write {out}: with --entity all, --out names a folder (no suffix) or a "
            "file prefix ending in .parquet or .csv"
        )
    if out.is_file():
        raise PathTaken(f"cannot write into {out}: it is a file; name a folder or a prefix")
    return {e: out / f"{e}.parquet" for e in names}


#: The extract of features, train and score: a folder, or with ``--engine spark`` any path Spark
#: reads. Kept as text: a ``Path`` would fold ``s3a://bucket/x`` into ``s3a:/bucket/x``.
ExtractArgument = Annotated[
    str,
    typer.Argument(
        metavar="DATA_DIR",
        help="Extract folder; with --engine spark also a URI Spark reads (s3a://, hdfs://).",
    ),
]


#: How far after the data's end ``features`` still answers: the longest default horizon (180
#: days, the customer label's). Later, every customer looks dormant and every rep idle only
#: because the extract stops.
FEATURES_REACH_DAYS = max(
    RepPassivitySettings().horizon_days, CustomerReactivationSettings().horizon_days
)


def features(
    data_dir: ExtractArgument,
    entity: Annotated[
        Entity, typer.Option(help="rep: eligible reps; customer: dormant ones; all: both.")
    ],
    as_of: Annotated[
        str, typer.Option("--as-of", help="Moment of the prediction; events before it count.")
    ],
    out: Annotated[
        Path,
        typer.Option(
            help="Output file, .parquet or .csv; with --entity all a folder or a file prefix."
        ),
    ],
    dormant_days: Annotated[
        int, typer.Option(help="Days without an order after which a buyer is dormant.")
    ] = 90,
    engine: EngineOption = Engine.pandas,
) -> None:
    """Write one row of features per eligible rep or dormant customer at --as-of."""
    # deferred: SciPy and the builders, ~1 s
    from stagnation.snapshots import check_prediction_moment, features_at

    began = time.perf_counter()
    with user_errors():
        check_engine(engine)
        at = parse_moment(as_of, "--as-of")
        targets = entity_outputs(entity, out)
        for target in targets.values():
            check_writable(target)  # before the work, naming the target
        tables: dict[Literal["rep", "customer"], pd.DataFrame]
        if engine is Engine.spark:
            tables = spark_rows(
                data_dir,
                tuple(targets),
                at,
                dormant_days=dormant_days,
                reach_days=FEATURES_REACH_DAYS,
            )
            write_tables({targets[e]: table for e, table in tables.items()})
            _print_features(targets, tables, at, time.perf_counter() - began)
            return
        crm = load_crm(Path(data_dir))
        check_prediction_moment(crm, at, horizon_days=FEATURES_REACH_DAYS)
        source = FeatureContext.build(crm, dormant_days=dormant_days) if len(targets) > 1 else crm
        tables = {e: features_at(source, e, at, dormant_days=dormant_days) for e in targets}
        write_tables({targets[e]: table for e, table in tables.items()})
    _print_features(targets, tables, at, time.perf_counter() - began)


def _print_features(
    targets: dict[Literal["rep", "customer"], Path],
    tables: dict[Literal["rep", "customer"], pd.DataFrame],
    at: pd.Timestamp,
    elapsed: float,
) -> None:
    console = Console(soft_wrap=True)
    for e, table in tables.items():
        console.print(
            Text(
                f"{targets[e]}: {len(table):,} {e}s x {table.shape[1] - 2} features at "
                f"{at:%Y-%m-%d %H:%M:%S} ({elapsed:.1f} s)",
                style="bold green",
            )
        )


class GridChoice(StrEnum):
    """The spacing of the training snapshots' as_of dates."""

    auto = "auto"
    weekly = "weekly"
    monthly = "monthly"


class ModelChoice(StrEnum):
    """Which model(s) to train."""

    rep_passivity = "rep-passivity"
    customer_recycling = "customer-recycling"
    all = "all"


#: Holdout metrics shown after training, with their column headers.
HEADLINE = {
    "roc_auc": "AUC",
    "pr_auc": "PR AUC",
    "lift_at_10": "lift@10",
    "brier": "Brier",
    "truth_roc_auc": "truth AUC",
}  # ECE, log loss and precision@k are in MLflow and the model card


#: ``train --help``: the docstring's first line and where the models are stored.
TRAIN_HELP = (
    "Train, evaluate against the baselines, log to MLflow and register a new version.\n\n"
    "Models are stored in the MLflow store named by MLFLOW_TRACKING_URI, else in ./mlflow.db "
    "of the current folder (artifacts in ./mlruns beside it); `mlflow ui` there shows them."
)


def train(
    data_dir: ExtractArgument,
    model: Annotated[ModelChoice, typer.Option(help="Model to train.")] = ModelChoice.all,
    as_of: Annotated[
        str | None,
        typer.Option("--as-of", help="Training cutoff (default: the end of the data)."),
    ] = None,
    horizon_days: Annotated[
        int | None, typer.Option(help="Label horizon (default 90 reps, 180 customers).")
    ] = None,
    dormant_days: Annotated[
        int | None, typer.Option(help="Days without an order that make a buyer dormant (90).")
    ] = None,
    folds: Annotated[
        int | None,
        typer.Option(min=0, help="Folds before the holdout (default: as many as fit, at most 3)."),
    ] = None,
    grid: Annotated[
        GridChoice,
        typer.Option(help="as_of spacing; auto: monthly when the dates span a year, else weekly."),
    ] = GridChoice.auto,
    log_ids: Annotated[
        bool,
        typer.Option(
            "--log-ids",
            help="Keep customer/rep ids in the holdout logged to MLflow (default: row numbers).",
        ),
    ] = False,
    engine: EngineOption = Engine.pandas,
) -> None:
    """Train, evaluate against the baselines, log to MLflow and register a new version.

    Models are stored in the MLflow registry at MLFLOW_TRACKING_URI, or ./mlflow.db (artifacts
    in ./mlruns) when it is unset. A version becomes challenger, and champion when none exists
    (with a warning when it does not beat its best baseline out of time).
    """
    # deferred: MLflow (tracking, ~4 s), LightGBM (workflow, ~2.5 s) and SQLAlchemy
    # (importers) would slow every other command and --help
    from stagnation.importers import read_pool_rules
    from stagnation.tracking import git_commit, log_training, open_store
    from stagnation.workflow import MODEL_NAMES, read_truth, train_model

    logging.getLogger("mlflow").setLevel(logging.WARNING)  # the summary below says what matters

    out, err = Console(soft_wrap=True), Console(stderr=True, soft_wrap=True)
    with user_errors():
        check_engine(engine)
        cutoff = parse_moment(as_of, "--as-of") if as_of is not None else None
        crm = spark_extract(data_dir) if engine is Engine.spark else load_crm(Path(data_dir))
        truth = read_truth(data_dir)  # a simulated company's truth, beside a local extract
        rules = read_pool_rules(data_dir)
        pool_rules = rules.model_dump() if rules is not None else None
        if rules is not None:
            out.print(
                f"pool rules from {Path(data_dir) / 'pool_rules.json'}: release after "
                f"{rules.contact_expire_days} days without a follow-up, "
                f"{rules.deal_expire_days} days without a deal (baseline pool_rule_company)"
            )
        with err.status("opening the MLflow store"):
            tracking_uri = open_store()  # created/migrated now, one process at a time
    names = [n for n in MODEL_NAMES if model in (ModelChoice.all, n)]
    trained = 0
    for name in names:
        began = time.perf_counter()
        with err.status(f"{name}: starting") as status, user_errors(), spark_failures(engine):

            def step(message: str, name: str = name) -> None:
                status.update(f"{name}: {message}")

            try:
                result = train_model(
                    crm,
                    name,
                    cutoff=cutoff,
                    horizon_days=horizon_days,
                    dormant_days=dormant_days,
                    truth=truth,
                    progress=step,
                    n_splits=folds,
                    grid=grid.value,
                    pool_rules=pool_rules,
                )
            except NotEnoughData as refusal:  # too short, too few positives, no activities
                if model != ModelChoice.all or name != "rep-passivity":
                    raise
                err.print(Text(f"{name}: skipped: {refusal}", style="yellow"))
                continue
            status.update(f"{name}: logging to MLflow")
            info = log_training(
                result, tracking_uri=tracking_uri, source_commit=git_commit(), log_ids=log_ids
            )
        trained += 1
        out.print(
            Text(
                f"{info.name} version {info.version} ({', '.join(info.aliases)}) "
                f"trained in {time.perf_counter() - began:.0f} s",
                style="bold green",
            )
        )
        out.print(plan_table(result.card, name))
        out.print(holdout_table(result.holdout_table(), name))
        verdict = result.verdict_table()
        if not verdict.empty:
            table = Table(
                title=f"{name}: LightGBM minus baseline, pooled out-of-time rows, 95 % interval",
                title_justify="left",
            )
            for column in ["baseline", "ROC AUC", "lift@10"]:
                table.add_column(column, justify="left" if column == "baseline" else "right")
            for baseline, row in verdict.iterrows():
                table.add_row(str(baseline), row["roc_auc_diff"], row["lift_at_10_diff"])
            out.print(table)
        beats = result.card.beats_baselines is not False
        out.print(
            Text(f"{name}: the model {result.verdict()}.", style="green" if beats else "yellow")
        )
        if not beats and "champion" in info.aliases:
            out.print(
                Text(
                    f"{name}: version {info.version} is champion only because the model had "
                    "none; a later version replaces it through promote once it passes the "
                    "paired test.",
                    style="yellow",
                )
            )
    if trained == 0:
        raise typer.Exit(EXIT_BAD_INPUT)


def plan_table(card: ModelCard, name: str) -> Table:
    """Return the evaluation plan of a training run (its splits) as a printable table."""
    table = Table(
        title=f"{name}: {card.grid_frequency or ''} as_of grid, "
        f"{card.n_splits or 0} fold(s) + holdout, blocks of {card.block or '?'}, "
        f"gap {card.gap_days or '?'} days",
        title_justify="left",
    )
    for column in ["split", "train as_of before", "validate as_of", "rows", "positives"]:
        table.add_column(column, justify="right" if column in ("rows", "positives") else "left")
    for split, facts in card.splits.items():
        table.add_row(
            split,
            facts["train_before"],
            f"{facts['validate_from']} to {facts['validate_to']}",
            f"{facts['train_rows']:,} / {facts['validation_rows']:,}",
            f"{facts['train_positives']:,} / {facts['validation_positives']:,}",
        )
    for split in card.skipped_folds:
        table.add_row(split, "skipped: too few positives", "", "", "")
    return table


def holdout_table(wide: pd.DataFrame, name: str) -> Table:
    """Return the holdout metrics (``TrainingResult.holdout_table()``) as a printable table."""
    columns = [m for m in HEADLINE if m in wide.columns]
    table = Table(title=f"{name}: holdout", title_justify="left")
    table.add_column("model", no_wrap=True)
    for column in columns:
        table.add_column(HEADLINE[column], justify="right")
    for model in wide.index:
        values = wide.loc[model, columns]
        table.add_row(str(model), *(f"{v:.3f}" if pd.notna(v) else "" for v in values))
    return table


def promote(
    model: Annotated[str, typer.Option(help="rep-passivity, customer-recycling, or a name.")],
    force: Annotated[bool, typer.Option(help="Promote even if the challenger is worse.")] = False,
) -> None:
    """Make the challenger champion if it is at least as good on the same latest holdout."""
    from stagnation.tracking import promote as promote_version

    with user_errors():
        result = promote_version(model, force=force)
    out = Console(soft_wrap=True)
    if not result.comparison.empty:
        table = Table(
            title=f"{result.name}: champion v{result.champion} vs challenger "
            f"v{result.challenger} on {result.rows:,} holdout rows",
            title_justify="left",
        )
        table.add_column("metric")
        for column in result.comparison.columns:
            table.add_column(str(column), justify="right")
        for metric, row in result.comparison.iterrows():
            table.add_row(str(metric), *(f"{v:.3f}" for v in row))
        out.print(table)
    out.print(Text(result.message, style="bold green" if result.promoted else "yellow"))


def export(
    model: Annotated[str, typer.Option(help="rep-passivity, customer-recycling, or a name.")],
    out: Annotated[Path, typer.Option(help="Folder to write, e.g. models/NAME.")],
    alias: Annotated[str, typer.Option(help="Registry alias to export.")] = "champion",
) -> None:
    """Write a registered version as a self-contained MLflow model folder."""
    from stagnation.tracking import export as export_version

    with user_errors():
        folder = export_version(model, alias=alias, out=out)
    Console(soft_wrap=True).print(Text(f"{folder}: {model}@{alias} exported", style="bold green"))


#: ``score --help``: the docstring's first line, where the champions come from, which reps show.
SCORE_HELP = (
    "Write the ranked action list at --as-of: whom to release, assign and coach.\n\n"
    "Without --model-uri the champions are looked up in the MLflow registry named by "
    "MLFLOW_TRACKING_URI, else ./mlflow.db of the current folder; a missing registry is an "
    "error and is never created. Every eligible rep gets a row; a rep whose risk of sliding "
    "is at least --rep-min-lift times the rep model's base rate is paired with a coach, the "
    "others read 'No coaching needed' with priority 0."
)


def score(
    data_dir: ExtractArgument,
    as_of: Annotated[str, typer.Option("--as-of", help="Moment of the action list.")],
    out: Annotated[Path, typer.Option(help="Output file, .csv or .parquet.")],
    model_uri: Annotated[
        list[str] | None,
        typer.Option(
            "--model-uri",
            help="A model folder or MLflow URI (repeat for both models); only the models "
            "given score. Default: the champion of each model in the registry.",
        ),
    ] = None,
    top: Annotated[int | None, typer.Option(min=1, help="Keep the N highest priorities.")] = None,
    min_score: Annotated[
        float | None,
        typer.Option(
            "--min-score",
            min=0.0,
            max=1.0,
            help="Keep only rows whose score (probability) is at least P.",
        ),
    ] = None,
    rep_min_lift: Annotated[
        float,
        typer.Option(
            "--rep-min-lift",
            min=0.0,
            help="The at-risk line: pair a rep with a coach when P(slide) is at least this "
            "many times the rep model's base rate; the others get priority 0.",
        ),
    ] = 1.0,
    engine: EngineOption = Engine.pandas,
) -> None:
    """Write the ranked action list at --as-of: whom to release, assign and coach."""
    from stagnation.scoring import ActionSettings, score_with_drift  # deferred: LightGBM, MLflow

    began = time.perf_counter()
    err = Console(stderr=True, soft_wrap=True)
    with user_errors(), err.status("loading the extract") as status:
        check_engine(engine)
        at = parse_moment(as_of, "--as-of")
        check_writable(out)  # a read-only --out fails now, naming it, not after the scoring
        # one set of options for both engines: the same list either way
        run = partial(
            spark_scoring if engine is Engine.spark else score_with_drift,
            model_uris=model_uri or (),
            top=top,
            min_score=min_score,
            selection=ActionSettings(min_rep_lift=rep_min_lift),
            progress=status.update,
        )
        result = run(data_dir if engine is Engine.spark else load_crm(Path(data_dir)), at)
        actions, drift = result.actions, result.drift
        drift_file = out.with_name(f"{out.stem}.drift{out.suffix}")
        status.update(f"writing {out}")
        write_table(actions, out)
        write_table(drift, drift_file)
    console = Console(soft_wrap=True)
    major = drift[drift["shift"] == "major"]
    if len(major):
        worst = ", ".join(f"{r.feature} ({r.psi:.2f})" for r in major.head(3).itertuples())
        err.print(
            Text(
                f"warning: {len(major)} features drifted far from training (PSI >= 0.25); "
                f"worst: {worst}. See {drift_file}",
                style="yellow",
            )
        )
    for warning in result.warnings:
        err.print(Text(f"warning: {warning}", style="yellow"))
    counts = actions["action"].value_counts()
    console.print(
        Text(
            f"{out}: {len(actions):,} actions at {at:%Y-%m-%d} in "
            f"{time.perf_counter() - began:.1f} s ("
            + ", ".join(f"{counts[a]:,} {a}" for a in counts.index)
            + ")",
            style="bold green",
        )
    )
    table = Table(title="top 10", title_justify="left")
    for column in ("rank", "action", "entity_id", "score", "expected_value", "counterpart_id"):
        table.add_column(
            column.replace("_", " "),
            justify="right" if column in ("rank", "score", "expected_value") else "left",
            no_wrap=True,
        )
    shown = actions.head(10).assign(counterpart_id=lambda f: f["counterpart_id"].fillna(""))
    for row in shown.itertuples(index=False):
        table.add_row(
            str(row.rank),
            str(row.action),
            str(row.entity_id),
            f"{row.score:.2f}",
            f"{row.expected_value:,.0f}",
            str(row.counterpart_id),
        )
    console.print(table)
    if len(actions):
        console.print(Text(f"#1 because: {actions['reasons'].iloc[0]}", style="dim"))


#: What a moment on the command line must look like: an ISO 8601 date, optionally with a time.
_ISO_MOMENT = re.compile(r"^\d{4}-\d{2}-\d{2}([T ]\S*)?$")


def parse_moment(text: str, option: str) -> pd.Timestamp:
    """Parse an ISO 8601 date or date-time given on the command line (naive UTC).

    Words pandas would resolve against the clock (``now``, ``today``) are refused: the same
    command must give the same result tomorrow.
    """
    if not _ISO_MOMENT.match(text.strip()):
        raise BadOption(
            f"{option}: {text!r} is not an ISO 8601 date or date-time (e.g. 2026-01-01 or "
            "2026-01-01T09:00); moments relative to the clock such as 'now' are refused so "
            "that a run can be repeated"
        )
    try:
        moment = pd.Timestamp(text)
    except ValueError as err:
        raise BadOption(f"{option}: {text!r} is not an ISO 8601 date or date-time") from err
    if moment is pd.NaT:
        raise BadOption(f"{option}: a moment is required")
    if moment.tzinfo is not None:
        moment = moment.tz_convert("UTC").tz_localize(None)
    return moment
