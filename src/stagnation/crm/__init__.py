"""CRM extracts: the six contract tables, loading, saving and validation.

The sample simulator that writes such extracts lives in :mod:`stagnation.simulator`.
"""

from stagnation.crm._io import check_writable, load_crm, save_crm, write_table, write_tables
from stagnation.crm._read import extract_folder
from stagnation.crm._tables import (
    AWARE_PATTERN,
    CRM,
    EVENT_TABLES,
    REQUIRED_TABLES,
    TABLES,
    Column,
    Table,
    conform,
    to_naive_utc,
)
from stagnation.crm._validate import CRMValidationError, Problem, ValidationReport, validate_extract

__all__ = [
    "AWARE_PATTERN",
    "CRM",
    "EVENT_TABLES",
    "REQUIRED_TABLES",
    "TABLES",
    "CRMValidationError",
    "Column",
    "Problem",
    "Table",
    "ValidationReport",
    "check_writable",
    "conform",
    "extract_folder",
    "load_crm",
    "save_crm",
    "to_naive_utc",
    "validate_extract",
    "write_table",
    "write_tables",
]
