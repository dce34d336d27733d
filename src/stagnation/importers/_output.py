"""Write an import's extract folder all at once: a temporary folder, validated, then renamed.

Every importer fills a temporary folder next to the output folder, validates it with
:func:`stagnation.crm.validate_extract` and only then renames it into place, so a failed import
(a bad mapping, a failing query, an extract that breaks the contract) leaves no partial extract.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from stagnation.crm import TABLES, CRMValidationError, ValidationReport, validate_extract
from stagnation.errors import BadInput, PathTaken
from stagnation.importers._pool import POOL_RULES_FILE, PoolRules

#: Files an import writes; an existing output folder holding only these may be replaced.
_OWN_FILES = frozenset(
    {f"{name}.{fmt}" for name in TABLES for fmt in ("parquet", "csv")} | {POOL_RULES_FILE}
)


class SourceError(BadInput):
    """The source (a database, an export folder, a mapping) cannot be read as asked.

    The message names the source table or file, the column and, for a mapping file, the line.
    """


@dataclass(frozen=True)
class TableImport:
    """What one contract table of an import came from and what was kept.

    Parameters
    ----------
    table
        The contract table written.
    source
        Where its rows came from (``"Task.csv + Event.csv"``, ``"query at yudao.toml line 30"``).
    rows
        Rows written.
    seconds
        Wall time spent reading and writing the table.
    dropped
        Source rows left out, by reason (``{"Task on a Contact with no Account": 3}``).
    """

    table: str
    source: str
    rows: int
    seconds: float = 0.0
    dropped: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class ImportResult:
    """The outcome of an import: the extract folder, per-table counts and its validation."""

    out_dir: Path
    tables: tuple[TableImport, ...]
    validation: ValidationReport
    pool_rules: PoolRules | None = None
    notes: tuple[str, ...] = ()

    @property
    def rows(self) -> int:
        """Return the total number of rows written over all tables."""
        return sum(t.rows for t in self.tables)


@contextlib.contextmanager
def staged_extract(out_dir: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield an empty temporary folder; on success, make it ``out_dir``.

    An existing ``out_dir`` is replaced only when it holds nothing but files an import writes
    (contract tables and ``pool_rules.json``), so a weekly batch can re-import into the same
    folder but a folder of other files is never deleted. If the block raises, the temporary
    folder is removed and ``out_dir`` is left as it was.

    Raises
    ------
    FileExistsError
        When ``out_dir`` is a file, or a folder holding files that an import does not write.
    """
    out = Path(out_dir)
    _check_replaceable(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    temp = Path(tempfile.mkdtemp(dir=out.parent, prefix=f".{out.name}.importing-"))
    try:
        os.chmod(temp, 0o777 & ~_umask())  # mkdtemp makes 0700; an extract is an ordinary folder
        yield temp
    except BaseException:
        shutil.rmtree(temp, ignore_errors=True)
        raise
    if out.exists():
        old = Path(tempfile.mkdtemp(dir=out.parent, prefix=f".{out.name}.replaced-"))
        os.replace(out, old / out.name)
        os.replace(temp, out)
        shutil.rmtree(old, ignore_errors=True)
    else:
        os.replace(temp, out)


def validate_staged(folder: Path) -> ValidationReport:
    """Validate a staged extract; raise :class:`CRMValidationError` if it breaks the contract."""
    report = validate_extract(folder)
    if not report.ok:
        raise CRMValidationError(report)
    return report


def _check_replaceable(out: Path) -> None:
    if not out.exists():
        return
    if not out.is_dir():
        raise PathTaken(f"{out} exists and is not a folder; choose a new output folder")
    others = sorted(p.name for p in out.iterdir() if p.name not in _OWN_FILES)
    if others:
        raise PathTaken(
            f"{out} already holds files an import does not write ({', '.join(others[:5])}); "
            "choose a new or empty folder, or one written by an earlier import"
        )


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
