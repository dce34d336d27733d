"""Load a CRM extract folder into a :class:`CRM`, and save one, Parquet or CSV."""

from __future__ import annotations

import contextlib
import logging
import os
import re
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Literal

import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from stagnation.crm._read import FORMATS, read_folder
from stagnation.crm._report import CRMValidationError, ValidationReport
from stagnation.crm._tables import CRM, TABLES, conform
from stagnation.crm._validate import check_frames
from stagnation.errors import BadOption, IsAFolder, NotWritable

logger = logging.getLogger(__name__)

#: A temporary file of :func:`_staged`: ``.<target name>.<8 random characters>`` (mkstemp).
_TEMPORARY = re.compile(r"^\.(?P<target>.+\.(?:parquet|csv))\.[A-Za-z0-9_]{8}$")
#: A temporary older than this is left over from a killed run and removed by the next writer.
#: Writing the largest table we measured (11.3M activities) takes well under a minute.
STALE_AFTER_S = 10 * 60

_Unit = Literal["D", "s", "ms", "us", "ns"]
_NS_PER: dict[_Unit, int] = {"D": 86_400_000_000_000, "s": 10**9, "ms": 10**6, "us": 10**3}


def load_crm(path: str | os.PathLike[str], *, validate: bool = True) -> CRM:
    """Read an extract folder (one ``<table>.parquet`` or ``<table>.csv`` per table).

    Parameters
    ----------
    path
        The extract folder. Ids are read as text, timestamps as naive UTC, columns the contract
        does not know are dropped, and optional columns the files lack are added empty.
    validate
        Check the extract against the data contract first (see :func:`validate_extract`).
        Warnings are logged (logger ``stagnation.crm._io``) and do not stop loading.

    Returns
    -------
    CRM
        Every table the folder has, in the contract dtypes.

    Raises
    ------
    CRMValidationError
        When ``validate`` is true and the extract breaks the contract, or when a table file
        cannot be read; ``err.report`` lists every problem.
    FileNotFoundError, NotADirectoryError
        When ``path`` is not an existing folder.
    ValueError
        When ``validate`` is false and a value cannot be converted or ``customers`` is missing.

    Examples
    --------
    >>> import tempfile
    >>> extract = CRM.from_frames(
    ...     customers=pd.DataFrame({"customer_id": [7], "created_at": ["2024-01-01"]}),
    ...     orders=pd.DataFrame({"order_id": [1], "customer_id": [7],
    ...                          "ordered_at": ["2024-03-05 10:30"], "amount": [120.0]}),
    ... )
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     _ = save_crm(extract, folder)
    ...     crm = load_crm(folder)
    >>> crm.customers["customer_id"].tolist(), crm.customers.dtypes["customer_id"]
    (['7'], <StringDtype(na_value=<NA>)>)
    >>> crm.orders["ordered_at"].iloc[0]
    Timestamp('2024-03-05 10:30:00')
    """
    frames, problems = read_folder(path)
    if validate:
        report, frames, lookups = check_frames(frames, problems)
        if not report.ok:
            raise CRMValidationError(report)
        for warning in report.warnings:
            logger.warning("%s: %s", path, warning)
        # the validated rows, in the same order: its id lookups hold for the CRM too
        return CRM.from_frames(**frames)._remember_positions(lookups)
    if problems:
        raise CRMValidationError(ValidationReport.from_problems(problems))
    return CRM.from_frames(**frames)


def save_crm(
    crm: CRM,
    path: str | os.PathLike[str],
    *,
    format: Literal["parquet", "csv"] = "parquet",
) -> Path:
    """Write every table of ``crm`` to the folder ``path`` as ``<table>.<format>``.

    Each file is first written under a temporary name in the same folder and renamed into place
    only once every table is written, so a failure leaves no half-written file. Afterwards the
    folder holds exactly this extract: contract-table files of the other format, or of tables
    ``crm`` lacks, are removed (other files are left alone).

    Parameters
    ----------
    crm
        The extract; each table is conformed to the contract columns and dtypes first.
    path
        The folder, created if needed.
    format
        ``"parquet"`` (zstd-compressed; the same data always gives the same bytes) or
        ``"csv"`` (UTF-8 with a header row; ISO 8601 timestamps; missing values empty).

    Returns
    -------
    Path
        The folder written.
    """
    if format not in FORMATS:
        raise BadOption(f"unknown format {format!r}; use one of {', '.join(FORMATS)}")
    folder = Path(path)
    folder.mkdir(parents=True, exist_ok=True)
    targets = {folder / f"{name}.{format}": conform(name, frame) for name, frame in crm.tables()}
    with _staged(list(targets)) as temps:
        for frame, temp in zip(targets.values(), temps, strict=True):
            _WRITERS[format](frame, temp)
    for name in TABLES:
        for fmt in FORMATS:
            stale = folder / f"{name}.{fmt}"
            if stale not in targets and stale.is_file():
                stale.unlink()
    return folder


