"""A seeded, vectorised simulation of a B2B sales team that lives the T-shaped sales model.

The company is simulated one day at a time; every step works on whole arrays of reps and
customers (never a Python loop over entities). What the simulation does, in the words of
MISSION.md:

* **Reps** have latent ``drive`` and ``skill``. Veterans start with books of customers; juniors are
  hired over time, hunt, build a book or are culled. Each rep runs a small state machine, *hunter*
  -> *sliding* -> *order_follower* -> *recovering* -> *hunter*. A slide starts with a hazard that
  grows with book coverage (trailing revenue of the rep's own customers against quota) and with
  tenure, and shrinks with drive; it then unfolds over weeks to months. High-drive reps may never
  slide. An order-follower whose book erodes tends to recover.
* **Activity**: each workday a rep spends an outbound budget on hunting (new prospects, own
  prospects, own dormant customers, customers claimed from the pool) and farming (active
  customers; order-followers favour their biggest accounts), and answers inbound contacts.
* **Customers** are found by cold outreach, referral and inbound leads; prospects convert after
  several touches through an opportunity whose odds depend on the rep's skill. Converted
  customers order at their own rate while engaged; untouched, their engagement decays and they go
  dormant. A hidden *need* (revivable) state decays, fast while dormant; a touch by a rep revives a
  dormant customer whose need is alive, more often when the rep is skilled and hunting.
* **The pool**: a WukongCRM-style rule releases neglected customers (won customers exempt unless
  configured otherwise); leaving reps' books go to the pool; hunting reps claim from it under a
  daily cap and a previous-owner cooldown. Every owner change is an ``ownership`` row.

The result is a :class:`Simulation`: the contract tables as a :class:`~stagnation.crm.CRM` and the
hidden truth (rep modes per month, slide episodes, customer states per month, latent rates).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from stagnation.crm import save_crm, write_table
from stagnation.simulator._config import PoolRule, SimConfig
from stagnation.simulator._market import Market
from stagnation.simulator._output import EventLog, Simulation, build_tables
from stagnation.simulator._team import Team

__all__ = ["PoolRule", "SimConfig", "Simulation", "simulate", "write_sample"]


def simulate(
    config: SimConfig | None = None,
    *,
    progress: Callable[[int, int], None] | None = None,
) -> Simulation:
    """Simulate a company and return its CRM extract and hidden truth.

    Parameters
    ----------
    config
        The company's settings; the defaults give the bundled sample.
    progress
        Called as ``progress(days_done, days_total)`` after each simulated day.

    Returns
    -------
    Simulation
        The same config gives the same tables, row for row.

    Examples
    --------
    >>> sim = simulate(SimConfig(reps=8, customers=300, months=6, seed=1))
    >>> sorted(name for name, _ in sim.crm.tables())
    ['activities', 'customers', 'opportunities', 'orders', 'ownership', 'reps']
    """
    cfg = config or SimConfig()
    rng = np.random.default_rng(cfg.seed)
    log = EventLog()
    team = Team(cfg, rng)
    market = Market(cfg, rng, team, log)
    start = pd.Timestamp(cfg.start)
    month_ends = pd.date_range(start, periods=cfg.months, freq="ME")
    months = month_ends.to_period("M").to_timestamp()
    snapshot_days = dict(zip((month_ends - start).days, months, strict=True))
    snapshots: dict[str, list[pd.DataFrame]] = {"rep_months": [], "customer_months": []}
    for d in range(cfg.n_days):
        market.start_day((start.day_of_week + d) % 7)
        market.release_books(team.leavers(d), d)
        team.update_modes(d)
        market.work(d)
        market.decide_opportunities(d)
        market.orders(d)
        market.lifecycle(d)
        market.pool_rule(d)
        if d in snapshot_days:
            snapshots["rep_months"].append(team.snapshot(d, snapshot_days[d]))
            snapshots["customer_months"].append(market.snapshot(d, snapshot_days[d]))
        if progress is not None:
            progress(d + 1, cfg.n_days)
    return build_tables(cfg, team, market, log, snapshots)


def write_sample(
    sim: Simulation, out_dir: str | Path, *, format: Literal["parquet", "csv"] = "parquet"
) -> Path:
    """Write a simulation's extract to ``out_dir`` and its truth to ``out_dir/truth/``.

    The truth tables are Parquet (or CSV), plus ``truth/settings.json`` with the config.
    """
    out = Path(out_dir)
    save_crm(sim.crm, out, format=format)
    truth_dir = out / "truth"
    truth_dir.mkdir(parents=True, exist_ok=True)
    for name, frame in sim.truth.items():
        write_table(frame, truth_dir / f"{name}.{format}")
    settings = json.dumps(sim.config.model_dump(mode="json"), indent=2, sort_keys=True)
    (truth_dir / "settings.json").write_text(settings + "\n", encoding="utf-8")
    return out
