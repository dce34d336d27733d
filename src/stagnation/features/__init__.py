"""Point-in-time features: the shared vocabulary of customer status and activity kinds."""

from stagnation.features._status import (
    ACTIVITY_KINDS,
    CUSTOMER_STATUSES,
    classify_activities,
    customer_status,
)

__all__ = ["ACTIVITY_KINDS", "CUSTOMER_STATUSES", "classify_activities", "customer_status"]
