"""Match dormant customers to recipient reps and drifting reps to coaches.

Both matchings are solved as one assignment over the whole ranked list, not row by row: entities
are visited in priority order (highest first) and each takes the best-scoring counterpart that
still has room, so when capacity is scarce the more valuable entity gets the better counterpart.
Everything is deterministic: entities with equal priority are visited by id, counterparts with
equal scores are chosen by the smallest ``rep_id``.

Recipients (:func:`assign_recipients`)
--------------------------------------
A rep ``r`` may receive customer ``c`` only if ``r`` is employed, is not ``c``'s current owner,
is not paired with ``c`` in ``excluded`` (a previous owner inside the cooldown) and has room::

    room(r) = max_new_customers_per_rep                           (per run)
    room(r) = min(room(r), max_book_customers - book_customers(r))  when max_book_customers is set

so a rep's book never grows past ``max_book_customers`` and a rep already above it gets nothing
(an unknown book counts as empty). Among the allowed reps, ``c`` takes the one with the highest::

    fit(c, r) = hunting_weight * h(r) + similarity_weight * s(c, r)

    h(r) = clip(1 - passivity_score(r), 0, 1)                  when the passivity score is known
         = clip(hunting_share_90d(r) / healthy_hunting_share, 0, 1)   when it is NaN (juniors)
         = 0                                                   when both are unknown

    m(c, r) = (n_industry(c, r) + n_region(c, r) + n_size(c, r)) / 3
    s(c, r) = m / (m + similar_wins_half)

where ``n_industry(c, r)`` counts the customers ``r`` has won (``wins``) in ``c``'s industry, and
likewise for region and size (a missing attribute on either side never matches). ``m`` is the
number of similar wins, each win weighted by the share of the three attributes it shares with
``c``; ``s`` saturates, reaching 0.5 at ``similar_wins_half`` fully similar wins. Both ``h`` and
``s`` lie in [0, 1].

Coaches (:func:`assign_coaches`)
--------------------------------
A rep may coach if employed, with ``tenure_years >= min_coach_tenure_years``, a strong record of
winning new customers (``new_customers_won_365d`` positive and at least the
``min_coach_won_quantile`` quantile over employed reps), and not at risk itself
(``passivity_score < max_coach_risk``, or an unknown score with
``hunting_share_90d >= healthy_hunting_share``). Each coach takes at most
``max_mentees_per_coach`` mentees and never itself. A mentee takes, among the coaches with room,
the first by (same team first, most new customers won in 365 days, smallest ``rep_id``): every
eligible coach has cleared the bar, so day-to-day proximity comes before a longer record.
A rep at risk (any rep of ``at_risk``, the reps the action list pairs with a coach) never
coaches, so within one run a rep is either coached or coaching, never both, and two reps never
coach each other.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field

__all__ = ["MatchingSettings", "assign_coaches", "assign_recipients"]

_ATTRIBUTES = ("industry", "region", "size")
_CACHE_CELLS = 20_000_000  # fit rows kept per run: at most this many floats (160 MB)


class MatchingSettings(BaseModel):
    """Settings of the recipient and coach matchings (see the module docstring for the rules)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    max_new_customers_per_rep: int = Field(
        10, ge=0, description="cap on new customers assigned to one rep in one run"
    )
    max_book_customers: int | None = Field(
        None,
        ge=0,
        description="a rep's book may not grow past this many customers; None = no cap",
    )
    cooldown_days: int = Field(
        30,
        ge=0,
        description="a previous owner may not get a customer back within this many days "
        "(the caller turns it into the `excluded` pairs)",
    )
    hunting_weight: float = Field(
        0.6, ge=0, description="weight of the rep's hunting h(r) in fit(c, r)"
    )
    similarity_weight: float = Field(
        0.4, ge=0, description="weight of the similar-wins score s(c, r) in fit(c, r)"
    )
    similar_wins_half: float = Field(
        3.0, gt=0, description="similar wins at which s(c, r) reaches 0.5"
    )
    healthy_hunting_share: float = Field(
        0.3,
        gt=0,
        le=1,
        description="90-day hunting share that counts as hunting when the passivity score is "
        "unknown: h(r) = 1 from here up; coaches need at least this share",
    )
    max_mentees_per_coach: int = Field(2, ge=0, description="cap on mentees per coach per run")
    min_coach_tenure_years: float = Field(2.0, ge=0, description="a coach is a veteran")
    min_coach_won_quantile: float = Field(
        0.5,
        ge=0,
        le=1,
        description="a coach has won at least this quantile of new customers in 365 days "
        "among employed reps (and at least one)",
    )
    max_coach_risk: float = Field(
        0.2,
        ge=0,
        le=1,
        description="a coach's own passivity score must be below this (NaN: allowed only with "
        "a healthy hunting share)",
    )


