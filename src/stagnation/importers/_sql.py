"""``stagnation import sql``: read each contract table from a database, as a mapping file says.

SQLAlchemy 2 opens the database from its URL (SQLite works out of the box, PostgreSQL through
``psycopg``); each table's rows are streamed in chunks of ``chunk_rows`` (a server-side cursor
where the driver has one), converted chunk by chunk to the contract's types and appended to a
Parquet file, so memory holds one chunk, never the whole table.
"""

from __future__ import annotations

import contextlib
import os
import time
import uuid
from collections.abc import Callable, Generator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import sqlalchemy as sa
from pydantic import ValidationError

from stagnation.crm import AWARE_PATTERN, TABLES, Table, conform, to_naive_utc
from stagnation.errors import NoSuchPath
from stagnation.importers._mapping import POOL_COLUMNS, MappingFile, TableMapping
from stagnation.importers._output import (
    ImportResult,
    SourceError,
    TableImport,
    staged_extract,
    validate_staged,
)
from stagnation.importers._pool import PoolRules, write_pool_rules

#: Arrow type each kind of contract column is written as.
_ARROW_TYPES = {
    "id": pa.string(),
    "timestamp": pa.timestamp("us"),
    "amount": pa.float64(),
    "enum": pa.string(),
    "text": pa.string(),
}
#: Python value kinds (``pandas.api.types.infer_dtype``) an id column may hold.
_ID_KINDS = {"integer", "string", "empty", "decimal", "floating", "mixed-integer-float"}


def import_sql(
    url: str,
    mapping: str | os.PathLike[str] | MappingFile,
    out_dir: str | os.PathLike[str],
    *,
    progress: Callable[[str, int], None] | None = None,
) -> ImportResult:
    """Read the tables a mapping file names from a database into a validated extract folder.

    Parameters
    ----------
    url
        A SQLAlchemy URL: ``sqlite:///crm.db``, ``postgresql://user@host/db`` (read with
        ``psycopg``; install ``stagnation[postgres]``), or any dialect SQLAlchemy knows.
    mapping
        The TOML mapping file (see :class:`~stagnation.importers.Mapping`), e.g.
        :func:`~stagnation.importers.bundled_mapping` ``("yudao")``.
    out_dir
        The extract folder to write (``<table>.parquet`` per mapped table, and
        ``pool_rules.json`` when the mapping has a ``[pool_rules]`` section). It appears only
        once everything is written and valid.
    progress
        Called with ``(table, rows so far)`` after each chunk.

    Returns
    -------
    ImportResult
        Rows and seconds per table, the extract's validation report and the pool settings.

    Raises
    ------
    SourceError
        A mapped table or column that does not exist, a failing query, ids of the wrong type,
        values that cannot be converted: the message names the source table, the column and the
        mapping line.
    CRMValidationError
        When the imported tables break the extract contract (``err.report`` lists why).

    Examples
    --------
    >>> from stagnation.importers import bundled_mapping, import_sql
    >>> result = import_sql("sqlite:///yudao.db", bundled_mapping("yudao"), "extract")
    ... # doctest: +SKIP
    """
    spec = mapping if isinstance(mapping, MappingFile) else MappingFile(mapping)
    engine = _engine(url)
    try:
        with staged_extract(out_dir) as folder, _connect(engine, url) as conn:
            done = [
                _import_table(conn, spec, name, folder, progress)
                for name in TABLES
                if name in spec.mapping.tables
            ]
            imported = tuple(table for table, _ in done)
            notes = tuple(note for _, table_notes in done for note in table_notes)
            rules = _pool_rules(conn, spec)
            if rules is not None:
                write_pool_rules(rules, folder)
            report = validate_staged(folder)
    finally:
        engine.dispose()
    return ImportResult(Path(out_dir), imported, report, rules, notes)


