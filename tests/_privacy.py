"""The privacy sweep shared by the tests: which ids of an extract appear in a folder of files."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

_TOKEN = re.compile(rb"[^\s\"',;:|\[\]{}()<>=/\\\x00-\x1f]+")


def extract_ids(crm_customers: pd.Series, crm_reps: pd.Series) -> set[str]:
    """Return every customer and rep id as text."""
    return set(crm_customers.dropna().astype(str)) | set(crm_reps.dropna().astype(str))


def ids_in_files(folder: Path, ids: set[str]) -> dict[str, set[str]]:
    """Return ``{file: ids found}`` for every file under ``folder`` that holds any of ``ids``.

    Every file is read as bytes and cut into tokens (UTF-8 text between separators), which finds
    ids in JSON, Markdown, YAML, pickles and plain-text model files; Parquet and CSV files are also
    parsed, because Parquet compresses its pages, and every cell and index label is compared.
    """
    found: dict[str, set[str]] = {}
    for path in sorted(folder.rglob("*")):
        if not path.is_file():
            continue
        tokens = {t.decode("utf-8", "ignore") for t in _TOKEN.findall(path.read_bytes())}
        hits = tokens & ids
        if path.suffix in (".parquet", ".csv"):
            frame = pd.read_parquet(path) if path.suffix == ".parquet" else pd.read_csv(path)
            cells = {str(v) for column in frame.columns for v in frame[column].tolist()}
            hits |= (cells | {str(v) for v in frame.index}) & ids
        if hits:
            found[str(path.relative_to(folder))] = hits
    return found
