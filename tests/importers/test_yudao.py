"""The bundled yudao (芋道) mapping, imported from SQLite and from a real PostgreSQL server."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from stagnation.crm import load_crm
from stagnation.importers import bundled_mapping, import_sql, read_pool_rules


@pytest.fixture(params=["sqlite", "postgresql"])
def yudao_url(request: pytest.FixtureRequest) -> str:
    return request.getfixturevalue(f"yudao_{request.param.replace('postgresql', 'postgres')}")


def test_yudao_imports_into_a_valid_extract_with_the_pool_settings(yudao_url, tmp_path) -> None:
    result = import_sql(yudao_url, bundled_mapping("yudao"), tmp_path / "extract")
    assert result.validation.ok
    rows = {t.table: t.rows for t in result.tables}
    # 5 customers, one deleted; 8 follow-ups: one deleted, one on a lead (no customer).
    assert rows == {
        "customers": 4,
        "orders": 2,  # approved contracts only (audit_status 20); the draft is left out
        "activities": 6,
        "reps": 3,
        "opportunities": 3,
        "ownership": 4,
    }
    assert result.pool_rules is not None
    rules = read_pool_rules(tmp_path / "extract")
    assert rules == result.pool_rules
    assert (rules.enabled, rules.contact_expire_days, rules.deal_expire_days) == (True, 31, 5)
    assert rules.notify_days == 2
    assert json.loads((tmp_path / "extract" / "pool_rules.json").read_text())["deal_expire_days"]


def test_yudao_rows_mean_what_the_crm_meant(yudao_url, tmp_path) -> None:
    import_sql(yudao_url, bundled_mapping("yudao"), tmp_path / "extract")
    crm = load_crm(tmp_path / "extract")
    acts = crm.activities.set_index("activity_id")
    # Beijing time 2024-01-22 09:35:23 is 01:35:23 UTC.
    assert acts.loc["2", "occurred_at"] == pd.Timestamp("2024-01-22 01:35:23")
    # a follow-up on a contact (biz_type 3), an opportunity (4), a contract (5): their customer
    assert acts.loc[["4", "5", "6"], "customer_id"].tolist() == ["14", "16", "14"]
    assert acts.loc[["2", "3", "4", "6"], "channel"].tolist() == [
        "call",
        "visit",
        "message",
        "other",
    ]
    owners = crm.ownership.set_index("customer_id")
    assert pd.isna(owners.loc["13", "rep_id"])  # no owner: in the pool (公海)
    assert owners.loc["13", "reason"] == "released"
    opp = crm.opportunities.set_index("opportunity_id")["status"].astype(str).to_dict()
    assert opp == {"5": "won", "6": "open", "7": "lost"}
    reps = crm.reps.set_index("rep_id")
    assert pd.isna(reps.loc["1", "left_at"])
    assert reps.loc["104", "left_at"] == pd.Timestamp("2024-03-01 10:00:00")  # disabled user
    assert crm.customers.set_index("customer_id").loc["12", "region"] == "110101"
    # an order without an order date falls back on its creation time
    orders = crm.orders.set_index("order_id")
    assert orders.loc["10", "ordered_at"] == pd.Timestamp("2024-02-24 00:04:22")
    assert orders["amount"].tolist() == [10010.0, 8088.24]


def test_pool_settings_of_several_tenants_are_refused(yudao_sqlite, tmp_path) -> None:
    import sqlite3

    from stagnation.importers import SourceError

    with sqlite3.connect(yudao_sqlite.removeprefix("sqlite:///")) as con:
        con.execute(
            "INSERT INTO crm_customer_pool_config VALUES (2, 1, 60, 90, 0, NULL, "
            "'2024-01-01 00:00:00', '2024-01-01 00:00:00', 0, 2)"
        )
    with pytest.raises(SourceError, match="returns 2 rows; it must return one"):
        import_sql(yudao_sqlite, bundled_mapping("yudao"), tmp_path / "extract")
    assert not (tmp_path / "extract").exists()


def test_the_cli_takes_the_bundled_mapping_by_name(yudao_sqlite, tmp_path) -> None:
    from typer.testing import CliRunner

    from stagnation import cli

    result = CliRunner().invoke(
        cli.app, ["import", "sql", yudao_sqlite, "--mapping", "yudao", str(tmp_path / "x")]
    )
    assert result.exit_code == 0, result.output
    assert "pool rules: release after 31 days without a follow-up, 5 days" in result.output


def test_pool_settings_can_come_from_a_table_and_a_column_map(yudao_sqlite, tmp_path) -> None:
    text = bundled_mapping("yudao").read_text(encoding="utf-8")
    head, _ = text.split("[pool_rules]")
    mapping = tmp_path / "yudao.toml"
    mapping.write_text(
        head + '[pool_rules]\ntable = "crm_customer_pool_config"\nwhere = "deleted = 0"\n'
        'columns = { contact_expire_days = "contact_expire_days" }\n',
        encoding="utf-8",
    )
    result = import_sql(yudao_sqlite, mapping, tmp_path / "extract")
    assert result.pool_rules is not None
    assert (result.pool_rules.contact_expire_days, result.pool_rules.notify_days) == (31, 2)


def test_a_table_with_no_rows_is_written_empty_with_its_columns(yudao_sqlite, tmp_path) -> None:
    text = bundled_mapping("yudao").read_text(encoding="utf-8")
    mapping = tmp_path / "yudao.toml"
    mapping.write_text(
        text.replace(
            "WHERE deleted = 0 AND owner_user_id IS NOT NULL",
            "WHERE deleted = 0 AND owner_user_id IS NULL AND 1 = 0",
        ),
        encoding="utf-8",
    )
    result = import_sql(yudao_sqlite, mapping, tmp_path / "extract")
    assert {t.table: t.rows for t in result.tables}["opportunities"] == 0
    opportunities = pd.read_parquet(tmp_path / "extract" / "opportunities.parquet")
    assert list(opportunities.columns) == [
        "opportunity_id",
        "customer_id",
        "rep_id",
        "created_at",
        "closed_at",
        "status",
        "amount",
    ]