def _engine(url: str) -> sa.Engine:
    try:
        parsed = sa.make_url(url)
    except sa.exc.ArgumentError:
        raise SourceError(
            f"not a database URL: {url!r} (for example sqlite:///crm.db or "
            "postgresql://user@host/dbname)"
        ) from None
    if parsed.drivername == "postgresql":  # SQLAlchemy's default driver is psycopg2; use v3
        parsed = parsed.set(drivername="postgresql+psycopg")
    file = parsed.database if parsed.get_backend_name() == "sqlite" else None
    if file not in (None, "", ":memory:") and not Path(str(file)).is_file():
        # sqlite would create an empty database
        raise NoSuchPath(f"no such SQLite database: {parsed.database}")
    try:
        return sa.create_engine(parsed)
    except (ModuleNotFoundError, sa.exc.NoSuchModuleError) as err:
        raise SourceError(
            f"{parsed.drivername}: the database driver is not installed ({err}); for PostgreSQL "
            "install the extra: pip install 'stagnation[postgres]'"
        ) from None


class _connect:
    """Open a connection, turning a failure into a :class:`SourceError` with no password."""

    def __init__(self, engine: sa.Engine, url: str) -> None:
        self.engine, self.url = engine, engine.url.render_as_string(hide_password=True)
        self.conn: sa.Connection | None = None

    def __enter__(self) -> sa.Connection:
        try:
            self.conn = self.engine.connect()
        except sa.exc.DBAPIError as err:
            raise SourceError(f"cannot connect to {self.url}: {_first_line(err)}") from None
        return self.conn

    def __exit__(self, *exc: object) -> None:
        if self.conn is not None:
            self.conn.close()


def _import_table(
    conn: sa.Connection,
    spec: MappingFile,
    name: str,
    folder: Path,
    progress: Callable[[str, int], None] | None,
) -> tuple[TableImport, list[str]]:
    """Stream one contract table into ``folder/<name>.parquet``; return it and any notes."""
    began = time.perf_counter()
    table_spec = spec.mapping.tables[name]  # type: ignore[index]
    statement, source, where = _statement(conn, spec, name, table_spec)
    layout = TABLES[name]
    schema = pa.schema([(c.name, _ARROW_TYPES[c.kind]) for c in layout.columns])
    rows, notes = 0, []
    chunks = _chunks(conn, statement, spec.mapping.chunk_rows, name, source)
    with (
        pq.ParquetWriter(folder / f"{name}.parquet", schema, compression="zstd") as writer,
        contextlib.closing(chunks),  # a failed chunk closes the (server-side) cursor at once
    ):
        for chunk in chunks:
            if rows == 0:
                notes = _check_columns(layout, list(chunk.columns), name, source, where)
            frame = _convert(chunk, layout, table_spec, spec, name, source)
            writer.write_table(
                pa.Table.from_pandas(frame, preserve_index=False).cast(schema, safe=False)
            )
            rows += len(frame)
            if progress is not None:
                progress(name, rows)
    return TableImport(name, source, rows, time.perf_counter() - began), notes


def _statement(
    conn: sa.Connection, spec: MappingFile, name: str, table_spec: TableMapping
) -> tuple[sa.Executable, str, str]:
    """Return the SELECT for a table's mapping, what it reads and where the mapping says so."""
    if table_spec.query is not None:
        where = spec.where("tables", name, "query")
        return sa.text(table_spec.query), f"query at {where}", where
    assert table_spec.table is not None  # the mapping model guarantees query xor table
    where = spec.where("tables", name, "table")
    inspector = sa.inspect(conn)
    qualified = f"{table_spec.db_schema}.{table_spec.table}" if table_spec.db_schema else ""
    qualified = qualified or table_spec.table
    if not inspector.has_table(table_spec.table, schema=table_spec.db_schema):
        raise SourceError(f"{name}: source table {qualified!r} does not exist ({where})")
    available = {c["name"] for c in inspector.get_columns(table_spec.table, table_spec.db_schema)}
    selected: list[sa.Label[Any]] = []
    for col in TABLES[name].columns:
        source_col = table_spec.columns.get(col.name)
        if source_col is not None and source_col not in available:
            raise SourceError(
                f"{name}.{col.name}: source column {qualified}.{source_col} does not exist "
                f"({spec.where('tables', name, 'columns', col.name)}); "
                f"{qualified} has {', '.join(sorted(available))}"
            )
        if source_col is None and col.name in available:
            source_col = col.name
        if source_col is None:
            if col.required:
                raise SourceError(
                    f"{name}.{col.name}: required column not mapped ({where}); add "
                    f'{col.name} = "<column of {qualified}>" to its columns'
                )
            continue
        selected.append(sa.column(source_col).label(col.name))
    statement = sa.select(*selected).select_from(
        sa.table(table_spec.table, schema=table_spec.db_schema)
    )
    if table_spec.where:
        statement = statement.where(sa.text(table_spec.where))
    return statement, f"table {qualified} ({where})", where


