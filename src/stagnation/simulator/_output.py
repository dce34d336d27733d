"""Turn the simulator's event arrays into the contract tables and the truth tables.

The simulation loop records events as integer arrays (customer slot, rep index, day, kind); this
module gives them ids, timestamps within the day, channels and directions, and builds the frames.
Times within a day keep a fixed order that matches the simulation's order of work: leavers'
books go to the pool at midnight, new customers are entered and claims made before 08:00,
activities, deals and orders happen between 08:00 and 20:00, transfers in the evening and the
pool rule runs at 23:00.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from stagnation.crm import CRM
from stagnation.simulator._config import (
    CUSTOMER_STATES,
    INDUSTRIES,
    REGIONS,
    REP_MODES,
    SOURCES,
    SimConfig,
)

if TYPE_CHECKING:
    from stagnation.simulator._market import Market
    from stagnation.simulator._team import Team

HOUR = 3600
# channel mix per activity kind (hunting, farming, inbound), in the contract's channel order:
# call, visit, message, email, meeting, other
CHANNEL_MIX = np.array(
    [
        [0.45, 0.08, 0.25, 0.15, 0.05, 0.02],
        [0.30, 0.18, 0.35, 0.05, 0.10, 0.02],
        [0.40, 0.00, 0.48, 0.10, 0.00, 0.02],
    ]
)
ACTIVITY_CHANNELS = ("call", "visit", "message", "email", "meeting", "other")
OWNERSHIP_REASONS = ("assigned", "claimed", "released", "transferred", "rep_left")
# when in the day an ownership change of each reason happens: (start hour, length in seconds)
OWNERSHIP_TIME = {
    "assigned": (7.5, 1800),
    "claimed": (7.5, 1800),
    "released": (23.0, 60),
    "transferred": (20.0, 3600),
    "rep_left": (0.0, 60),
}
MISSING_DIRECTION = 0.03  # share of outbound activities exported without a direction


@dataclass(frozen=True)
class Simulation:
    """A simulated company: the CRM extract it wrote and the truth behind it.

    Attributes
    ----------
    crm
        The six contract tables.
    truth
        Hidden ground truth, by table name: ``reps`` (latent traits), ``rep_months`` (mode,
        hunting intent and book coverage at each month end), ``slides`` (one row per slide
        episode: started, completed, recovery started, recovered), ``customers`` (latent rates),
        ``customer_months`` (state at each month end: prospect, active, dormant_revivable,
        dormant_lost; and the latent order rate).
    config
        The settings that produced it.
    """

    crm: CRM
    truth: dict[str, pd.DataFrame]
    config: SimConfig


class _Column:
    """A growable numpy column (amortised doubling), for events appended day by day."""

    def __init__(self, dtype: type | str) -> None:
        self.data = np.zeros(1024, dtype=dtype)
        self.n = 0

    def extend(self, values: np.ndarray | int | float) -> None:
        values = np.atleast_1d(values)
        need = self.n + len(values)
        if need > len(self.data):
            grown = np.zeros(max(need, 2 * len(self.data)), dtype=self.data.dtype)
            grown[: self.n] = self.data[: self.n]
            self.data = grown
        self.data[self.n : need] = values
        self.n = need

    def values(self) -> np.ndarray:
        return self.data[: self.n]


class EventLog:
    """Everything the simulated company wrote into its CRM, as integer columns."""

    def __init__(self) -> None:
        self.act = {k: _Column(t) for k, t in [("c", "i4"), ("r", "i4"), ("d", "i4"), ("k", "i1")]}
        self.own = {
            k: _Column(t) for k, t in [("c", "i4"), ("r", "i4"), ("d", "i4"), ("why", "i1")]
        }
        self.ord = {
            k: _Column(t)
            for k, t in [("c", "i4"), ("r", "i4"), ("d", "i4"), ("a", "f8"), ("o", "?")]
        }
        self.opp = {
            k: _Column(t)
            for k, t in [
                ("c", "i4"),
                ("r", "i4"),
                ("d", "i4"),
                ("due", "i4"),
                ("won", "?"),
                ("a", "f8"),
            ]
        }

    @staticmethod
    def _extend(cols: dict[str, _Column], **values: np.ndarray | int | float) -> None:
        n = max(np.size(v) for v in values.values())
        for key, v in values.items():
            cols[key].extend(np.broadcast_to(v, n) if np.ndim(v) == 0 else v)

    def activities(self, c: np.ndarray, r: np.ndarray, d: int, kind: np.ndarray) -> None:
        if len(c):
            self._extend(self.act, c=c, r=r, d=d, k=kind)

    def ownership(self, c: np.ndarray, d: np.ndarray, r: np.ndarray, reason: str) -> None:
        if len(c):
            self._extend(self.own, c=c, r=r, d=d, why=OWNERSHIP_REASONS.index(reason))

    def orders(
        self,
        c: np.ndarray,
        r: np.ndarray,
        d: int | np.ndarray,
        amount: np.ndarray,
        online: np.ndarray,
    ) -> None:
        if len(c):
            self._extend(self.ord, c=c, r=r, d=d, a=amount, o=online)

    def opportunities(
        self,
        c: np.ndarray,
        r: np.ndarray,
        d: int,
        due: np.ndarray,
        won: np.ndarray,
        amount: np.ndarray,
    ) -> np.ndarray:
        first = self.opp["c"].n
        self._extend(self.opp, c=c, r=r, d=d, due=due, won=won, a=amount)
        return np.arange(first, self.opp["c"].n)

    def opportunity_outcomes(self, ids: np.ndarray) -> tuple[np.ndarray, ...]:
        """Return customer, rep, won and amount of the opportunities ``ids``."""
        o = self.opp
        return o["c"].data[ids], o["r"].data[ids], o["won"].data[ids], o["a"].data[ids]


def _ids(prefix: str, n: int, width: int | None = None) -> pd.Series:
    width = width or max(len(str(n)), 4)
    text = pd.Series(np.arange(1, n + 1)).astype("string").str.zfill(width)
    return (prefix + text).astype(pd.StringDtype())


def _when(start: pd.Timestamp, days: np.ndarray, seconds: np.ndarray) -> pd.Series:
    base = start.to_datetime64().astype("datetime64[s]")
    stamps = base + days.astype("timedelta64[D]") + seconds.astype("timedelta64[s]")
    return pd.Series(stamps.astype("datetime64[ns]"))


def _work_seconds(rng: np.random.Generator, n: int) -> np.ndarray:
    return 8 * HOUR + rng.integers(0, 12 * HOUR, n)


def build_tables(
    cfg: SimConfig,
    team: Team,
    market: Market,
    log: EventLog,
    snapshots: dict[str, list[pd.DataFrame]],
) -> Simulation:
    """Build the contract tables and the truth tables of a finished simulation."""
    rng = np.random.default_rng([cfg.seed, 1])  # times of day: a stream of their own
    start = pd.Timestamp(cfg.start)
    n_cust = market.next_slot
    cust_ids = _ids("C", n_cust, len(str(cfg.customers)) + 1)
    rep_ids = _ids("R", cfg.reps)

    def rep_id(idx: np.ndarray) -> pd.Series:
        out = pd.Series(pd.NA, index=range(len(idx)), dtype=pd.StringDtype())
        has = idx >= 0
        out[has] = rep_ids.to_numpy()[idx[has]]
        return out

    # --- reps
    n_teams = team.team_region.size
    team_names = np.array([f"{REGIONS[team.team_region[t]]}-{t + 1}" for t in range(n_teams)])
    lead = np.zeros(cfg.reps, dtype=bool)
    _, first_of_team = np.unique(team.team, return_index=True)  # reps are sorted by hire date
    lead[first_of_team] = team.hired[first_of_team] < 0
    left_days = np.where(team.left < cfg.n_days, team.left, -1)
    reps = pd.DataFrame(
        {
            "rep_id": rep_ids,
            "hired_at": _when(start, team.hired, np.zeros(cfg.reps, dtype=np.int64)),
            "left_at": _when(start, np.maximum(left_days, 0), np.zeros(cfg.reps, dtype=np.int64)),
            "team": pd.Series(team_names[team.team], dtype=pd.StringDtype()),
            "role": pd.Series(np.where(lead, "team_lead", "rep"), dtype=pd.StringDtype()),
        }
    )
    reps.loc[left_days < 0, "left_at"] = pd.NaT

    # --- customers
    created_sec = 7 * HOUR + rng.integers(0, 1800, n_cust)
    size = market.size[:n_cust]
    median = cfg.order_amount_median
    customers = pd.DataFrame(
        {
            "customer_id": cust_ids,
            "created_at": _when(start, market.created[:n_cust], created_sec),
            "industry": pd.Series(np.array(INDUSTRIES)[market.industry[:n_cust]], dtype="string"),
            "region": pd.Series(np.array(REGIONS)[market.region[:n_cust]], dtype="string"),
            "size": pd.Series(
                np.select([size < 0.6 * median, size > 2.5 * median], ["small", "large"], "medium"),
                dtype="string",
            ),
            "source": pd.Series(np.array(SOURCES)[market.source[:n_cust]], dtype="string"),
        }
    )

    # --- activities, in time order
    a = {k: v.values() for k, v in log.act.items()}
    n_act = len(a["c"])
    sec = _work_seconds(rng, n_act)
    order = np.lexsort((sec, a["d"]))
    a = {k: v[order] for k, v in a.items()}
    sec = sec[order]
    cum = CHANNEL_MIX.cumsum(axis=1)
    channel = (rng.random(n_act)[:, None] > cum[a["k"]]).sum(axis=1)
    inbound = a["k"] == 2
    direction = pd.Series(
        pd.Categorical.from_codes(
            inbound.astype(np.int8), dtype=pd.CategoricalDtype(["outbound", "inbound"])
        )
    )
    direction[~inbound & (rng.random(n_act) < MISSING_DIRECTION)] = np.nan
    activities = pd.DataFrame(
        {
            "activity_id": _ids("A", n_act),
            "customer_id": cust_ids.to_numpy()[a["c"]],
            "rep_id": rep_ids.to_numpy()[a["r"]],
            "occurred_at": _when(start, a["d"], sec),
            "channel": pd.Categorical.from_codes(
                channel, dtype=pd.CategoricalDtype(list(ACTIVITY_CHANNELS))
            ),
            "direction": direction,
        }
    )

    # --- opportunities (still open when the window ends have no close)
    p = {k: v.values() for k, v in log.opp.items()}
    n_opp = len(p["c"])
    closed = p["due"] < cfg.n_days
    status = np.where(closed, np.where(p["won"], "won", "lost"), "open")
    close_sec = _work_seconds(rng, n_opp)
    opportunities = pd.DataFrame(
        {
            "opportunity_id": _ids("P", n_opp),
            "customer_id": cust_ids.to_numpy()[p["c"]],
            "rep_id": rep_ids.to_numpy()[p["r"]],
            "created_at": _when(start, p["d"], _work_seconds(rng, n_opp)),
            "closed_at": _when(start, np.where(closed, p["due"], 0), close_sec),
            "status": pd.Categorical(status, ["open", "won", "lost"]),
            "amount": np.round(p["a"], 2),
        }
    )
    opportunities.loc[~closed, "closed_at"] = pd.NaT
    # a deal decided on its creation day closes after it was opened
    same_day = closed & (p["due"] == p["d"])
    opportunities.loc[same_day, "closed_at"] = opportunities.loc[same_day, "created_at"]

    # --- orders, in time order
    o = {k: v.values() for k, v in log.ord.items()}
    sec = _work_seconds(rng, len(o["c"]))
    order = np.lexsort((sec, o["d"]))
    o = {k: v[order] for k, v in o.items()}
    orders = pd.DataFrame(
        {
            "order_id": _ids("O", len(o["c"])),
            "customer_id": cust_ids.to_numpy()[o["c"]],
            "ordered_at": _when(start, o["d"], sec[order]),
            "amount": np.round(o["a"], 2),
            "rep_id": rep_id(o["r"]),
            "channel": pd.Categorical.from_codes(
                o["o"].astype(np.int8), dtype=pd.CategoricalDtype(["offline", "online"])
            ),
        }
    )

    # --- ownership, in time order
    w = {k: v.values() for k, v in log.own.items()}
    starts = np.array([OWNERSHIP_TIME[r][0] * HOUR for r in OWNERSHIP_REASONS], dtype=np.int64)
    spans = np.array([OWNERSHIP_TIME[r][1] for r in OWNERSHIP_REASONS], dtype=np.int64)
    sec = starts[w["why"]] + (rng.random(len(w["c"])) * spans[w["why"]]).astype(np.int64)
    new_customer = (w["why"] == 0) & (w["d"] == market.created[w["c"]])
    sec = np.where(new_customer, created_sec[w["c"]] + 60, sec)  # entered, then assigned
    order = np.lexsort((sec, w["d"]))
    ownership = pd.DataFrame(
        {
            "customer_id": cust_ids.to_numpy()[w["c"][order]],
            "valid_from": _when(start, w["d"][order], sec[order]),
            "rep_id": rep_id(w["r"][order]),
            "reason": pd.Series(np.array(OWNERSHIP_REASONS)[w["why"][order]], dtype="string"),
        }
    )

    crm = CRM.from_frames(
        customers=customers,
        orders=orders,
        activities=activities,
        reps=reps,
        opportunities=opportunities,
        ownership=ownership,
    )
    truth = _truth(cfg, team, market, snapshots, cust_ids, rep_ids)
    return Simulation(crm=crm, truth=truth, config=cfg)


def _truth(
    cfg: SimConfig,
    team: Team,
    market: Market,
    snapshots: dict[str, list[pd.DataFrame]],
    cust_ids: pd.Series,
    rep_ids: pd.Series,
) -> dict[str, pd.DataFrame]:
    start = pd.Timestamp(cfg.start)
    n_cust = market.next_slot

    def day(values: object) -> pd.Series:
        s = pd.Series(values, dtype="float64")
        out = pd.Series(pd.NaT, index=s.index, dtype="datetime64[ns]")
        ok = s.notna()
        out[ok] = start + pd.to_timedelta(s[ok], unit="D")
        return out

    episodes = pd.DataFrame(
        team.episodes, columns=["rep", "started", "completed", "recovery_started", "recovered"]
    )
    slides = pd.DataFrame(
        {
            "rep_id": rep_ids.to_numpy()[episodes["rep"].to_numpy(dtype=np.int64)],
            "slide_started_at": day(episodes["started"]),
            "slide_completed_at": day(episodes["completed"]),
            "recovery_started_at": day(episodes["recovery_started"]),
            "recovered_at": day(episodes["recovered"]),
        }
    ).sort_values(["slide_started_at", "rep_id"], ignore_index=True)
    slides["rep_id"] = slides["rep_id"].astype(pd.StringDtype())

    rep_months = pd.concat(snapshots["rep_months"], ignore_index=True)
    rep_months.insert(0, "rep_id", rep_ids.to_numpy()[rep_months.pop("rep")])
    rep_months["rep_id"] = rep_months["rep_id"].astype(pd.StringDtype())
    rep_months["mode"] = pd.Categorical.from_codes(
        rep_months["mode"], dtype=pd.CategoricalDtype(list(REP_MODES))
    )

    cust_months = pd.concat(snapshots["customer_months"], ignore_index=True)
    cust_months.insert(0, "customer_id", cust_ids.to_numpy()[cust_months.pop("customer")])
    cust_months["customer_id"] = cust_months["customer_id"].astype(pd.StringDtype())
    cust_months["state"] = pd.Categorical.from_codes(
        cust_months["state"], dtype=pd.CategoricalDtype(list(CUSTOMER_STATES))
    )

    lost = market.need_lost[:n_cust]
    return {
        "reps": pd.DataFrame(
            {
                "rep_id": rep_ids,
                "drive": team.drive,
                "skill": team.skill,
                "never_slides": team.never_slides,
                "quota_per_month": team.quota,
                "outbound_per_workday": team.budget,
            }
        ),
        "slides": slides,
        "rep_months": rep_months,
        "customers": pd.DataFrame(
            {
                "customer_id": cust_ids,
                "base_orders_per_year": market.lam[:n_cust] * 365.0,
                "order_size_scale": market.size[:n_cust],
                "need_lost_at": day(np.where(lost > -(10**5), lost, np.nan)),
            }
        ),
        "customer_months": cust_months,
    }
