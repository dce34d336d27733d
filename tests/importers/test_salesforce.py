"""``import salesforce`` on a small export written with Salesforce's own field names and formats.

The fixture folder ``salesforce_export/`` holds what a data export writes: quoted CSVs, 18-char
ids (and 15-char ones where a report export put them), ``Z`` timestamps, a UTF-8 byte-order
mark on Account.csv, an object the import does not use (Contact.csv), an owner change through a
queue (``00G``: the pool) recorded twice in AccountHistory (ids and names).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from stagnation import cli
from stagnation.crm import load_crm
from stagnation.importers import SourceError, import_salesforce
from stagnation.importers._salesforce_read import sf_ids

EXPORT = Path(__file__).parent / "salesforce_export"
A1, A2 = "0015g00000Acc01AAB", "0015g00000Acc02AAB"
ALICE, LIBO = "0055g00000A1bCdAAJ", "0055g00000A1bCeAAJ"


@pytest.fixture
def export(tmp_path: Path) -> Path:
    folder = tmp_path / "export"
    shutil.copytree(EXPORT, folder)
    return folder


def test_the_export_maps_to_a_valid_extract_and_says_what_it_dropped(tmp_path) -> None:
    result = import_salesforce(EXPORT, tmp_path / "extract")
    assert result.validation.ok
    rows = {t.table: t.rows for t in result.tables}
    assert rows == {
        "customers": 2,
        "reps": 2,
        "activities": 5,
        "opportunities": 3,
        "orders": 1,
        "ownership": 4,
    }
    dropped = {t.table: t.dropped for t in result.tables}
    assert dropped["customers"] == {"deleted in Salesforce": 1}
    assert dropped["activities"] == {
        "open Task (not done yet)": 1,
        "Task on a Contact with no Account": 1,
        "Task owner not in User.csv": 1,
    }
    assert "not used: Contact.csv" in result.notes


def test_ids_times_channels_and_the_pool_come_out_as_the_contract_says(tmp_path) -> None:
    import_salesforce(EXPORT, tmp_path / "extract")
    crm = load_crm(tmp_path / "extract")
    acts = crm.activities.set_index("activity_id")
    # Tsk02 names its Opportunity by a 15-char id and has no AccountId: the Opportunity's Account
    assert acts.loc["00T5g00000Tsk02EAB", "customer_id"] == A2
    # Tsk06 names the Account itself by its 15-char id
    assert acts.loc["00T5g00000Tsk06EAB", ["customer_id", "channel", "direction"]].tolist() == [
        A2,
        "call",
        "inbound",
    ]
    assert acts.loc["00U5g00000Evt02EAB", "channel"] == "visit"  # Event Type "Customer Visit"
    assert acts.loc["00U5g00000Evt02EAB", "occurred_at"] == pd.Timestamp("2024-02-22 17:00")
    owners = crm.ownership[crm.ownership["customer_id"] == A2]
    assert owners["reason"].tolist() == ["assigned", "released", "claimed"]
    assert owners["rep_id"].isna().tolist() == [False, True, False]  # the queue is the pool
    assert owners["rep_id"].iloc[2] == LIBO
    reps = crm.reps.set_index("rep_id")
    assert reps.loc[LIBO, "left_at"] == pd.Timestamp("2024-03-31 10:00")  # inactive user
    assert pd.isna(reps.loc[ALICE, "left_at"])
    opp = crm.opportunities.set_index("opportunity_id")
    won = opp.loc["0065g00000Opp01AAB"]
    assert won["closed_at"] == won["created_at"]  # CloseDate (a date) was before CreatedDate
    assert crm.orders["order_id"].tolist() == ["0065g00000Opp01AAB"]  # closed-won, no Order.csv
    customers = crm.customers.set_index("customer_id")
    assert customers.loc[A1, ["region", "size"]].tolist() == ["北京", "51-200"]


def test_orders_come_from_activated_orders_when_the_export_has_them(export, tmp_path) -> None:
    (export / "Order.csv").write_text(
        '"Id","AccountId","OwnerId","EffectiveDate","Status","StatusCode","TotalAmount"\n'
        f'"8015g00000Ord01AAB","{A1}","{ALICE}","2024-02-01","Activated","Activated","900"\n'
        f'"8015g00000Ord02AAB","{A1}","{ALICE}","2024-02-02","Draft","Draft","50"\n',
        encoding="utf-8",
    )
    result = import_salesforce(export, tmp_path / "extract")
    orders = load_crm(tmp_path / "extract").orders
    assert orders["order_id"].tolist() == ["8015g00000Ord01AAB"]
    assert orders["amount"].tolist() == [900.0]
    assert {t.table: t.dropped for t in result.tables}["orders"] == {
        "Order not activated (Draft)": 1
    }


def test_15_and_18_character_ids_are_the_same_record() -> None:
    # Salesforce's documented pair: 001A0000006Vm9r is 001A0000006Vm9rIAC
    ids = sf_ids(pd.Series(["001A0000006Vm9r", "001A0000006Vm9rIAC"]), "Account.csv.Id")
    assert ids.tolist() == ["001A0000006Vm9rIAC"] * 2


@pytest.mark.parametrize(
    ("file", "edit", "message"),
    [
        (
            "Task.csv",
            lambda t: t.replace("00T5g00000Tsk01EAB", "T-1"),
            "Task.csv.Id: ids of the wrong type, e.g. 'T-1'",
        ),
        ("Task.csv", lambda t: t.replace('"OwnerId",', '"Owner",'), "Task.csv: column OwnerId"),
        (
            "Opportunity.csv",
            lambda t: t.replace("2024-01-20T09:30:00.000Z", "20/01/2024"),
            "Opportunity.csv.CreatedDate: not an ISO 8601",
        ),
    ],
)
def test_bad_exports_are_refused_naming_file_and_column(
    export, tmp_path, file, edit, message
) -> None:
    path = export / file
    path.write_text(edit(path.read_text(encoding="utf-8")), encoding="utf-8")
    with pytest.raises(SourceError, match=message.replace(".", r"\.").replace("(", r"\(")):
        import_salesforce(export, tmp_path / "extract")
    assert not (tmp_path / "extract").exists()


def test_an_unknown_object_in_the_export_exits_2_and_writes_nothing(export, tmp_path) -> None:
    (export / "accounts_2024.csv").write_text("name,revenue\nAcme,10\n", encoding="utf-8")
    result = CliRunner().invoke(
        cli.app, ["import", "salesforce", str(export), str(tmp_path / "extract")]
    )
    assert result.exit_code == 2
    assert "accounts_2024.csv: not a Salesforce object export (no Id column)" in result.output
    assert "Traceback" not in result.output
    assert not (tmp_path / "extract").exists()
    assert not list(tmp_path.glob(".extract*"))  # no temporary folder left behind


def test_an_export_in_another_encoding_needs_its_name(export, tmp_path) -> None:
    user = export / "User.csv"
    user.write_bytes(user.read_text(encoding="utf-8").replace("李波", "José").encode("cp1252"))
    with pytest.raises(SourceError, match=r"User\.csv: not utf-8-sig text.*--encoding cp1252"):
        import_salesforce(export, tmp_path / "extract")
    for path in export.glob("*.csv"):  # the whole export in Windows-1252, as Excel saves it
        if path.name != "User.csv":
            text = path.read_text(encoding="utf-8-sig")
            path.write_bytes(text.encode("cp1252", errors="replace"))
    result = import_salesforce(export, tmp_path / "extract", encoding="cp1252")
    assert "José" not in str(result)  # names are not imported, only ids
    assert load_crm(tmp_path / "extract").reps["rep_id"].tolist() == [ALICE, LIBO]


def test_the_cli_prints_what_it_mapped_and_dropped(tmp_path) -> None:
    result = CliRunner().invoke(
        cli.app, ["import", "salesforce", str(EXPORT), str(tmp_path / "extract")]
    )
    assert result.exit_code == 0, result.output
    for text in (
        "the extract is valid",
        "Task.csv + Event.csv",
        "dropped from activities: 1 - Task on a Contact with no Account",
        "not used: Contact.csv",
    ):
        assert text in result.output
