"""The simulated sales team: reps' latent traits, employment, book pressure and the slide.

Each rep runs a small state machine, *hunter* -> *sliding* -> *order_follower* -> *recovering*
-> *hunter*. A slide starts with a hazard that grows with book coverage (the trailing 90 days of
revenue from the rep's own customers against quota) and with tenure, and shrinks with drive; it
then unfolds over weeks to months (a smoothstep from the rep's hunting intent to its
order-follower level). Some high-drive reps never slide; an order-follower whose book erodes
tends to recover.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from stagnation.simulator._config import (
    FOLLOWER,
    HUNTER,
    RECOVERING,
    REGIONS,
    SLIDING,
    SimConfig,
)

BOOK_WINDOW_DAYS = 90  # book coverage = revenue of the last 90 days against 3 months of quota


def smoothstep(x: np.ndarray) -> np.ndarray:
    """Return the smoothstep of ``x`` on [0, 1]: a slide starts slowly, speeds up, then settles."""
    x = np.clip(x, 0.0, 1.0)
    return x * x * (3.0 - 2.0 * x)


class Team:
    """Every rep who works in the window, as flat arrays indexed by rep (sorted by hire date)."""

    def __init__(self, cfg: SimConfig, rng: np.random.Generator) -> None:
        self.cfg, self.rng = cfg, rng
        n = cfg.reps
        n_days = cfg.n_days
        n_vet = round(cfg.veteran_share * n)
        hired = np.concatenate(
            [-rng.integers(180, 6 * 365, n_vet), rng.integers(0, max(n_days - 90, 1), n - n_vet)]
        )
        self.hired = np.sort(hired).astype(np.int32)
        self.left = np.full(n, np.iinfo(np.int32).max, dtype=np.int32)
        self.drive = rng.beta(2.5, 2.5, n)
        self.skill = rng.beta(3.0, 3.0, n)
        self.never_slides = rng.random(n) < cfg.never_slide_drive * self.drive**2
        self.budget = cfg.outbound_per_day * rng.lognormal(0, 0.2, n) * (0.8 + 0.4 * self.drive)
        self.h_high = 0.40 + 0.35 * self.drive  # hunting intent of a hunter
        self.h_low = 0.03 + 0.09 * self.drive  # hunting intent of an order-follower
        n_teams = max(1, round(n / cfg.team_size))
        self.team = rng.integers(0, n_teams, n)
        self.team_region = rng.integers(0, len(REGIONS), n_teams)
        # quota in money: the expected revenue of `quota_active_customers` engaged customers
        per_month = cfg.orders_per_year / 12.0
        amount_mean = cfg.order_amount_median * np.exp(0.5 * 1.0**2 + 0.5 * 0.5**2)
        scale = cfg.quota_active_customers * per_month * amount_mean
        self.quota = scale * rng.lognormal(0, 0.1, n)
        # revenue of each rep's own customers per day, from BOOK_WINDOW_DAYS before the window
        self.revenue = np.zeros((BOOK_WINDOW_DAYS + n_days, n))
        self.book_revenue = np.zeros(n)  # over the last BOOK_WINDOW_DAYS

        self.mode = np.full(n, HUNTER, dtype=np.int8)
        self.mode_start = np.zeros(n, dtype=np.int32)
        self.mode_len = np.ones(n, dtype=np.int32)
        self.episodes: list[dict[str, int]] = []
        self.open_episode = np.full(n, -1)
        self.followerness = np.zeros(n)  # 0 hunter .. 1 order-follower
        self.intent = self.h_high.copy()
        self.coverage = np.zeros(n)
        self._place_veterans()

    def _place_veterans(self) -> None:
        """Start veterans at various points of the T-model: some already slid, some sliding."""
        rng, n = self.rng, self.cfg.reps
        tenure = -self.hired
        length = self.slide_length()
        p_follow = 0.55 * np.minimum(1.0, tenure / (3 * 365)) * (1.0 - 0.6 * self.drive)
        u = rng.random(n)
        can = (self.hired < 0) & ~self.never_slides
        # an order-follower at the start finished a whole slide after its first 180 days
        follower = can & (u < p_follow) & (tenure >= 180 + length + 1)
        sliding = can & ~follower & (u < p_follow + 0.12)
        for r in np.flatnonzero(follower):
            earliest, latest = int(self.hired[r]) + 180, -int(length[r]) - 1
            start = int(rng.integers(max(earliest, latest - 700), latest + 1))
            self._begin_episode(int(r), start)
            self.episodes[-1]["completed"] = start + int(length[r])
            self.mode[r], self.mode_start[r] = FOLLOWER, start + length[r]
        for r in np.flatnonzero(sliding):
            start = max(-int(rng.integers(0, length[r])), int(self.hired[r]) + 180)
            self._begin_episode(int(r), start)
            self.mode[r], self.mode_start[r], self.mode_len[r] = SLIDING, start, length[r]

    def slide_length(self) -> np.ndarray:
        """Draw the days a slide takes for every rep: weeks to months, faster at low drive."""
        n = self.cfg.reps
        return (30 + 90 * self.drive + self.rng.integers(0, 30, n)).astype(np.int32)

    def _begin_episode(self, r: int, day: int) -> None:
        self.open_episode[r] = len(self.episodes)
        self.episodes.append({"rep": int(r), "started": day})

    def employed(self, d: int) -> np.ndarray:
        """Return which reps work on day ``d``."""
        return (self.hired <= d) & (d < self.left)

    def earn(self, d: int | np.ndarray, reps: np.ndarray, amount: np.ndarray) -> None:
        """Credit order revenue on day(s) ``d`` to the reps who own the ordering customers.

        Days before the window count only from ``BOOK_WINDOW_DAYS`` before it.
        """
        days = np.broadcast_to(d, reps.shape)
        keep = days >= -BOOK_WINDOW_DAYS
        np.add.at(self.revenue, (days[keep] + BOOK_WINDOW_DAYS, reps[keep]), amount[keep])
        self.book_revenue += np.bincount(reps[keep], weights=amount[keep], minlength=self.cfg.reps)

    def leavers(self, d: int) -> np.ndarray:
        """Draw who leaves on day ``d`` (attrition, and culling of juniors without a book)."""
        cfg = self.cfg
        tenure = d - self.hired
        coverage = self.book_revenue / (3.0 * self.quota)
        cull = (tenure > 150) & (tenure < 540) & (coverage < 0.2)
        hazard = (cfg.attrition_per_year + cfg.culling_per_year * cull) / 365.0
        leaving = np.flatnonzero(self.employed(d) & (self.rng.random(cfg.reps) < hazard))
        self.left[leaving] = d
        return leaving

    def update_modes(self, d: int) -> None:
        """Move every rep's state machine one day on and set today's hunting intent."""
        cfg, rng, n = self.cfg, self.rng, self.cfg.reps
        emp = self.employed(d)
        self.book_revenue -= self.revenue[d]  # the day BOOK_WINDOW_DAYS ago drops out
        coverage = self.book_revenue / (3.0 * self.quota)
        tenure_y = (d - self.hired) / 365.0
        progress = (d - self.mode_start) / np.maximum(self.mode_len, 1)

        pressure = 1.0 / (1.0 + np.exp(-(coverage - 0.75) / 0.12))
        seasoned = np.clip((tenure_y - 0.5) / 1.5, 0.0, 1.0)
        slide_hazard = cfg.slide_hazard_per_year / 365.0 * pressure * seasoned * (1.4 - self.drive)
        u = rng.random(n)
        start_slide = emp & (self.mode == HUNTER) & ~self.never_slides & (u < slide_hazard)
        done_slide = emp & (self.mode == SLIDING) & (progress >= 1.0)
        eroded = coverage < 0.5
        rec_hazard = cfg.recovery_hazard_per_year / 365.0 * np.where(eroded, 1.0, 0.08)
        start_rec = emp & (self.mode == FOLLOWER) & (u < rec_hazard)
        done_rec = emp & (self.mode == RECOVERING) & (progress >= 1.0)

        for r in np.flatnonzero(start_slide):  # a handful of reps a day at most
            self._begin_episode(int(r), d)
        length = self.slide_length()
        self.mode[start_slide], self.mode_start[start_slide] = SLIDING, d
        self.mode_len[start_slide] = length[start_slide]
        for r in np.flatnonzero(done_slide):
            self.episodes[self.open_episode[r]]["completed"] = d
        self.mode[done_slide], self.mode_start[done_slide] = FOLLOWER, d
        for r in np.flatnonzero(start_rec):
            self.episodes[self.open_episode[r]]["recovery_started"] = d
        self.mode[start_rec], self.mode_start[start_rec] = RECOVERING, d
        self.mode_len[start_rec] = rng.integers(30, 90, start_rec.sum())
        for r in np.flatnonzero(done_rec):
            self.episodes[self.open_episode[r]]["recovered"] = d
            self.open_episode[r] = -1
        self.mode[done_rec], self.mode_start[done_rec] = HUNTER, d

        progress = smoothstep((d - self.mode_start) / np.maximum(self.mode_len, 1))
        self.followerness = np.select(
            [self.mode == SLIDING, self.mode == FOLLOWER, self.mode == RECOVERING],
            [progress, np.ones(n), 1.0 - progress],
            0.0,
        )
        # even a hunter eases off as the book fills up and the years go by
        h_hunter = (
            self.h_high
            * (1.0 - 0.25 * np.clip(coverage, 0, 1.5) / 1.5)
            * np.maximum(0.6, 1.0 - 0.04 * np.clip(tenure_y, 0, None))
        )
        self.intent = h_hunter - (h_hunter - self.h_low) * self.followerness
        self.coverage = coverage

    def snapshot(self, d: int, month: pd.Timestamp) -> pd.DataFrame:
        """Return the truth about every employed rep at the end of day ``d``."""
        emp = self.employed(d)
        return pd.DataFrame(
            {
                "rep": np.flatnonzero(emp),
                "month": month,
                "mode": self.mode[emp],
                "hunting_intent": self.intent[emp],
                "book_coverage": self.coverage[emp],
            }
        )
