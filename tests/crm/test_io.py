"""load_crm / save_crm: contract dtypes, exact round trips, stable bytes, no half-written files."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

import stagnation.crm._io as crm_io
from stagnation.crm import CRM, TABLES, CRMValidationError, load_crm, save_crm
from stagnation.crm._io import write_table


@pytest.fixture
def crm() -> CRM:
    """All six tables, with the awkward values: gaps, sub-second times, empty text, NA enums."""
    return CRM.from_frames(
        customers=pd.DataFrame(
            {
                "customer_id": ["c1", "c2", "c3"],
                "created_at": ["2024-01-01", "2024-01-05", "2024-02-01"],
                "industry": ["retail", None, ""],
                "region": ["east, north", 'the "west"', "south\nline two"],
            }
        ),
        orders=pd.DataFrame(
            {
                "order_id": ["o1", "o2"],
                "customer_id": ["c1", "c2"],
                "ordered_at": ["2024-02-01T10:00:00.123456", "2024-03-01T10:30:00"],
                "amount": [0.1, 1 / 3],
                "rep_id": ["r1", None],
                "channel": ["online", None],
            }
        ),
        activities=pd.DataFrame(
            {
                "activity_id": ["a1", "a2"],
                "customer_id": ["c1", "c3"],
                "rep_id": ["r1", "r2"],
                "occurred_at": ["2024-01-10T09:00:00Z", "2024-03-10T09:00:00+01:00"],
                "channel": ["call", "visit"],
                "direction": [None, "inbound"],
            }
        ),
        reps=pd.DataFrame(
            {
                "rep_id": ["r1", "r2"],
                "hired_at": ["2023-01-01", "2023-06-01"],
                "left_at": [None, "2024-06-30"],
            }
        ),
        opportunities=pd.DataFrame(
            {
                "opportunity_id": ["p1"],
                "customer_id": ["c1"],
                "rep_id": ["r1"],
                "created_at": ["2024-01-15"],
                "closed_at": ["2024-02-01"],
                "status": ["won"],
                "amount": [100.0],
            }
        ),
        ownership=pd.DataFrame(
            {
                "customer_id": ["c1", "c2"],
                "valid_from": ["2024-01-01", "2024-01-05"],
                "rep_id": ["r1", None],
                "reason": ["assigned", "released"],
            }
        ),
    )


def assert_same_crm(left: CRM, right: CRM) -> None:
    assert [n for n, _ in left.tables()] == [n for n, _ in right.tables()]
    for (name, a), (_, b) in zip(left.tables(), right.tables(), strict=True):
        pd.testing.assert_frame_equal(a, b, obj=name)


@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_save_then_load_gives_equal_frames(crm: CRM, tmp_path: Path, fmt: str) -> None:
    folder = save_crm(crm, tmp_path / "extract", format=fmt)  # type: ignore[arg-type]
    assert sorted(p.name for p in folder.iterdir()) == sorted(f"{n}.{fmt}" for n in TABLES)
    assert_same_crm(crm, load_crm(folder))


def test_load_keeps_the_id_lookups_of_validation(crm: CRM, tmp_path: Path) -> None:
    loaded = load_crm(save_crm(crm, tmp_path / "extract"))
    kept = dict(loaded.__dict__["_positions"])  # made by validation, not asked for yet
    assert sorted(kept) == sorted(
        (table, column)
        for table in ("orders", "activities", "opportunities", "ownership")
        for column in ("customer_id", "rep_id")
    )
    for (table, column), positions in kept.items():
        assert loaded.positions(table, column) is positions
        assert not positions.flags.writeable  # shared by every user of the extract
        # the same answer as a fresh lookup on a CRM that never met validation
        assert positions.tolist() == crm.positions(table, column).tolist()
    assert crm.positions("orders", "rep_id").tolist() == [0, -1]  # r1, and a missing rep
    assert crm.positions("ownership", "rep_id").tolist() == [0, -1]  # r1, and the pool


def test_parquet_bytes_are_the_same_every_time(crm: CRM, tmp_path: Path) -> None:
    first = {p.name: p.read_bytes() for p in save_crm(crm, tmp_path / "a").iterdir()}
    second = {p.name: p.read_bytes() for p in save_crm(crm, tmp_path / "b").iterdir()}
    assert first == second


def test_csv_has_iso_timestamps_and_empty_missing_values(crm: CRM, tmp_path: Path) -> None:
    folder = save_crm(crm, tmp_path, format="csv")
    reps = (folder / "reps.csv").read_text(encoding="utf-8").splitlines()
    assert reps[1:] == ['"r1","2023-01-01",,,', '"r2","2023-06-01","2024-06-30",,']
    orders = (folder / "orders.csv").read_text(encoding="utf-8")
    assert '"2024-02-01T10:00:00.123456"' in orders and '"2024-03-01T10:30:00.000000"' in orders
    activities = (folder / "activities.csv").read_text(encoding="utf-8")
    assert '"2024-01-10T09:00:00"' in activities and '"2024-03-10T08:00:00"' in activities


def test_load_reads_contract_dtypes_and_drops_extra_columns(tmp_path: Path) -> None:
    (tmp_path / "customers.csv").write_text(
        "customer_id,created_at,shoe_size\n1,2024-01-01T01:00+01:00,42\n2,2024-01-02T10:00:00Z,\n",
        encoding="utf-8",
    )
    orders = pd.DataFrame(
        {"order_id": [7, 8], "customer_id": [1, 2], "ordered_at": ["2024-02-01"] * 2}
    )
    orders["amount"] = [3, 4]
    orders.to_parquet(tmp_path / "orders.parquet", index=False)
    crm = load_crm(tmp_path)
    assert list(crm.customers.columns) == TABLES["customers"].column_names
    assert crm.customers["customer_id"].tolist() == ["1", "2"]
    assert crm.customers["created_at"].tolist() == [
        pd.Timestamp("2024-01-01"),
        pd.Timestamp("2024-01-02 10:00"),
    ]
    assert crm.orders is not None
    assert crm.orders["order_id"].tolist() == ["7", "8"]
    assert crm.orders["customer_id"].tolist() == ["1", "2"]
    for name, frame in crm.tables():
        for col in TABLES[name].columns:
            assert frame[col.name].dtype == col.dtype, (name, col.name)
    assert crm.orders["channel"].isna().all()
    assert crm.activities is None and crm.reps is None


def test_integer_ids_with_gaps_keep_no_decimal_point(tmp_path: Path) -> None:
    pd.DataFrame({"customer_id": [1, 2], "created_at": ["2024-01-01"] * 2}).to_parquet(
        tmp_path / "customers.parquet"
    )
    orders = pd.DataFrame(
        {
            "order_id": [1.0, 2.0],
            "customer_id": [1, 2],
            "ordered_at": ["2024-02-01"] * 2,
            "amount": [1.0, 2.0],
            "rep_id": [np.nan, 12.0],
        }
    )
    orders.to_parquet(tmp_path / "orders.parquet")
    loaded = load_crm(tmp_path).orders
    assert loaded is not None
    assert loaded["order_id"].tolist() == ["1", "2"]
    assert loaded["rep_id"].isna().tolist() == [True, False]
    assert loaded["rep_id"].iloc[1] == "12"


def test_load_refuses_a_bad_extract_with_every_problem(tmp_path: Path) -> None:
    (tmp_path / "customers.csv").write_text("customer_id,created_at\nc1,2024-01-01\nc1,x\n")
    (tmp_path / "orders.csv").write_text("order_id,customer_id,ordered_at,amount\no1,c2,2024,-1\n")
    with pytest.raises(CRMValidationError) as caught:
        load_crm(tmp_path)
    rules = {(p.where, p.rule) for p in caught.value.report.errors}
    assert rules == {
        ("customers.customer_id", "duplicate ids"),
        ("customers.created_at", "unparseable dates"),
        ("orders.customer_id", "customer_id not in customers"),
        ("orders.amount", "negative amounts"),
    }
    assert "customers.customer_id: duplicate ids" in str(caught.value)


def test_load_logs_warnings_and_still_loads(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    (tmp_path / "customers.csv").write_text("customer_id,created_at\nc1,2024-01-01\n")
    (tmp_path / "orders.csv").write_text("order_id,customer_id,ordered_at,amount\no1,c1,2023,1\n")
    with caplog.at_level(logging.WARNING, logger="stagnation.crm._io"):
        crm = load_crm(tmp_path)
    assert crm.orders is not None and len(crm.orders) == 1
    assert "before the customer's created_at" in caplog.text


def test_load_without_validation_still_refuses_unreadable_values(tmp_path: Path) -> None:
    (tmp_path / "customers.csv").write_text("customer_id,created_at\nc1,someday\n")
    (tmp_path / "orders.csv").write_text("order_id,customer_id,ordered_at,amount\no1,c9,2024,-1\n")
    with pytest.raises(ValueError, match=r"customers\.created_at"):
        load_crm(tmp_path, validate=False)
    (tmp_path / "customers.csv").write_text("customer_id,created_at\nc1,2024-01-01\n")
    crm = load_crm(tmp_path, validate=False)  # unknown customer, negative amount: not checked
    assert crm.orders is not None and crm.orders["amount"].tolist() == [-1.0]


def test_load_a_missing_folder(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="no such folder"):
        load_crm(tmp_path / "missing")


def test_a_failed_save_leaves_the_folder_as_it_was(
    crm: CRM, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = save_crm(crm, tmp_path)
    before = {p.name: p.read_bytes() for p in folder.iterdir()}
    calls = []

    def failing_writer(frame: pd.DataFrame, file: Path) -> None:
        calls.append(file)
        if len(calls) == 3:
            raise OSError("disk full")
        file.write_bytes(b"half")

    monkeypatch.setitem(crm_io._WRITERS, "parquet", failing_writer)
    with pytest.raises(OSError, match="disk full"):
        save_crm(crm, folder)
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == before  # no temp files either


def test_save_removes_tables_that_would_change_the_extract(crm: CRM, tmp_path: Path) -> None:
    save_crm(crm, tmp_path, format="csv")
    (tmp_path / "notes.txt").write_text("keep me")
    small = CRM(customers=crm.customers, orders=crm.orders)
    save_crm(small, tmp_path, format="parquet")
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "customers.parquet",
        "notes.txt",
        "orders.parquet",
    ]
    assert_same_crm(small, load_crm(tmp_path))


def test_save_refuses_an_unknown_format(crm: CRM, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="unknown format 'xlsx'"):
        save_crm(crm, tmp_path, format="xlsx")  # type: ignore[arg-type]
    assert not any(tmp_path.iterdir())


@pytest.mark.parametrize("suffix", ["parquet", "csv"])
def test_write_table_writes_any_frame(tmp_path: Path, suffix: str) -> None:
    frame = pd.DataFrame(
        {
            "rep_id": ["r1", "r2"],
            "month": pd.to_datetime(["2024-01-31", "2024-02-29"]),
            "mode": pd.Categorical(["hunter", "sliding"]),
            "share": [0.5, np.nan],
            "n": [1, 2],
        }
    )
    file = write_table(frame, tmp_path / "truth" / f"rep_months.{suffix}")
    back = pd.read_parquet(file) if suffix == "parquet" else pd.read_csv(file)
    assert back["rep_id"].tolist() == ["r1", "r2"]
    assert back["mode"].tolist() == ["hunter", "sliding"]
    assert [str(v)[:10] for v in back["month"]] == ["2024-01-31", "2024-02-29"]
    assert [p.name for p in file.parent.iterdir()] == [file.name]


def test_write_table_refuses_other_suffixes(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"\.parquet or \.csv"):
        write_table(pd.DataFrame({"a": [1]}), tmp_path / "a.xlsx")


def test_parquet_keeps_microseconds_unless_the_data_needs_nanoseconds(
    crm: CRM, tmp_path: Path
) -> None:
    folder = save_crm(crm, tmp_path / "us")
    assert str(pq.read_schema(folder / "orders.parquet").field("ordered_at").type) == (
        "timestamp[us]"
    )
    assert crm.orders is not None
    fine = crm.orders.assign(ordered_at=crm.orders["ordered_at"] + pd.Timedelta(1, "ns"))
    nanos = CRM(customers=crm.customers, orders=fine)
    folder = save_crm(nanos, tmp_path / "ns")
    assert str(pq.read_schema(folder / "orders.parquet").field("ordered_at").type) == (
        "timestamp[ns]"
    )
    assert_same_crm(nanos, load_crm(folder))


def test_written_files_follow_the_umask_like_any_new_file(crm: CRM, tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        save_crm(crm, tmp_path)
    finally:
        os.umask(old)
    for file in tmp_path.glob("*.parquet"):
        assert file.stat().st_mode & 0o777 == 0o644, file


@pytest.mark.parametrize("as_category", [False, True])
def test_from_frames_names_an_enum_value_outside_the_contract(as_category: bool) -> None:
    channel = pd.Series(["online", "direct", None])
    orders = pd.DataFrame(
        {
            "order_id": ["O1", "O2", "O3"],
            "customer_id": "C1",
            "ordered_at": "2025-01-01",
            "amount": 1.0,
            "channel": channel.astype("category") if as_category else channel,
        }
    )
    customers = pd.DataFrame({"customer_id": ["C1"], "created_at": ["2024-01-01"]})
    with pytest.raises(
        ValueError, match=r"orders\.channel: cannot read as enum: values outside .*'direct'"
    ):
        CRM.from_frames(customers=customers, orders=orders)
    fine = CRM.from_frames(customers=customers, orders=orders.iloc[[0, 2]])
    assert fine.orders["channel"].tolist()[0] == "online"
    assert fine.orders["channel"].isna().tolist() == [False, True]


def test_a_table_split_into_a_folder_of_parquet_files_loads_as_one_file(
    crm: CRM, tmp_path: Path
) -> None:
    folder = save_crm(crm, tmp_path / "extract")
    orders = pq.read_table(folder / "orders.parquet")
    (folder / "orders.parquet").unlink()
    for i in range(orders.num_rows):  # one row per part, in a nested (hive-style) folder
        part = folder / "orders" / f"month={i:02d}" / f"part-{i}.parquet"
        part.parent.mkdir(parents=True)
        pq.write_table(orders.slice(i, 1), part)
    assert_same_crm(crm, load_crm(folder))


def test_a_table_given_as_a_file_and_a_folder_is_refused(crm: CRM, tmp_path: Path) -> None:
    folder = save_crm(crm, tmp_path / "extract")
    (folder / "orders").mkdir()
    pq.write_table(pq.read_table(folder / "orders.parquet"), folder / "orders" / "a.parquet")
    with pytest.raises(CRMValidationError, match="both as a file and as a folder"):
        load_crm(folder)