def write_table(frame: pd.DataFrame, path: str | os.PathLike[str]) -> Path:
    """Write one DataFrame to ``path``, Parquet or CSV by its suffix, without a half-written file.

    Any columns are accepted (not only contract tables), the index is not written. Parquet and
    CSV are written as :func:`save_crm` writes them.
    """
    return write_tables({Path(path): frame})[0]


def write_tables(frames: Mapping[str | os.PathLike[str], pd.DataFrame]) -> list[Path]:
    """Write several DataFrames (path -> frame) as :func:`write_table` does, all or none.

    Every file is staged under a temporary name first and renamed into place only once all of
    them are written, so a failure leaves none of them half-written.
    """
    files = {Path(path): frame for path, frame in frames.items()}
    for file in files:
        if file.suffix.removeprefix(".") not in _WRITERS:
            raise BadOption(f"cannot write {file.name}: the name must end in .parquet or .csv")
        file.parent.mkdir(parents=True, exist_ok=True)
    with _staged(list(files)) as temps:
        for (file, frame), temp in zip(files.items(), temps, strict=True):
            _WRITERS[file.suffix.removeprefix(".")](frame, temp)
    return list(files)


def check_writable(path: str | os.PathLike[str]) -> Path:
    """Check, before any work, that :func:`write_table` can write ``path``; return it.

    The suffix must be ``.parquet`` or ``.csv``, ``path`` may not be a folder, and its folder
    (created if missing) must accept a new file: a probe temporary is created and removed, which
    also catches read-only mounts and folders the user may not write to.

    Raises
    ------
    ValueError, IsADirectoryError, PermissionError
        Naming ``path`` and what is wrong with it.
    """
    file = Path(path)
    if file.is_dir():
        raise IsAFolder(f"cannot write {file}: it is a folder; name a file")
    if file.suffix.removeprefix(".") not in _WRITERS:
        raise BadOption(f"cannot write {file}: the name must end in .parquet or .csv")
    try:
        file.parent.mkdir(parents=True, exist_ok=True)
        handle, probe = tempfile.mkstemp(dir=file.parent, prefix=f".{file.name}.")
    except OSError as err:
        reason = err.strerror or type(err).__name__
        raise NotWritable(
            f"cannot write {file}: its folder {file.parent} does not accept new files "
            f"({reason}); choose another --out or fix the folder's permissions"
        ) from None
    os.close(handle)
    os.unlink(probe)
    return file


@contextlib.contextmanager
def _staged(targets: list[Path]) -> Iterator[list[Path]]:
    """Yield temporary paths next to ``targets``; on success rename each onto its target.

    If the block fails, every temporary file is removed and no target is touched. Temporaries a
    killed run left in the same folders (older than :data:`STALE_AFTER_S`) are removed first.
    """
    for folder in dict.fromkeys(target.parent for target in targets):
        remove_stale_temporaries(folder)
    temps: list[Path] = []
    try:
        for target in targets:
            handle, name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")
            os.close(handle)
            temps.append(Path(name))
        yield temps
    except BaseException:
        for temp in temps:
            with contextlib.suppress(OSError):
                temp.unlink()
        raise
    mode = _new_file_mode()
    for temp, target in zip(temps, targets, strict=True):
        os.chmod(temp, mode)  # mkstemp makes 0600; a written table is an ordinary file
        os.replace(temp, target)


