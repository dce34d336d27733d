"""validate_extract: one tiny inline extract per rule of CONTRACT.md section 1.

Each bad extract is the valid BASE with one table replaced; the test names the problem it must
produce (table, column, rule words, example ids) and that it is the only error.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pandas as pd
import pytest

from stagnation.crm import CRM, CRMValidationError, Problem, ValidationReport, validate_extract

NOW = pd.Timestamp("2025-01-01")
ORDERS = "order_id,customer_id,ordered_at,amount\n"

BASE = {
    "customers": """customer_id,created_at,industry,crm_internal_note
c1,2024-01-01,retail,x
c2,2024-01-05,,y
c3,2024-02-01,logistics,z
""",
    "reps": """rep_id,hired_at,left_at,team
r1,2023-01-01,,north
r2,2023-06-01,2024-06-30,south
""",
    "orders": """order_id,customer_id,ordered_at,amount,rep_id,channel
o1,c1,2024-02-01,100.5,r1,offline
o2,c2,2024-03-01T10:30:00,20,,online
""",
    "activities": """activity_id,customer_id,rep_id,occurred_at,channel,direction
a1,c1,r1,2024-01-10T09:00:00,call,outbound
a2,c2,r2,2024-02-10T09:00:00,email,
a3,c3,r1,2024-03-10T09:00:00,visit,inbound
""",
    "opportunities": """opportunity_id,customer_id,rep_id,created_at,closed_at,status,amount
p1,c1,r1,2024-01-15,2024-02-01,won,100
p2,c3,r1,2024-03-01,,open,
""",
    "ownership": """customer_id,valid_from,rep_id,reason
c1,2024-01-01,r1,assigned
c2,2024-01-05,,released
c3,2024-02-01,r1,moved by the regional manager
""",
}


def write_extract(folder: Path, tables: dict[str, str | pd.DataFrame | None]) -> Path:
    """Write CSV text as ``<table>.csv`` and DataFrames as ``<table>.parquet``; skip ``None``."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, content in tables.items():
        if isinstance(content, str):
            (folder / f"{name}.csv").write_text(content, encoding="utf-8")
        elif content is not None:
            content.to_parquet(folder / f"{name}.parquet", index=False)
    return folder


def check(tmp_path: Path, **replace: str | pd.DataFrame | None) -> ValidationReport:
    """Validate BASE with some tables replaced (``None`` removes a table)."""
    return validate_extract(write_extract(tmp_path / "x", {**BASE, **replace}), now=NOW)


def only_error(report: ValidationReport) -> Problem:
    assert len(report.errors) == 1, report
    return report.errors[0]


def test_the_base_extract_is_valid(tmp_path: Path) -> None:
    report = check(tmp_path)
    assert report.ok and not report.errors and not report.warnings, report
    assert report.tables["activities"].rows == 3
    assert report.tables["orders"].time_ranges["ordered_at"] == (
        pd.Timestamp("2024-02-01"),
        pd.Timestamp("2024-03-01 10:30"),
    )
    assert report.tables["reps"].time_ranges["left_at"] == (
        pd.Timestamp("2024-06-30"),
        pd.Timestamp("2024-06-30"),
    )


def test_customers_and_orders_alone_are_valid(tmp_path: Path) -> None:
    report = check(tmp_path, reps=None, activities=None, opportunities=None, ownership=None)
    assert report.ok, report
    assert set(report.tables) == {"customers", "orders"}


def test_customers_and_activities_without_reps_are_valid(tmp_path: Path) -> None:
    report = check(tmp_path, reps=None, orders=None, opportunities=None, ownership=None)
    assert report.ok, report


