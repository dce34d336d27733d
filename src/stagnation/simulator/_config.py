"""Settings of the CRM simulator: one pydantic model, every number of the simulated company."""

from __future__ import annotations

import datetime as dt

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field


class PoolRule(BaseModel):
    """The shared-pool (公海) rule the simulated company runs, WukongCRM style.

    A customer is released to the pool after ``release_after_days_without_followup`` days without
    a follow-up record (customers that have ordered are exempt from this when ``exempt_won`` is
    true), ``release_after_days_without_deal`` days after it was received without ever ordering,
    or, for a past buyer, ``release_after_days_without_order`` days after its last order (``None``
    turns that off). Customers with an open opportunity are never released. Reps claim from the
    pool, at most ``daily_claim_cap`` customers a day, and a previous owner may not claim a
    customer back within ``previous_owner_cooldown_days`` of losing it.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    release_after_days_without_followup: int = Field(90, ge=1)
    release_after_days_without_deal: int = Field(270, ge=1)
    release_after_days_without_order: int | None = Field(365, ge=1)
    exempt_won: bool = True
    daily_claim_cap: int = Field(3, ge=0)
    previous_owner_cooldown_days: int = Field(30, ge=0)


class SimConfig(BaseModel):
    """Settings of one simulated company (see :func:`stagnation.simulator.simulate`).

    The defaults give the bundled sample: 120 reps and about 12,000 customers over 36 months, the
    smallest company on which both models clearly beat their baselines (see the README).
    ``reps`` counts every rep who ever worked in the window (veterans employed at the start plus
    later hires); ``customers`` is the size of the market, every customer the company will have
    met by the end (those already in the CRM at the start plus those found later).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    seed: int = 7
    reps: int = Field(120, ge=4)
    customers: int = Field(12_000, ge=50)
    months: int = Field(36, ge=6, le=240)
    start: dt.date = dt.date(2023, 1, 1)

    # --- the team -------------------------------------------------------------------------
    veteran_share: float = Field(0.45, ge=0, le=1, description="reps already employed at start")
    team_size: int = Field(8, ge=2)
    outbound_per_day: float = Field(32.0, gt=0, description="mean outbound activities a workday")
    attrition_per_year: float = Field(0.12, ge=0, description="base yearly leaving hazard")
    culling_per_year: float = Field(
        1.0, ge=0, description="extra leaving hazard of reps 5-18 months in with an empty book"
    )
    never_slide_drive: float = Field(
        0.5, ge=0, le=1, description="P(never slides) = this x drive^2"
    )
    slide_hazard_per_year: float = Field(
        2.0, ge=0, description="yearly hazard of starting a slide under full book pressure"
    )
    recovery_hazard_per_year: float = Field(
        3.0, ge=0, description="yearly hazard an order-follower recovers once the book erodes"
    )
    quota_active_customers: float = Field(
        35.0, gt=0, description="active customers whose revenue covers a rep's quota"
    )

    # --- customers ------------------------------------------------------------------------
    initial_customer_share: float = Field(0.25, ge=0, lt=1)
    orders_per_year: float = Field(8.0, gt=0)
    order_amount_median: float = Field(2_000.0, gt=0)
    engagement_grace_days: int = Field(45, ge=0)
    engagement_decay_days: float = Field(60.0, gt=0)
    spontaneous_order_floor: float = Field(0.015, ge=0, le=1)
    need_loss_per_year_active: float = Field(0.12, ge=0)
    need_loss_per_year_dormant: float = Field(1.1, ge=0)
    revive_per_touch: float = Field(0.10, ge=0, le=1)
    revive_per_touch_skill: float = Field(0.35, ge=0, le=1)
    referrals_per_active_customer_year: float = Field(0.25, ge=0)
    inbound_lead_share: float = Field(0.12, ge=0, le=1)
    inbound_touches_per_customer_year: float = Field(20.0, ge=0)
    online_adoption_per_year: float = Field(0.25, ge=0)
    transfers_per_customer_year: float = Field(0.01, ge=0)
    dormant_days: int = Field(90, ge=1, description="no order for this long = dormant (truth)")

    pool: PoolRule = PoolRule()

    @property
    def end(self) -> dt.date:
        """Return the first day after the simulated window."""
        end: dt.date = (pd.Timestamp(self.start) + pd.DateOffset(months=self.months)).date()
        return end

    @property
    def n_days(self) -> int:
        """Return the number of simulated days."""
        return (self.end - self.start).days


# --- the vocabulary of the simulated company, shared by its modules ------------------------
NEVER = -(10**6)  # a day long before the window: "never happened"
HUNTER, SLIDING, FOLLOWER, RECOVERING = 0, 1, 2, 3
REP_MODES = ("hunter", "sliding", "order_follower", "recovering")
PROSPECT, ACTIVE, DORMANT = 0, 1, 2  # customer status as the company sees it at day start
HUNT, FARM, INBOUND = 0, 1, 2  # activity kinds (truth: what the rep meant to do)
CUSTOMER_STATES = ("prospect", "active", "dormant_revivable", "dormant_lost")
SOURCES = ("cold_outreach", "referral", "inbound")
INDUSTRIES = (
    "manufacturing",
    "retail",
    "logistics",
    "construction",
    "healthcare",
    "education",
    "hospitality",
    "technology",
)
# per industry: order-rate multiplier, log-size shift, need-loss multiplier
INDUSTRY_EFFECTS = (
    (1.0, 0.3, 0.8),
    (1.6, -0.4, 1.3),
    (1.2, 0.0, 1.0),
    (0.6, 0.6, 1.1),
    (0.9, 0.2, 0.6),
    (0.7, -0.2, 0.7),
    (1.4, -0.5, 1.6),
    (0.8, 0.4, 0.9),
)
REGIONS = ("east", "north", "south", "central", "southwest", "northeast")
WORKDAY_FACTOR = (1.0, 1.0, 1.0, 1.0, 0.95, 0.2, 0.08)  # Monday .. Sunday
ORDER_DAY_FACTOR = (1.0, 1.05, 1.05, 1.0, 0.95, 0.3, 0.15)
