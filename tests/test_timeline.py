"""The event index against a plain reference: the (entity, time) order and window counts.

The index sorts events by one shared time ranking and a counting sort by entity; these tests pin
that the result is the stable (entity, time) order of the events, row for row, whatever the
input order, the NaT events and the entity codes outside the universe.
"""

from __future__ import annotations

import numpy as np
import pytest

from stagnation.timeline import EventIndex, TimeRanks, _stable_argsort


def random_events(
    seed: int, n: int, n_entities: int, *, sorted_times: bool
) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    entity = rng.integers(-1, n_entities, n)
    days = rng.integers(0, 60, n)
    time = np.sort(days) if sorted_times else days
    t = time.astype("datetime64[D]").astype("datetime64[ns]")
    t[rng.random(n) < 0.05] = np.datetime64("NaT")
    return entity, t


@pytest.mark.parametrize("sorted_times", [False, True])
@pytest.mark.parametrize(("n", "n_entities"), [(0, 3), (1, 1), (2_000, 7), (5_000, 200_000)])
def test_index_order_is_the_stable_entity_time_order(
    n: int, n_entities: int, sorted_times: bool
) -> None:
    entity, t = random_events(n + n_entities, n, n_entities, sorted_times=sorted_times)
    idx = EventIndex(entity, t, n_entities, {"row": np.arange(n, dtype=float)})
    keep = (entity >= 0) & ~np.isnat(t)
    expected = np.flatnonzero(keep)[np.lexsort((t.view(np.int64)[keep], entity[keep]))]
    assert idx.rows.tolist() == expected.tolist()
    assert idx.column("row").tolist() == expected.astype(float).tolist()


@pytest.mark.parametrize(("n", "n_entities"), [(0, 3), (1, 1), (3_000, 7), (5_000, 200_000)])
def test_the_usual_export_takes_the_fast_path_to_the_same_index(n: int, n_entities: int) -> None:
    # every timestamp set, in time order, every entity known: no gather of the permutation,
    # and the same order, times, ranks and entity starts as the general path computes
    entity, t = random_events(n, n, n_entities, sorted_times=True)
    entity, t = entity.clip(0), np.sort(np.where(np.isnat(t), t[0] if n else t, t))
    ranks = TimeRanks(t)
    assert ranks.in_order
    general = TimeRanks(t[::-1].copy())  # the same times, out of order: the general path
    assert general.in_order == (len(ranks.unique_times) < 2)  # reversed, unless all one time
    assert ranks.unique_times.tolist() == general.unique_times.tolist()
    assert ranks.rank.tolist() == general.rank[::-1].tolist()
    assert ranks.by_time.tolist() == list(range(n))
    idx = EventIndex(entity, ranks, n_entities)
    expected = np.lexsort((t.view(np.int64), entity))
    assert idx.rows.tolist() == expected.tolist()
    assert idx.time.tolist() == t.view(np.int64)[expected].tolist()
    assert idx.start.tolist() == np.searchsorted(idx.entity, np.arange(n_entities + 1)).tolist()
    rows = np.array([-1, 0, n - 1]) if n else np.array([-1])
    fresh = EventIndex(entity, ranks, n_entities)  # its times not gathered yet
    assert fresh.time_at(rows).tolist() == idx.time_at(rows).tolist()


def test_an_index_gathers_its_times_only_when_asked() -> None:
    t = np.array(["2024-01-03", "2024-01-01", "2024-01-02"], dtype="datetime64[ns]")
    idx = EventIndex(np.array([1, 0, 0]), t, 2)
    found = idx.time_at(np.array([0, -1, 2])).astype("datetime64[D]").astype(str)
    assert found.tolist() == ["2024-01-01", "NaT", "2024-01-03"]
    assert idx._time is None  # a few rows' times read without the whole copy
    assert idx.time.tolist() == np.sort(t).view(np.int64).tolist()
    assert len(idx) == 3


@pytest.mark.parametrize("top", [0, 1, 999, 4_095, 4_096, 100_000, 2**40])
def test_entity_sort_is_numpys_stable_argsort(top: int) -> None:
    # one digit up to 12 bits, two for 100,000 customers, four for 2**40: each pass stable
    codes = np.random.default_rng(top).integers(0, top + 1, 20_000)
    codes[:3] = top  # the widest code is present, so every digit is sorted
    assert _stable_argsort(codes).tolist() == np.argsort(codes, kind="stable").tolist()
    assert _stable_argsort(codes[:0]).tolist() == []


def test_counts_match_a_brute_force_scan() -> None:
    entity, t = random_events(3, 3_000, 40, sorted_times=False)
    idx = EventIndex(entity, t, 40)
    rng = np.random.default_rng(4)
    query = rng.integers(0, 40, 200)
    at = rng.integers(0, 62, 200).astype("datetime64[D]").astype("datetime64[ns]")
    seen = (entity >= 0) & ~np.isnat(t)
    brute = [int((seen & (entity == q) & (t < a)).sum()) for q, a in zip(query, at, strict=True)]
    assert idx.count_before(query, at).tolist() == brute


