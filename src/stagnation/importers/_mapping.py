"""The mapping file of ``stagnation import sql``: which query or table fills each contract table.

A mapping is TOML (read with the standard library's :mod:`tomllib`) and checked with pydantic
models that forbid unknown keys, so a typo is an error naming the file, the line and the key::

    timezone = "Asia/Shanghai"       # the database stores local time

    [tables.customers]               # a table and a column map ...
    table = "crm_customer"
    where = "deleted = 0"
    columns = { customer_id = "id", created_at = "create_time" }

    [tables.activities]              # ... or a query whose columns are named as in the contract
    query = "SELECT id AS activity_id, ... FROM crm_follow_up_record"

    [tables.activities.values.channel]   # recode source values into the contract's
    "1" = "call"
"""

from __future__ import annotations

import os
import re
import tomllib
import zoneinfo
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from stagnation.crm import TABLES
from stagnation.errors import NoSuchPath
from stagnation.importers._output import SourceError

#: Columns of the pool settings a ``[pool_rules]`` section may return.
POOL_COLUMNS = ("enabled", "contact_expire_days", "deal_expire_days", "notify_days")

TableName = Literal["customers", "orders", "activities", "reps", "opportunities", "ownership"]


class TableMapping(BaseModel):
    """How to read one table: a ``query``, or a ``table`` with a ``columns`` map.

    Parameters
    ----------
    query
        SQL whose result columns are named as the contract's (``SELECT id AS customer_id ...``).
    table
        A source table (or view) to read instead of a query.
    schema
        The database schema of ``table`` (default: the connection's).
    columns
        With ``table``: contract column -> source column. Contract columns not listed are read
        from a source column of the same name when there is one.
    where
        With ``table``: an SQL condition rows must meet (``"deleted = 0"``).
    values
        Contract column -> {source value: contract value}, e.g. follow-up type codes to
        channels. Values not listed are kept as they are (validation then names them).
    """

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    query: str | None = None
    table: str | None = None
    db_schema: str | None = Field(default=None, alias="schema")
    columns: dict[str, str] = Field(default_factory=dict)
    where: str | None = None
    values: dict[str, dict[str, str]] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _query_or_table(self) -> TableMapping:
        if (self.query is None) == (self.table is None):
            raise ValueError("give either `query` or `table`, not both or neither")
        if self.query is not None and (self.columns or self.where or self.db_schema):
            raise ValueError("`columns`, `where` and `schema` go with `table`, not with `query`")
        return self


class Mapping(BaseModel):
    """A whole mapping file: settings, the tables to read and, optionally, the pool settings.

    Parameters
    ----------
    description
        Free text: which CRM and version the mapping is for.
    timezone
        IANA zone the database stores its naive timestamps in (``"Asia/Shanghai"``); they are
        converted to UTC. Time-zone-aware values are converted as they are.
    chunk_rows
        Rows fetched and written at a time; memory stays bounded by one chunk per table.
    tables
        Contract table name -> how to read it. ``customers`` and one of ``orders`` /
        ``activities`` are required, as in the contract.
    pool_rules
        A query (or table) returning one row with ``enabled``, ``contact_expire_days``,
        ``deal_expire_days``, ``notify_days``: written as ``pool_rules.json``.
    """

    model_config = ConfigDict(extra="forbid")

    description: str = ""
    timezone: str = "UTC"
    chunk_rows: Annotated[int, Field(gt=0)] = 100_000
    tables: dict[TableName, TableMapping]
    pool_rules: TableMapping | None = None

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, zone: str) -> str:
        try:
            zoneinfo.ZoneInfo(zone)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                f"unknown time zone {zone!r}; use an IANA name such as 'UTC' or 'Asia/Shanghai'"
            ) from None
        return zone

    @model_validator(mode="after")
    def _contract_columns(self) -> Mapping:
        if "customers" not in self.tables:
            raise ValueError("the mapping needs a [tables.customers] section")
        if not {"orders", "activities"} & set(self.tables):
            raise ValueError("the mapping needs [tables.orders] or [tables.activities]")
        for name, spec in self.tables.items():
            known = TABLES[name].column_names
            for column in (*spec.columns, *spec.values):
                if column not in known:
                    raise ValueError(
                        f"tables.{name}: {column!r} is not a column of {name} "
                        f"(the contract has {', '.join(known)})"
                    )
        return self


class MappingFile:
    """A parsed mapping file that can say on which line each key was written.

    Parameters
    ----------
    path
        The TOML file.

    Raises
    ------
    SourceError
        When the file is not TOML or breaks the mapping rules; the message names the line.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        if not self.path.is_file():
            raise NoSuchPath(f"no such mapping file: {self.path}")
        self.text = self.path.read_text(encoding="utf-8")
        try:
            raw = tomllib.loads(self.text)
        except tomllib.TOMLDecodeError as err:
            raise SourceError(f"{self.path.name}: not valid TOML: {err}") from None
        try:
            self.mapping = Mapping.model_validate(raw)
        except ValidationError as err:
            first = err.errors()[0]
            loc = tuple(str(part) for part in first["loc"] if part != "[key]")
            key = ".".join(loc) or "(top level)"
            raise SourceError(f"{self.where(*loc)}: {key}: {first['msg']}") from None

    def where(self, *keys: str) -> str:
        """Return ``"<file> line N"`` for the dotted key ``keys`` (its section when not found)."""
        line = self.line(*keys)
        return f"{self.path.name} line {line}" if line else self.path.name

    def line(self, *keys: str) -> int | None:
        """Return the 1-based line where the key ``keys`` (or its nearest section) is written."""
        lines = self.text.splitlines()
        for depth in range(len(keys), 0, -1):
            header = _header_line(lines, keys[:depth])
            if header is None:
                continue
            rest = keys[depth:]
            if not rest:
                return header
            found = _key_line(lines, header, rest[0])
            return found if found is not None else header
        return _key_line(lines, 0, keys[0]) if keys else None


def _header_line(lines: list[str], keys: tuple[str, ...]) -> int | None:
    wanted = ".".join(keys)
    for i, text in enumerate(lines, start=1):
        match = re.match(r"\s*\[\s*([^\]]+?)\s*\]", text)
        if match and re.sub(r"[\s\"']", "", match.group(1)) == wanted:
            return i
    return None


def _key_line(lines: list[str], header: int, key: str) -> int | None:
    pattern = re.compile(rf"\s*[\"']?{re.escape(key)}[\"']?\s*[=.]|.*[{{,]\s*{re.escape(key)}\s*=")
    for i in range(header, len(lines)):  # lines after the header (0-based index == 1-based line)
        text = lines[i]
        if re.match(r"\s*\[", text):
            break
        if pattern.match(text):
            return i + 1
    return None
