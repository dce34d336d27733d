"""Fixtures of the importer tests: the yudao test database (SQLite and a real PostgreSQL 15).

The PostgreSQL server is started once per session by the tests themselves: ``initdb`` into a
temporary folder and ``pg_ctl start`` listening on a unix socket only, as the ``postgres`` user
when the tests run as root (PostgreSQL refuses to run as root); it is stopped at teardown.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

HERE = Path(__file__).parent
YUDAO_SQL = [HERE / "yudao_schema.sql", HERE / "yudao_rows.sql"]


def yudao_statements() -> list[str]:
    """Return the yudao test DDL and rows as single SQL statements."""
    text = "\n".join(path.read_text(encoding="utf-8") for path in YUDAO_SQL)
    lines = [line for line in text.splitlines() if not line.lstrip().startswith("--")]
    return [s.strip() for s in "\n".join(lines).split(";") if s.strip()]


@pytest.fixture
def yudao_sqlite(tmp_path: Path) -> str:
    """Return the URL of a fresh SQLite database holding the yudao test rows."""
    db = tmp_path / "yudao.db"
    with sqlite3.connect(db) as con:
        for statement in yudao_statements():
            con.execute(statement)
    return f"sqlite:///{db}"


def _as_postgres(args: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *args] if os.geteuid() == 0 else args


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    """Start a throw-away PostgreSQL server on a unix socket; yield its socket folder."""
    missing = [tool for tool in ("initdb", "pg_ctl") if shutil.which(tool) is None]
    if missing:
        pytest.skip(f"PostgreSQL server binaries not on PATH ({', '.join(missing)})")
    if os.geteuid() == 0 and shutil.which("runuser") is None:
        pytest.skip("running as root without runuser: cannot start PostgreSQL as 'postgres'")
    root = Path(tempfile.mkdtemp(prefix="stagnation-pg-"))
    data, sockets = root / "data", root / "sock"
    sockets.mkdir()
    if os.geteuid() == 0:
        shutil.chown(root, "postgres")
        shutil.chown(sockets, "postgres")
    run = {"check": True, "capture_output": True, "text": True}
    subprocess.run(
        _as_postgres(["initdb", "-D", str(data), "-A", "trust", "-U", "postgres", "-E", "UTF8"]),
        **run,
    )
    subprocess.run(
        _as_postgres(
            [
                "pg_ctl",
                "-D",
                str(data),
                "-l",
                str(root / "log"),
                "-w",
                "start",
                "-o",
                f"-k {sockets} -c listen_addresses='' -c fsync=off",
            ]
        ),
        **run,
    )
    try:
        yield str(sockets)
    finally:
        subprocess.run(
            _as_postgres(["pg_ctl", "-D", str(data), "-m", "fast", "-w", "stop"]),
            check=False,
            capture_output=True,
        )
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def postgres_url(postgres_server: str, request: pytest.FixtureRequest) -> Iterator[str]:
    """Return the URL of a new, empty database on the session's PostgreSQL server."""
    import psycopg

    name = "t_" + "".join(c if c.isalnum() else "_" for c in request.node.name.lower())[:50]
    with psycopg.connect(
        host=postgres_server, user="postgres", dbname="postgres", autocommit=True
    ) as con:
        con.execute(f'DROP DATABASE IF EXISTS "{name}"')
        con.execute(f'CREATE DATABASE "{name}"')
    yield f"postgresql+psycopg://postgres@/{name}?host={postgres_server}"


@pytest.fixture
def yudao_postgres(postgres_url: str) -> str:
    """Return the URL of a PostgreSQL database holding the yudao test rows."""
    import psycopg
    from sqlalchemy.engine import make_url

    url = make_url(postgres_url)
    with psycopg.connect(
        host=url.query["host"], user="postgres", dbname=url.database, autocommit=True
    ) as con:
        for statement in yudao_statements():
            con.execute(statement)
    return postgres_url
