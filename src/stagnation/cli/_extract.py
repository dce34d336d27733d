"""The commands about extracts: ``validate`` one, write a simulated ``sample``."""

from __future__ import annotations

import time
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from stagnation.cli._output import EXIT_BAD_INPUT, print_problems, tables_table, user_errors
from stagnation.crm import validate_extract
from stagnation.simulator import SimConfig, simulate, write_sample


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


#: The bundled sample's settings: ``stagnation sample`` without options writes ``data/sample``.
_DEFAULT = SimConfig()


class FileFormat(StrEnum):
    """File format of a written extract."""

    parquet = "parquet"
    csv = "csv"


def sample(
    out_dir: Annotated[
        Path, typer.Argument(metavar="OUT_DIR", help="Folder to write the extract into.")
    ],
    seed: Annotated[int, typer.Option(help="Random seed: same seed, same bytes.")] = _DEFAULT.seed,
    reps: Annotated[int, typer.Option(help="Reps who ever work in the window.")] = _DEFAULT.reps,
    customers: Annotated[
        int, typer.Option(help="Customers the company meets.")
    ] = _DEFAULT.customers,
    months: Annotated[int, typer.Option(help="Length of the simulated window.")] = _DEFAULT.months,
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
