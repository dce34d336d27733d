"""CRM extracts: the six contract tables, loading, saving, validation and the sample simulator."""

from stagnation.crm._io import check_writable, load_crm, save_crm, write_table, write_tables
from stagnation.crm._simulate import SimConfig, Simulation, simulate, write_sample
from stagnation.crm._tables import (
    CRM,
    EVENT_TABLES,
    REQUIRED_TABLES,
    TABLES,
    Column,
    Table,
    conform,
    to_naive_utc,
)
from stagnation.crm._truth import (
    customer_revivable_truth,
    customer_state_truth,
    slide_truth,
    truth_month,
)
from stagnation.crm._validate import CRMValidationError, Problem, ValidationReport, validate_extract

__all__ = [
    "CRM",
    "EVENT_TABLES",
    "REQUIRED_TABLES",
    "TABLES",
    "CRMValidationError",
    "Column",
    "Problem",
    "SimConfig",
    "Simulation",
    "Table",
    "ValidationReport",
    "check_writable",
    "conform",
    "customer_revivable_truth",
    "customer_state_truth",
    "load_crm",
    "save_crm",
    "simulate",
    "slide_truth",
    "to_naive_utc",
    "truth_month",
    "validate_extract",
    "write_sample",
    "write_table",
    "write_tables",
]