def test_parquet_with_integer_ids_and_native_types_is_valid(tmp_path: Path) -> None:
    customers = pd.DataFrame(
        {"customer_id": [1, 2], "created_at": pd.to_datetime(["2024-01-01", "2024-01-02"])}
    )
    orders = pd.DataFrame(
        {
            "order_id": [10, 11],
            "customer_id": [1, 2],
            "ordered_at": pd.to_datetime(["2024-02-01 10:00Z", "2024-02-02 00:00Z"]),
            "amount": [5, 7],
        }
    )
    folder = write_extract(tmp_path, {"customers": customers, "orders": orders})
    assert validate_extract(folder, now=NOW).ok


def test_a_crm_object_is_validated_too() -> None:
    crm = CRM.from_frames(
        customers=pd.DataFrame({"customer_id": ["c1"], "created_at": ["2024-01-01"]}),
        activities=pd.DataFrame(
            {
                "activity_id": ["a1", "a2"],
                "customer_id": ["c1", "c1"],
                "rep_id": ["r1", "r1"],
                "occurred_at": ["2024-02-01", "2024-02-02"],
            }
        ),
        reps=pd.DataFrame({"rep_id": ["r2"]}),
    )
    problem = only_error(validate_extract(crm, now=NOW))
    assert (problem.table, problem.column, problem.rule) == (
        "activities",
        "rep_id",
        "rep_id not in reps",
    )
    assert problem.examples == ("a1", "a2") and problem.bad_values == ("r1",)


# --- tables and files ------------------------------------------------------------------------


def test_missing_customers(tmp_path: Path) -> None:
    problem = only_error(check(tmp_path, customers=None, ownership=None))
    assert (problem.table, problem.column, problem.rule) == (
        "customers",
        None,
        "required table missing",
    )


def test_neither_orders_nor_activities(tmp_path: Path) -> None:
    problem = only_error(check(tmp_path, orders=None, activities=None))
    assert problem.table == "orders/activities" and problem.column is None
    assert problem.rule == "neither orders nor activities given"


def test_a_table_as_both_csv_and_parquet(tmp_path: Path) -> None:
    folder = write_extract(tmp_path, BASE)
    pd.DataFrame({"rep_id": ["r1", "r2"]}).to_parquet(folder / "reps.parquet")
    report = validate_extract(folder, now=NOW)
    problem = only_error(report)
    assert (problem.table, problem.column) == ("reps", None)
    assert problem.rule == "table given as both CSV and Parquet"
    assert "reps.parquet" in problem.fix and "reps.csv" in problem.fix


def test_a_file_that_cannot_be_read(tmp_path: Path) -> None:
    folder = write_extract(tmp_path, {**BASE, "orders": None})
    (folder / "orders.parquet").write_bytes(b"not a parquet file")
    problem = only_error(validate_extract(folder, now=NOW))
    assert (problem.table, problem.rule) == ("orders", "file cannot be read")


def test_an_empty_csv_file_cannot_be_read(tmp_path: Path) -> None:
    problem = only_error(check(tmp_path, opportunities=""))
    assert (problem.table, problem.rule) == ("opportunities", "file cannot be read")


def test_a_missing_folder_raises(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="no such folder"):
        validate_extract(tmp_path / "nope")
    (tmp_path / "file.csv").write_text("x\n", encoding="utf-8")
    with pytest.raises(NotADirectoryError, match="not a folder"):
        validate_extract(tmp_path / "file.csv")


# --- one rule per bad extract ----------------------------------------------------------------