def test_a_flag_column_sums_as_its_float_twin() -> None:
    # flags keep int32 running sums; their window totals are the same float64 numbers
    entity, t = random_events(8, 3_000, 25, sorted_times=False)
    flag = np.random.default_rng(9).random(len(t)) < 0.3
    idx = EventIndex(entity, t, 25, {"flag": flag, "twin": flag.astype(float)})
    query = np.random.default_rng(10).integers(0, 25, 300)
    at = t[np.random.default_rng(11).integers(0, len(t), 300)]
    start = at - np.timedelta64(20, "D")
    flagged, twin = idx.total("flag", query, start, at), idx.total("twin", query, start, at)
    assert flagged.dtype == twin.dtype == np.float64
    assert np.array_equal(flagged, twin, equal_nan=True)
    assert np.nansum(flagged) > 0


def test_indexes_sharing_one_time_ranking_equal_separate_ones() -> None:
    entity, t = random_events(5, 4_000, 30, sorted_times=False)
    other = np.random.default_rng(6).integers(0, 9, len(t))
    ranks = TimeRanks(t)
    for codes, n in ((entity, 30), (other, 9)):
        shared, alone = EventIndex(codes, ranks, n), EventIndex(codes, t, n)
        assert shared.rows.tolist() == alone.rows.tolist()
        assert shared.position(codes[:50].clip(0), t[:50]).tolist() == (
            alone.position(codes[:50].clip(0), t[:50]).tolist()
        )


def test_carry_replaces_a_column_and_its_prefix_sums() -> None:
    t = np.array(["2024-01-02", "2024-01-01"], dtype="datetime64[ns]")
    idx = EventIndex(np.array([0, 0]), t, 1, {"v": np.array([1.0, 2.0])})
    at = np.array(["2024-02-01"], dtype="datetime64[ns]")
    assert idx.total_before(idx.prefix(idx.column("v")), np.array([0]), at).tolist() == [3.0]
    assert idx.total("v", np.array([0]), at - np.timedelta64(60, "D"), at).tolist() == [3.0]
    idx.carry({"v": np.array([10.0, 20.0])})
    assert idx.column("v").tolist() == [20.0, 10.0]  # in time order
    assert idx.total("v", np.array([0]), at - np.timedelta64(60, "D"), at).tolist() == [30.0]


def test_position_at_events_equals_position_at_their_times() -> None:
    entity, t = random_events(7, 3_000, 25, sorted_times=False)
    orders_entity, orders_t = random_events(8, 800, 25, sorted_times=False)
    orders = EventIndex(orders_entity, orders_t, 25)
    ranks = TimeRanks(t)
    events = EventIndex(entity, ranks, 25)
    fast = orders.position_at_events(events.entity, ranks, events.rows)
    plain = orders.position(events.entity, t[events.rows])
    assert len(fast) > 2_000
    assert fast.tolist() == plain.tolist()


def test_codes_and_timestamps_of_different_lengths_are_refused() -> None:
    t = np.array(["2024-01-01", "2024-01-02"], dtype="datetime64[ns]")
    with pytest.raises(ValueError, match="3 entity codes for 2 timestamps"):
        EventIndex(np.array([0, 0, 1]), TimeRanks(t), 2)


def test_32_bit_entity_codes_query_past_the_32_bit_key_range() -> None:
    # the index keeps entity codes in 32 bits; a query key (entity x distinct times + rank)
    # of 80,000 entities x 40,001 distinct times passes 2**31 and must be formed in 64 bits
    rng = np.random.default_rng(3)
    n_entities, n_times = 80_000, 40_000
    entity = np.r_[np.arange(n_entities), rng.integers(0, n_entities, 20_000)]
    times = np.r_[np.arange(n_times), rng.integers(0, n_times, len(entity) - n_times)]
    idx = EventIndex(entity, times.astype("datetime64[s]").astype("datetime64[ns]"), n_entities)
    assert idx.entity.dtype == np.int32 and idx.rows.dtype == np.int32
    assert int(idx.entity.max()) * (n_times + 1) > 2**31
    at = idx.time.view("datetime64[ns]") + np.timedelta64(1, "ns")
    wide = idx.position(idx.entity.astype(np.int64), at)
    assert np.array_equal(idx.position(idx.entity, at), wide)
    # brute force: the events of the same entity up to and including each event's own time
    seconds = idx.time // 10**9
    combined = idx.entity.astype(np.int64) * (n_times + 1) + seconds  # sorted, like the index
    assert np.array_equal(wide, np.searchsorted(combined, combined, side="right"))
