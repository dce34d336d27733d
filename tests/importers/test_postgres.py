"""``import sql`` on PostgreSQL types that SQLite lacks: timestamptz, date, numeric and uuid ids."""

from __future__ import annotations

import pandas as pd
import pytest
import sqlalchemy as sa

from stagnation.crm import load_crm
from stagnation.importers import SourceError, import_sql

MAPPING = '''\
timezone = "Asia/Shanghai"
chunk_rows = 1

[tables.customers]
query = "SELECT id AS customer_id, since AS created_at FROM customer"

[tables.reps]
query = "SELECT uid AS rep_id, hired AS hired_at FROM staff"

[tables.orders]
query = """SELECT no AS order_id, customer AS customer_id, at AS ordered_at, total AS amount
FROM deal"""
'''


def test_aware_times_dates_numeric_and_uuid_ids_come_out_right(postgres_url, tmp_path) -> None:
    engine = sa.create_engine(postgres_url)
    with engine.begin() as con:
        for statement in (
            "CREATE TABLE customer (id NUMERIC(12, 0), since DATE)",
            "INSERT INTO customer VALUES (1, '2024-01-01'), (2, '2024-01-02')",
            "CREATE TABLE staff (uid UUID, hired TIMESTAMPTZ)",
            "INSERT INTO staff VALUES ('0b5f6f36-8a1b-4c1e-9d2e-3f4a5b6c7d8e', "
            "'2023-05-01 09:00:00+02:00')",
            "CREATE TABLE deal (no BIGINT, customer NUMERIC(12, 0), at TIMESTAMPTZ, total "
            "NUMERIC(12, 2))",
            "INSERT INTO deal VALUES (10, 1, '2024-02-01 12:00:00Z', 99.50), "
            "(11, 2, '2024-02-02 08:00:00+08:00', 0)",
        ):
            con.execute(sa.text(statement))
    engine.dispose()
    mapping = tmp_path / "pg.toml"
    mapping.write_text(MAPPING, encoding="utf-8")
    import_sql(postgres_url, mapping, tmp_path / "extract")
    crm = load_crm(tmp_path / "extract")
    # a DATE is local midnight (Beijing): 16:00 UTC the day before
    assert (
        crm.customers["created_at"].tolist()
        == pd.to_datetime(["2023-12-31 16:00", "2024-01-01 16:00"]).tolist()
    )
    assert crm.customers["customer_id"].tolist() == ["1", "2"]  # NUMERIC(12, 0) ids: no ".0"
    # aware values keep their own offset, whatever the mapping's time zone
    assert (
        crm.orders["ordered_at"].tolist()
        == pd.to_datetime(["2024-02-01 12:00", "2024-02-02 00:00"]).tolist()
    )
    assert crm.orders["amount"].tolist() == [99.5, 0.0]
    assert crm.reps["rep_id"].tolist() == ["0b5f6f36-8a1b-4c1e-9d2e-3f4a5b6c7d8e"]
    assert crm.reps["hired_at"].tolist() == [pd.Timestamp("2023-05-01 07:00")]


def test_timestamps_as_ids_are_refused_naming_table_column_and_line(postgres_url, tmp_path) -> None:
    # (SQLite keeps timestamps as text, a valid id type, so this case needs PostgreSQL.)
    engine = sa.create_engine(postgres_url)
    with engine.begin() as con:
        con.execute(sa.text("CREATE TABLE customer (id TIMESTAMP, since DATE)"))
        con.execute(sa.text("INSERT INTO customer VALUES ('2024-01-01 10:00', '2024-01-01')"))
    engine.dispose()
    mapping = tmp_path / "pg.toml"
    mapping.write_text(MAPPING.replace("FROM deal", "FROM deal_missing"), encoding="utf-8")
    with pytest.raises(SourceError) as err:
        import_sql(postgres_url, mapping, tmp_path / "extract")
    assert str(err.value).startswith(
        "customers.customer_id: ids of the wrong type in the query at pg.toml line 5: datetime"
    )
    assert not (tmp_path / "extract").exists()
