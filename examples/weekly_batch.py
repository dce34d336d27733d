"""A weekly batch: CRM database -> extract -> validate -> train -> ranked action list.

Run it from anywhere (``python examples/weekly_batch.py [WORK_DIR]``). It first plays "your
CRM": the bundled sample company (``data/sample``) written into a SQLite database with its own
table and column names and Beijing local times. Then it runs what a weekly cron job would run::

    stagnation import sql sqlite:///WORK_DIR/crm.db --mapping examples/weekly_batch.toml \
        WORK_DIR/extract
    stagnation validate WORK_DIR/extract
    stagnation train WORK_DIR/extract
    stagnation score WORK_DIR/extract --as-of <end of data> --out WORK_DIR/actions.csv --top 20

MLflow writes to ``MLFLOW_TRACKING_URI`` when set, else to ``WORK_DIR/mlflow.db``.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import tempfile
from pathlib import Path

import pandas as pd

from stagnation.crm import load_crm

HERE = Path(__file__).resolve().parent
CHANNEL_CODES = {"call": 1, "visit": 2, "message": 3, "email": 4, "meeting": 5, "other": 6}


def write_crm_database(path: Path) -> str:
    """Write the bundled sample company as a CRM database of its own; return the data's end."""
    crm = load_crm(HERE.parent / "data" / "sample")

    def local(values: pd.Series) -> pd.Series:  # Beijing wall-clock time as text, like many CRMs
        beijing = values.dt.tz_localize("UTC").dt.tz_convert("Asia/Shanghai")
        return beijing.dt.strftime("%Y-%m-%d %H:%M:%S").astype(object).where(values.notna(), None)

    c, r, o, a = crm.customers, crm.reps, crm.orders, crm.activities
    tables = {
        "accounts": pd.DataFrame(
            {
                "account_no": c["customer_id"],
                "opened_on": local(c["created_at"]),
                "sector": c["industry"].astype(object),
            }
        ),
        "staff": pd.DataFrame(
            {
                "login": r["rep_id"],
                "joined_on": local(r["hired_at"]),
                "left_on": local(r["left_at"]),
            }
        ),
        "sales_orders": pd.DataFrame(
            {
                "order_no": o["order_id"],
                "account_no": o["customer_id"],
                "booked_at": local(o["ordered_at"]),
                "total": o["amount"],
                "login": o["rep_id"],
                "cancelled": 0,
            }
        ),
        "follow_ups": pd.DataFrame(
            {
                "follow_up_no": a["activity_id"],
                "account_no": a["customer_id"],
                "login": a["rep_id"],
                "happened_at": local(a["occurred_at"]),
                "kind": a["channel"].astype(str).map(CHANNEL_CODES),
            }
        ),
    }
    with sqlite3.connect(path) as db:
        for name, frame in tables.items():
            frame.to_sql(name, db, index=False, if_exists="replace")
    end = max(o["ordered_at"].max(), a["occurred_at"].max())
    return f"{end + pd.Timedelta(days=1):%Y-%m-%d}"


def run(*args: str) -> None:
    """Run one stagnation command as the batch would, stopping the batch when it fails."""
    command = [str(Path(sys.executable).with_name("stagnation")), *args]
    print("$ stagnation", " ".join(args), flush=True)
    subprocess.run(command, check=True)


def main(work: Path) -> None:
    work.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("MLFLOW_TRACKING_URI", f"sqlite:///{work / 'mlflow.db'}")
    as_of = write_crm_database(work / "crm.db")
    extract = work / "extract"
    run(
        "import",
        "sql",
        f"sqlite:///{work / 'crm.db'}",
        "--mapping",
        str(HERE / "weekly_batch.toml"),
        str(extract),
    )
    run("validate", str(extract))
    run("train", str(extract))
    run("score", str(extract), "--as-of", as_of, "--out", str(work / "actions.csv"), "--top", "20")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path(tempfile.mkdtemp(prefix="weekly-")))
