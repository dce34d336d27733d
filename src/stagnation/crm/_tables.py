"""The six CRM tables of the contract, declared once, and the typed container that holds them.

Every other module (loading, validation, the simulator, features) reads the table layout from
:data:`TABLES`, so a column is named, typed and constrained in exactly one place.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, fields
from typing import Any, Final, Literal

import numpy as np
import pandas as pd
import pyarrow
import pyarrow.compute as pc

from stagnation.errors import BadExtract

ColumnKind = Literal["id", "timestamp", "amount", "enum", "text"]

#: dtype of every id column (customer_id, rep_id, ...): nullable pandas strings.
ID_DTYPE = pd.StringDtype()
#: dtype of every timestamp column: naive UTC.
TIMESTAMP_DTYPE: Final = "datetime64[ns]"
#: dtype of free-text columns (industry, team, reason, ...).
TEXT_DTYPE = pd.StringDtype()
#: A date-time text that carries a UTC offset (``Z``, ``+02:00``, ``-0500``, ``+05``). The time
#: part is required, so the ``-01`` at the end of a date such as ``2024-05-01`` is not an offset.
AWARE_PATTERN = r"\d:\d{2}(?::\d{2}(?:[.,]\d+)?)?\s?(?:[zZ]|[+-]\d{2}(?::?\d{2})?)$"


@dataclass(frozen=True)
class Column:
    """One column of a contract table.

    Parameters
    ----------
    name
        Exact column name (lower snake case).
    kind
        ``id`` (read as text), ``timestamp`` (naive UTC), ``amount`` (non-negative number),
        ``enum`` (one of ``values``) or ``text``.
    required
        Whether the column must be present in the file.
    nullable
        Whether empty values are allowed where the column is present.
    values
        The allowed values of an ``enum`` column.
    """

    name: str
    kind: ColumnKind
    required: bool = False
    nullable: bool = True
    values: tuple[str, ...] = ()

    @property
    def dtype(self) -> Any:
        """Return the pandas dtype this column is held in."""
        if self.kind == "id":
            return ID_DTYPE
        if self.kind == "timestamp":
            return TIMESTAMP_DTYPE
        if self.kind == "amount":
            return "float64"
        if self.kind == "enum":
            return pd.CategoricalDtype(list(self.values))
        return TEXT_DTYPE


@dataclass(frozen=True)
class Table:
    """The layout of one contract table: its columns and its unique key, if any."""

    name: str
    columns: tuple[Column, ...]
    key: str | None = None

    @property
    def required_columns(self) -> list[str]:
        """Return the names of the columns the file must contain."""
        return [c.name for c in self.columns if c.required]

    @property
    def column_names(self) -> list[str]:
        """Return every column name the contract knows for this table, in contract order."""
        return [c.name for c in self.columns]

    def column(self, name: str) -> Column:
        """Return the column called ``name``."""
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(f"table {self.name!r} has no column {name!r}")


def _req(name: str, kind: ColumnKind, values: tuple[str, ...] = ()) -> Column:
    return Column(name, kind, required=True, nullable=False, values=values)


ACTIVITY_CHANNELS = ("call", "visit", "message", "email", "meeting", "other")
DIRECTIONS = ("outbound", "inbound")
ORDER_CHANNELS = ("offline", "online")
OPPORTUNITY_STATUSES = ("open", "won", "lost")
#: Ownership reasons the contract names; other text is allowed too.
OWNERSHIP_REASONS = ("assigned", "claimed", "released", "transferred", "rep_left")

TABLES: dict[str, Table] = {
    t.name: t
    for t in (
        Table(
            "customers",
            (
                _req("customer_id", "id"),
                _req("created_at", "timestamp"),
                Column("industry", "text"),
                Column("region", "text"),
                Column("size", "text"),
                Column("source", "text"),
            ),
            key="customer_id",
        ),
        Table(
            "orders",
            (
                _req("order_id", "id"),
                _req("customer_id", "id"),
                _req("ordered_at", "timestamp"),
                _req("amount", "amount"),
                Column("rep_id", "id"),
                Column("channel", "enum", values=ORDER_CHANNELS),
            ),
            key="order_id",
        ),
        Table(
            "activities",
            (
                _req("activity_id", "id"),
                _req("customer_id", "id"),
                _req("rep_id", "id"),
                _req("occurred_at", "timestamp"),
                Column("channel", "enum", values=ACTIVITY_CHANNELS),
                Column("direction", "enum", values=DIRECTIONS),
            ),
            key="activity_id",
        ),
        Table(
            "reps",
            (
                _req("rep_id", "id"),
                Column("hired_at", "timestamp"),
                Column("left_at", "timestamp"),
                Column("team", "text"),
                Column("role", "text"),
            ),
            key="rep_id",
        ),
        Table(
            "opportunities",
            (
                _req("opportunity_id", "id"),
                _req("customer_id", "id"),
                _req("rep_id", "id"),
                _req("created_at", "timestamp"),
                Column("closed_at", "timestamp"),
                _req("status", "enum", values=OPPORTUNITY_STATUSES),
                Column("amount", "amount"),
            ),
            key="opportunity_id",
        ),
        Table(
            "ownership",
            (
                _req("customer_id", "id"),
                _req("valid_from", "timestamp"),
                Column("rep_id", "id"),
                Column("reason", "text"),
            ),
        ),
    )
}

#: The table every extract must have.
REQUIRED_TABLES = ("customers",)
#: An extract needs at least one of these.
EVENT_TABLES = ("orders", "activities")
#: Id columns that point into another table: column -> (the table of its ids, tables using it).
REFERENCES = {
    "customer_id": ("customers", ("orders", "activities", "opportunities", "ownership")),
    "rep_id": ("reps", ("orders", "activities", "opportunities", "ownership")),
}


def id_positions(ids: pd.Series, reference: pd.Series) -> np.ndarray:
    """Return, for each id, its row in ``reference`` (first match), -1 if absent or missing.

    Arrow's hash kernel (``pyarrow.compute.index_in``) looks the ids up: on 11M activity ids it
    is about ten times faster than ``Index.get_indexer``, which makes a Python string of each.

    Examples
    --------
    >>> id_positions(pd.Series(["b", None, "z", "a"]), pd.Series(["a", "b"])).tolist()
    [1, -1, -1, 0]
    """
    found = pc.index_in(
        pyarrow.array(ids, type=pyarrow.large_string(), from_pandas=True),
        value_set=pyarrow.array(reference, type=pyarrow.large_string(), from_pandas=True),
        skip_nulls=True,
    )
    # int32, as Arrow gives them: the two lookups of 11M activities are kept with the extract
    return np.asarray(pc.fill_null(found, -1).to_numpy(zero_copy_only=False), dtype=np.int32)


@dataclass(frozen=True)
class CRM:
    """A CRM extract: the six contract tables as typed DataFrames.

    Tables other than ``customers`` are ``None`` when the extract does not have them. Every frame
    holds the contract's columns (optional ones the file lacked are added as empty columns) in the
    dtypes of :data:`TABLES`: ``string`` ids, naive-UTC ``datetime64[ns]`` timestamps, categorical
    enums and ``float64`` amounts. Extra columns of the file are dropped.

    Build one with :func:`stagnation.crm.load_crm`, :func:`stagnation.simulator.simulate` or
    :meth:`CRM.from_frames`.
    """

    customers: pd.DataFrame
    orders: pd.DataFrame | None = None
    activities: pd.DataFrame | None = None
    reps: pd.DataFrame | None = None
    opportunities: pd.DataFrame | None = None
    ownership: pd.DataFrame | None = None

    def tables(self) -> Iterator[tuple[str, pd.DataFrame]]:
        """Yield ``(name, frame)`` for every table present, in contract order."""
        for f in fields(self):
            frame = getattr(self, f.name)
            if frame is not None:
                yield f.name, frame

    def positions(self, table: str, column: str) -> np.ndarray:
        """Return, per row of ``table``, the row of its ``column`` id in the table of those ids.

        ``column`` is ``customer_id`` (rows of ``customers``) or ``rep_id`` (rows of ``reps``,
        which must be given); -1 marks a missing or unknown id. Computed once per extract:
        :func:`~stagnation.crm.load_crm` keeps the lookups its validation made, and the feature
        context reads them from here (a read-only array).

        Examples
        --------
        >>> crm = CRM.from_frames(
        ...     customers=pd.DataFrame({"customer_id": ["c1", "c2"],
        ...                             "created_at": ["2024-01-01"] * 2}),
        ...     orders=pd.DataFrame({"order_id": ["o1", "o2"], "customer_id": ["c2", "c9"],
        ...                          "ordered_at": ["2024-02-01"] * 2, "amount": [5.0, 1.0]}),
        ... )
        >>> crm.positions("orders", "customer_id").tolist()
        [1, -1]
        """
        cache: dict[tuple[str, str], np.ndarray] = self.__dict__.setdefault("_positions", {})
        if (table, column) not in cache:
            frame, reference = self[table], self[REFERENCES[column][0]]
            if frame is None or reference is None:
                raise KeyError(f"this extract has no {table} or no {REFERENCES[column][0]}")
            found = id_positions(frame[column], reference[column])
            found.flags.writeable = False
            cache[table, column] = found
        return cache[table, column]

    def _remember_positions(self, positions: Mapping[tuple[str, str], np.ndarray]) -> CRM:
        """Keep lookups made on these very tables (same rows, same order); return ``self``."""
        for key, found in positions.items():
            found.flags.writeable = False
            self.__dict__.setdefault("_positions", {})[key] = found
        return self

    def __getitem__(self, name: str) -> pd.DataFrame | None:
        if name not in TABLES:
            raise KeyError(f"unknown table {name!r}; the contract has {', '.join(TABLES)}")
        frame: pd.DataFrame | None = getattr(self, name)
        return frame

    @classmethod
    def from_frames(cls, **frames: pd.DataFrame | None) -> CRM:
        """Build a CRM from raw frames, converting each to the contract dtypes.

        This does not validate: use :func:`stagnation.crm.validate_extract` for the rules.
        Values that cannot be converted raise ``ValueError`` naming the table and column.
        """
        unknown = set(frames) - set(TABLES)
        if unknown:
            raise KeyError(
                f"unknown tables {sorted(unknown)}; the contract has {', '.join(TABLES)}"
            )
        typed = {name: conform(name, frame) for name, frame in frames.items() if frame is not None}
        if "customers" not in typed:
            raise BadExtract("a CRM needs a 'customers' table")
        return cls(**typed)


def conform(table: str, frame: pd.DataFrame) -> pd.DataFrame:
    """Return ``frame`` with exactly the contract columns of ``table``, in the contract dtypes.

    Missing optional columns are added empty, extra columns dropped. Conversion errors raise
    ``ValueError`` naming the table and column.
    """
    spec = TABLES[table]
    out = {}
    for col in spec.columns:
        if col.name not in frame.columns:
            if col.required:
                raise BadExtract(f"{table}.{col.name}: required column is missing")
            out[col.name] = pd.Series(index=frame.index, dtype=col.dtype)  # all missing
            continue
        try:
            out[col.name] = _to_dtype(frame[col.name], col)
        except (ValueError, TypeError) as err:
            raise BadExtract(f"{table}.{col.name}: cannot read as {col.kind}: {err}") from err
    return pd.DataFrame(out, index=frame.index).reset_index(drop=True)


def _to_dtype(values: pd.Series, col: Column) -> pd.Series:
    if col.kind == "id":
        if pd.api.types.is_float_dtype(values):
            # Integer ids that went through a float column (because of gaps) keep no ".0".
            whole = values.dropna()
            if (whole == whole.round()).all():
                values = values.astype("Int64")
        return values.astype(ID_DTYPE)
    if col.kind == "timestamp":
        return to_naive_utc(values)
    if col.kind == "amount":
        return pd.to_numeric(values, errors="raise").astype("float64")
    if col.kind == "enum":
        categorical = isinstance(values.dtype, pd.CategoricalDtype)
        # distinct values first: a set over every row of 11M activities takes seconds
        seen = (
            values.cat.remove_unused_categories().cat.categories if categorical else values.unique()
        )
        unknown = sorted(set(map(str, pd.Series(seen).dropna())) - set(col.values))
        if unknown:
            raise BadExtract(
                f"values outside the contract's {', '.join(col.values)}: "
                + ", ".join(repr(v) for v in unknown[:5])
            )
        if categorical and values.cat.categories.dtype == "str":
            # Recode the few categories, not every value.
            return values.cat.set_categories(list(col.values), ordered=False)
        if isinstance(values.dtype, pd.StringDtype) and values.dtype.storage == "pyarrow":
            # Arrow text: look each value up among the contract's codes in one hash pass
            # (0.1 s on 11M activities; factorizing, then recoding, took 0.6 s)
            arrow = pyarrow.array(values.array)
            found = pc.index_in(arrow, value_set=pyarrow.array(list(col.values), arrow.type))
            codes = found.fill_null(-1).to_numpy(zero_copy_only=False)
        else:
            # Hash each value once, then recode the few distinct ones: about ten times
            # faster than astype("category") on 11M activities.
            codes, distinct = pd.factorize(values)
            recode = pd.Index(list(col.values)).get_indexer(pd.Index([str(v) for v in distinct]))
            codes = np.append(recode, -1)[codes]  # code -1 (missing) reads the appended -1
        return pd.Series(
            pd.Categorical.from_codes(codes, dtype=col.dtype), index=values.index, name=values.name
        )
    return values.astype(TEXT_DTYPE)


def to_naive_utc(values: pd.Series) -> pd.Series:
    """Parse ISO 8601 dates or date-times to naive UTC ``datetime64[ns]``.

    tz-aware values are converted to UTC and made naive. A column that mixes tz-aware and naive
    values raises ``ValueError``.
    """
    if isinstance(values.dtype, pd.DatetimeTZDtype):
        return values.dt.tz_convert("UTC").dt.tz_localize(None).astype(TIMESTAMP_DTYPE)
    if pd.api.types.is_datetime64_dtype(values):
        return values.astype(TIMESTAMP_DTYPE)
    text = values.astype("string")
    aware = text.str.contains(AWARE_PATTERN, regex=True, na=False)
    present = text.notna()
    if aware.any() and (present & ~aware).any():
        raise BadExtract("the column mixes tz-aware and naive timestamps")
    parsed = pd.to_datetime(text, format="ISO8601", utc=bool(aware.any()))
    if aware.any():
        parsed = parsed.dt.tz_convert("UTC").dt.tz_localize(None)
    return parsed.astype(TIMESTAMP_DTYPE)