def _require(frame: pd.DataFrame, name: str, columns: tuple[str, ...]) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(
            f"matching: the `{name}` table lacks column(s) {missing}; it needs {list(columns)}"
        )


def _floats(frame: pd.DataFrame, column: str) -> np.ndarray:
    return pd.to_numeric(frame[column], errors="coerce").to_numpy(dtype=float, na_value=np.nan)


def _strings(values: pd.Series) -> pd.Series:
    return values.astype("string")


def _objects(values: pd.Series) -> np.ndarray:
    """Return the values as strings in an object array, ``None`` where missing."""
    strings = _strings(values)
    return np.asarray(strings.astype(object).where(strings.notna(), None), dtype=object)


def _employed(reps: pd.DataFrame) -> np.ndarray:
    return reps["employed"].astype("boolean").fillna(False).to_numpy(dtype=bool)


def _hunting(reps: pd.DataFrame, s: MatchingSettings) -> np.ndarray:
    """Return h(r) in [0, 1] for every row of ``reps``."""
    passivity = _floats(reps, "passivity_score")
    share = _floats(reps, "hunting_share_90d")
    from_share = np.clip(np.nan_to_num(share / s.healthy_hunting_share, nan=0.0), 0.0, 1.0)
    return np.where(np.isnan(passivity), from_share, np.clip(1.0 - passivity, 0.0, 1.0))


def _room(reps: pd.DataFrame, s: MatchingSettings) -> np.ndarray:
    room = np.full(len(reps), s.max_new_customers_per_rep, dtype=np.int64)
    if s.max_book_customers is not None:
        book = np.nan_to_num(_floats(reps, "book_customers"), nan=0.0)
        left = np.floor(s.max_book_customers - book).astype(np.int64)
        room = np.minimum(room, np.maximum(left, 0))
    return room


def _na_series(index: pd.Index) -> pd.Series:
    return pd.Series(pd.NA, index=index, dtype="string")