CASES = {
    "missing required column": (
        {"orders": "order_id,customer_id,ordered_at\no1,c1,2024-02-01\n"},
        ("orders", "amount", "required column missing", ()),
    ),
    "null in required column": (
        {"orders": ORDERS + "o1,,2024-02-01,1\no2,c1,2024-02-01,2\n"},
        ("orders", "customer_id", "missing values", ("o1",)),
    ),
    "null key is named by its row": (
        {"orders": ORDERS + "o1,c1,2024-02-01,1\n,c1,2024-02-01,2\n"},
        ("orders", "order_id", "missing values", ("row 2",)),
    ),
    "unparseable date": (
        {"customers": "customer_id,created_at\nc1,2024-01-01\nc2,01/05/2024\nc3,2024-02-30\n"},
        ("customers", "created_at", "unparseable dates", ("c2", "c3")),
    ),
    "date out of the nanosecond range": (
        {"customers": "customer_id,created_at\nc1,2024-01-01\nc2,9999-12-31\nc3,2024-02-01\n"},
        ("customers", "created_at", "unparseable dates", ("c2",)),
    ),
    "unparseable amount": (
        {"orders": ORDERS + "o1,c1,2024-02-01,12 EUR\n"},
        ("orders", "amount", "unparseable amounts", ("o1",)),
    ),
    "tz-aware mixed with naive": (
        {
            "activities": "activity_id,customer_id,rep_id,occurred_at\n"
            "a1,c1,r1,2024-01-10T09:00:00\n"
            "a2,c1,r1,2024-01-11T09:00:00+02:00\n"
            "a3,c1,r1,2024-01-12T09:00:00\n"
        },
        ("activities", "occurred_at", "mixes tz-aware and naive timestamps", ("a2",)),
    ),
    "duplicate ids": (
        {"reps": "rep_id\nr1\nr2\nr1\n"},
        ("reps", "rep_id", "duplicate ids", ("r1",)),
    ),
    "unknown activity channel": (
        {
            "activities": "activity_id,customer_id,rep_id,occurred_at,channel\n"
            "a1,c1,r1,2024-01-10,phone\na2,c1,r1,2024-01-10,call\n"
        },
        ("activities", "channel", "values outside call/visit/message/email/meeting/other", ("a1",)),
    ),
    "unknown direction": (
        {
            "activities": "activity_id,customer_id,rep_id,occurred_at,direction\n"
            "a1,c1,r1,2024-01-10,\na2,c1,r1,2024-01-10,Inbound\n"
        },
        ("activities", "direction", "values outside outbound/inbound", ("a2",)),
    ),
    "unknown order channel": (
        {"orders": "order_id,customer_id,ordered_at,amount,channel\no1,c1,2024-02-01,1,shop\n"},
        ("orders", "channel", "values outside offline/online", ("o1",)),
    ),
    "unknown opportunity status": (
        {
            "opportunities": "opportunity_id,customer_id,rep_id,created_at,status\n"
            "p1,c1,r1,2024-01-15,pending\n"
        },
        ("opportunities", "status", "values outside open/won/lost", ("p1",)),
    ),
    "negative order amount": (
        {"orders": ORDERS + "o1,c1,2024-02-01,-5\no2,c1,2024-02-01,0\n"},
        ("orders", "amount", "negative amounts", ("o1",)),
    ),
    "negative opportunity amount": (
        {
            "opportunities": "opportunity_id,customer_id,rep_id,created_at,status,amount\n"
            "p1,c1,r1,2024-01-15,open,-1\n"
        },
        ("opportunities", "amount", "negative amounts", ("p1",)),
    ),
    "left_at before hired_at": (
        {"reps": "rep_id,hired_at,left_at\nr1,2023-01-01,2022-12-31\nr2,2023-01-01,\n"},
        ("reps", "left_at", "left_at before hired_at", ("r1",)),
    ),
    "closed_at before created_at": (
        {
            "opportunities": "opportunity_id,customer_id,rep_id,created_at,closed_at,status\n"
            "p1,c1,r1,2024-01-15,2024-01-14,lost\np2,c1,r1,2024-01-15,2024-01-15,won\n"
        },
        ("opportunities", "closed_at", "closed_at before created_at", ("p1",)),
    ),
    "order of an unknown customer": (
        {"orders": ORDERS + "o1,c1,2024-02-01,1\no2,c9,2024-02-01,1\n"},
        ("orders", "customer_id", "customer_id not in customers", ("o2",)),
    ),
    "activity of an unknown customer": (
        {"activities": "activity_id,customer_id,rep_id,occurred_at\na1,c9,r1,2024-02-01\n"},
        ("activities", "customer_id", "customer_id not in customers", ("a1",)),
    ),
    "opportunity of an unknown rep": (
        {
            "opportunities": "opportunity_id,customer_id,rep_id,created_at,status\n"
            "p1,c1,r7,2024-01-15,open\n"
        },
        ("opportunities", "rep_id", "rep_id not in reps", ("p1",)),
    ),
    "ownership of an unknown customer": (
        {"ownership": "customer_id,valid_from,rep_id\nc1,2024-01-01,r1\nc8,2024-01-01,r1\n"},
        ("ownership", "customer_id", "customer_id not in customers", ("c8",)),
    ),
    "ownership by an unknown rep": (
        {"ownership": "customer_id,valid_from,rep_id\nc1,2024-01-01,r1\nc2,2024-01-01,r5\n"},
        ("ownership", "rep_id", "rep_id not in reps", ("c2",)),
    ),
    "order by an unknown rep": (
        {"orders": "order_id,customer_id,ordered_at,amount,rep_id\no1,c1,2024-02-01,1,r0\n"},
        ("orders", "rep_id", "rep_id not in reps", ("o1",)),
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_each_rule_names_table_column_and_rows(tmp_path: Path, case: str) -> None:
    replace, (table, column, rule, examples) = CASES[case]
    problem = only_error(check(tmp_path, **replace))
    assert (problem.severity, problem.table, problem.column, problem.rule) == (
        "error",
        table,
        column,
        rule,
    )
    assert problem.examples == examples
    # every case has one failing row per example id, except the two rows sharing "r1"
    assert problem.n_rows == (2 if rule == "duplicate ids" else len(examples))
    assert problem.fix


def test_unparseable_values_are_shown_and_not_reported_again_as_missing(tmp_path: Path) -> None:
    report = check(tmp_path, **CASES["unparseable amount"][0])
    problem = only_error(report)
    assert problem.bad_values == ("12 EUR",)


def test_a_fractional_id_in_parquet_is_unparseable(tmp_path: Path) -> None:
    reps = pd.DataFrame({"rep_id": [1.0, 2.5, None]})
    report = check(tmp_path, reps=reps, activities=None, opportunities=None, ownership=None)
    problems = {(p.column, p.rule): p for p in report.errors}
    assert problems["rep_id", "unparseable ids"].examples == ("row 2",)
    assert problems["rep_id", "unparseable ids"].bad_values == ("2.5",)
    assert problems["rep_id", "missing values"].examples == ("row 3",)


def test_a_parquet_timestamp_outside_the_nanosecond_range_is_unparseable(
    tmp_path: Path,
) -> None:
    # microsecond timestamps reach far beyond 1678-2261; each such row is named, none other
    times = pd.Series(["2024-01-01", "2300-01-01", None, "1500-06-01"], dtype="datetime64[us]")
    customers = pd.DataFrame({"customer_id": ["c1", "c2", "c3", "c4"], "created_at": times})
    report = check(tmp_path, customers=customers, orders=None, opportunities=None, ownership=None)
    problems = {(p.table, p.column, p.rule): p for p in report.errors}
    assert problems["customers", "created_at", "unparseable dates"].examples == ("c2", "c4")
    assert problems["customers", "created_at", "missing values"].examples == ("c3",)


def test_missing_direction_and_unknown_ownership_reason_are_fine(tmp_path: Path) -> None:
    report = check(tmp_path)  # BASE has both
    assert report.ok and not report.warnings


def test_rep_ids_are_not_checked_without_reps(tmp_path: Path) -> None:
    report = check(tmp_path, reps=None, **CASES["opportunity of an unknown rep"][0])
    assert report.ok, report


def test_every_problem_is_collected(tmp_path: Path) -> None:
    replace = {
        **CASES["duplicate ids"][0],
        **CASES["negative order amount"][0],
        **CASES["unknown opportunity status"][0],
        **CASES["ownership of an unknown customer"][0],
    }
    report = check(tmp_path, **replace)
    found = {(p.table, p.column, p.rule) for p in report.errors}
    assert found == {
        ("reps", "rep_id", "duplicate ids"),
        ("orders", "amount", "negative amounts"),
        ("opportunities", "status", "values outside open/won/lost"),
        ("ownership", "customer_id", "customer_id not in customers"),
    }
    text = str(report)
    assert text.startswith("the extract is not valid: 4 errors, 0 warnings")
    for p in report.errors:
        assert f"{p.table}.{p.column}: {p.rule}" in text


def test_examples_stop_at_five_distinct_ids(tmp_path: Path) -> None:
    rows = "".join(f"o{i},c{i},2024-02-01,-1\n" for i in range(8))
    report = check(tmp_path, orders="order_id,customer_id,ordered_at,amount\n" + rows)
    negative = next(p for p in report.errors if p.rule == "negative amounts")
    assert negative.n_rows == 8
    assert negative.examples == ("o0", "o1", "o2", "o3", "o4")
    assert negative.bad_values == ("-1.0",)


# --- warnings --------------------------------------------------------------------------------


def test_warnings_do_not_fail_the_extract(tmp_path: Path) -> None:
    report = check(
        tmp_path,
        activities="activity_id,customer_id,rep_id,occurred_at\n"
        "a1,c1,r2,2024-07-01\n"  # after r2 left (2024-06-30)
        "a2,c3,r1,2024-01-15\n"  # before c3 was created (2024-02-01)
        "a3,c1,r1,2026-01-01\n",  # after NOW
    )
    assert report.ok, report
    found = {(p.table, p.column, p.rule, p.examples) for p in report.warnings}
    assert found == {
        ("activities", "occurred_at", "after the rep's left_at", ("a1",)),
        ("activities", "occurred_at", "before the customer's created_at", ("a2",)),
        ("activities", "occurred_at", "timestamps in the future", ("a3",)),
    }
    assert all(p.severity == "warning" for p in report.warnings)


def test_tz_aware_values_become_naive_utc(tmp_path: Path) -> None:
    report = check(
        tmp_path,
        orders="order_id,customer_id,ordered_at,amount\n"
        "o1,c1,2024-02-01T10:00:00+02:00,1\no2,c1,2024-02-01T09:00:00Z,1\n",
    )
    assert report.ok, report
    assert report.tables["orders"].time_ranges["ordered_at"] == (
        pd.Timestamp("2024-02-01 08:00"),
        pd.Timestamp("2024-02-01 09:00"),
    )


# --- the report objects ----------------------------------------------------------------------


def test_problem_is_frozen_and_formats_in_one_place() -> None:
    problem = Problem("error", "orders", "amount", "negative amounts", 2, ("o1", "o2"), "fix it")
    with pytest.raises(dataclasses.FrozenInstanceError):
        problem.n_rows = 3  # type: ignore[misc]
    assert str(problem) == (
        "error: orders.amount: negative amounts (2 rows; e.g. o1, o2)\n    fix: fix it"
    )


def test_validation_error_carries_the_report_and_lists_every_problem() -> None:
    problems = [
        Problem("error", "orders", "amount", "negative amounts", 1, ("o1",)),
        Problem("error", "reps", "rep_id", "duplicate ids", 2, ("r1",)),
        Problem("warning", "orders", "ordered_at", "timestamps in the future", 1, ("o2",)),
    ]
    report = ValidationReport.from_problems(problems)
    assert not report.ok and len(report.errors) == 2 and len(report.warnings) == 1
    err = CRMValidationError(report)
    assert isinstance(err, ValueError) and err.report is report
    for p in problems:
        assert f"{p.where}: {p.rule}" in str(err)
