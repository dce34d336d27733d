"""Read the CSV files of a Salesforce data export: encodings, 15/18-character ids, ``Z`` times."""

from __future__ import annotations

import codecs
from pathlib import Path

import numpy as np
import pandas as pd

from stagnation.importers._output import SourceError

#: The checksum alphabet of 18-character Salesforce ids.
_SUFFIX = np.frombuffer(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ012345", dtype=np.uint8)
#: Key prefixes of the records an activity or an owner can point at.
PREFIXES = {
    "001": "Account",
    "003": "Contact",
    "005": "User",
    "006": "Opportunity",
    "00G": "Queue",
    "00Q": "Lead",
    "500": "Case",
    "701": "Campaign",
    "801": "Order",
}


def read_object(folder: Path, name: str, encoding: str = "auto") -> pd.DataFrame | None:
    """Return ``folder/<name>.csv`` with every cell as text (empty cells missing), or ``None``.

    ``encoding="auto"`` reads UTF-8 (with or without a byte-order mark) and UTF-16 with a
    byte-order mark, what Data Loader and the weekly data export write by default; any other
    encoding (``cp1252``, ``gb18030``, ``shift_jis`` ...) must be named.
    """
    path = folder / f"{name}.csv"
    if not path.is_file():
        return None
    chosen = encoding
    if encoding == "auto":
        with path.open("rb") as file:
            head = file.read(4)
        chosen = "utf-16" if head[:2] in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE) else "utf-8-sig"
    try:
        frame = pd.read_csv(path, dtype=str, encoding=chosen, keep_default_na=False)
    except UnicodeDecodeError as err:
        raise SourceError(
            f"{path.name}: not {chosen} text ({err.reason} at byte {err.start}); pass the "
            "export's encoding, e.g. --encoding cp1252 or --encoding gb18030"
        ) from None
    except pd.errors.ParserError as err:
        raise SourceError(f"{path.name}: not a CSV file: {str(err).splitlines()[0]}") from None
    if "Id" not in frame.columns and name != "AccountHistory":
        raise SourceError(
            f"{path.name}: not a Salesforce object export (no Id column); the export's files "
            "carry API field names (Id, AccountId, OwnerId, CreatedDate ...)"
        )
    return frame.replace("", pd.NA)


def require(frame: pd.DataFrame, name: str, *columns: str) -> None:
    """Raise :class:`SourceError` naming ``<name>.csv`` and the first missing column."""
    for column in columns:
        if column not in frame.columns:
            raise SourceError(
                f"{name}.csv: column {column} is missing (it has {', '.join(frame.columns[:12])}"
                f"{' ...' if len(frame.columns) > 12 else ''}); export with API field names"
            )


def column(frame: pd.DataFrame, *names: str) -> pd.Series:
    """Return the first of ``names`` that ``frame`` has, filled from the next ones where empty."""
    out = pd.Series(pd.NA, index=frame.index, dtype="string")
    for name in reversed(names):
        if name in frame.columns:
            values = frame[name]
            out = values.astype("string").where(values.notna(), out)
    return out


def sf_ids(values: pd.Series, where: str) -> pd.Series:
    """Return Salesforce ids in their 18-character form, so 15- and 18-character ids match.

    The 15-character form is case-sensitive; its 3-character suffix encodes which of the 15
    characters are upper case (5 bits per 5 characters), so the 18-character id is unique
    regardless of case.

    Raises
    ------
    SourceError
        When a value is not a 15- or 18-character alphanumeric id.

    Examples
    --------
    >>> import pandas as pd
    >>> sf_ids(pd.Series(["001A0000006Vm9r", "001A0000006Vm9rIAC", None]), "x").tolist()
    ['001A0000006Vm9rIAC', '001A0000006Vm9rIAC', <NA>]
    """
    text = values.astype("string").str.strip()
    present = text.notna()
    lengths = text.str.len()
    bad = present & ~(lengths.isin([15, 18]) & text.str.fullmatch(r"[0-9A-Za-z]+").fillna(False))
    if bad.any():
        raise SourceError(
            f"{where}: ids of the wrong type, e.g. {text[bad].iloc[0]!r}; Salesforce ids are "
            "15 or 18 letters and digits"
        )
    short = (present & (lengths == 15)).to_numpy()
    if short.any():
        raw = np.array(text[short].tolist(), dtype="S15").view(np.uint8).reshape(-1, 3, 5)
        upper = (raw >= ord("A")) & (raw <= ord("Z"))
        bits = (upper * (1 << np.arange(5))).sum(axis=2)
        suffix = _SUFFIX[bits].view("S3").ravel().astype(str)
        text = text.copy()
        text[short] = text[short].to_numpy(dtype=object) + suffix
    return text


def sf_times(values: pd.Series, where: str) -> pd.Series:
    """Parse Salesforce dates and date-times (``2024-03-05T14:22:10.000Z``) to naive UTC."""
    try:
        parsed = pd.to_datetime(values, utc=True, format="ISO8601")
    except (ValueError, TypeError) as err:
        raise SourceError(
            f"{where}: not an ISO 8601 date or date-time ({err}); export dates in the API "
            "format (2024-03-05 or 2024-03-05T14:22:10.000Z)"
        ) from None
    return parsed.dt.tz_convert("UTC").dt.tz_localize(None)


def sf_bools(values: pd.Series) -> pd.Series:
    """Return Salesforce checkbox values (``true``/``false``, ``1``/``0``) as booleans."""
    return values.astype("string").str.lower().isin(["true", "1"]).astype(bool)


def prefix(ids: pd.Series) -> pd.Series:
    """Return the 3-character key prefix of each id (which object it points at)."""
    return ids.str[:3]
