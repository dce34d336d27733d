"""The errors that say whose fault they are: the user's (a :class:`StagnationError`) or ours.

Every condition a user can fix raises a :class:`StagnationError`: the command line prints its
message and exits 2, with no traceback. Anything else that escapes is a bug: exit 1, with the
traceback shown. Each class also derives from the built-in exception a Python caller would
expect (:class:`ValueError`, :class:`LookupError`, :class:`FileNotFoundError` ...), so that
``except ValueError`` keeps working.

::

    StagnationError
    ├── BadInput (ValueError)            the extract, an option or a file is wrong
    │   ├── BadExtract                   a table breaks the data contract
    │   └── BadOption                    an option's value: unknown name, bad number, bad date
    ├── BadPath (OSError)                a path named by the user: missing, a file, taken, locked
    │   ├── NoSuchPath (FileNotFoundError)
    │   ├── NotAFolder (NotADirectoryError)
    │   ├── IsAFolder (IsADirectoryError)
    │   ├── PathTaken (FileExistsError)
    │   └── NotWritable (PermissionError)
    ├── NotEnoughData (ValueError)       a valid extract that holds too little for the model
    │   ├── MissingTable                 the model reads a table the extract does not have
    │   └── NotEnoughHistory             too short a history, too few positives or entities
    ├── StoreError (ValueError)          the MLflow store cannot serve the request
    │   └── ModelNotFound (LookupError)  no such model, version, alias or model folder
    └── StoreLocked (TimeoutError)       another process holds the store's lock

Internal checks ("cannot happen" unless the code is wrong, or a Python caller passes arguments
of the wrong shape to an estimator or a plot) keep raising plain built-in exceptions.

Examples
--------
>>> from stagnation.errors import BadOption, StagnationError
>>> err = BadOption("--as-of: 'now' is not an ISO 8601 date")
>>> isinstance(err, StagnationError), isinstance(err, ValueError)
(True, True)
>>> issubclass(NoSuchPath, FileNotFoundError)
True
"""

from __future__ import annotations

__all__ = [
    "BadExtract",
    "BadInput",
    "BadOption",
    "BadPath",
    "IsAFolder",
    "MissingTable",
    "ModelNotFound",
    "NoSuchPath",
    "NotAFolder",
    "NotEnoughData",
    "NotEnoughHistory",
    "NotWritable",
    "PathTaken",
    "StagnationError",
    "StoreError",
    "StoreLocked",
]


class StagnationError(Exception):
    """Base of every error the user can fix; the command line maps it to exit code 2."""


class BadInput(StagnationError, ValueError):
    """The extract, an option or a file given by the user is wrong."""


class BadExtract(BadInput):
    """A table of the extract (or of an import's source) breaks the data contract."""


class BadOption(BadInput):
    """An option's value is refused: an unknown name, a number out of range, a bad date."""


class BadPath(StagnationError, OSError):
    """A path named by the user cannot be used as asked."""


class NoSuchPath(BadPath, FileNotFoundError):
    """The folder or file named does not exist."""


class NotAFolder(BadPath, NotADirectoryError):
    """A folder was expected and the path names a file."""


class IsAFolder(BadPath, IsADirectoryError):
    """A file was expected and the path names a folder."""


class PathTaken(BadPath, FileExistsError):
    """The output path exists and holds something this command must not replace."""


class NotWritable(BadPath, PermissionError):
    """The output's folder does not accept new files."""


class NotEnoughData(StagnationError, ValueError):
    """The extract is valid but holds too little for the model asked for."""


class MissingTable(NotEnoughData):
    """The model reads a table (e.g. ``activities``) that the extract does not have."""


class NotEnoughHistory(NotEnoughData):
    """The history before the cutoff is too short, or too sparse, for an honest evaluation."""


class StoreError(StagnationError, ValueError):
    """The MLflow store cannot serve the request (cannot be opened, nothing to compare)."""


class ModelNotFound(StoreError, LookupError):
    """No such registered model, version, alias or model folder.

    ``advised`` says that the message already tells the user what to do, so a caller adding
    its own advice (such as ``score``'s "train it first") leaves it out.
    """

    def __init__(self, message: str, *, advised: bool = False) -> None:
        super().__init__(message)
        self.advised = advised


class StoreLocked(StagnationError, TimeoutError):
    """Another process held the MLflow store's lock for too long."""
