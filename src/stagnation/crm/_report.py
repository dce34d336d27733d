"""What validation found: problems, the report that collects them, and the error that carries it."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd

from stagnation.errors import BadExtract

Severity = Literal["error", "warning"]

#: How many example ids (and example values) a problem carries.
N_EXAMPLES = 5


@dataclass(frozen=True)
class Problem:
    """One rule an extract breaks, with where, how often and how to fix it.

    Parameters
    ----------
    severity
        ``"error"`` (the extract cannot be used) or ``"warning"`` (it can, but look at it).
    table
        The table the problem is in, e.g. ``"orders"``.
    column
        The column, or ``None`` for a problem with the whole table or file.
    rule
        The broken rule in a few plain words, e.g. ``"negative amounts"``.
    n_rows
        How many rows break the rule (0 for a problem with the whole table or file).
    examples
        Up to five ids of failing rows: the table's key id (``customer_id`` for ``ownership``), or
        ``"row N"`` (the N-th data row, counting from 1) when the row has no id.
    fix
        A hint on how to fix the extract.
    bad_values
        Up to five offending values, when showing them helps (unparseable text, unknown codes).
    """

    severity: Severity
    table: str
    column: str | None
    rule: str
    n_rows: int = 0
    examples: tuple[str, ...] = ()
    fix: str = ""
    bad_values: tuple[str, ...] = ()

    @property
    def where(self) -> str:
        """Return ``table.column``, or just ``table`` for a table-level problem."""
        return self.table if self.column is None else f"{self.table}.{self.column}"

    def format(self) -> str:
        """Return the problem as one readable line (two with the fix)."""
        text = f"{self.severity}: {self.where}: {self.rule}"
        if self.n_rows:
            text += f" ({self.n_rows:,} row{'s' if self.n_rows != 1 else ''}"
            text += f"; e.g. {', '.join(self.examples)})" if self.examples else ")"
        if self.bad_values:
            text += f"; values: {', '.join(repr(v) for v in self.bad_values)}"
        if self.fix:
            text += f"\n    fix: {self.fix}"
        return text

    def __str__(self) -> str:
        return self.format()


@dataclass(frozen=True)
class TableSummary:
    """Size and time span of one table: its row count and, per timestamp column, (min, max)."""

    rows: int
    time_ranges: Mapping[str, tuple[pd.Timestamp | None, pd.Timestamp | None]] = field(
        default_factory=dict
    )


@dataclass(frozen=True)
class ValidationReport:
    """Everything :func:`validate_extract` found: errors, warnings and a summary of each table.

    The extract is usable when :attr:`ok` is true (warnings do not count).
    """

    errors: tuple[Problem, ...] = ()
    warnings: tuple[Problem, ...] = ()
    tables: Mapping[str, TableSummary] = field(default_factory=dict)

    @classmethod
    def from_problems(
        cls, problems: Iterable[Problem], tables: Mapping[str, TableSummary] | None = None
    ) -> ValidationReport:
        """Sort ``problems`` into errors and warnings, keeping their order."""
        problems = list(problems)
        return cls(
            errors=tuple(p for p in problems if p.severity == "error"),
            warnings=tuple(p for p in problems if p.severity == "warning"),
            tables=dict(tables or {}),
        )

    @property
    def ok(self) -> bool:
        """Return whether the extract has no errors."""
        return not self.errors

    @property
    def problems(self) -> tuple[Problem, ...]:
        """Return errors then warnings."""
        return self.errors + self.warnings

    def format(self) -> str:
        """Return a readable summary: a headline, then every problem, errors first."""
        n_err, n_warn = len(self.errors), len(self.warnings)
        head = "the extract is valid" if self.ok else "the extract is not valid"
        head += f": {n_err} error{'s' if n_err != 1 else ''}, {n_warn} warning"
        head += "s" if n_warn != 1 else ""
        return "\n".join([head, *(p.format() for p in self.problems)])

    def __str__(self) -> str:
        return self.format()


class CRMValidationError(BadExtract):
    """Raised when a CRM extract breaks the data contract; ``.report`` holds every problem."""

    def __init__(self, report: ValidationReport) -> None:
        self.report = report
        super().__init__(report.format())


def row_examples(keys: pd.Series | None, mask: np.ndarray) -> tuple[str, ...]:
    """Return up to five distinct ids of the rows where ``mask`` is true.

    Rows without an id (``keys`` is ``None`` or the id is missing) are named ``"row N"``.
    """
    positions = np.flatnonzero(mask)
    out: list[str] = []
    # Duplicated ids repeat, so look a little further than five rows for five distinct ids.
    for pos in positions[: N_EXAMPLES * 20]:
        key = None if keys is None else keys.iloc[pos]
        name = f"row {pos + 1}" if key is None or pd.isna(key) else str(key)
        if name not in out:
            out.append(name)
        if len(out) == N_EXAMPLES:
            break
    return tuple(out)


def value_examples(values: pd.Series, mask: np.ndarray) -> tuple[str, ...]:
    """Return up to five distinct offending values (as text) where ``mask`` is true."""
    out: list[str] = []
    for value in values.iloc[np.flatnonzero(mask)[: N_EXAMPLES * 20]]:
        text = str(value)
        if text not in out:
            out.append(text)
        if len(out) == N_EXAMPLES:
            break
    return tuple(out)


def mask_problem(
    severity: Severity,
    table: str,
    column: str | None,
    rule: str,
    mask: np.ndarray,
    keys: pd.Series | None,
    fix: str,
    values: pd.Series | None = None,
) -> Problem | None:
    """Build the problem for the rows where ``mask`` is true, or ``None`` if there are none."""
    n_rows = int(np.count_nonzero(mask))
    if not n_rows:
        return None
    return Problem(
        severity=severity,
        table=table,
        column=column,
        rule=rule,
        n_rows=n_rows,
        examples=row_examples(keys, mask),
        fix=fix,
        bad_values=() if values is None else value_examples(values, mask),
    )
