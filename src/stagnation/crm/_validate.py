"""Check a CRM extract against the data contract and report every problem at once.

Column rules (missing values, duplicate ids, unknown codes, negative amounts, dates out of
order within a row) are pandera schemas built from :data:`~stagnation.crm.TABLES`; rules across
tables (ids that point nowhere, events outside a rep's employment or before a customer existed)
are vectorised lookups. Nothing stops at the first problem.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import pandas as pd
import pandera.pandas as pa
import pyarrow
import pyarrow.compute as pc
from pandera.errors import SchemaError, SchemaErrorReason, SchemaErrors

from stagnation.crm._parse import ParsedTable, id_column, parse_table
from stagnation.crm._plausibility import amount_problems, empty_problems
from stagnation.crm._read import read_folder
from stagnation.crm._report import (
    CRMValidationError,
    Problem,
    TableSummary,
    ValidationReport,
    mask_problem,
)
from stagnation.crm._tables import (
    CRM,
    EVENT_TABLES,
    REFERENCES,
    REQUIRED_TABLES,
    TABLES,
    TEXT_DTYPE,
    Column,
    id_positions,
)

__all__ = [
    "CRMValidationError",
    "Problem",
    "TableSummary",
    "ValidationReport",
    "validate_extract",
]

#: Within one row, ``column`` may not be earlier than ``other``: (table, column, other).
ROW_ORDER = (("reps", "left_at", "hired_at"), ("opportunities", "closed_at", "created_at"))
#: The time of the event each row of an event table records.
EVENT_TIME = {"orders": "ordered_at", "activities": "occurred_at", "opportunities": "created_at"}


def validate_extract(
    source: str | os.PathLike[str] | CRM, *, now: pd.Timestamp | None = None
) -> ValidationReport:
    """Check an extract against the data contract, collecting every problem.

    Parameters
    ----------
    source
        An extract folder (``<table>.parquet`` or ``<table>.csv`` per table) or a :class:`CRM`.
    now
        The present, for the "timestamp in the future" warning (naive UTC); default: the clock.

    Returns
    -------
    ValidationReport
        Errors (the extract breaks the contract), warnings (it is usable but odd) and, per
        table, its row count and time span. ``report.ok`` is true when there are no errors.

    Raises
    ------
    FileNotFoundError, NotADirectoryError
        When ``source`` is a path that is not an existing folder.

    Examples
    --------
    >>> import pandas as pd
    >>> from stagnation.crm import CRM, validate_extract
    >>> crm = CRM.from_frames(
    ...     customers=pd.DataFrame({"customer_id": ["c1"], "created_at": ["2024-01-05"]}),
    ...     orders=pd.DataFrame({"order_id": ["o1", "o2"], "customer_id": ["c1", "c9"],
    ...                          "ordered_at": ["2024-02-01", "2024-03-01"], "amount": [10, 5]}),
    ... )
    >>> report = validate_extract(crm)
    >>> report.ok
    False
    >>> print(report.errors[0])
    error: orders.customer_id: customer_id not in customers (1 row; e.g. o2); values: 'c9'
        fix: add these customers to customers, or drop their rows from orders
    """
    if isinstance(source, CRM):
        frames = dict(source.tables())
        report, _, _ = check_frames(frames, [], now=now)
    else:
        frames, problems = read_folder(source)
        report, _, _ = check_frames(frames, problems, now=now)
    return report


def check_frames(
    frames: Mapping[str, pd.DataFrame],
    read_problems: list[Problem],
    *,
    now: pd.Timestamp | None = None,
) -> tuple[ValidationReport, dict[str, pd.DataFrame], dict[tuple[str, str], np.ndarray]]:
    """Validate raw tables; return the report, the tables parsed and the id lookups made.

    The lookups give, per (table, id column), each row's position in the table of those ids
    (-1 when missing or unknown), as :meth:`CRM.positions` does; loading keeps them.

    ``read_problems`` are the table-level problems met while reading files; a table named in
    one counts as present (so "missing customers" is not reported twice) but is not checked.
    """
    present = set(frames) | {p.table for p in read_problems}
    problems = list(read_problems)
    problems += _presence_problems(present)

    parsed: dict[str, ParsedTable] = {}
    for name in TABLES:
        if name in frames:
            parsed[name] = parse_table(name, frames[name])
            problems += parsed[name].problems
            problems += _schema_problems(name, parsed[name])
    tables = {name: p.frame for name, p in parsed.items()}
    summary = {name: _summary(frame) for name, frame in tables.items()}
    problems += empty_problems(tables)
    tables = {n: f for n, f in tables.items() if len(f) or n in REQUIRED_TABLES}  # read as absent
    problems += amount_problems(tables)
    lookups = _lookups(tables)
    problems += _reference_problems(tables, lookups)
    problems += _timing_warnings(tables, lookups, _now(now))
    problems.sort(key=_contract_order)
    return ValidationReport.from_problems(problems, summary), tables, lookups


def _contract_order(problem: Problem) -> tuple[int, int]:
    """Sort key: table-level problems first, then tables and columns in contract order."""
    names = list(TABLES)
    if problem.table not in TABLES:
        return (-1, -1)
    columns = TABLES[problem.table].column_names
    column = columns.index(problem.column) if problem.column in columns else -1
    return (names.index(problem.table), column)


def _now(now: pd.Timestamp | None) -> pd.Timestamp:
    if now is None:
        return pd.Timestamp.now(tz="UTC").tz_localize(None)
    now = pd.Timestamp(now)
    return now.tz_convert("UTC").tz_localize(None) if now.tzinfo is not None else now


def _presence_problems(present: set[str]) -> list[Problem]:
    problems = [
        Problem(
            "error",
            name,
            None,
            "required table missing",
            fix=f"add {name}.parquet or {name}.csv to the extract folder",
        )
        for name in REQUIRED_TABLES
        if name not in present
    ]
    if not present & set(EVENT_TABLES):
        problems.append(
            Problem(
                "error",
                "/".join(EVENT_TABLES),
                None,
                "neither orders nor activities given",
                fix="add orders (.parquet or .csv), activities, or both",
            )
        )
    return problems


# --- column rules: pandera ------------------------------------------------------------------


def _not_null(values: pd.Series) -> pd.Series:
    return values.notna()


def _unique(values: pd.Series) -> pd.Series | bool:
    arrow = pyarrow.array(values, type=pyarrow.large_string(), from_pandas=True)
    if arrow.null_count == 0 and pc.all(pc.greater(arrow[1:], arrow[:-1])).as_py() is not False:
        return True  # strictly increasing (the usual export order): no repeats, no hashing
    codes, uniques = pd.factorize(values)  # missing values get code -1
    if len(uniques) == int((codes >= 0).sum()):
        return True
    counts = np.bincount(codes[codes >= 0], minlength=len(uniques))
    repeated = np.zeros(len(codes), dtype=bool)
    repeated[codes >= 0] = counts[codes[codes >= 0]] > 1
    return pd.Series(~repeated, index=values.index)


def _in_values(values: pd.Series, *, allowed: tuple[str, ...]) -> pd.Series:
    return values.isna() | values.isin(allowed)


def _non_negative(values: pd.Series) -> pd.Series:
    return values.isna() | values.ge(0)


def _not_before(frame: pd.DataFrame, *, column: str, other: str) -> pd.Series | bool:
    if column not in frame.columns or other not in frame.columns:
        return True
    return ~(frame[column] < frame[other])


def _check(fn: Callable[..., Any], name: str, rule: str, fix: str, **kwargs: Any) -> pa.Check:
    # Full-length boolean output (ignore_na=False, every function passes missing values itself)
    # so SchemaError.check_output is the mask of failing rows; pandera keeps only a few
    # failure cases, which keeps it fast when millions of rows fail.
    return pa.Check(
        fn, name=name, error=rule, description=fix, ignore_na=False, n_failure_cases=5, **kwargs
    )


def _column_checks(table: str, col: Column) -> list[pa.Check]:
    checks = []
    if not col.nullable:
        checks.append(
            _check(
                _not_null,
                "not_null",
                "missing values",
                f"fill in {table}.{col.name} on every row, or drop the rows that lack it",
            )
        )
    if col.name == TABLES[table].key:
        checks.append(
            _check(
                _unique,
                "unique",
                "duplicate ids",
                f"give every row of {table} its own {col.name}, or drop the repeated rows",
            )
        )
    if col.kind == "enum":
        checks.append(
            _check(
                _in_values,
                "allowed_values",
                "values outside " + "/".join(col.values),
                f"map {table}.{col.name} to one of: {', '.join(col.values)}",
                allowed=col.values,
            )
        )
    if col.kind == "amount":
        checks.append(
            _check(
                _non_negative,
                "non_negative",
                "negative amounts",
                "amounts are non-negative; put refunds and credits in a table of their own",
            )
        )
    return checks


@functools.cache
def table_schema(table: str) -> pa.DataFrameSchema:
    """Return the pandera schema of ``table``, built from :data:`TABLES`.

    It validates frames as :func:`parse_table` leaves them (enum columns as text, so unknown
    codes can be reported rather than lost to a categorical).
    """
    spec = TABLES[table]
    columns = {
        col.name: pa.Column(
            TEXT_DTYPE if col.kind == "enum" else col.dtype,
            checks=_column_checks(table, col),
            nullable=True,  # missing values are the "not_null" check, which reports the rows
            required=col.required,
            name=col.name,
        )
        for col in spec.columns
    }
    checks = [
        _check(
            _not_before,
            f"{column} before {other}",
            f"{column} before {other}",
            f"{column} may not be earlier than {other}: fix one of the two, or leave "
            f"{column} empty",
            column=column,
            other=other,
        )
        for name, column, other in ROW_ORDER
        if name == table
    ]
    return pa.DataFrameSchema(columns, checks=checks, name=table, strict=False, coerce=False)


def _schema_problems(table: str, parsed: ParsedTable) -> list[Problem]:
    frame = parsed.frame
    try:
        table_schema(table).validate(frame, lazy=True, inplace=True)
    except SchemaErrors as exc:
        key = id_column(table)
        keys = frame[key] if key in frame.columns else None
        problems = [_problem_from(table, err, frame, keys, parsed) for err in exc.schema_errors]
        return [p for p in problems if p is not None]
    return []


def _problem_from(
    table: str,
    err: SchemaError,
    frame: pd.DataFrame,
    keys: pd.Series | None,
    parsed: ParsedTable,
) -> Problem | None:
    if err.reason_code == SchemaErrorReason.COLUMN_NOT_IN_DATAFRAME:
        missing = _missing_column(err)
        return Problem(
            "error",
            table,
            missing,
            "required column missing",
            fix=f"add a column named exactly {missing!r} to {table}",
        )
    check = err.check
    output = err.check_output
    if not isinstance(check, pa.Check) or not isinstance(output, pd.Series):
        # Not one of our checks (e.g. a dtype mismatch): report pandera's own words.
        return Problem("error", table, _column_of(err), f"does not match the contract: {err}")
    column: str | None
    if isinstance(err.schema, pa.DataFrameSchema):
        column = next(c for t, c, o in ROW_ORDER if t == table and check.name == f"{c} before {o}")
    else:
        column = _column_of(err)
    mask = ~output.to_numpy(dtype=bool)
    if check.name == "not_null" and column is not None and column in parsed.unparseable:
        mask &= ~parsed.unparseable[column]  # already reported as unparseable
    show_values = check.name in ("allowed_values", "non_negative")
    return mask_problem(
        "error",
        table,
        column,
        str(check.error),
        mask,
        keys,
        fix=str(check.description),
        values=frame[column] if show_values and column in frame.columns else None,
    )


def _missing_column(err: SchemaError) -> str:
    cases = err.failure_cases
    if isinstance(cases, pd.DataFrame) and "failure_case" in cases.columns and len(cases):
        return str(cases["failure_case"].iloc[0])
    return str(cases)


def _column_of(err: SchemaError) -> str | None:
    if isinstance(err.schema, pa.DataFrameSchema):
        return None
    name = getattr(err.schema, "name", None)
    return name if isinstance(name, str) else None


# --- rules across tables: vectorised lookups -----------------------------------------------


def _lookups(tables: Mapping[str, pd.DataFrame]) -> dict[tuple[str, str], np.ndarray]:
    """Return the positions of every (table, id column) in its reference table, when given."""
    out = {}
    for column, (reference, users) in REFERENCES.items():
        ref = tables.get(reference)
        if ref is None or column not in ref.columns:
            continue
        for name in users:
            frame = tables.get(name)
            if frame is not None and column in frame.columns:
                out[name, column] = id_positions(frame[column], ref[column])
    return out


def _reference_problems(
    tables: Mapping[str, pd.DataFrame], lookups: Mapping[tuple[str, str], np.ndarray]
) -> list[Problem]:
    problems = []
    for (name, column), pos in lookups.items():
        frame = tables[name]
        reference = REFERENCES[column][0]
        unknown = frame[column].notna().to_numpy(dtype=bool) & (pos < 0)
        problem = mask_problem(
            "error",
            name,
            column,
            f"{column} not in {reference}",
            unknown,
            _keys(name, frame),
            fix=f"add these {reference} to {reference}, or drop their rows from {name}",
            values=frame[column],
        )
        if problem is not None:
            problems.append(problem)
    return problems


def _timing_warnings(
    tables: Mapping[str, pd.DataFrame],
    lookups: Mapping[tuple[str, str], np.ndarray],
    now: pd.Timestamp,
) -> list[Problem]:
    problems: list[Problem | None] = []
    checks = (  # (reference table, its time column, id column, event is odd when, rule)
        ("reps", "left_at", "rep_id", np.greater, "after the rep's left_at"),
        ("customers", "created_at", "customer_id", np.less, "before the customer's created_at"),
    )
    for name, time_column in EVENT_TIME.items():
        frame = tables.get(name)
        if frame is None or time_column not in frame.columns:
            continue
        when = frame[time_column].to_numpy()
        for reference, ref_column, id_col, odd, rule in checks:
            pos = lookups.get((name, id_col))
            ref = tables.get(reference)
            if pos is None or ref is None or ref_column not in ref.columns or not len(ref):
                continue
            ref_time = ref[ref_column].to_numpy()[np.maximum(pos, 0)]
            mask = (pos >= 0) & odd(when, ref_time)  # NaT compares false
            problems.append(
                mask_problem(
                    "warning",
                    name,
                    time_column,
                    rule,
                    mask,
                    _keys(name, frame),
                    fix=f"check {reference}.{ref_column} and these {name}; they are kept as given",
                )
            )
    future = now.as_unit("ns").to_datetime64()
    for name, frame in tables.items():
        for col in TABLES[name].columns:
            if col.kind == "timestamp" and col.name in frame.columns and len(frame):
                if not frame[col.name].max() > now:  # NaT (all missing) compares false too
                    continue
                problems.append(
                    mask_problem(
                        "warning",
                        name,
                        col.name,
                        "timestamps in the future",
                        frame[col.name].to_numpy() > future,
                        _keys(name, frame),
                        fix="check the clock or time zone of the export "
                        f"(now is {now:%Y-%m-%d %H:%M} UTC)",
                    )
                )
    return [p for p in problems if p is not None]


def _keys(table: str, frame: pd.DataFrame) -> pd.Series | None:
    key = id_column(table)
    return frame[key] if key in frame.columns else None


def _summary(frame: pd.DataFrame) -> TableSummary:
    ranges = {}
    for name in frame.columns:
        if pd.api.types.is_datetime64_dtype(frame[name]):
            lo, hi = frame[name].min(), frame[name].max()
            ranges[name] = (None if pd.isna(lo) else lo, None if pd.isna(hi) else hi)
    return TableSummary(rows=len(frame), time_ranges=ranges)
