"""Read raw table values into the contract dtypes without stopping at bad values.

:func:`stagnation.crm.conform` raises at the first value it cannot convert; validation needs to
know *which* rows are bad. :func:`parse_table` converts what it can, turns the rest into missing
values and reports them as problems naming the rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow
import pyarrow.compute as pc

from stagnation.crm._report import Problem, mask_problem
from stagnation.crm._tables import (
    AWARE_PATTERN,
    ID_DTYPE,
    TABLES,
    TEXT_DTYPE,
    TIMESTAMP_DTYPE,
    Column,
)

_FIXES = {
    "id": "write ids as text or whole numbers",
    "timestamp": "write ISO 8601 dates or date-times between the years 1678 and 2261, "
    "e.g. 2024-05-01 or 2024-05-01T13:45:00",
    "amount": "write plain non-negative numbers with a dot for decimals, no currency signs or "
    "thousands separators, e.g. 1234.5",
}
_RULES = {
    "id": "unparseable ids",
    "timestamp": "unparseable dates",
    "amount": "unparseable amounts",
}


@dataclass
class ParsedTable:
    """One table read into the contract dtypes, with the problems found while reading it.

    ``frame`` holds the contract columns the raw table has, in contract order, on a fresh
    ``RangeIndex``: ids and text as ``string``, timestamps as naive-UTC ``datetime64[ns]``,
    amounts as ``float64`` and enums as ``string`` (so unknown codes can still be reported).
    Values that could not be read are missing in ``frame`` and flagged in ``unparseable``.
    """

    frame: pd.DataFrame
    unparseable: dict[str, np.ndarray] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)


def id_column(table: str) -> str | None:
    """Return the column whose values name a row in examples: the key, else ``customer_id``."""
    spec = TABLES[table]
    if spec.key is not None:
        return spec.key
    return "customer_id" if "customer_id" in spec.column_names else None


def parse_table(table: str, raw: pd.DataFrame) -> ParsedTable:
    """Convert the contract columns of ``raw`` to their dtypes, reporting unreadable values."""
    raw = raw.reset_index(drop=True)
    spec = TABLES[table]
    columns: dict[str, pd.Series] = {}
    unparseable: dict[str, np.ndarray] = {}
    mixed: dict[str, np.ndarray] = {}
    for col in spec.columns:
        if col.name not in raw.columns:
            continue
        values, bad, mixed_rows = parse_column(raw[col.name], col)
        columns[col.name] = values
        if bad is not None and bad.any():
            unparseable[col.name] = bad
        if mixed_rows is not None:
            mixed[col.name] = mixed_rows
    frame = pd.DataFrame(columns, index=raw.index)

    key = id_column(table)
    keys = frame[key] if key in frame.columns else None
    problems: list[Problem] = []
    for name, rows in mixed.items():
        problem = mask_problem(
            "error",
            table,
            name,
            "mixes tz-aware and naive timestamps",
            rows,
            keys,
            fix="give every value a UTC offset (e.g. 2024-05-01T13:45:00Z) or none at all",
            values=raw[name],
        )
        if problem is not None:
            problems.append(problem)
    for name, bad in unparseable.items():
        kind = spec.column(name).kind
        problem = mask_problem(
            "error", table, name, _RULES[kind], bad, keys, fix=_FIXES[kind], values=raw[name]
        )
        if problem is not None:
            problems.append(problem)
    return ParsedTable(frame, unparseable, problems)


def parse_column(
    values: pd.Series, col: Column
) -> tuple[pd.Series, np.ndarray | None, np.ndarray | None]:
    """Convert one column to its contract dtype (enums stay text).

    Returns
    -------
    values
        The converted column; values that could not be read are missing.
    unparseable
        Boolean mask of the rows whose value could not be read, or ``None``.
    mixed
        For a timestamp column mixing tz-aware and naive values, a boolean mask of the rows of
        the less common kind; otherwise ``None``.
    """
    if col.kind == "id":
        ids, bad = _parse_ids(values)
        return ids, bad, None
    if col.kind == "timestamp":
        return _parse_timestamps(values)
    if col.kind == "amount":
        amounts, bad = _parse_amounts(values)
        return amounts, bad, None
    if col.kind == "enum":
        return _text(values, blank_is_missing=True), None, None
    return _text(values, blank_is_missing=False), None, None


def _text(values: pd.Series, *, blank_is_missing: bool) -> pd.Series:
    if isinstance(values.dtype, pd.CategoricalDtype):
        # Convert the few categories, not the millions of values.
        categories = values.cat.categories.astype(str).astype(TEXT_DTYPE).array
        codes = values.cat.codes.to_numpy()
        text = pd.Series(categories.take(codes, allow_fill=True), index=values.index)
    else:
        text = values.astype(TEXT_DTYPE)
    if blank_is_missing:
        arrow = pyarrow.array(text, type=pyarrow.large_string(), from_pandas=True)
        blank = pc.or_kleene(pc.equal(arrow, ""), pc.utf8_is_space(arrow))
        mask = pc.fill_null(blank, False).to_numpy(zero_copy_only=False)
        if mask.any():
            text = text.mask(mask)
    return text


def _parse_ids(values: pd.Series) -> tuple[pd.Series, np.ndarray | None]:
    if pd.api.types.is_float_dtype(values):
        # Integer ids that went through a float column (because of gaps) keep no ".0".
        numbers = values.to_numpy(dtype="float64", na_value=np.nan)
        present = ~np.isnan(numbers)
        whole = np.zeros(len(numbers), dtype=bool)
        ok = present & np.isfinite(numbers)
        whole[ok] = (numbers[ok] == np.round(numbers[ok])) & (np.abs(numbers[ok]) < 2.0**63)
        ints = pd.array(np.where(whole, numbers, np.nan), dtype="Float64").astype("Int64")
        return pd.Series(ints, index=values.index).astype(ID_DTYPE), present & ~whole
    return _text(values, blank_is_missing=True).astype(ID_DTYPE), None


def _parse_amounts(values: pd.Series) -> tuple[pd.Series, np.ndarray]:
    if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
        present = values.notna().to_numpy(dtype=bool)
        numbers = values.to_numpy(dtype="float64", na_value=np.nan)
    else:
        text = _text(values, blank_is_missing=True)
        present = text.notna().to_numpy(dtype=bool)
        numbers = pd.to_numeric(text, errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
    bad = present & ~np.isfinite(numbers)
    numbers = np.where(bad, np.nan, numbers)
    return pd.Series(numbers, index=values.index, dtype="float64"), bad


def _parse_timestamps(
    values: pd.Series,
) -> tuple[pd.Series, np.ndarray | None, np.ndarray | None]:
    bad: np.ndarray | None = None
    mixed: np.ndarray | None = None
    if isinstance(values.dtype, pd.DatetimeTZDtype):
        parsed = values.dt.tz_convert("UTC").dt.tz_localize(None)
    elif pd.api.types.is_datetime64_dtype(values):
        parsed = values
    else:
        text = _text(values, blank_is_missing=True)
        present = text.notna().to_numpy(dtype=bool)
        try:
            parsed = pd.to_datetime(text, format="ISO8601", errors="coerce")
        except ValueError:
            # Several UTC offsets, or offsets mixed with naive values: find out which.
            aware = text.str.contains(AWARE_PATTERN, regex=True, na=False).to_numpy(dtype=bool)
            naive = present & ~aware
            if aware.any() and naive.any():
                mixed = aware if aware.sum() <= naive.sum() else naive
            parsed = pd.to_datetime(text, format="ISO8601", errors="coerce", utc=True)
        if isinstance(parsed.dtype, pd.DatetimeTZDtype):
            parsed = parsed.dt.tz_convert("UTC").dt.tz_localize(None)
        bad = present & parsed.isna().to_numpy(dtype=bool)
    # Timestamps are held in nanoseconds, which cover the years 1678 to 2261 only. Two
    # reductions tell whether any is outside; only then is each value compared.
    if len(parsed) and (parsed.min() < pd.Timestamp.min or parsed.max() > pd.Timestamp.max):
        out_of_range = ((parsed < pd.Timestamp.min) | (parsed > pd.Timestamp.max)).to_numpy(bool)
        parsed = parsed.mask(out_of_range)
        bad = out_of_range if bad is None else bad | out_of_range
    return parsed.astype(TIMESTAMP_DTYPE), bad, mixed
