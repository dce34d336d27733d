"""The simulated market: customers, their needs and orders, the reps' work on them, the pool.

Customers are found by cold outreach, referral and inbound leads. A prospect converts after several
touches through an opportunity whose odds depend on the rep's skill. A converted customer orders
at its own rate while engaged; untouched, its engagement decays and it goes dormant. A hidden
*need* decays, fast once dormant; a touch by a rep revives a dormant customer whose need is alive,
more often when the rep is skilled and still hunting. A WukongCRM-style rule releases neglected
customers to the pool; hunting reps claim from it under a daily cap and a previous-owner cooldown.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from stagnation.simulator._config import (
    ACTIVE,
    DORMANT,
    FARM,
    HUNT,
    INBOUND,
    INDUSTRIES,
    INDUSTRY_EFFECTS,
    NEVER,
    ORDER_DAY_FACTOR,
    PROSPECT,
    REGIONS,
    WORKDAY_FACTOR,
    SimConfig,
)
from stagnation.simulator._output import EventLog
from stagnation.simulator._team import Team


class Market:
    """Every customer slot of the market (``cfg.customers`` of them) as flat arrays."""

    def __init__(self, cfg: SimConfig, rng: np.random.Generator, team: Team, log: EventLog) -> None:
        self.cfg, self.rng, self.team, self.log = cfg, rng, team, log
        self.n_days = cfg.n_days
        self.wf = self.wf_order = 1.0
        n = cfg.customers
        self.exists = np.zeros(n, dtype=bool)
        self.created = np.full(n, NEVER, dtype=np.int32)
        self.source = np.zeros(n, dtype=np.int8)
        self.owner = np.full(n, -1, dtype=np.int32)
        self.owned_since = np.full(n, NEVER, dtype=np.int32)
        self.prev_owner = np.full(n, -1, dtype=np.int32)
        self.released = np.full(n, NEVER, dtype=np.int32)
        self.converted = np.zeros(n, dtype=bool)
        self.last_order = np.full(n, NEVER, dtype=np.int32)
        self.last_eff = np.full(n, NEVER, dtype=np.int32)
        self.last_touch = np.full(n, NEVER, dtype=np.int32)
        self.need = np.zeros(n, dtype=bool)  # converted: the need still exists; prospect: fit
        self.need_lost = np.full(n, NEVER, dtype=np.int32)
        self.touches = np.zeros(n, dtype=np.int16)
        self.needed = np.zeros(n, dtype=np.int16)
        self.open_opp = np.zeros(n, dtype=bool)
        self.online = np.zeros(n, dtype=bool)
        self.industry = rng.integers(0, len(INDUSTRIES), n).astype(np.int8)
        self.region = rng.integers(0, len(REGIONS), n).astype(np.int8)
        effects = np.asarray(INDUSTRY_EFFECTS)[self.industry]
        shape = 1.5
        per_year = rng.gamma(shape, cfg.orders_per_year / shape, n) * effects[:, 0]
        self.lam = np.clip(per_year, 0.5, None) / 365.0
        self.size = np.exp(np.log(cfg.order_amount_median) + effects[:, 1] + rng.normal(0, 1.0, n))
        self.need_loss_mult = effects[:, 2]
        self.tau = np.full(n, cfg.engagement_decay_days)
        self.next_slot = 0
        self.opp_due: dict[int, list[np.ndarray]] = {}

        n_init = round(cfg.initial_customer_share * n)
        if n_init == 0:
            return
        c = self._new_slots(n_init)
        vets = np.flatnonzero(self.team.hired < 0)
        if len(vets) == 0:
            vets = np.arange(cfg.reps)
        weight = np.maximum(-self.team.hired[vets], 180).astype(float)
        owner = rng.choice(vets, size=n_init, p=weight / weight.sum())
        in_pool = rng.random(n_init) < 0.08
        created = -rng.integers(30, 1800, n_init)
        self.exists[c] = True
        self.source[c] = rng.choice(3, size=n_init, p=[0.6, 0.25, 0.15])
        self.region[c] = np.where(
            rng.random(n_init) < 0.8, self.team.team_region[self.team.team[owner]], self.region[c]
        )
        conv = rng.random(n_init) < 0.65
        engaged = conv & (rng.random(n_init) < 0.75)
        dormant = conv & ~engaged
        self.converted[c] = conv
        self.last_eff[c] = np.where(
            engaged, -rng.integers(0, 40, n_init), -rng.integers(120, 700, n_init)
        )
        self.last_eff[c[~conv]] = NEVER
        self.last_order[c] = np.where(conv, self.last_eff[c] - rng.integers(0, 30, n_init), NEVER)
        created = np.where(conv, np.minimum(created, self.last_order[c] - 30), created)
        self.created[c] = created
        self.last_touch[c] = np.where(
            conv,
            np.maximum(self.last_eff[c], -rng.integers(0, 200, n_init)),
            -rng.integers(0, 60, n_init),
        )
        p_need = np.where(engaged, 0.9, np.where(dormant, 0.45, 0.25))
        self.need[c] = rng.random(n_init) < p_need
        self.needed[c] = 2 + rng.poisson(4, n_init)
        self.touches[c[~conv]] = rng.integers(0, 3, (~conv).sum())
        owned = ~in_pool
        self.owner[c[owned]] = owner[owned]
        since = np.maximum(created, self.team.hired[owner] + 1)
        self.owned_since[c[owned]] = since[owned]
        self.log.ownership(c[owned], since[owned], owner[owned], "assigned")
        pool_since = np.maximum(created, -rng.integers(1, 300, n_init))
        self.released[c[in_pool]] = pool_since[in_pool]
        self.prev_owner[c[in_pool]] = owner[in_pool]
        self.log.ownership(c[in_pool], pool_since[in_pool], np.full(in_pool.sum(), -1), "released")
        until = np.where(in_pool, pool_since, np.iinfo(np.int32).max)
        self._import_history(c[conv], owner[conv], since[conv], until[conv], created[conv])

    def _import_history(
        self,
        c: np.ndarray,
        owner: np.ndarray,
        since: np.ndarray,
        until: np.ndarray,
        created: np.ndarray,
    ) -> None:
        """Write up to a year of orders before the window for the buyers already on the books.

        The CRM starts with the order history the company imported, so a buyer's status is right
        from day one (without it, every early farming touch would look like hunting). An order
        is credited to the owner of the day, none while the customer sat in the pool.
        """
        rng = self.rng
        last = self.last_order[c]
        first = np.maximum(created, -365)
        span = np.maximum(last - first, 0)
        earlier = rng.poisson(self.lam[c] * span * 0.8)
        cust = np.concatenate([c, np.repeat(c, earlier)])
        day = np.concatenate(
            [
                last,
                np.repeat(first, earlier) + (rng.random(earlier.sum()) * np.repeat(span, earlier)),
            ]
        ).astype(np.int32)
        row = np.concatenate([np.arange(len(c)), np.repeat(np.arange(len(c)), earlier)])
        held = (day >= since[row]) & (day < until[row])
        who = np.where(held, owner[row], -1).astype(np.int32)
        amount = self.size[cust] * rng.lognormal(0.0, 0.5, len(cust))
        self.log.orders(cust, who, day, amount, np.zeros(len(cust), dtype=bool))
        self.team.earn(day[held], who[held], amount[held])

    def _new_slots(self, k: int) -> np.ndarray:
        k = min(k, self.cfg.customers - self.next_slot)
        slots = np.arange(self.next_slot, self.next_slot + k)
        self.next_slot += k
        return slots

    def status(self, d: int) -> np.ndarray:
        """Return each slot's status as the company sees it: prospect, active or dormant."""
        active = self.converted & (d - self.last_order <= self.cfg.dormant_days)
        return np.where(active, ACTIVE, np.where(self.converted, DORMANT, PROSPECT)).astype(np.int8)

    def engagement(self, d: int, idx: np.ndarray) -> np.ndarray:
        """Return how engaged the customers ``idx`` are: 1 when recently touched, then decaying."""
        cfg = self.cfg
        gap = d - self.last_eff[idx] - cfg.engagement_grace_days
        decay = np.exp(-np.clip(gap, 0, None) / self.tau[idx])
        return np.maximum(decay, cfg.spontaneous_order_floor)

    def release_books(self, reps: np.ndarray, d: int) -> None:
        """Put the books of reps who leave on day ``d`` into the pool."""
        if len(reps):
            self.to_pool(np.flatnonzero(np.isin(self.owner, reps)), d, "rep_left")

    def to_pool(self, idx: np.ndarray, d: int, reason: str) -> None:
        """Release customers ``idx`` to the pool on day ``d``, remembering who held them."""
        self.prev_owner[idx] = self.owner[idx]
        self.owner[idx] = -1
        self.released[idx] = d
        self.log.ownership(idx, np.full(len(idx), d), np.full(len(idx), -1), reason)

    # ------------------------------------------------------------------ activities
    def start_day(self, weekday: int) -> None:
        """Set the day's rhythm: fewer activities and orders at weekends."""
        self.wf = WORKDAY_FACTOR[weekday]
        self.wf_order = ORDER_DAY_FACTOR[weekday]

    def work(self, d: int) -> None:
        """Spend every employed rep's day: hunting, farming and answering inbound contacts."""
        cfg, rng = self.cfg, self.rng
        n_r = cfg.reps
        emp = self.team.employed(d)
        status = self.status(d)
        owned = self.exists & (self.owner >= 0)
        key = np.where(owned, self.owner.astype(np.int64) * 3 + status, np.iinfo(np.int64).max)
        counts = np.bincount(key[owned], minlength=3 * n_r).reshape(n_r, 3)

        out_mult = 1.0 - 0.25 * self.team.followerness
        n_out = rng.poisson(self.team.budget * self.wf * out_mult) * emp
        share = np.where(counts[:, ACTIVE] > 0, self.team.intent, 1.0)
        n_hunt = rng.binomial(n_out, share)
        n_farm = n_out - n_hunt

        # how hunting splits: new prospects, own prospects, own dormant, pool claims
        remaining = cfg.customers - self.next_slot
        days_left = self.n_days - d
        other_rate = self._expected_other_new(d)
        wanted = max(remaining / days_left - other_rate, 0.0) if remaining > 0 else 0.0
        p_new = min(wanted / max(n_hunt.sum(), 1), 0.5) if remaining > 0 else 0.0
        pool_idx = np.flatnonzero(self.exists & (self.owner < 0))
        p = np.column_stack(
            [
                np.full(n_r, p_new),
                # a rep with few prospects or dormant customers hunts elsewhere
                0.5 * np.minimum(counts[:, PROSPECT] / 20.0, 1.0),
                0.25 * np.minimum(counts[:, DORMANT] / 10.0, 1.0),
                np.full(n_r, 0.02 * (len(pool_idx) > 0)),  # browsing the pool: a small habit
            ]
        )
        empty = p.sum(axis=1) == 0
        p[empty, 0] = 1.0
        alloc = rng.multinomial(n_hunt, p / p.sum(axis=1, keepdims=True))
        if remaining <= 0:
            alloc[:, 0] = 0
        claims = np.minimum(alloc[:, 3], cfg.pool.daily_claim_cap)
        alloc[:, 1] += np.where(counts[:, PROSPECT] > 0, alloc[:, 3] - claims, 0)

        self._claim(d, claims, pool_idx)
        self._found(d, alloc[:, 0], source=0)

        # touches within each rep's book, one weighted draw per activity
        gamma = 0.3 + 0.6 * self.team.followerness
        weight = np.ones(cfg.customers)
        act = owned & (status == ACTIVE)
        weight[act] = self.size[act] ** gamma[self.owner[act]]
        fresh = owned & (status == DORMANT) & (d - self.owned_since < 90)
        weight[fresh] = 5.0  # a hunter works the dormant customers just claimed
        reps = np.arange(n_r)
        groups = np.concatenate([reps * 3 + PROSPECT, reps * 3 + DORMANT, reps * 3 + ACTIVE])
        n_per = np.concatenate([alloc[:, 1], alloc[:, 2], n_farm])
        n_per = np.where(counts.T[[PROSPECT, DORMANT, ACTIVE]].ravel() > 0, n_per, 0)
        targets, group = _pick(rng, key, weight, groups, n_per)
        # a rep touches a customer at most once a day: a draw on the same one again is a
        # touch that does not happen (a rep with a tiny book simply works less)
        targets = np.unique(targets)  # a customer belongs to one rep and one group a day
        group = key[targets]
        actor = (group // 3).astype(np.int32)
        kind = np.where(group % 3 == ACTIVE, FARM, HUNT).astype(np.int8)
        self.log.activities(targets, actor, d, kind)
        self._touch(d, targets, actor, status[targets])
        self._inbound(d, emp)

    def _expected_other_new(self, d: int) -> float:
        """Return today's expected new customers from referrals and inbound leads."""
        cfg = self.cfg
        inbound = cfg.inbound_lead_share * cfg.customers * (1 - cfg.initial_customer_share)
        active = (self.converted & (d - self.last_order <= cfg.dormant_days)).sum()
        return inbound / self.n_days + active * cfg.referrals_per_active_customer_year / 365.0

    def _claim(self, d: int, claims: np.ndarray, pool_idx: np.ndarray) -> None:
        total = int(claims.sum())
        if total == 0 or len(pool_idx) == 0:
            return
        rng = self.rng
        # reps browse the pool and prefer past buyers who ordered not long ago
        lapse = np.clip(d - self.last_order[pool_idx], 0, 3650)
        w = np.where(self.converted[pool_idx], 1.0 + 6.0 * np.exp(-lapse / 180.0), 1.0)
        take = rng.choice(pool_idx, size=min(total, len(pool_idx)), replace=False, p=w / w.sum())
        who = np.repeat(np.arange(self.cfg.reps), claims)[rng.permutation(total)][: len(take)]
        cooldown = (self.prev_owner[take] == who) & (
            d - self.released[take] < self.cfg.pool.previous_owner_cooldown_days
        )
        take, who = take[~cooldown], who[~cooldown]
        status = self.status(d)[take]
        self.owner[take], self.owned_since[take] = who, d
        self.log.ownership(take, np.full(len(take), d), who, "claimed")
        self.log.activities(take, who, d, np.full(len(take), HUNT, dtype=np.int8))
        self._touch(d, take, who, status)

    def _found(self, d: int, per_rep: np.ndarray, source: int) -> np.ndarray:
        """Create new customers found by each rep (``per_rep`` of them) and touch each once."""
        cfg, rng = self.cfg, self.rng
        who = np.repeat(np.arange(cfg.reps), per_rep)
        c = self._new_slots(len(who))
        who = who[rng.permutation(len(who))][: len(c)]
        if len(c) == 0:
            return c
        self.exists[c], self.created[c], self.source[c] = True, d, source
        home = rng.random(len(c)) < 0.8
        self.region[c] = np.where(home, self.team.team_region[self.team.team[who]], self.region[c])
        p_fit = (0.3, 0.65, 0.5)[source]
        self.need[c] = rng.random(len(c)) < p_fit
        self.needed[c] = (2 if source == 0 else 1) + rng.poisson((4, 1, 2)[source], len(c))
        self.owner[c], self.owned_since[c] = who, d
        self.log.ownership(c, np.full(len(c), d), who, "assigned")
        kind = HUNT if source == 0 else INBOUND
        self.log.activities(c, who.astype(np.int32), d, np.full(len(c), kind, dtype=np.int8))
        self._touch(d, c, who, np.full(len(c), PROSPECT, dtype=np.int8))
        return c

    def _touch(self, d: int, c: np.ndarray, who: np.ndarray, status: np.ndarray) -> None:
        """Apply the effect of reps ``who`` touching customers ``c`` (status at day start)."""
        cfg, rng = self.cfg, self.rng
        self.last_touch[c] = d
        # prospects move towards a decision
        pc = c[status == PROSPECT]
        np.add.at(self.touches, pc, 1)
        ripe = np.unique(pc[(self.touches[pc] >= self.needed[pc]) & ~self.open_opp[pc]])
        if len(ripe):
            fit = self.need[ripe]
            opens = fit | (rng.random(len(ripe)) < 0.3)
            self.touches[ripe[~opens]] = 0
            self.needed[ripe[~opens]] += 3
            ripe = ripe[opens]
            skill = self.team.skill[self.owner[ripe]]
            p_win = np.where(self.need[ripe], 0.25 + 0.55 * skill, 0.0)
            amount = self.size[ripe] * rng.lognormal(0.7, 0.5, len(ripe))
            self._open(d, ripe, self.owner[ripe], p_win, amount, delay=(7, 25))
        # converted customers: touching an active one keeps it engaged; a dormant one whose
        # need is alive may revive, more likely with a skilled rep who is still hunting
        conv = status != PROSPECT
        cc, cw, cs = c[conv], who[conv], status[conv]
        alive = self.need[cc]
        p_eff = np.where(
            cs == ACTIVE,
            1.0,
            (cfg.revive_per_touch + cfg.revive_per_touch_skill * self.team.skill[cw])
            * (1.0 - 0.7 * self.team.followerness[cw]),
        )
        eff = alive & (rng.random(len(cc)) < p_eff)
        self.last_eff[cc[eff]] = d
        revived = np.unique(cc[eff & (cs == DORMANT) & ~self.open_opp[cc]])
        if len(revived):
            deal = revived[rng.random(len(revived)) < 0.5]
            amount = self.size[deal] * rng.lognormal(0.5, 0.5, len(deal))
            who_deal = np.maximum(self.owner[deal], 0)
            self._open(d, deal, who_deal, np.full(len(deal), 0.75), amount, delay=(5, 20))

    def _open(
        self,
        d: int,
        c: np.ndarray,
        who: np.ndarray,
        p_win: np.ndarray,
        amount: np.ndarray,
        delay: tuple[int, int],
    ) -> None:
        """Open opportunities on customers ``c`` with their outcome drawn now, decided later."""
        if len(c) == 0:
            return
        rng = self.rng
        won = rng.random(len(c)) < p_win
        due = d + delay[0] + rng.geometric(1.0 / delay[1], len(c))
        ids = self.log.opportunities(c, who, d, due, won, amount)
        self.open_opp[c] = True
        for day in np.unique(due):
            self.opp_due.setdefault(int(day), []).append(ids[due == day])

    def _inbound(self, d: int, emp: np.ndarray) -> None:
        """Record customers reaching out to their owner (more often when engaged)."""
        cfg, rng = self.cfg, self.rng
        cand = np.flatnonzero(self.converted & self.need & (self.owner >= 0))
        cand = cand[emp[self.owner[cand]]]
        p = cfg.inbound_touches_per_customer_year / 365.0 * self.wf
        hit = cand[rng.random(len(cand)) < p * self.engagement(d, cand)]
        if len(hit):
            self.log.activities(hit, self.owner[hit], d, np.full(len(hit), INBOUND, dtype=np.int8))
            # answering counts as a follow-up record, but it is not care: engagement is kept up
            # by the rep reaching out, so a neglected customer drifts even while it still calls
            self.last_touch[hit] = d

    # ------------------------------------------------------------------ deals and orders
    def decide_opportunities(self, d: int) -> None:
        """Close the deals due today: a won deal is an order, a lost one resets the prospect."""
        due = self.opp_due.pop(d, None)
        if not due:
            return
        ids = np.concatenate(due)
        c, who, won, amount = self.log.opportunity_outcomes(ids)
        self.open_opp[c] = False
        lost = c[~won]
        prospects = lost[~self.converted[lost]]
        self.touches[prospects] = 0
        self.needed[prospects] += 2
        c, who, amount = c[won], who[won], amount[won]
        first = ~self.converted[c]
        self.need[c[first]] = True
        self.converted[c] = True
        self.last_order[c] = d
        self.last_eff[c] = d
        # a deal that closes after its rep left is booked to the customer's owner of the day
        gone = ~self.team.employed(d)[who]
        who = np.where(gone, self.owner[c], who)
        self.log.orders(c, who, d, amount, np.zeros(len(c), dtype=bool))
        self.team.earn(d, who[who >= 0], amount[who >= 0])

    def orders(self, d: int) -> None:
        """Draw today's orders from every engaged customer whose need is alive."""
        rng = self.rng
        cand = np.flatnonzero(self.converted & self.need)
        p = self.lam[cand] * self.engagement(d, cand) * self.wf_order
        c = cand[rng.random(len(cand)) < p]
        if len(c) == 0:
            return
        amount = self.size[c] * rng.lognormal(0.0, 0.5, len(c))
        online = self.online[c] & (rng.random(len(c)) < 0.85)
        who = self.owner[c]
        self.log.orders(c, who, d, amount, online)
        self.last_order[c] = d
        self.last_eff[c[self.online[c]]] = d  # the platform keeps online buyers engaged
        owned = who >= 0
        self.team.earn(d, who[owned], amount[owned])

    # ------------------------------------------------------------------ slow processes
    def lifecycle(self, d: int) -> None:
        """Run the slow processes: needs fade, online ordering spreads, referrals, leads."""
        cfg, rng = self.cfg, self.rng
        n = cfg.customers
        status = self.status(d)
        # the need behind a customer fades, fast once it has gone dormant
        loss = np.where(
            status == ACTIVE, cfg.need_loss_per_year_active, cfg.need_loss_per_year_dormant
        )
        alive = self.exists & self.need
        lost = alive & (rng.random(n) < loss * self.need_loss_mult / 365.0)
        lost &= self.converted | (rng.random(n) < 0.5)  # a prospect's fit fades more slowly
        self.need[lost] = False
        self.need_lost[lost & self.converted] = d
        # online ordering spreads over the years
        adopt_rate = cfg.online_adoption_per_year * (0.2 + 1.6 * d / self.n_days) / 365.0
        adopt = (status == ACTIVE) & self.need & ~self.online & (rng.random(n) < adopt_rate)
        self.online[adopt] = True
        self.tau[adopt] *= 3.0
        emp = self.team.employed(d)
        # referrals from engaged, active customers go to their owner, who waits for them
        act = np.flatnonzero((status == ACTIVE) & self.need & (self.owner >= 0))
        act = act[emp[self.owner[act]]]
        p_ref = cfg.referrals_per_active_customer_year / 365.0 * self.engagement(d, act)
        referrers = act[rng.random(len(act)) < p_ref]
        if len(referrers):
            per_rep = np.bincount(self.owner[referrers], minlength=cfg.reps)
            self._found(d, per_rep, source=1)
        # inbound leads, handed out by the company to employed reps
        lead_rate = cfg.inbound_lead_share * n * (1 - cfg.initial_customer_share) / self.n_days
        n_leads = rng.poisson(lead_rate * self.wf)
        staff = np.flatnonzero(emp)
        if n_leads and len(staff):
            per_rep = np.bincount(rng.choice(staff, n_leads), minlength=cfg.reps)
            self._found(d, per_rep, source=2)
        # occasional transfers between reps
        owned = np.flatnonzero(self.exists & (self.owner >= 0))
        moving = owned[rng.random(len(owned)) < cfg.transfers_per_customer_year / 365.0]
        if len(moving) and len(staff) > 1:
            to = rng.choice(staff, len(moving))
            moving, to = moving[to != self.owner[moving]], to[to != self.owner[moving]]
            self.owner[moving], self.owned_since[moving] = to, d
            self.log.ownership(moving, np.full(len(moving), d), to, "transferred")

    def pool_rule(self, d: int) -> None:
        """Release neglected customers to the pool, as the company's CRM rule says."""
        rule = self.cfg.pool
        owned = self.exists & (self.owner >= 0) & ~self.open_opp
        quiet = d - np.maximum(self.last_touch, self.owned_since)
        exempt = self.converted if rule.exempt_won else np.zeros_like(self.converted)
        release = owned & ~exempt & (quiet >= rule.release_after_days_without_followup)
        release |= (
            owned & ~self.converted & (d - self.owned_since >= rule.release_after_days_without_deal)
        )
        if rule.release_after_days_without_order is not None:
            lapsed = d - np.maximum(self.last_order, self.owned_since)
            release |= owned & self.converted & (lapsed >= rule.release_after_days_without_order)
        idx = np.flatnonzero(release)
        if len(idx):
            self.to_pool(idx, d, "released")

    def snapshot(self, d: int, month: pd.Timestamp) -> pd.DataFrame:
        """Return the truth about every customer at the end of day ``d``."""
        c = np.flatnonzero(self.exists)
        active = self.converted[c] & (d - self.last_order[c] <= self.cfg.dormant_days)
        state = np.select([~self.converted[c], active, self.need[c]], [0, 1, 2], 3).astype(np.int8)
        rate = np.where(
            self.converted[c] & self.need[c], self.lam[c] * self.engagement(d, c) * 365.0, 0.0
        )
        return pd.DataFrame(
            {
                "customer": c,
                "month": month,
                "state": state,
                "revivable": self.need[c],
                "order_rate_per_year": rate,
            }
        )


def _pick(
    rng: np.random.Generator,
    key: np.ndarray,
    weight: np.ndarray,
    groups: np.ndarray,
    n_per_group: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Draw ``n_per_group[i]`` members of group ``groups[i]`` with probability ∝ ``weight``.

    ``key[j]`` is the group of element ``j``. One sort serves every group: members of a group are
    contiguous after it, and a draw is a search in the cumulative weights of that stretch.
    Returns the drawn elements and the group each draw was for.
    """
    g = np.repeat(groups, n_per_group)
    if len(g) == 0:
        return np.zeros(0, dtype=np.int64), g
    order = np.argsort(key, kind="stable")
    sorted_key = key[order]
    cum = np.cumsum(weight[order])
    lo = np.searchsorted(sorted_key, g, "left")
    hi = np.searchsorted(sorted_key, g, "right")
    base = np.where(lo > 0, cum[np.maximum(lo - 1, 0)], 0.0)
    top = cum[hi - 1]
    idx = np.searchsorted(cum, base + rng.random(len(g)) * (top - base), "right")
    return order[np.clip(idx, lo, hi - 1)], g
