"""The last flagged event before a moment, against a plain scan of each entity's events."""

from __future__ import annotations

import numpy as np
import pytest

from stagnation.features._customer_queries import last_flagged
from stagnation.timeline import EventIndex


@pytest.mark.parametrize("share", [0.0, 0.02, 0.5, 1.0])
def test_last_flagged_is_the_latest_flagged_event_strictly_before(share: float) -> None:
    rng = np.random.default_rng(int(share * 100))
    n, n_entities = 3_000, 40
    entity = rng.integers(0, n_entities, n)
    t = rng.integers(0, 90, n).astype("datetime64[D]").astype("datetime64[ns]")
    idx = EventIndex(entity, t, n_entities)
    flag = rng.random(n) < share  # in index (entity, time) order, as the builders pass it
    query = rng.integers(0, n_entities, 500)
    at = rng.integers(0, 95, 500).astype("datetime64[D]").astype("datetime64[ns]")
    found = last_flagged(idx, flag, query, at)
    times = idx.time.view("datetime64[ns]")
    for q, a, row in zip(query, at, found, strict=True):
        mine = np.flatnonzero((idx.entity == q) & (times < a) & flag)  # strictly before
        assert row == (mine[-1] if len(mine) else -1)
    assert (found >= 0).any() == (share > 0)
