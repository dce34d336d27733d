"""``import sql`` with a mapping of one's own, on SQLite and PostgreSQL; bad mappings and sources.

The database is a tiny CRM of its own making (local Beijing time, integer codes for channels),
read through a table-and-columns mapping and through queries.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from stagnation import cli
from stagnation.crm import CRMValidationError, load_crm
from stagnation.importers import MappingFile, SourceError, import_sql

ROWS = """
CREATE TABLE kunden (kid INTEGER, seit TIMESTAMP, branche VARCHAR(20));
CREATE TABLE leute (uid INTEGER, name VARCHAR(20), eingestellt TIMESTAMP);
CREATE TABLE kontakte (nr INTEGER, kid INTEGER, uid INTEGER, wann TIMESTAMP, art INTEGER,
                       score REAL);
INSERT INTO kunden VALUES (1, '2024-01-01 08:00:00', 'Maschinenbau'), (2, '2024-01-02 08:00:00',
  NULL);
INSERT INTO leute VALUES (7, '王芳', '2023-01-01 09:00:00'), (8, 'Max', '2023-02-01 09:00:00');
INSERT INTO kontakte VALUES (100, 1, 7, '2024-02-01 08:00:00', 1, 0.5),
  (101, 2, 8, '2024-02-02 20:30:00', 2, 1.5), (102, 1, 8, '2024-02-03 07:59:59', 9, 2.5);
"""

MAPPING = """\
description = "a test CRM"
timezone = "Asia/Shanghai"
chunk_rows = 2

[tables.customers]
table = "kunden"
columns = { customer_id = "kid", created_at = "seit", industry = "branche" }

[tables.reps]
query = "SELECT uid AS rep_id, eingestellt AS hired_at FROM leute"

[tables.activities]
table = "kontakte"
where = "art IS NOT NULL"

[tables.activities.columns]
activity_id = "nr"
customer_id = "kid"
rep_id = "uid"
occurred_at = "wann"
channel = "art"

