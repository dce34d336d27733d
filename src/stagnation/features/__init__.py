"""Point-in-time features of reps and customers, and the vocabulary they share.

Every feature at ``as_of`` sees only events strictly before it. :class:`FeatureContext` indexes
an extract once; :func:`rep_features` and :func:`customer_features` answer for any number of
(entity, as_of) pairs. :data:`REP_FEATURES` and :data:`CUSTOMER_FEATURES` (the numeric columns)
and :data:`REP_CATEGORICALS` and :data:`CUSTOMER_CATEGORICALS` describe every column in plain
words, each :class:`FeatureDef` with the phrase that says its value in the reasons.

The point-in-time queries underneath (:class:`~stagnation.timeline.EventIndex`, the
:data:`~stagnation.timeline.WINDOWS`) live in :mod:`stagnation.timeline`; ``EventIndex`` and
``WINDOWS`` are re-exported here.
"""

from stagnation.features._bgnbd import fit_bgnbd
from stagnation.features._context import REASONS as OWNERSHIP_REASONS
from stagnation.features._context import FeatureContext
from stagnation.features._customer import (
    CUSTOMER_CATEGORICALS,
    CUSTOMER_FEATURES,
    customer_features,
)
from stagnation.features._definitions import Change, FeatureDef, Says, describe
from stagnation.features._money import new_business_at_risk, new_customer_revenue
from stagnation.features._rep import T_MODEL_STAGES, rep_features
from stagnation.features._rep_book import peer_median, rep_totals
from stagnation.features._rep_definitions import REP_CATEGORICALS, REP_FEATURES
from stagnation.features._status import (
    ACTIVITY_KINDS,
    CUSTOMER_STATUSES,
    classify_activities,
    customer_status,
)
from stagnation.features._wide import (
    OWNER_TOTALS,
    REP_TOTALS,
    ExtractWide,
    buyer_history,
    owner_totals,
)
from stagnation.timeline import WINDOWS, EventIndex

__all__ = [
    "ACTIVITY_KINDS",
    "CUSTOMER_CATEGORICALS",
    "CUSTOMER_FEATURES",
    "CUSTOMER_STATUSES",
    "OWNERSHIP_REASONS",
    "OWNER_TOTALS",
    "REP_CATEGORICALS",
    "REP_FEATURES",
    "REP_TOTALS",
    "T_MODEL_STAGES",
    "WINDOWS",
    "Change",
    "EventIndex",
    "ExtractWide",
    "FeatureContext",
    "FeatureDef",
    "Says",
    "buyer_history",
    "classify_activities",
    "customer_features",
    "customer_status",
    "describe",
    "fit_bgnbd",
    "new_business_at_risk",
    "new_customer_revenue",
    "owner_totals",
    "peer_median",
    "rep_features",
    "rep_totals",
]