def _chunks(
    conn: sa.Connection, statement: sa.Executable, size: int, name: str, source: str
) -> Generator[pd.DataFrame]:
    """Yield the statement's rows as DataFrames of at most ``size`` rows; an empty one if none."""
    try:
        result = conn.execution_options(stream_results=True, max_row_buffer=size).execute(statement)
    except sa.exc.DBAPIError as err:
        conn.rollback()
        raise SourceError(f"{name}: the {source} failed: {_first_line(err)}") from None
    try:
        columns = list(result.keys())
        empty = True
        for rows in result.partitions(size):
            empty = False
            # column by column: from_records probes every Row object's attributes (10x slower)
            values = zip(*rows, strict=True) if rows else ([] for _ in columns)
            yield pd.DataFrame(
                {
                    c: pd.Series(v, dtype=object).infer_objects()
                    for c, v in zip(columns, values, strict=True)
                }
            )
        if empty:
            yield pd.DataFrame({c: pd.Series(dtype=object) for c in columns})
    except sa.exc.DBAPIError as err:
        raise SourceError(f"{name}: reading the {source} failed: {_first_line(err)}") from None
    finally:
        result.close()


def _check_columns(
    layout: Table, columns: list[str], name: str, source: str, where: str
) -> list[str]:
    missing = [c for c in layout.required_columns if c not in columns]
    if missing:
        raise SourceError(
            f"{name}: the {source} returns no column {', '.join(missing)} "
            f"(it returns {', '.join(columns) or 'none'}); name the columns as the contract does"
        )
    extra = [c for c in columns if c not in layout.column_names]
    return [f"{name}: column {c!r} is not in the contract and was ignored ({where})" for c in extra]


def _convert(
    chunk: pd.DataFrame,
    layout: Table,
    table_spec: TableMapping,
    spec: MappingFile,
    name: str,
    source: str,
) -> pd.DataFrame:
    """Turn one chunk of source rows into the contract's columns and types (naive UTC)."""
    frame = chunk[[c for c in layout.column_names if c in chunk.columns]].copy()
    for column, recode in table_spec.values.items():  # noqa: PD011 (a dict, not pandas)
        if column in frame.columns:
            frame[column] = _text(frame[column]).replace(recode)
    for col in layout.columns:
        if col.name not in frame.columns:
            continue
        if col.kind == "id":
            frame[col.name] = _ids(frame[col.name], f"{name}.{col.name}", source)
        elif col.kind == "timestamp":
            try:
                frame[col.name] = _to_utc(frame[col.name], spec.mapping.timezone)
            except (ValueError, TypeError) as err:
                raise SourceError(
                    f"{name}.{col.name}: cannot read the {source} column as timestamps: {err}"
                ) from None
        elif col.kind in ("text", "enum") and pd.api.types.is_float_dtype(frame[col.name]):
            frame[col.name] = _text(frame[col.name])  # integer codes with gaps: 1, not 1.0
    try:
        return conform(name, frame)
    except ValueError as err:
        raise SourceError(f"{err} (from the {source})") from None


def _text(values: pd.Series) -> pd.Series:
    """Return values as text the way a mapping writes them: ``1`` not ``1.0``, ``True``."""
    if pd.api.types.is_float_dtype(values) and (values.dropna() % 1 == 0).all():
        values = values.astype("Int64")
    return values.astype("string")


def _ids(values: pd.Series, where: str, source: str) -> pd.Series:
    kind = pd.api.types.infer_dtype(values, skipna=True)
    if kind == "mixed" and all(isinstance(v, uuid.UUID) for v in values.dropna()):
        return values.astype("string")  # PostgreSQL uuid columns: their text form
    if kind not in _ID_KINDS:
        example = str(values.dropna().iloc[0]) if values.notna().any() else None
        raise SourceError(
            f"{where}: ids of the wrong type in the {source}: {kind} values such as "
            f"{example!r}; an id must be an integer or text column"
        )
    if kind in ("floating", "mixed-integer-float", "decimal"):
        numbers = pd.to_numeric(values, errors="coerce").astype("float64")
        fractional = numbers.notna() & (numbers % 1 != 0)
        if fractional.any():
            raise SourceError(
                f"{where}: ids of the wrong type in the {source}: fractional numbers such as "
                f"{values[fractional].iloc[0]}; an id must be an integer or text column"
            )
        return numbers.astype("Int64").astype("string")
    return values


