"""Point-in-time features of reps and customers, and the vocabulary they share.

Every feature at ``as_of`` sees only events strictly before it. :class:`FeatureContext` indexes
an extract once; :func:`rep_features` and :func:`customer_features` answer for any number of
(entity, as_of) pairs. :data:`REP_FEATURES` and :data:`CUSTOMER_FEATURES` describe every column
in plain words.
"""

from stagnation.features._context import FeatureContext
from stagnation.features._customer import CUSTOMER_FEATURES, customer_features
from stagnation.features._money import new_business_at_risk
from stagnation.features._rep import REP_FEATURES, rep_features
from stagnation.features._status import (
    ACTIVITY_KINDS,
    CUSTOMER_STATUSES,
    classify_activities,
    customer_status,
)
from stagnation.features._windows import WINDOWS, EventIndex, FeatureDef, describe

__all__ = [
    "ACTIVITY_KINDS",
    "CUSTOMER_FEATURES",
    "CUSTOMER_STATUSES",
    "REP_FEATURES",
    "WINDOWS",
    "EventIndex",
    "FeatureContext",
    "FeatureDef",
    "classify_activities",
    "customer_features",
    "customer_status",
    "describe",
    "new_business_at_risk",
    "rep_features",
]
