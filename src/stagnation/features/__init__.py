"""Point-in-time features of reps and customers, and the vocabulary they share.

Every feature at ``as_of`` sees only events strictly before it. :class:`FeatureContext` indexes
an extract once; :func:`rep_features` and :func:`customer_features` answer for any number of
(entity, as_of) pairs. :data:`REP_FEATURES` and :data:`CUSTOMER_FEATURES` describe every column
in plain words.

The point-in-time queries underneath (:class:`~stagnation.timeline.EventIndex`, the
:data:`~stagnation.timeline.WINDOWS`) live in :mod:`stagnation.timeline`; ``EventIndex`` and
``WINDOWS`` are re-exported here.
"""

from stagnation.features._context import REASONS as OWNERSHIP_REASONS
from stagnation.features._context import FeatureContext
from stagnation.features._customer import CUSTOMER_FEATURES, customer_features
from stagnation.features._defs import FeatureDef, describe
from stagnation.features._rep import REP_FEATURES, T_MODEL_STAGES, rep_features
from stagnation.features._status import (
    ACTIVITY_KINDS,
    CUSTOMER_STATUSES,
    classify_activities,
    customer_status,
)
from stagnation.timeline import WINDOWS, EventIndex

__all__ = [
    "ACTIVITY_KINDS",
    "CUSTOMER_FEATURES",
    "CUSTOMER_STATUSES",
    "OWNERSHIP_REASONS",
    "REP_FEATURES",
    "T_MODEL_STAGES",
    "WINDOWS",
    "EventIndex",
    "FeatureContext",
    "FeatureDef",
    "classify_activities",
    "customer_features",
    "customer_status",
    "describe",
    "rep_features",
]
