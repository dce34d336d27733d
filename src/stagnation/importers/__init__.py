"""Bring your CRM: turn a Salesforce export or any SQL database into a contract extract.

Every import writes a complete extract folder (see :mod:`stagnation.crm`) into a temporary
folder, validates it and only then renames it into place: a failed import leaves nothing behind.
"""

from importlib.resources import files
from pathlib import Path

from stagnation.errors import BadOption
from stagnation.importers._mapping import Mapping, MappingFile, TableMapping
from stagnation.importers._output import ImportResult, SourceError, TableImport
from stagnation.importers._pool import POOL_RULES_FILE, PoolRules, read_pool_rules
from stagnation.importers._salesforce import import_salesforce
from stagnation.importers._sql import import_sql


def bundled_mapping(name: str) -> Path:
    """Return the path of a mapping file shipped with the package.

    Parameters
    ----------
    name
        The CRM, e.g. ``"yudao"`` (the 芋道 CRM module's public schema).

    Examples
    --------
    >>> bundled_mapping("yudao").name
    'yudao.toml'
    """
    path = Path(str(files("stagnation.importers") / "mappings" / f"{name}.toml"))
    if not path.is_file():
        shipped = sorted(p.stem for p in path.parent.glob("*.toml"))
        raise BadOption(f"no bundled mapping {name!r}; the package ships {', '.join(shipped)}")
    return path


__all__ = [
    "POOL_RULES_FILE",
    "ImportResult",
    "Mapping",
    "MappingFile",
    "PoolRules",
    "SourceError",
    "TableImport",
    "TableMapping",
    "bundled_mapping",
    "import_salesforce",
    "import_sql",
    "read_pool_rules",
]
