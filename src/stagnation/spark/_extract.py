"""An extract read by Spark: the contract's tables as Spark frames, on any path Spark reads.

Each table is ``<table>.parquet``, ``<table>.csv`` or a folder of Parquet files (``activities/``,
``*.parquet`` below it, hive keys too), as on the pandas path, under a local folder or a URI
(``s3a://bucket/extract``, ``hdfs://...``). Only the contract's columns are kept; ids are cast
to text, so an integer id reads as on the pandas path. Every row carries its file and its
position in the file (``_file``, ``_seq``), so that a partition can put its rows back in the
order the pandas path reads them (path order, then file order) before running the same code.
The ``customers`` and ``reps`` tables, one row per entity, are also gathered on the driver.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from stagnation.crm import TABLES, conform
from stagnation.errors import BadExtract, NoSuchPath
from stagnation.snapshots import EVENT_COLUMNS

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession


@dataclass
class SparkExtract:
    """The tables of one extract, as Spark frames, plus the entity tables on the driver.

    Attributes
    ----------
    tables
        Spark frame per table present (contract columns, ids as text, ``_file`` and ``_seq``).
    customers
        The ``customers`` table on the driver, in the contract dtypes and read order.
    reps
        The ``reps`` table on the driver, or ``None`` when the extract has none.
    """

    tables: dict[str, DataFrame]
    customers: pd.DataFrame
    reps: pd.DataFrame | None

    def data_range(self) -> tuple[pd.Timestamp, pd.Timestamp]:
        """Return (``data_start``, ``data_end``) as :mod:`stagnation.snapshots` defines them."""
        from pyspark.sql import functions as F

        firsts, lasts = [], []
        for table, column in EVENT_COLUMNS.items():
            if table not in self.tables:
                continue
            row = (
                self.tables[table]
                .select(F.col(column).cast("timestamp_ntz").alias("t"))
                .agg(F.min("t").alias("first"), F.max("t").alias("last"))
                .first()
            )
            if row is not None and row["first"] is not None:
                firsts.append(pd.Timestamp(row["first"]))
                lasts.append(pd.Timestamp(row["last"]))
        if not lasts:
            raise BadExtract("the extract has no events (orders, activities or opportunities)")
        return max(firsts).normalize(), max(lasts).normalize() + pd.Timedelta(days=1)


def _find(spark: SparkSession, root: str, table: str) -> DataFrame | None:
    """Return the table read from ``root``, or ``None`` when no file or folder holds it."""
    from pyspark.errors import AnalysisException

    local = "://" not in root or root.startswith("file://")
    candidates = ((f"{table}.parquet", "parquet"), (table, "parquet"), (f"{table}.csv", "csv"))
    for name, kind in candidates:
        path = f"{root.rstrip('/')}/{name}"
        if local and not Path(path.removeprefix("file://")).exists():
            continue
        try:
            if kind == "csv":
                return spark.read.csv(path, header=True, inferSchema=False)
            return spark.read.parquet(path)
        except AnalysisException as err:
            if "PATH_NOT_FOUND" in str(err) or "UNABLE_TO_INFER_SCHEMA" in str(err):
                continue
            raise BadExtract(f"{table}: Spark cannot read {path}: {err}") from err
    return None


def read_extract(spark: SparkSession, root: str | Path) -> SparkExtract:
    """Read every contract table under ``root`` into Spark.

    Parameters
    ----------
    spark
        The session (:func:`~stagnation.spark.spark_session`).
    root
        The extract folder: a local path or any URI Spark reads.

    Raises
    ------
    NoSuchPath
        When a local ``root`` does not exist.
    BadExtract
        When ``customers`` is missing, a required column is missing, or a file cannot be read.
    """
    from pyspark.sql import functions as F

    text = str(root)
    if "://" not in text and not Path(text).is_dir():
        raise NoSuchPath(f"{text}: no such extract folder")
    tables: dict[str, DataFrame] = {}
    for table, spec in TABLES.items():
        frame = _find(spark, text, table)
        if frame is None:
            continue
        missing = [c.name for c in spec.columns if c.required and c.name not in frame.columns]
        if missing:
            raise BadExtract(f"{table}.{missing[0]}: required column is missing")
        columns = [
            F.col(c.name).cast("string").alias(c.name) if c.kind == "id" else F.col(c.name)
            for c in spec.columns
            if c.name in frame.columns
        ]
        tables[table] = frame.select(
            *columns,
            F.input_file_name().alias("_file"),
            F.monotonically_increasing_id().alias("_seq"),
        )
    if "customers" not in tables:
        raise BadExtract(f"{text}: a CRM needs a 'customers' table")
    entity = {name: gather(tables[name]) for name in ("customers", "reps") if name in tables}
    return SparkExtract(
        tables={name: tables[name] for name in tables if name not in ("customers", "reps")},
        customers=conform("customers", entity["customers"]),
        reps=conform("reps", entity["reps"]) if "reps" in entity else None,
    )


def gather(frame: DataFrame) -> pd.DataFrame:
    """Return a Spark table on the driver, in the pandas path's row order, without the tags."""
    rows = frame.toPandas()
    return in_read_order(rows)


def in_read_order(rows: pd.DataFrame) -> pd.DataFrame:
    """Sort rows tagged ``_file``/``_seq`` into read order and drop the tags."""
    rows = rows.sort_values(["_file", "_seq"], kind="stable")
    return rows.drop(columns=["_file", "_seq"]).reset_index(drop=True)
