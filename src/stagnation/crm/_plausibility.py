"""Rules on whole tables and on amounts: header-only tables, overflowing and outlying amounts.

Kept apart from :mod:`stagnation.crm._validate` (the contract's column and cross-table rules):
these judge whether an extract that follows the contract is plausible enough to use.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from stagnation.crm._parse import id_column
from stagnation.crm._report import Problem, mask_problem
from stagnation.crm._tables import EVENT_TABLES, REQUIRED_TABLES, TABLES

#: What an empty (header-only) optional table is read as, and what that means.
_EMPTY_MEANS = {
    "orders": "read as if the extract had no orders: customers are dormant when untouched and "
    "the customer-recycling model learns only from won opportunities",
    "activities": "read as if the extract had no activities: the rep-passivity model cannot run",
    "reps": "read as absent: reps are derived from the rep ids of the other tables",
    "opportunities": "read as absent: no opportunity history",
    "ownership": "read as absent: a customer's owner is the rep of its latest activity or order",
}
#: An amount more than this many times the 99th percentile of its column is flagged.
OUTLIER_FACTOR = 1_000.0
#: Amounts needed before the outlier rule judges a column by its own distribution.
OUTLIER_MIN_ROWS = 20


def empty_problems(tables: Mapping[str, pd.DataFrame]) -> list[Problem]:
    """Report header-only tables: ``customers`` is an error, others are read as absent."""
    problems = []
    empty = {name for name, frame in tables.items() if not len(frame)}
    for name in sorted(empty, key=list(TABLES).index):
        if name in REQUIRED_TABLES:
            problems.append(
                Problem(
                    "error",
                    name,
                    None,
                    "table is empty (header only)",
                    fix=f"export {name} with its rows; every other table refers to it",
                )
            )
        else:
            problems.append(
                Problem(
                    "warning",
                    name,
                    None,
                    "table is empty (header only)",
                    fix=f"{_EMPTY_MEANS[name]}; export its rows, or remove the file",
                )
            )
    given = [name for name in EVENT_TABLES if name in tables]
    if given and all(name in empty for name in given):
        problems.append(
            Problem(
                "error",
                "/".join(given),
                None,
                "no events: every event table given is empty (header only)",
                fix="export the orders or activities with their rows",
            )
        )
    return problems


def amount_problems(tables: Mapping[str, pd.DataFrame]) -> list[Problem]:
    """Refuse amounts whose sum overflows; warn on amounts far outside their column's spread.

    Order values are heavy-tailed, but even a Pareto tail with index 1 (heavier than any sales
    book we know) puts the largest of 100,000 orders about 1,000 times above the 99th
    percentile; an amount beyond :data:`OUTLIER_FACTOR` times that percentile is far more likely
    a unit or a placeholder (``9999999999``, cents in a euro column) than a deal, and one such
    value reorders the whole action list through the expected values.
    """
    problems: list[Problem | None] = []
    for name, frame in tables.items():
        for col in TABLES[name].columns:
            if col.kind != "amount" or col.name not in frame.columns:
                continue
            values = frame[col.name].to_numpy(dtype="float64", na_value=np.nan)
            finite = np.isfinite(values)
            with np.errstate(over="ignore"):
                total = float(np.sum(values[finite]))
            if not np.isfinite(total):
                limit = np.finfo(np.float64).max / max(int(finite.sum()), 1)
                problems.append(
                    mask_problem(
                        "error",
                        name,
                        col.name,
                        "amounts too large: their sum overflows a float64",
                        finite & (values > limit),
                        _keys(name, frame),
                        fix=f"amounts above {limit:.3g} cannot be added up; fix these rows",
                        values=frame[col.name],
                    )
                )
                continue
            positive = values[finite & (values > 0)]
            if len(positive) < OUTLIER_MIN_ROWS:
                continue
            threshold = OUTLIER_FACTOR * float(np.quantile(positive, 0.99))
            problems.append(
                mask_problem(
                    "warning",
                    name,
                    col.name,
                    f"amounts far outside this extract's own range (above {OUTLIER_FACTOR:,.0f} "
                    f"x its 99th percentile, {threshold:,.4g})",
                    finite & (values > threshold),
                    _keys(name, frame),
                    fix="check the unit and the decimal separator of these rows: one placeholder "
                    "or mis-scaled amount moves the expected values and the whole ranking",
                    values=frame[col.name],
                )
            )
    return [p for p in problems if p is not None]


def _keys(table: str, frame: pd.DataFrame) -> pd.Series | None:
    key = id_column(table)
    return frame[key] if key in frame.columns else None