def _priority_order(ids: pd.Series, priority: pd.Series) -> np.ndarray:
    """Return positions by priority descending (NaN last), ties by id."""
    p = pd.to_numeric(priority, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    key_p = np.where(np.isnan(p), np.inf, -p)
    key_id = _strings(ids).fillna("").to_numpy(dtype=object)
    return np.lexsort((pd.factorize(key_id, sort=True)[0], key_p))


def assign_recipients(
    customers: pd.DataFrame,
    reps: pd.DataFrame,
    wins: pd.DataFrame,
    excluded: pd.DataFrame,
    settings: MatchingSettings | None = None,
) -> pd.Series:
    """Assign each customer the rep who should pick it up, in one priority-ordered pass.

    See the module docstring for the eligibility rules, the room of a rep and ``fit(c, r)``.

    Parameters
    ----------
    customers
        ``customer_id``, ``priority`` (higher first), ``current_owner`` (rep_id or missing),
        ``industry``, ``region``, ``size`` (may be missing).
    reps
        ``rep_id``, ``employed`` (at as_of), ``team``, ``hunting_share_90d`` (NaN ok),
        ``passivity_score`` (NaN when not scored), ``book_customers``.
    wins
        ``rep_id``, ``industry``, ``region``, ``size``: one row per customer the rep has won
        before as_of.
    excluded
        ``customer_id``, ``rep_id`` pairs that must not be matched (cooldown).
    settings
        :class:`MatchingSettings`; defaults when omitted.

    Returns
    -------
    pandas.Series
        Indexed like ``customers``: the recipient ``rep_id`` (string dtype), ``<NA>`` when none
        fits.

    Examples
    --------
    >>> customers = pd.DataFrame({"customer_id": ["c1", "c2"], "priority": [5.0, 9.0],
    ...     "current_owner": ["r1", None], "industry": ["retail"] * 2,
    ...     "region": ["east"] * 2, "size": ["small"] * 2})
    >>> reps = pd.DataFrame({"rep_id": ["r1", "r2"], "employed": [True, True],
    ...     "team": ["t", "t"], "hunting_share_90d": [0.5, 0.5],
    ...     "passivity_score": [0.1, 0.3], "book_customers": [50.0, 50.0]})
    >>> wins = pd.DataFrame(columns=["rep_id", "industry", "region", "size"])
    >>> excluded = pd.DataFrame(columns=["customer_id", "rep_id"])
    >>> s = MatchingSettings(max_new_customers_per_rep=1)
    >>> assign_recipients(customers, reps, wins, excluded, s).tolist()
    ['r2', 'r1']
    """
    s = settings or MatchingSettings()
    _require(customers, "customers", ("customer_id", "priority", "current_owner", *_ATTRIBUTES))
    _require(
        reps,
        "reps",
        ("rep_id", "employed", "hunting_share_90d", "passivity_score", "book_customers"),
    )
    _require(wins, "wins", ("rep_id", *_ATTRIBUTES))
    _require(excluded, "excluded", ("customer_id", "rep_id"))
    if customers["customer_id"].duplicated().any():
        dup = customers.loc[customers["customer_id"].duplicated(), "customer_id"].iloc[0]
        raise ValueError(f"matching: customer_id {dup!r} appears more than once in `customers`")
    out = _na_series(customers.index)

    # Candidate reps: employed, with room; columns ordered by rep_id (argmax ties -> smallest id).
    room_all = _room(reps, s)
    keep = _employed(reps) & (room_all > 0) & reps["rep_id"].notna().to_numpy()
    cand = reps.loc[keep].assign(_room=room_all[keep])
    cand = cand.assign(_id=_strings(cand["rep_id"])).sort_values("_id", kind="stable")
    cand = cand.drop_duplicates("_id")
    if cand.empty or customers.empty:
        return out
    rep_ids = pd.Index(cand["_id"].to_numpy(dtype=object))
    n_reps = len(rep_ids)
    room = cand["_room"].to_numpy(dtype=np.int64).copy()
    hunting = s.hunting_weight * _hunting(cand, s)

    # Similar-win counts per attribute value: one (values x reps) matrix per attribute, plus a
    # zero row (index -1) for a missing value or a value no candidate has won in.
    win_rep = rep_ids.get_indexer(_strings(wins["rep_id"]))
    on_cand = win_rep >= 0
    codes = np.zeros((len(customers), len(_ATTRIBUTES)), dtype=np.int64)
    counts: list[np.ndarray] = []
    for a, attr in enumerate(_ATTRIBUTES):
        values = pd.Index(_strings(wins[attr])[on_cand].dropna().unique())
        w_code = values.get_indexer(_strings(wins[attr])[on_cand])
        table = np.zeros((len(values) + 1, n_reps))
        ok = w_code >= 0
        np.add.at(table, (w_code[ok], win_rep[on_cand][ok]), 1.0)
        counts.append(table)
        codes[:, a] = values.get_indexer(_strings(customers[attr]))  # -1 -> last (zero) row
    key, key_codes = _unique_rows(codes)

    def fit_row(k: int) -> np.ndarray:
        m = sum(counts[a][key_codes[k, a]] for a in range(len(_ATTRIBUTES))) / len(_ATTRIBUTES)
        sim = m / (m + s.similar_wins_half)
        return hunting + s.similarity_weight * sim

    owner = rep_ids.get_indexer(_strings(customers["current_owner"]))
    position = pd.Index(_strings(customers["customer_id"]))
    ex_cust = position.get_indexer(_strings(excluded["customer_id"]))
    ex_rep = rep_ids.get_indexer(_strings(excluded["rep_id"]))
    ex_ok = (ex_cust >= 0) & (ex_rep >= 0)
    banned: dict[int, np.ndarray] = {}
    if ex_ok.any():
        pairs = pd.Series(ex_rep[ex_ok]).groupby(ex_cust[ex_ok])
        banned = {int(c): g.to_numpy() for c, g in pairs}

    order = _priority_order(customers["customer_id"], customers["priority"])
    penalty = np.zeros(n_reps)  # -inf once a rep is out of room
    capacity = int(room.sum())
    cache: dict[int, np.ndarray] = {}
    max_cached = max(1, _CACHE_CELLS // n_reps)
    chosen = np.full(len(customers), -1, dtype=np.int64)
    for i in order:
        if capacity == 0:
            break
        k = int(key[i])
        row = cache.get(k)
        if row is None:
            row = fit_row(k)
            if len(cache) < max_cached:
                cache[k] = row
        scores = row + penalty
        if owner[i] >= 0:
            scores[owner[i]] = -np.inf
        ban = banned.get(int(i))
        if ban is not None:
            scores[ban] = -np.inf
        best = int(np.argmax(scores))
        if scores[best] == -np.inf:
            continue
        chosen[i] = best
        room[best] -= 1
        capacity -= 1
        if room[best] == 0:
            penalty[best] = -np.inf
    hit = chosen >= 0
    picked = np.full(len(customers), None, dtype=object)
    picked[hit] = rep_ids.to_numpy()[chosen[hit]]
    return pd.Series(picked, index=customers.index, dtype="string")


def _unique_rows(codes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return, for each row, the id of its distinct row, and the distinct rows."""
    if len(codes) == 0:
        return np.zeros(0, dtype=np.int64), codes
    uniq, inverse = np.unique(codes, axis=0, return_inverse=True)
    return inverse.reshape(-1), uniq


def _coach_pool(reps: pd.DataFrame, settings: MatchingSettings | None = None) -> np.ndarray:
    """Return a boolean mask over ``reps``: who may coach (see the module docstring)."""
    s = settings or MatchingSettings()
    employed = _employed(reps)
    won = np.nan_to_num(_floats(reps, "new_customers_won_365d"), nan=0.0)
    bar = float(np.quantile(won[employed], s.min_coach_won_quantile)) if employed.any() else 0.0
    passivity = _floats(reps, "passivity_score")
    share = _floats(reps, "hunting_share_90d")
    with np.errstate(invalid="ignore"):
        safe = np.where(
            np.isnan(passivity), share >= s.healthy_hunting_share, passivity < s.max_coach_risk
        )
        tenure = _floats(reps, "tenure_years") >= s.min_coach_tenure_years
    return employed & tenure & (won > 0) & (won >= bar) & safe & reps["rep_id"].notna().to_numpy()


def assign_coaches(
    at_risk: pd.DataFrame, reps: pd.DataFrame, settings: MatchingSettings | None = None
) -> pd.Series:
    """Assign each at-risk rep a coach, in one priority-ordered pass with a cap per coach.

    See the module docstring for who may coach and how a mentee picks among them.

    Parameters
    ----------
    at_risk
        ``rep_id``, ``priority`` (higher first), ``team``: the reps to pair with a coach;
        none of them coaches.
    reps
        ``rep_id``, ``employed``, ``team``, ``tenure_years``, ``new_customers_won_365d``,
        ``hunting_share_90d``, ``passivity_score`` (NaN ok).
    settings
        :class:`MatchingSettings`; defaults when omitted.

    Returns
    -------
    pandas.Series
        Indexed like ``at_risk``: the coach ``rep_id`` (string dtype), ``<NA>`` when none fits.

    Examples
    --------
    >>> at_risk = pd.DataFrame({"rep_id": ["m1", "m2"], "priority": [1.0, 2.0],
    ...     "team": ["a", "b"]})
    >>> reps = pd.DataFrame({"rep_id": ["v1", "v2"], "employed": [True, True],
    ...     "team": ["a", "b"], "tenure_years": [5.0, 5.0],
    ...     "new_customers_won_365d": [12.0, 12.0], "hunting_share_90d": [0.5, 0.5],
    ...     "passivity_score": [0.05, 0.05]})
    >>> assign_coaches(at_risk, reps).tolist()
    ['v1', 'v2']
    """
    s = settings or MatchingSettings()
    _require(at_risk, "at_risk", ("rep_id", "priority", "team"))
    _require(
        reps,
        "reps",
        (
            "rep_id",
            "employed",
            "team",
            "tenure_years",
            "new_customers_won_365d",
            "hunting_share_90d",
            "passivity_score",
        ),
    )
    out = _na_series(at_risk.index)
    mentees = set(_strings(at_risk["rep_id"]).dropna())
    pool = reps.loc[_coach_pool(reps, s) & ~_strings(reps["rep_id"]).isin(mentees).to_numpy()]
    pool = pool.assign(
        _id=_strings(pool["rep_id"]),
        _won=np.nan_to_num(_floats(pool, "new_customers_won_365d"), nan=0.0),
    )
    pool = pool.sort_values(["_won", "_id"], ascending=[False, True], kind="stable")
    pool = pool.drop_duplicates("_id")
    if pool.empty or at_risk.empty or s.max_mentees_per_coach == 0:
        return out
    coach_ids = pool["_id"].to_numpy(dtype=object)
    coach_team = _objects(pool["team"])
    room = np.full(len(pool), s.max_mentees_per_coach, dtype=np.int64)
    mentee_team = _objects(at_risk["team"])
    picked = np.full(len(at_risk), None, dtype=object)
    for i in _priority_order(at_risk["rep_id"], at_risk["priority"]):
        free = room > 0
        same = free & (coach_team == mentee_team[i]) & (mentee_team[i] is not None)
        hits = np.flatnonzero(same if same.any() else free)
        if len(hits) == 0:
            continue
        picked[i] = coach_ids[hits[0]]
        room[hits[0]] -= 1
    return pd.Series(picked, index=at_risk.index, dtype="string")
