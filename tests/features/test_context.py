"""The feature context's shortcuts give the same values as the plain path, on the sample.

Activity kinds come from the indexes in (customer, time) order when every row is indexed, and
from :func:`activity_kinds` otherwise; the events are sorted once per table. Shuffling the rows
of the event tables (so no table arrives in time order) must not change a single feature.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from stagnation.crm import CRM, load_crm
from stagnation.features import FeatureContext
from stagnation.features._context import _activity_kinds
from stagnation.features._status import activity_kinds
from stagnation.snapshots import features_at
from stagnation.timeline import TimeRanks

AS_OF = ("2024-03-01", "2024-11-15 12:00")


@pytest.fixture(scope="module")
def crm() -> CRM:
    return load_crm("data/sample")


def test_activity_kinds_from_the_indexes_equal_activity_kinds(crm: CRM) -> None:
    ctx = FeatureContext.build(crm)
    assert ctx.activities_by_customer is not None and crm.activities is not None
    assert len(ctx.activities_by_customer) == len(crm.activities)  # the fast path is taken
    ranks = TimeRanks(crm.activities["occurred_at"])
    fast = _activity_kinds(crm, 90, ctx.activities_by_customer, ctx.orders_by_customer, ranks)
    plain = activity_kinds(crm)[1]
    assert fast.tolist() == plain.tolist()
    assert set(np.unique(plain)) == {0, 1, 2}  # every kind occurs: the comparison means something
    for name in ("hunting", "farming", "inbound"):
        code = ("hunting", "farming", "inbound").index(name)
        indexed = ctx.activities_by_customer.column(name)
        assert indexed.tolist() == (plain[ctx.activities_by_customer.rows] == code).tolist()


def test_shuffled_event_tables_give_the_same_features(crm: CRM) -> None:
    rng = np.random.default_rng(0)
    shuffled = CRM.from_frames(
        **{
            name: frame.sample(frac=1.0, random_state=rng).reset_index(drop=True)
            if name in ("orders", "activities", "opportunities", "ownership")
            else frame
            for name, frame in crm.tables()
        }
    )
    assert shuffled.activities is not None
    assert not shuffled.activities["occurred_at"].is_monotonic_increasing
    ordered, mixed = FeatureContext.build(crm), FeatureContext.build(shuffled)
    for at in AS_OF:
        for entity in ("rep", "customer"):
            expected = features_at(ordered, entity, pd.Timestamp(at))  # type: ignore[arg-type]
            got = features_at(mixed, entity, pd.Timestamp(at))  # type: ignore[arg-type]
            assert len(expected) > 0
            pd.testing.assert_frame_equal(got, expected, check_exact=True)