[tables.activities.values.channel]
"1" = "call"
"2" = "message"
"9" = "other"
"""


def fill(url: str) -> None:
    engine = sa.create_engine(url)
    with engine.begin() as con:
        for statement in ROWS.split(";"):
            if statement.strip():
                con.execute(sa.text(statement))
    engine.dispose()


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'crm.db'}"
    sqlite3.connect(tmp_path / "crm.db").close()
    fill(url)
    return url


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest) -> str:
    if request.param == "sqlite":
        return request.getfixturevalue("sqlite_url")
    url = request.getfixturevalue("postgres_url")
    fill(url)
    return url


def write_mapping(tmp_path: Path, text: str = MAPPING) -> Path:
    path = tmp_path / "crm.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_table_mapping_and_a_query_stream_into_a_valid_extract(db_url, tmp_path) -> None:
    result = import_sql(db_url, write_mapping(tmp_path), tmp_path / "extract")
    assert [(t.table, t.rows) for t in result.tables] == [
        ("customers", 2),
        ("activities", 3),
        ("reps", 2),
    ]
    assert result.tables[0].source == "table kunden (crm.toml line 6)"
    assert result.pool_rules is None
    crm = load_crm(tmp_path / "extract")
    acts = crm.activities.set_index("activity_id")
    # chunks of 2 rows; local Beijing time to UTC: 07:59:59 on Feb 3 is 23:59:59 on Feb 2
    assert (
        acts["occurred_at"].tolist()
        == pd.to_datetime(
            ["2024-02-01 00:00:00", "2024-02-02 12:30:00", "2024-02-02 23:59:59"]
        ).tolist()
    )
    assert acts["channel"].astype(str).tolist() == ["call", "message", "other"]
    assert acts["customer_id"].tolist() == ["1", "2", "1"]  # integer ids become text
    assert crm.customers["industry"].tolist()[0] == "Maschinenbau"


def test_a_re_import_replaces_the_extract_but_never_a_folder_of_other_files(
    sqlite_url, tmp_path
) -> None:
    mapping = write_mapping(tmp_path)
    import_sql(sqlite_url, mapping, tmp_path / "extract")
    import_sql(sqlite_url, mapping, tmp_path / "extract")  # the weekly batch, again
    assert sorted(p.name for p in (tmp_path / "extract").iterdir()) == [
        "activities.parquet",
        "customers.parquet",
        "reps.parquet",
    ]
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("keep me", encoding="utf-8")
    with pytest.raises(FileExistsError, match=r"notes\.txt"):
        import_sql(sqlite_url, mapping, tmp_path / "mine")
    assert (tmp_path / "mine" / "notes.txt").read_text(encoding="utf-8") == "keep me"


def edited(old: str, new: str) -> str:
    assert old in MAPPING
    return MAPPING.replace(old, new)


@pytest.mark.parametrize(
    ("mapping", "message"),
    [
        (
            edited("chunk_rows = 2", "chunk_row = 2"),
            "crm.toml line 3: chunk_row: Extra inputs are not permitted",
        ),
        (
            edited('where = "art', 'wehre = "art'),
            "crm.toml line 14: tables.activities.wehre: Extra inputs are not permitted",
        ),
        (edited('channel = "art"', 'chanel = "art"'), "'chanel' is not a column of activities"),
        (
            edited('timezone = "Asia/Shanghai"', 'timezone = "Beijing"'),
            "crm.toml line 2: timezone: Value error, unknown time zone 'Beijing'",
        ),
        (
            edited(
                '[tables.customers]\ntable = "kunden"',
                '[tables.customers]\ntable = "kunden"\nquery = "SELECT 1"',
            ),
            "crm.toml line 5: tables.customers: Value error, give either `query` or `table`",
        ),
        (edited("[tables.reps]", "[tables.rep]"), "crm.toml line 9: tables.rep: Input should be"),
    ],
    ids=[
        "top-level-typo",
        "table-key-typo",
        "unknown-contract-column",
        "time-zone",
        "both",
        "unknown-table",
    ],
)
def test_a_mapping_typo_names_the_line_and_the_key(tmp_path, mapping, message) -> None:
    with pytest.raises(SourceError) as err:
        MappingFile(write_mapping(tmp_path, mapping))
    assert message in str(err.value)


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (
            'table = "kontakte"',
            'table = "kontakt"',
            "activities: source table 'kontakt' does not exist (crm.toml line 13)",
        ),
        (
            'occurred_at = "wann"',
            'occurred_at = "wenn"',
            "activities.occurred_at: source column kontakte.wenn does not exist (crm.toml line 20)",
        ),
        (
            "eingestellt AS hired_at FROM leute",
            "eingestellt AS hired_at FROM leute WHERE nope",
            "reps: the query at crm.toml line 10 failed",
        ),
        (
            "SELECT uid AS rep_id",
            "SELECT uid AS rep",
            "reps: the query at crm.toml line 10 "
            "returns no column rep_id (it returns rep, hired_at)",
        ),
        (
            'activity_id = "nr"',
            'activity_id = "score"',
            "activities.activity_id: ids of the wrong type in the table kontakte "
            "(crm.toml line 13): fractional numbers such as 0.5",
        ),
    ],
    ids=[
        "no-table",
        "no-column",
        "failing-query",
        "query-lacks-column",
        "float-ids",
    ],
)
def test_a_bad_source_exits_2_naming_table_column_and_line(
    db_url, tmp_path, old, new, message
) -> None:
    mapping = write_mapping(tmp_path, edited(old, new))
    with pytest.raises(SourceError) as err:
        import_sql(db_url, mapping, tmp_path / "extract")
    assert message in str(err.value)
    assert not (tmp_path / "extract").exists()
    result = CliRunner().invoke(
        cli.app, ["import", "sql", db_url, "--mapping", str(mapping), str(tmp_path / "extract")]
    )
    assert result.exit_code == 2
    assert message in " ".join(result.output.split())
    assert "Traceback" not in result.output
    assert not (tmp_path / "extract").exists()
    assert not list(tmp_path.glob(".extract*"))


def test_an_import_that_breaks_the_contract_leaves_no_extract(sqlite_url, tmp_path) -> None:
    with sqlite3.connect(sqlite_url.removeprefix("sqlite:///")) as con:
        con.execute("INSERT INTO kontakte VALUES (103, 99, 7, '2024-02-04 08:00:00', 1, 0)")
    with pytest.raises(CRMValidationError, match="activities"):
        import_sql(sqlite_url, write_mapping(tmp_path), tmp_path / "extract")
    assert not (tmp_path / "extract").exists()


def test_a_missing_database_or_driver_is_a_readable_error(tmp_path) -> None:
    mapping = write_mapping(tmp_path)
    with pytest.raises(FileNotFoundError, match="no such SQLite database"):
        import_sql(f"sqlite:///{tmp_path / 'nope.db'}", mapping, tmp_path / "extract")
    with pytest.raises(SourceError, match="not a database URL"):
        import_sql("crm.db", mapping, tmp_path / "extract")
    with pytest.raises(SourceError, match="cannot connect to postgresql") as err:
        import_sql("postgresql://u:secret@/db?host=/nonexistent", mapping, tmp_path / "extract")
    assert "secret" not in str(err.value)  # the password is never printed
    with pytest.raises(SourceError, match="the database driver is not installed"):
        import_sql("mssql+nosuchdriver://h/db", mapping, tmp_path / "extract")


def test_the_cli_reports_rows_and_speed_per_table(sqlite_url, tmp_path) -> None:
    result = CliRunner().invoke(
        cli.app,
        [
            "import",
            "sql",
            sqlite_url,
            "--mapping",
            str(write_mapping(tmp_path)),
            str(tmp_path / "x"),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "7 rows imported, the extract is valid" in result.output
    assert "rows/s" in result.output