def remove_stale_temporaries(folder: Path, *, older_than_s: float = STALE_AFTER_S) -> list[Path]:
    """Remove the temporaries of killed writers in ``folder``; return what was removed.

    Only regular files named as :func:`_staged` names them (``.actions.csv.k2j4x_9q``) and not
    modified for ``older_than_s`` seconds are touched: a writer still at work keeps its file
    fresh, and nothing else in the folder matches.
    """
    removed: list[Path] = []
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return removed
    cutoff = time.time() - older_than_s
    for entry in entries:
        if not _TEMPORARY.match(entry.name):
            continue
        with contextlib.suppress(OSError):
            if entry.is_file(follow_symlinks=False) and entry.stat().st_mtime < cutoff:
                os.unlink(entry.path)
                removed.append(Path(entry.path))
    if removed:
        logger.info("removed %d stale temporary file(s) in %s", len(removed), folder)
    return removed


def _new_file_mode() -> int:
    """Return the permissions a newly created file gets under the current umask."""
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def _arrow_table(frame: pd.DataFrame) -> pyarrow.Table:
    # No pandas metadata: the file is plain Parquet, the same for the same data.
    table = pyarrow.Table.from_pandas(frame, preserve_index=False).replace_schema_metadata(None)
    for i, field in enumerate(table.schema):
        if pyarrow.types.is_dictionary(field.type):  # categoricals are written as plain values
            table = table.set_column(i, field.name, table.column(i).cast(field.type.value_type))
    return table


def _write_parquet(frame: pd.DataFrame, file: Path) -> None:
    # Microseconds unless the data has finer times: Spark and most readers refuse nanoseconds.
    nanos = any(
        _finest_unit(frame[name]) == "ns"
        for name in frame.columns
        if pd.api.types.is_datetime64_any_dtype(frame[name])
    )
    table = _arrow_table(frame)
    encoding = _column_encodings(table)
    pq.write_table(
        table,
        file,
        compression="zstd",
        coerce_timestamps=None if nanos else "us",
        allow_truncated_timestamps=False,
        use_dictionary=[name for name in table.column_names if name not in encoding],
        column_encoding=encoding,
    )


def _column_encodings(table: pyarrow.Table) -> dict[str, str]:
    """Pick delta encodings where dictionaries do badly: timestamps and near-unique ids.

    Event tables are written in time order and ids are sequential, so deltas are small: the
    activities of the bundled sample shrink from 5.9 to 3.7 MB. Other columns keep dictionaries.
    """
    encoding = {}
    for name, column in zip(table.column_names, table.columns, strict=True):
        if pyarrow.types.is_timestamp(column.type):
            encoding[name] = "DELTA_BINARY_PACKED"
        elif (
            (pyarrow.types.is_string(column.type) or pyarrow.types.is_large_string(column.type))
            and len(head := column.slice(0, 10_000))  # the head tells ids from codes cheaply
            and pc.count_distinct(head).as_py() > len(head) // 2
        ):
            encoding[name] = "DELTA_BYTE_ARRAY"
    return encoding


def _write_csv(frame: pd.DataFrame, file: Path) -> None:
    table = _arrow_table(frame)
    for i, name in enumerate(table.column_names):
        if pd.api.types.is_datetime64_dtype(frame[name]):
            table = table.set_column(i, name, _iso_8601(frame[name]))
    pacsv.write_csv(table, file)


def _iso_8601(values: pd.Series) -> pyarrow.Array:
    """Return timestamps as ISO 8601 text, as short as the data allows, missing as null."""
    stamps: npt.NDArray[np.datetime64] = values.to_numpy(dtype="datetime64[ns]")
    text = np.datetime_as_string(stamps, unit=_finest_unit(values))
    return pyarrow.array(text, type=pyarrow.string(), mask=np.isnat(stamps))


def _finest_unit(values: pd.Series) -> _Unit:
    """Return the coarsest unit that still holds every timestamp exactly ("D" for dates)."""
    if isinstance(values.dtype, pd.DatetimeTZDtype):
        values = values.dt.tz_convert("UTC").dt.tz_localize(None)
    stamps = values.to_numpy(dtype="datetime64[ns]")
    ticks = stamps[~np.isnat(stamps)].view("int64")
    return next((u for u, n in _NS_PER.items() if not np.any(ticks % n)), "ns")


_WRITERS: dict[str, Callable[[pd.DataFrame, Path], None]] = {
    "parquet": _write_parquet,
    "csv": _write_csv,
}
