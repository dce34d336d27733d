"""Recipient and coach matching on small hand-checked tables.

Each expected assignment follows from the rules in the module docstring of
``stagnation.scoring._matching`` and is worked out by hand next to the test.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from pydantic import ValidationError

from stagnation.scoring._matching import MatchingSettings, assign_coaches, assign_recipients

NA = pd.NA
NO_WINS = pd.DataFrame({"rep_id": [], "industry": [], "region": [], "size": []}, dtype="string")
NO_EXCLUDED = pd.DataFrame({"customer_id": [], "rep_id": []}, dtype="string")


def customers(rows: list[tuple[str, float, str | None, str, str, str]]) -> pd.DataFrame:
    """Rows of (customer_id, priority, current_owner, industry, region, size)."""
    cols = ["customer_id", "priority", "current_owner", "industry", "region", "size"]
    return pd.DataFrame(rows, columns=cols).astype({"current_owner": "string"})


def reps(rows: list[tuple[str, bool, float, float, float]]) -> pd.DataFrame:
    """Rows of (rep_id, employed, hunting_share_90d, passivity_score, book_customers)."""
    cols = ["rep_id", "employed", "hunting_share_90d", "passivity_score", "book_customers"]
    frame = pd.DataFrame(rows, columns=cols)
    frame.insert(2, "team", "t1")
    return frame


def wins(rows: list[tuple[str, str, str, str]]) -> pd.DataFrame:
    """Rows of (rep_id, industry, region, size)."""
    return pd.DataFrame(rows, columns=["rep_id", "industry", "region", "size"])


def excluded(rows: list[tuple[str, str]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["customer_id", "rep_id"])


def match(cust, rep, win=NO_WINS, excl=NO_EXCLUDED, **settings) -> list:
    out = assign_recipients(cust, rep, win, excl, MatchingSettings(**settings))
    assert out.dtype == "string"
    assert out.index.equals(cust.index)
    return [None if v is NA else v for v in out]


ONE = customers([("c1", 1.0, None, "retail", "east", "small")])  # in the pool
OWNED = customers([("c1", 1.0, "r1", "retail", "east", "small")])  # owned by r1


# --- recipients: who may never receive ----------------------------------------------------


def test_current_owner_is_never_chosen_even_when_best():
    # r1 is the best hunter but owns c1; r2 is the only other candidate.
    rep = reps([("r1", True, 0.9, 0.01, 10.0), ("r2", True, 0.2, 0.9, 10.0)])
    assert match(OWNED, rep) == ["r2"]
    assert match(ONE, rep) == ["r1"]


def test_owner_alone_gives_no_recipient():
    rep = reps([("r1", True, 0.9, 0.01, 10.0)])
    assert match(OWNED, rep) == [None]


def test_reps_who_left_are_never_chosen():
    rep = reps([("r0", False, 0.9, 0.01, 10.0), ("r2", True, 0.2, 0.9, 10.0)])
    assert match(ONE, rep) == ["r2"]
    assert match(ONE, rep.iloc[:1]) == [None]


def test_cooldown_pairs_are_never_chosen():
    # r0 (best) is excluded for c1 only; c2 may still get r0.
    cust = customers(
        [("c1", 2.0, None, "retail", "east", "small"), ("c2", 1.0, None, "retail", "east", "small")]
    )
    rep = reps([("r0", True, 0.9, 0.01, 10.0), ("r2", True, 0.2, 0.5, 10.0)])
    assert match(cust, rep, excl=excluded([("c1", "r0")])) == ["r2", "r0"]


def test_no_reps_gives_all_na():
    empty = reps([]).astype({"rep_id": "string", "employed": bool})
    assert match(ONE, empty) == [None]


def test_no_customers_gives_empty_series():
    rep = reps([("r2", True, 0.5, 0.1, 10.0)])
    assert match(ONE.iloc[:0], rep) == []


# --- recipients: capacity -----------------------------------------------------------------


def three_customers() -> pd.DataFrame:
    return customers(
        [
            ("c1", 3.0, None, "retail", "east", "small"),
            ("c2", 2.0, None, "retail", "east", "small"),
            ("c3", 1.0, None, "retail", "east", "small"),
        ]
    )


def test_cap_on_new_assignments_per_run():
    # r1 is best; with a cap of 2 the third customer spills over to r2.
    rep = reps([("r1", True, 0.5, 0.1, 10.0), ("r2", True, 0.5, 0.5, 10.0)])
    assert match(three_customers(), rep, max_new_customers_per_rep=2) == ["r1", "r1", "r2"]
    assert match(three_customers(), rep, max_new_customers_per_rep=1) == ["r1", "r2", None]


@pytest.mark.parametrize(
    ("book", "expected"),
    [
        (98.0, ["r1", "r1", "r2"]),  # room 100 - 98 = 2
        (100.0, ["r2", "r2", "r2"]),  # full: nothing more
        (120.0, ["r2", "r2", "r2"]),  # above the cap: nothing
        (np.nan, ["r1", "r1", "r1"]),  # unknown book counts as empty
    ],
)
def test_cap_on_book_size(book, expected):
    rep = reps([("r1", True, 0.5, 0.1, book), ("r2", True, 0.5, 0.5, 0.0)])
    assert match(three_customers(), rep, max_book_customers=100) == expected


# --- recipients: preferences --------------------------------------------------------------


def test_hunting_rep_beats_order_follower():
    # h = 1 - passivity: 0.9 for the hunter, 0.2 for the order-follower.
    rep = reps([("follower", True, 0.05, 0.8, 10.0), ("hunter", True, 0.6, 0.1, 10.0)])
    assert match(ONE, rep) == ["hunter"]


def test_unknown_passivity_falls_back_on_hunting_share():
    # junior: h = min(1, 0.45 / 0.3) = 1 beats 1 - 0.3 = 0.7; a junior hunting 0.06 has h = 0.2.
    rep = reps([("junior", True, 0.45, np.nan, 0.0), ("senior", True, 0.5, 0.3, 10.0)])
    assert match(ONE, rep) == ["junior"]
    rep.loc[0, "hunting_share_90d"] = 0.06
    assert match(ONE, rep) == ["senior"]


def test_similar_wins_are_preferred():
    # Same hunting; r2 has won three retail/east/small customers, r1 three in another segment.
    rep = reps([("r1", True, 0.5, 0.2, 10.0), ("r2", True, 0.5, 0.2, 10.0)])
    win = wins([("r1", "mining", "west", "large")] * 3 + [("r2", "retail", "east", "small")] * 3)
    assert match(ONE, rep, win) == ["r2"]


def test_similarity_weighs_shared_attributes():
    # c1 retail/east/small. r1: 3 wins sharing industry only -> m = 1; r2: 3 sharing all -> m = 3.
    # With hunting 0.7 vs 0.8: fit(r1) = 0.6*0.8 + 0.4*1/4 = 0.58,
    # fit(r2) = 0.6*0.7 + 0.4*3/6 = 0.62.
    rep = reps([("r1", True, 0.5, 0.2, 10.0), ("r2", True, 0.5, 0.3, 10.0)])
    win = wins([("r1", "retail", "west", "large")] * 3 + [("r2", "retail", "east", "small")] * 3)
    assert match(ONE, rep, win) == ["r2"]
    # Without the similar wins, the better hunter r1 wins.
    assert match(ONE, rep, win.iloc[:3]) == ["r1"]


def test_priority_decides_who_gets_the_scarce_best_rep():
    # One slot at the hunter; the higher-priority customer gets it whatever the row order.
    cust = customers(
        [
            ("low", 1.0, None, "retail", "east", "small"),
            ("high", 9.0, None, "retail", "east", "small"),
        ]
    )
    rep = reps([("hunter", True, 0.5, 0.05, 10.0), ("weak", True, 0.1, 0.7, 10.0)])
    assert match(cust, rep, max_new_customers_per_rep=1) == ["weak", "hunter"]
    assert match(cust.iloc[::-1], rep, max_new_customers_per_rep=1) == ["hunter", "weak"]


def test_ties_are_broken_by_rep_id_and_customer_id():
    # Identical reps: the smallest rep_id first; equal priorities: the smallest customer_id first.
    cust = customers(
        [("c2", 1.0, None, "retail", "east", "small"), ("c1", 1.0, None, "retail", "east", "small")]
    )
    rep = reps([("r9", True, 0.5, 0.2, 10.0), ("r3", True, 0.5, 0.2, 10.0)])
    assert match(cust, rep, max_new_customers_per_rep=1) == ["r9", "r3"]


def test_deterministic_under_row_shuffles():
    rng = np.random.default_rng(7)
    n, k = 300, 25
    cust = pd.DataFrame(
        {
            "customer_id": [f"c{i:03d}" for i in range(n)],
            "priority": rng.integers(0, 20, n).astype(float),  # many ties on purpose
            "current_owner": pd.array(
                [f"r{j:02d}" if j < k else None for j in rng.integers(0, k + 5, n)], dtype="string"
            ),
            "industry": rng.choice(["a", "b", "c"], n),
            "region": rng.choice(["x", "y"], n),
            "size": rng.choice(["s", "m", "l"], n),
        }
    )
    rep = reps(
        [
            (f"r{j:02d}", bool(j % 7), 0.4, float(rng.choice([0.1, 0.3, np.nan])), 10.0)
            for j in range(k)
        ]
    )
    win = wins(
        [
            (f"r{j:02d}", str(rng.choice(["a", "b"])), str(rng.choice(["x", "y"])), "s")
            for j in rng.integers(0, k, 60)
        ]
    )
    excl = excluded([(f"c{i:03d}", f"r{i % k:02d}") for i in range(0, n, 3)])
    first = assign_recipients(cust, rep, win, excl, MatchingSettings(max_new_customers_per_rep=5))
    perm = rng.permutation(n)
    again = assign_recipients(
        cust.iloc[perm],
        rep.sample(frac=1, random_state=1),
        win,
        excl,
        MatchingSettings(max_new_customers_per_rep=5),
    )
    pd.testing.assert_series_equal(first, again.sort_index())
    # Rules hold on the random case too.
    got = first.dropna()
    assert (got != cust.loc[got.index, "current_owner"].fillna("")).all()
    assert got.value_counts().max() <= 5
    assert not set(got).intersection({f"r{j:02d}" for j in range(0, k, 7)})  # not employed
    pairs = set(zip(got.index.map(cust["customer_id"]), got, strict=True))
    assert not pairs.intersection(set(excl.itertuples(index=False, name=None)))


def test_missing_column_is_named():
    with pytest.raises(ValueError, match=r"`reps` table lacks column\(s\) \['book_customers'\]"):
        assign_recipients(ONE, reps([]).drop(columns="book_customers"), NO_WINS, NO_EXCLUDED)


def test_settings_forbid_unknown_keys():
    with pytest.raises(ValidationError):
        MatchingSettings(max_new_customer_per_rep=3)  # type: ignore[call-arg]


# --- coaches ------------------------------------------------------------------------------


def coaches(rows: list[tuple[str, bool, str, float, float, float, float]]) -> pd.DataFrame:
    """Rows of (rep_id, employed, team, tenure_years, new_customers_won_365d,
    hunting_share_90d, passivity_score)."""
    cols = [
        "rep_id",
        "employed",
        "team",
        "tenure_years",
        "new_customers_won_365d",
        "hunting_share_90d",
        "passivity_score",
    ]
    return pd.DataFrame(rows, columns=cols)


def at_risk(rows: list[tuple[str, float, str]]) -> pd.DataFrame:
    """Rows of (rep_id, priority, team)."""
    return pd.DataFrame(rows, columns=["rep_id", "priority", "team"])


def coach(mentees, pool, **settings) -> list:
    out = assign_coaches(mentees, pool, MatchingSettings(**settings))
    assert out.dtype == "string"
    assert out.index.equals(mentees.index)
    return [None if v is NA else v for v in out]


VETERANS = coaches(
    [
        ("v_a", True, "a", 6.0, 15.0, 0.5, 0.05),
        ("v_b", True, "b", 6.0, 20.0, 0.5, 0.05),
        # juniors: too new to coach; they set the bar (median of employed reps' wins) low
        ("j1", True, "a", 0.5, 0.0, 0.4, np.nan),
        ("j2", True, "b", 0.5, 0.0, 0.4, np.nan),
        ("j3", True, "a", 0.5, 1.0, 0.4, np.nan),
    ]
)


def test_cap_on_mentees_per_coach():
    mentees = at_risk([("m1", 3.0, "a"), ("m2", 2.0, "a"), ("m3", 1.0, "a")])
    # v_a takes the two highest-priority team-a mentees, then v_b (other team) takes the third.
    assert coach(mentees, VETERANS) == ["v_a", "v_a", "v_b"]
    assert coach(mentees, VETERANS, max_mentees_per_coach=1) == ["v_a", "v_b", None]
    assert coach(mentees, VETERANS, max_mentees_per_coach=0) == [None, None, None]


def test_same_team_is_preferred_over_a_longer_record():
    # v_b has won more, but m1 is in team a.
    assert coach(at_risk([("m1", 1.0, "a")]), VETERANS) == ["v_a"]
    # Without a same-team coach, the strongest record first.
    assert coach(at_risk([("m1", 1.0, "c")]), VETERANS) == ["v_b"]


@pytest.mark.parametrize(
    ("row", "why"),
    [
        (("x", True, "a", 6.0, 30.0, 0.5, 0.25), "own passivity 0.25 >= 0.2"),
        (("x", True, "a", 6.0, 30.0, 0.1, np.nan), "unknown score and hunting share 0.1 < 0.3"),
        (("x", True, "a", 1.0, 30.0, 0.5, 0.05), "tenure 1 year < 2"),
        (("x", False, "a", 6.0, 30.0, 0.5, 0.05), "left"),
        (("x", True, "a", 6.0, 0.0, 0.5, 0.05), "no new customer won"),
    ],
)
def test_ineligible_coaches_are_never_chosen(row, why):
    pool = pd.concat([VETERANS, coaches([row])], ignore_index=True)
    # If x could coach, m2 (team a) would take it over v_b (team b).
    assert coach(at_risk([("m1", 2.0, "a"), ("m2", 1.0, "a")]), pool, max_mentees_per_coach=1) == [
        "v_a",
        "v_b",
    ], why


def test_record_bar_is_a_quantile_over_employed_reps():
    # Employed wins 0, 0, 1, 2, 15, 20 (x = 2): the median is 1.5 -> x qualifies; the 0.7
    # quantile (linear, position 3.5) is 8.5 -> x does not.
    pool = pd.concat([VETERANS, coaches([("x", True, "a", 6.0, 2.0, 0.5, 0.05)])])
    mentees = at_risk([("m1", 3.0, "a"), ("m2", 2.0, "a"), ("m3", 1.0, "a")])
    assert coach(mentees, pool, max_mentees_per_coach=1) == ["v_a", "x", "v_b"]
    assert coach(mentees, pool, max_mentees_per_coach=1, min_coach_won_quantile=0.7) == [
        "v_a",
        "v_b",
        None,
    ]


def test_unknown_passivity_with_healthy_hunting_may_coach():
    pool = coaches([("v", True, "a", 6.0, 15.0, 0.45, np.nan)])
    assert coach(at_risk([("m1", 1.0, "a")]), pool) == ["v"]


def test_a_rep_never_coaches_itself():
    assert coach(at_risk([("v_a", 1.0, "a")]), VETERANS.iloc[:1]) == [None]


def test_a_rep_at_risk_never_coaches():
    # v_a is on the list itself: it gets v_b and is nobody's coach, though m1 shares its team
    mentees = at_risk([("v_a", 2.0, "a"), ("m1", 1.0, "a")])
    assert coach(mentees, VETERANS) == ["v_b", "v_b"]


def test_no_rep_is_both_coached_and_coaching():
    # both veterans are on the list: neither coaches, so nobody is left to coach anyone
    mentees = at_risk([("v_a", 2.0, "a"), ("v_b", 1.0, "b"), ("m1", 0.5, "a")])
    picked = coach(mentees, VETERANS)
    assert picked == [None, None, None]
    assert not set(mentees["rep_id"]) & {p for p in picked if p is not None}


def test_no_coaches_gives_all_na():
    mentees = at_risk([("m1", 1.0, "a"), ("m2", 2.0, "b")])
    assert coach(mentees, VETERANS.iloc[:0]) == [None, None]


def test_missing_team_never_counts_as_same_team():
    pool = coaches(
        [("v_none", True, None, 6.0, 15.0, 0.5, 0.05), ("v_b", True, "b", 6.0, 20.0, 0.5, 0.05)]
    )
    # m1 has no team: v_b by record, not v_none by matching missing teams.
    assert coach(at_risk([("m1", 1.0, None)]), pool) == ["v_b"]
