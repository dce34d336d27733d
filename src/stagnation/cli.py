"""The ``stagnation`` command line: thin typer commands that parse arguments and print results.

Every command exits 0 on success and 2, with a readable message and no traceback, on bad input
or bad arguments. The work itself lives in the package; nothing here computes anything.
"""

from __future__ import annotations

import contextlib
import re
import time
from collections.abc import Iterator, Sequence
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal

import pandas as pd
import typer
from pydantic import ValidationError
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from stagnation.crm import (
    CRMValidationError,
    Problem,
    SimConfig,
    ValidationReport,
    check_writable,
    load_crm,
    simulate,
    validate_extract,
    write_sample,
    write_table,
    write_tables,
)
from stagnation.features import FeatureContext
from stagnation.snapshots import features_at

if TYPE_CHECKING:
    from stagnation.importers import ImportResult

#: Exit code for bad input or bad arguments (as click uses for usage errors).
EXIT_BAD_INPUT = 2
#: Exceptions that mean "the user's input is wrong", not "the program is broken".
USER_ERRORS: tuple[type[Exception], ...] = (
    CRMValidationError,
    FileNotFoundError,
    NotADirectoryError,
    IsADirectoryError,
    FileExistsError,
    PermissionError,
    ValueError,
)

app = typer.Typer(
    name="stagnation",
    help="Find sales reps sliding into order-follower mode and dormant customers worth "
    "recycling through the shared pool; rank the actions.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@app.callback()
def _root() -> None:
    """Find sliding reps and dormant customers worth recycling; rank the actions."""


# --- validate --------------------------------------------------------------------------------


@app.command()
def validate(
    data_dir: Annotated[
        Path,
        typer.Argument(
            metavar="DATA_DIR",
            help="Extract folder: one <table>.parquet or <table>.csv per table.",
            show_default=False,
        ),
    ],
) -> None:
    """Check a CRM extract against the data contract; list every problem found."""
    with user_errors():
        report = validate_extract(data_dir)
    out = Console(soft_wrap=True)
    if report.ok:
        out.print(Text(f"{data_dir}: the extract is valid", style="bold green"))
        out.print(tables_table(report))
        print_problems(out, report.warnings)
        return
    print_problems(out, report.problems)
    err = Console(stderr=True, soft_wrap=True)
    err.print(Text(f"{data_dir}: {report.format().splitlines()[0]}", style="bold red"))
    raise typer.Exit(EXIT_BAD_INPUT)


# --- sample ----------------------------------------------------------------------------------


class FileFormat(StrEnum):
    """File format of a written extract."""

    parquet = "parquet"
    csv = "csv"


@app.command()
def sample(
    out_dir: Annotated[
        Path, typer.Argument(metavar="OUT_DIR", help="Folder to write the extract into.")
    ],
    seed: Annotated[int, typer.Option(help="Random seed: same seed, same bytes.")] = 7,
    reps: Annotated[int, typer.Option(help="Reps who ever work in the window.")] = 60,
    customers: Annotated[int, typer.Option(help="Customers the company meets.")] = 6_000,
    months: Annotated[int, typer.Option(help="Length of the simulated window.")] = 36,
    start: Annotated[
        str, typer.Option(help="First day of the window (YYYY-MM-DD).")
    ] = "2023-01-01",
    file_format: Annotated[
        FileFormat, typer.Option("--format", help="File format of the tables.")
    ] = FileFormat.parquet,
) -> None:
    """Write a synthetic CRM extract (all six tables) and its hidden truth in OUT_DIR/truth/."""
    with user_errors():
        config = SimConfig(seed=seed, reps=reps, customers=customers, months=months, start=start)
    err = Console(stderr=True)
    began = time.perf_counter()
    with Progress(
        TextColumn("simulating {task.fields[months]} months"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("days"),
        TimeElapsedColumn(),
        console=err,
        transient=True,
    ) as bar:
        task = bar.add_task("simulate", total=config.n_days, months=config.months)
        sim = simulate(config, progress=lambda done, _: bar.update(task, completed=done))
    with user_errors():
        write_sample(sim, out_dir, format=file_format.value)
    elapsed = time.perf_counter() - began
    out = Console(soft_wrap=True)
    out.print(Text(f"{out_dir}: simulated company written in {elapsed:.1f} s", style="bold green"))
    table = Table(title=f"seed {seed}, {config.start} to {config.end}", title_justify="left")
    table.add_column("table")
    table.add_column("rows", justify="right")
    for name, frame in sim.crm.tables():
        table.add_row(name, f"{len(frame):,}")
    for name, frame in sim.truth.items():
        table.add_row(f"truth/{name}", f"{len(frame):,}")
    out.print(table)


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
        raise ValueError(
            f"cannot write {out}: with --entity all, --out names a folder (no suffix) or a "
            "file prefix ending in .parquet or .csv"
        )
    if out.is_file():
        raise FileExistsError(f"cannot write into {out}: it is a file; name a folder or a prefix")
    return {e: out / f"{e}.parquet" for e in names}


@app.command()
def features(
    data_dir: Annotated[Path, typer.Argument(metavar="DATA_DIR", help="Extract folder.")],
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
) -> None:
    """Write one row of features per eligible rep or dormant customer at --as-of."""
    began = time.perf_counter()
    with user_errors():
        at = parse_moment(as_of, "--as-of")
        targets = entity_outputs(entity, out)
        for target in targets.values():
            check_writable(target)  # before the work, naming the target
        crm = load_crm(data_dir)
        source = FeatureContext.build(crm, dormant_days=dormant_days) if len(targets) > 1 else crm
        tables = {e: features_at(source, e, at, dormant_days=dormant_days) for e in targets}
        write_tables({targets[e]: table for e, table in tables.items()})
    elapsed = time.perf_counter() - began
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


@app.command(
    help="Train, evaluate against the baselines, log to MLflow and register a new version.\n\n"
    "Models are stored in the MLflow store named by MLFLOW_TRACKING_URI, else in ./mlflow.db "
    "of the current folder (artifacts in ./mlruns beside it); `mlflow ui` there shows them."
)
def train(
    data_dir: Annotated[Path, typer.Argument(metavar="DATA_DIR", help="Extract folder.")],
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
) -> None:
    """Train, evaluate against the baselines, log to MLflow and register a new version.

    Models are stored in the MLflow registry at MLFLOW_TRACKING_URI, or ./mlflow.db (artifacts
    in ./mlruns) when it is unset. A version becomes champion only when none exists and it beats
    its best baseline out of time (paired bootstrap interval above zero).
    """
    import logging

    from stagnation.tracking import git_commit, log_training, open_store

    logging.getLogger("mlflow").setLevel(logging.WARNING)  # the summary below says what matters
    from stagnation.importers import read_pool_rules
    from stagnation.workflow import MODEL_NAMES, read_truth, train_model

    out, err = Console(soft_wrap=True), Console(stderr=True, soft_wrap=True)
    with user_errors():
        cutoff = parse_moment(as_of, "--as-of") if as_of is not None else None
        crm = load_crm(data_dir)
        truth = read_truth(data_dir)
        rules = read_pool_rules(data_dir)
        pool_rules = rules.model_dump() if rules is not None else None
        if rules is not None:
            out.print(
                f"pool rules from {data_dir / 'pool_rules.json'}: release after "
                f"{rules.contact_expire_days} days without a follow-up, "
                f"{rules.deal_expire_days} days without a deal (baseline pool_rule_company)"
            )
        with err.status("opening the MLflow store"):
            tracking_uri = open_store()  # created/migrated now, one process at a time
    names = [n for n in MODEL_NAMES if model in (ModelChoice.all, n)]
    trained = 0
    for name in names:
        began = time.perf_counter()
        with err.status(f"{name}: starting") as status, user_errors():

            def step(message: str, name: str = name) -> None:
                status.update(f"{name}: {message}")

            try:
                result = train_model(
                    crm,
                    name,
                    as_of=cutoff,
                    horizon_days=horizon_days,
                    dormant_days=dormant_days,
                    truth=truth,
                    progress=step,
                    n_splits=folds,
                    grid=grid.value,
                    pool_rules=pool_rules,
                )
            except ValueError as refusal:
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
        out.print(plan_table(result.settings, name))
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
        beats = bool(result.settings.get("beats_baselines", True))
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


def plan_table(settings: dict, name: str) -> Table:
    """Return the evaluation plan of a training run (its splits) as a printable table."""
    table = Table(
        title=f"{name}: {settings.get('grid_frequency', '')} as_of grid, "
        f"{settings.get('n_splits', 0)} fold(s) + holdout, blocks of {settings.get('block', '?')}, "
        f"gap {settings.get('gap_days', '?')} days",
        title_justify="left",
    )
    for column in ["split", "train as_of before", "validate as_of", "rows", "positives"]:
        table.add_column(column, justify="right" if column in ("rows", "positives") else "left")
    for split, facts in settings.get("splits", {}).items():
        table.add_row(
            split,
            facts["train_before"],
            f"{facts['validate_from']} to {facts['validate_to']}",
            f"{facts['train_rows']:,} / {facts['validation_rows']:,}",
            f"{facts['train_positives']:,} / {facts['validation_positives']:,}",
        )
    for split in settings.get("skipped_folds", {}):
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


@app.command()
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


@app.command()
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


@app.command(
    help="Write the ranked action list at --as-of: whom to release, assign and coach.\n\n"
    "Without --model-uri the champions are looked up in the MLflow registry named by "
    "MLFLOW_TRACKING_URI, else ./mlflow.db of the current folder; a missing registry is an "
    "error and is never created. A rep gets a row when its risk of sliding is at least the "
    "rep model's base rate."
)
def score(
    data_dir: Annotated[Path, typer.Argument(metavar="DATA_DIR", help="Extract folder.")],
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
) -> None:
    """Write the ranked action list at --as-of: whom to release, assign and coach."""
    from stagnation.scoring import ActionSettings, score_with_drift

    began = time.perf_counter()
    err = Console(stderr=True, soft_wrap=True)
    with user_errors(), err.status("loading the extract") as status:
        at = parse_moment(as_of, "--as-of")
        check_writable(out)  # a read-only --out fails now, naming it, not after the scoring
        crm = load_crm(data_dir)
        result = score_with_drift(
            crm,
            at,
            model_uris=model_uri or (),
            top=top,
            min_score=min_score,
            selection=ActionSettings(min_rep_lift=rep_min_lift),
            progress=status.update,
        )
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
        raise ValueError(
            f"{option}: {text!r} is not an ISO 8601 date or date-time (e.g. 2026-01-01 or "
            "2026-01-01T09:00); moments relative to the clock such as 'now' are refused so "
            "that a run can be repeated"
        )
    try:
        moment = pd.Timestamp(text)
    except ValueError as err:
        raise ValueError(f"{option}: {text!r} is not an ISO 8601 date or date-time") from err
    if moment is pd.NaT:
        raise ValueError(f"{option}: a moment is required")
    if moment.tzinfo is not None:
        moment = moment.tz_convert("UTC").tz_localize(None)
    return moment


# --- shared printing and error handling ------------------------------------------------------


@contextlib.contextmanager
def user_errors() -> Iterator[None]:
    """Turn a user error raised inside the block into a readable message and exit code 2."""
    try:
        yield
    except USER_ERRORS as err:
        print_error(err)
        raise typer.Exit(EXIT_BAD_INPUT) from None


def print_error(err: Exception) -> None:
    """Print a user error to stderr: every problem for a validation error, else its message."""
    console = Console(stderr=True, soft_wrap=True)
    if isinstance(err, CRMValidationError):
        print_problems(console, err.report.problems)
        headline = err.report.format().splitlines()[0]
        console.print(Text(f"error: {headline}", style="bold red"))
    elif isinstance(err, ValidationError):  # bad settings: name the option and the rule
        for e in err.errors():
            option = "--" + "-".join(str(part) for part in e["loc"]).replace("_", "-")
            console.print(Text(f"error: {option}: {e['msg']}", style="bold red"))
    else:
        console.print(Text(f"error: {err}", style="bold red"))


def tables_table(report: ValidationReport) -> Table:
    """Return a table of each table's row count and the date range of its timestamp columns."""
    table = Table(title="tables", title_justify="left")
    table.add_column("table")
    table.add_column("rows", justify="right")
    table.add_column("column")
    table.add_column("from")
    table.add_column("to")
    for name, summary in report.tables.items():
        ranges = list(summary.time_ranges.items()) or [("", (None, None))]
        for i, (column, (lo, hi)) in enumerate(ranges):
            table.add_row(
                name if i == 0 else "",
                f"{summary.rows:,}" if i == 0 else "",
                column,
                _day(lo),
                _day(hi),
            )
    return table


def print_problems(console: Console, problems: Sequence[Problem]) -> None:
    """Print each problem: where, rule, row count, example ids, offending values and fix."""
    for p in problems:
        line = Text()
        line.append(f"{p.severity}: ", style="bold red" if p.severity == "error" else "yellow")
        line.append(f"{p.where}: ", style="bold")
        line.append(p.rule)
        if p.n_rows:
            line.append(f" - {p.n_rows:,} row{'s' if p.n_rows != 1 else ''}")
        if p.examples:
            line.append(f", e.g. {', '.join(p.examples)}")
        console.print(line)
        if p.bad_values:
            console.print(Text(f"    values: {', '.join(repr(v) for v in p.bad_values)}"))
        if p.fix:
            console.print(Text(f"    fix: {p.fix}", style="dim"))


def _day(value: pd.Timestamp | None) -> str:
    return "" if value is None else f"{value:%Y-%m-%d}"


def main() -> None:
    """Run the command line; a user error ends with a readable message and exit code 2."""
    try:
        app()
    except USER_ERRORS as err:
        print_error(err)
        raise SystemExit(EXIT_BAD_INPUT) from None


# --- import: bring your CRM ------------------------------------------------------------------

import_app = typer.Typer(
    help="Bring your CRM: turn a Salesforce export or a SQL database into a validated extract.",
    no_args_is_help=True,
)
app.add_typer(import_app, name="import")


@import_app.command("salesforce")
def import_salesforce(
    export_dir: Annotated[
        Path, typer.Argument(metavar="EXPORT_DIR", help="Unzipped export: Account.csv, ...")
    ],
    out_dir: Annotated[Path, typer.Argument(metavar="OUT_DIR", help="Extract folder to write.")],
    encoding: Annotated[
        str, typer.Option(help="auto (UTF-8/UTF-16 with BOM), or e.g. cp1252, gb18030.")
    ] = "auto",
    hired_at: Annotated[str, typer.Option(help="User field with the hiring date.")] = "CreatedDate",
    left_at: Annotated[
        str | None,
        typer.Option(
            help="User field with the leaving date (default: inactive users' LastModifiedDate)."
        ),
    ] = None,
) -> None:
    """Turn a Salesforce data export (standard objects, API field names) into an extract."""
    from stagnation.importers import import_salesforce as run

    err = Console(stderr=True, soft_wrap=True)
    with user_errors(), err.status(f"reading {export_dir}"):
        result = run(export_dir, out_dir, encoding=encoding, hired_at=hired_at, left_at=left_at)
    print_import(result, timed=False)


@import_app.command("sql")
def import_sql(
    url: Annotated[
        str, typer.Argument(metavar="URL", help="SQLAlchemy URL, e.g. sqlite:///crm.db.")
    ],
    out_dir: Annotated[Path, typer.Argument(metavar="OUT_DIR", help="Extract folder to write.")],
    mapping: Annotated[
        str, typer.Option(help="Mapping file (TOML), or a bundled one by name: yudao.")
    ],
) -> None:
    """Read each contract table from a database (SQLAlchemy URL) as a mapping file says."""
    from stagnation.importers import bundled_mapping
    from stagnation.importers import import_sql as run

    err = Console(stderr=True, soft_wrap=True)
    with user_errors(), err.status("connecting") as status:
        path = Path(mapping)
        if not path.exists() and path.suffix == "" and "/" not in mapping:
            path = bundled_mapping(mapping)
        result = run(
            url,
            path,
            out_dir,
            progress=lambda table, rows: status.update(f"{table}: {rows:,} rows"),
        )
    print_import(result, timed=True)


def print_import(result: ImportResult, *, timed: bool) -> None:
    """Print an import: rows (and speed) per table, rows dropped and why, then the validation."""
    out = Console(soft_wrap=True)
    out.print(
        Text(
            f"{result.out_dir}: {result.rows:,} rows imported, the extract is valid",
            style="bold green",
        )
    )
    table = Table(title="mapped", title_justify="left")
    for column in ("table", "rows", "from", *(("seconds", "rows/s") if timed else ())):
        table.add_column(
            column, justify="right" if column in ("rows", "seconds", "rows/s") else "left"
        )
    for t in result.tables:
        speed = (f"{t.seconds:.2f}", f"{t.rows / t.seconds:,.0f}" if t.seconds > 0 else "")
        table.add_row(t.table, f"{t.rows:,}", t.source, *(speed if timed else ()))
    out.print(table)
    for t in result.tables:
        for reason, n in t.dropped.items():
            out.print(Text(f"dropped from {t.table}: {n:,} - {reason}", style="yellow"))
    for note in result.notes:
        out.print(Text(f"note: {note}", style="dim"))
    if result.pool_rules is not None:
        rules = result.pool_rules
        out.print(
            Text(
                f"pool rules: release after {rules.contact_expire_days} days without a "
                f"follow-up, {rules.deal_expire_days} days without a deal "
                f"({'enabled' if rules.enabled else 'disabled'}) -> pool_rules.json"
            )
        )
    print_problems(out, result.validation.warnings)
