"""Time ``stagnation import sql`` on 1M (or N) activities from PostgreSQL 15 and from SQLite.

Starts a throw-away PostgreSQL server (``initdb``/``pg_ctl`` on a unix socket, as the
``postgres`` user when run as root), fills it server-side with ``generate_series``, writes the
same rows to a SQLite file, imports both with one mapping and prints rows/s per table.

    python benchmarks/import_sql.py [N_ACTIVITIES]
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psycopg

from stagnation.importers import import_sql

N = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
CUSTOMERS, REPS = 50_000, 500
MAPPING = """
timezone = "Asia/Shanghai"
chunk_rows = 100000
[tables.customers]
table = "customer"
columns = { customer_id = "id", created_at = "created" }
[tables.reps]
table = "users"
columns = { rep_id = "id", hired_at = "created" }
[tables.activities]
table = "follow_up"
[tables.activities.columns]
activity_id = "id"
customer_id = "customer"
rep_id = "owner"
occurred_at = "at"
channel = "kind"
[tables.activities.values.channel]
"1" = "call"
"2" = "message"
"3" = "visit"
"""
FILL = f"""
CREATE TABLE customer AS SELECT g AS id, TIMESTAMP '2020-01-01' AS created
  FROM generate_series(1, {CUSTOMERS}) g;
CREATE TABLE users AS SELECT g AS id, TIMESTAMP '2019-01-01' AS created
  FROM generate_series(1, {REPS}) g;
CREATE TABLE follow_up AS
  SELECT g AS id, 1 + g % {CUSTOMERS} AS customer, 1 + g % {REPS} AS owner,
         TIMESTAMP '2021-01-01' + (g % 100000) * INTERVAL '10 minutes' AS at, 1 + g % 3 AS kind
  FROM generate_series(1, {N}) g;
"""


def as_postgres(args: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *args] if os.geteuid() == 0 else args


def main() -> None:
    root = Path(tempfile.mkdtemp(prefix="bench-import-"))
    os.chmod(root, 0o777)
    data, sock = root / "pg", root / "sock"
    sock.mkdir()
    os.chmod(sock, 0o777)
    subprocess.run(
        as_postgres(["initdb", "-D", str(data), "-A", "trust", "-U", "postgres"]),
        check=True,
        capture_output=True,
    )
    subprocess.run(
        as_postgres(
            [
                "pg_ctl",
                "-D",
                str(data),
                "-l",
                str(root / "log"),
                "-w",
                "start",
                "-o",
                f"-k {sock} -c listen_addresses=''",
            ]
        ),
        check=True,
        capture_output=True,
    )
    try:
        with psycopg.connect(
            host=str(sock), user="postgres", dbname="postgres", autocommit=True
        ) as con:
            con.execute(FILL)
            rows = con.execute("SELECT * FROM follow_up").fetchall()
            customers = con.execute("SELECT id, created::text FROM customer").fetchall()
            users = con.execute("SELECT id, created::text FROM users").fetchall()
        lite = root / "crm.db"
        with sqlite3.connect(lite) as db:
            db.execute("CREATE TABLE customer (id INTEGER, created TEXT)")
            db.execute("CREATE TABLE users (id INTEGER, created TEXT)")
            db.execute(
                "CREATE TABLE follow_up (id INTEGER, customer INTEGER, owner INTEGER, "
                "at TEXT, kind INTEGER)"
            )
            db.executemany("INSERT INTO customer VALUES (?, ?)", customers)
            db.executemany("INSERT INTO users VALUES (?, ?)", users)
            db.executemany(
                "INSERT INTO follow_up VALUES (?, ?, ?, ?, ?)",
                [(i, c, o, str(a), k) for i, c, o, a, k in rows],
            )
        del rows
        mapping = root / "bench.toml"
        mapping.write_text(MAPPING, encoding="utf-8")
        for label, url in (
            ("postgresql", f"postgresql://postgres@/postgres?host={sock}"),
            ("sqlite", f"sqlite:///{lite}"),
        ):
            began = time.perf_counter()
            result = import_sql(url, mapping, root / f"out-{label}")
            total = time.perf_counter() - began
            for t in result.tables:
                print(
                    f"{label:10} {t.table:11} {t.rows:>10,} rows {t.seconds:7.2f} s "
                    f"{t.rows / t.seconds:>10,.0f} rows/s"
                )
            print(f"{label:10} total {total:.1f} s (validation included)")
    finally:
        subprocess.run(
            as_postgres(["pg_ctl", "-D", str(data), "-m", "fast", "-w", "stop"]),
            check=False,
            capture_output=True,
        )
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
