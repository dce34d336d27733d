"""The ``import`` commands: bring your CRM from a Salesforce export or a SQL database.

The importers (SQLAlchemy, ~0.4 s) are imported inside each command, so that ``--help`` and the
other commands do not pay for them.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from stagnation.cli._output import print_problems, user_errors

if TYPE_CHECKING:
    from stagnation.importers import ImportResult


import_app = typer.Typer(
    help="Bring your CRM: turn a Salesforce export or a SQL database into a validated extract.",
    no_args_is_help=True,
)


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
