"""Read the raw tables of an extract folder: one ``<table>.parquet`` or ``<table>.csv`` per table.

Reading keeps values as they are in the file (CSV cells as text, Parquet columns in their own
types) and only the columns the contract knows; turning them into the contract dtypes, and
judging them, is the job of :mod:`stagnation.crm._parse` and :mod:`stagnation.crm._validate`.
"""

from __future__ import annotations

import csv
import os
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.dataset as pads
import pyarrow.parquet as pq

from stagnation.crm._report import Problem
from stagnation.crm._tables import TABLES
from stagnation.errors import BadExtract, NoSuchPath, NotAFolder

FORMATS = ("parquet", "csv")
#: Separators other than a comma that spreadsheet exports use (Excel in many locales: ``;``).
OTHER_SEPARATORS = (";", "\t", "|")


class SeparatorError(BadExtract):
    """A CSV file whose header is one column holding another separator (``;``, tab, ``|``)."""

    def __init__(self, file: Path, separator: str) -> None:
        shown = "a tab" if separator == "\t" else repr(separator)
        super().__init__(
            f"{file.name}: the header is one column holding {shown}: the file looks "
            f"{shown}-separated, and the contract reads comma-separated CSV"
        )
        self.separator = separator


def extract_folder(path: str | os.PathLike[str]) -> Path:
    """Return ``path`` as a folder, raising a readable error when it is missing or a file."""
    folder = Path(path)
    if not folder.exists():
        raise NoSuchPath(f"no such folder: {folder}")
    if not folder.is_dir():
        raise NotAFolder(f"not a folder: {folder} (an extract is a folder of tables)")
    return folder


def read_folder(path: str | os.PathLike[str]) -> tuple[dict[str, pd.DataFrame], list[Problem]]:
    """Read every contract table found in the extract folder ``path``.

    Returns
    -------
    frames
        The raw tables that could be read, by table name, with only their contract columns.
    problems
        Tables given in both formats and files that cannot be read (one table-level problem per
        table). Such tables are left out of ``frames``.

    Raises
    ------
    FileNotFoundError, NotADirectoryError
        When ``path`` is not an existing folder.
    """
    folder = extract_folder(path)
    frames: dict[str, pd.DataFrame] = {}
    problems: list[Problem] = []
    for name in TABLES:
        files = [file for fmt in FORMATS if (file := folder / f"{name}.{fmt}").is_file()]
        if (parts := folder / name).is_dir() and any(parts.rglob("*.parquet")):
            files.append(parts)  # a partitioned table: activities/*.parquet (hive keys too)
        if len(files) > 1:
            problems.append(
                Problem(
                    "error",
                    name,
                    None,
                    "table given as both CSV and Parquet"
                    if files[-1].is_file()
                    else "table given both as a file and as a folder of Parquet files",
                    fix=f"keep only one of {files[0].name} and {files[1].name}",
                )
            )
        elif files:
            try:
                frames[name] = read_table(files[0])
            except SeparatorError as err:
                problems.append(
                    Problem(
                        "error",
                        name,
                        None,
                        str(err).removeprefix(f"{files[0].name}: "),
                        fix=f"write {files[0].name} with commas between the columns (in a "
                        "spreadsheet: save as 'CSV UTF-8 (comma delimited)'), or as Parquet",
                    )
                )
            except (OSError, ValueError, UnicodeDecodeError, pa.ArrowException) as err:
                problems.append(
                    Problem(
                        "error",
                        name,
                        None,
                        "file cannot be read",
                        fix=f"write {files[0].name} as UTF-8 CSV with a header row or as "
                        f"Parquet; the reader said: {_first_line(err)}",
                    )
                )
    return frames, problems


def read_table(file: Path) -> pd.DataFrame:
    """Read one table file (or folder of Parquet files), keeping only the contract's columns.

    CSV cells are read as text (empty cells as missing, ``""`` as an empty string); Parquet
    columns keep their types, with integers as nullable ``Int64`` so large ids stay exact.
    """
    table = file.name.split(".", 1)[0]
    known = set(TABLES[table].column_names)
    if file.suffix == ".csv":
        header = _csv_header(file)
        columns = [c for c in dict.fromkeys(header) if c in known]
        arrow = pacsv.read_csv(
            file,
            parse_options=pacsv.ParseOptions(newlines_in_values=True),
            convert_options=pacsv.ConvertOptions(
                column_types={c: pa.string() for c in columns},
                include_columns=columns,
                null_values=[""],
                strings_can_be_null=True,
                quoted_strings_can_be_null=False,
            ),
        )
    elif file.is_dir():  # every *.parquet file below it, in path order, hive keys as columns
        dataset = pads.dataset(file, format="parquet", partitioning="hive")
        names = dataset.schema.names
        arrow = dataset.to_table(columns=[c for c in dict.fromkeys(names) if c in known])
        for i, field in enumerate(arrow.schema):
            if pa.types.is_dictionary(field.type):  # a hive key: plain values, as in a file
                arrow = arrow.set_column(i, field.name, arrow.column(i).cast(field.type.value_type))
    else:
        names = pq.read_schema(file).names
        arrow = pq.read_table(file, columns=[c for c in dict.fromkeys(names) if c in known])
    return arrow.to_pandas(types_mapper=_pandas_type)


def _csv_header(file: Path) -> list[str]:
    with file.open(newline="", encoding="utf-8-sig") as handle:
        header = next(csv.reader(handle), None)
    if header is None:
        raise BadExtract("the file is empty (no header row)")
    if len(header) == 1:
        for separator in OTHER_SEPARATORS:
            if separator in header[0]:
                raise SeparatorError(file, separator)
    return header


def _pandas_type(arrow_type: pa.DataType) -> object:
    if pa.types.is_string(arrow_type) or pa.types.is_large_string(arrow_type):
        return pd.StringDtype()
    if pa.types.is_integer(arrow_type):
        return pd.Int64Dtype()
    return None


def _first_line(err: BaseException) -> str:
    text = str(err).strip()
    return text.splitlines()[0] if text else "no details"
