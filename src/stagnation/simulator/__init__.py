"""The sample simulator: a seeded B2B sales company that writes the contract tables and its truth.

The simulator sits beside :mod:`stagnation.crm`: it builds a :class:`~stagnation.crm.CRM` and
writes it with :func:`~stagnation.crm.save_crm`; ``crm`` never imports it. The truth lookups
(:func:`slide_truth`, :func:`customer_state_truth`, ...) measure observable labels and model
scores against what really happened in a simulated company.
"""

from stagnation.simulator._simulate import SimConfig, Simulation, simulate, write_sample
from stagnation.simulator._truth import (
    customer_revivable_truth,
    customer_state_truth,
    slide_truth,
    truth_month,
)

__all__ = [
    "SimConfig",
    "Simulation",
    "customer_revivable_truth",
    "customer_state_truth",
    "simulate",
    "slide_truth",
    "truth_month",
    "write_sample",
]
