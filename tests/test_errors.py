"""The error hierarchy: every class is a StagnationError of the built-in kind callers expect, and
the package raises them where the user is at fault."""

from __future__ import annotations

from pathlib import Path

import pytest

from stagnation import errors, training
from stagnation.cli import parse_moment
from stagnation.crm import CRMValidationError, check_writable
from stagnation.crm._read import SeparatorError, extract_folder
from stagnation.importers import SourceError, bundled_mapping
from stagnation.training._train import TooFewPositives

# (class, the built-in exception it must also be, so that existing `except` clauses hold)
KINDS = [
    (errors.BadInput, ValueError),
    (errors.BadExtract, ValueError),
    (errors.BadOption, ValueError),
    (errors.NoSuchPath, FileNotFoundError),
    (errors.NotAFolder, NotADirectoryError),
    (errors.IsAFolder, IsADirectoryError),
    (errors.PathTaken, FileExistsError),
    (errors.NotWritable, PermissionError),
    (errors.NotEnoughData, ValueError),
    (errors.MissingTable, ValueError),
    (errors.NotEnoughHistory, ValueError),
    (errors.StoreError, ValueError),
    (errors.ModelNotFound, LookupError),
    (errors.StoreLocked, TimeoutError),
    (CRMValidationError, errors.BadExtract),
    (SeparatorError, errors.BadExtract),
    (SourceError, errors.BadInput),
    (TooFewPositives, errors.NotEnoughHistory),
]


@pytest.mark.parametrize(("cls", "kind"), KINDS, ids=[c.__name__ for c, _ in KINDS])
def test_each_error_is_the_users_and_of_the_expected_kind(cls: type, kind: type) -> None:
    assert issubclass(cls, errors.StagnationError)
    assert issubclass(cls, kind)


def test_all_names_every_error_class() -> None:
    public = {n for n in dir(errors) if isinstance(getattr(errors, n), type)}
    assert set(errors.__all__) == public - {"annotations"}


def test_training_keeps_its_name_for_not_enough_history() -> None:
    assert training.NotEnoughHistory is errors.NotEnoughHistory


def test_a_path_error_reads_as_its_message() -> None:
    err = errors.NoSuchPath("no such folder: x")
    assert str(err) == "no such folder: x"
    assert err.filename is None  # not an OS error about a path: the hierarchy decides


def test_the_package_raises_the_hierarchy_at_its_edges(tmp_path: Path) -> None:
    with pytest.raises(errors.NoSuchPath, match="no such folder"):
        extract_folder(tmp_path / "missing")
    (tmp_path / "file").touch()
    with pytest.raises(errors.NotAFolder):
        extract_folder(tmp_path / "file")
    with pytest.raises(errors.IsAFolder):
        check_writable(tmp_path)
    with pytest.raises(errors.BadOption, match=r"\.parquet or \.csv"):
        check_writable(tmp_path / "out.txt")
    with pytest.raises(errors.BadOption, match="'now'"):
        parse_moment("now", "--as-of")
    with pytest.raises(errors.BadOption, match="no bundled mapping"):
        bundled_mapping("nope")