def _to_utc(values: pd.Series, zone: str) -> pd.Series:
    """Return timestamps as naive UTC: aware values converted, naive ones read in ``zone``."""
    if isinstance(values.dtype, pd.DatetimeTZDtype):
        return values.dt.tz_convert("UTC").dt.tz_localize(None)
    if not pd.api.types.is_datetime64_dtype(values):
        if values.dtype == object and pd.api.types.infer_dtype(values, skipna=True) == "datetime":
            values = pd.to_datetime(values, utc=False)  # datetime objects, maybe aware
            if isinstance(values.dtype, pd.DatetimeTZDtype):
                return values.dt.tz_convert("UTC").dt.tz_localize(None)
        elif pd.api.types.infer_dtype(values, skipna=True) in ("string", "empty"):
            # text (SQLite): find offsets with Arrow's regex, far faster than pandas' per value
            text = pa.array(values.to_numpy(dtype=object), type=pa.string(), from_pandas=True)
            if pc.any(pc.match_substring_regex(text, AWARE_PATTERN)).as_py():
                return to_naive_utc(values)  # Z / +08:00 texts: their offsets say it all
            values = pd.to_datetime(values, format="ISO8601")
        else:
            values = to_naive_utc(values)
    if zone == "UTC":
        return values
    local = values.dt.tz_localize(
        zone, ambiguous=np.zeros(len(values), dtype=bool), nonexistent="shift_forward"
    )
    return local.dt.tz_convert("UTC").dt.tz_localize(None)


def _pool_rules(conn: sa.Connection, spec: MappingFile) -> PoolRules | None:
    table_spec = spec.mapping.pool_rules
    if table_spec is None:
        return None
    if table_spec.query is not None:
        statement: Any = sa.text(table_spec.query)
        where = spec.where("pool_rules", "query")
        source = f"query at {where}"
    else:
        where = spec.where("pool_rules", "table")
        names = {c: table_spec.columns.get(c, c) for c in POOL_COLUMNS}
        source = f"table {table_spec.table} ({where})"
        inspector = sa.inspect(conn)
        if not inspector.has_table(table_spec.table or "", schema=table_spec.db_schema):
            raise SourceError(
                f"pool_rules: source table {table_spec.table!r} does not exist ({where})"
            )
        available = {
            c["name"] for c in inspector.get_columns(table_spec.table or "", table_spec.db_schema)
        }
        statement = sa.select(
            *(sa.column(src).label(dst) for dst, src in names.items() if src in available)
        ).select_from(sa.table(table_spec.table or "", schema=table_spec.db_schema))
        if table_spec.where:
            statement = statement.where(sa.text(table_spec.where))
    try:
        rows = conn.execute(statement).mappings().all()
    except sa.exc.DBAPIError as err:
        conn.rollback()
        raise SourceError(f"pool_rules: the {source} failed: {_first_line(err)}") from None
    if not rows:
        return None
    if len(rows) > 1:
        raise SourceError(
            f"pool_rules: the {source} returns {len(rows)} rows; it must return one "
            "(filter by tenant with a WHERE clause)"
        )
    row = {k: v for k, v in rows[0].items() if k in POOL_COLUMNS}
    if "enabled" in row and row["enabled"] is not None:
        row["enabled"] = bool(int(row["enabled"]))
    try:
        return PoolRules(**{k: v for k, v in row.items() if v is not None}, source=source)
    except ValidationError as err:
        first = err.errors()[0]
        raise SourceError(
            f"pool_rules.{'.'.join(map(str, first['loc']))}: {first['msg']} (from the {source})"
        ) from None


def _first_line(err: sa.exc.DBAPIError) -> str:
    text = str(err.orig if err.orig is not None else err).strip()
    return text.splitlines()[0] if text else type(err).__name__
