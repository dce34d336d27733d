"""The BG/NBD fit, P(alive) and expected orders (``features/_bgnbd.py``)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from stagnation.crm import CRM
from stagnation.features import FeatureContext, customer_features
from stagnation.features._bgnbd import expected_orders, fit_bgnbd, p_alive

TRUE = (0.5, 20.0, 0.8, 2.5)  # r, alpha (days), a, b


def _simulate(n: int, age: float, seed: int = 0) -> tuple[np.ndarray, ...]:
    """Draw (x, t_x, T) from BG/NBD with :data:`TRUE` (Fader, Hardie & Lee 2005, section 2)."""
    r, alpha, a, b = TRUE
    rng = np.random.default_rng(seed)
    rate = rng.gamma(r, 1 / alpha, n)
    drop = rng.beta(a, b, n)
    x, t_x = np.zeros(n), np.zeros(n)
    for i in range(n):
        t = 0.0
        while True:
            t += rng.exponential(1 / rate[i])
            if t > age:
                break
            x[i], t_x[i] = x[i] + 1, t
            if rng.random() < drop[i]:
                break
    return x, t_x, np.full(n, age)


def test_the_fit_recovers_the_parameters_it_was_simulated_with() -> None:
    x, t_x, age = _simulate(6000, 365.0)
    r, alpha, a, b = fit_bgnbd(x, t_x, age)  # type: ignore[misc]
    assert r == pytest.approx(TRUE[0], rel=0.15)
    assert alpha == pytest.approx(TRUE[1], rel=0.25)
    assert a / (a + b) == pytest.approx(TRUE[2] / (TRUE[2] + TRUE[3]), rel=0.2)  # mean dropout


def test_p_alive_and_expected_orders_read_the_rhythm() -> None:
    params = np.array(TRUE)
    x = np.array([0.0, 5.0, 5.0])
    t_x = np.array([0.0, 360.0, 100.0])
    age = np.full(3, 365.0)
    alive = p_alive(params, x, t_x, age)
    assert alive[0] == 1.0  # no repeat order yet: BG/NBD cannot have seen a dropout
    # by hand, equation (5) of the paper: 1 / (1 + a / (b + x - 1) * ((alpha + T) / (alpha +
    # t_x)) ** (r + x)) = 1 / (1 + 0.8 / 6.5 * (385 / 380) ** 5.5) = 0.8832
    assert alive[1] == pytest.approx(0.8832, abs=1e-4)
    assert alive[2] < 0.1  # the same five orders, long ago
    expected = expected_orders(params, x, t_x, age, 90)
    assert expected[1] > expected[2] >= 0


def test_too_few_repeat_buyers_give_no_fit() -> None:
    assert fit_bgnbd(np.zeros(50), np.zeros(50), np.full(50, 100.0)) is None


def test_the_features_see_only_orders_before_as_of() -> None:
    x, t_x, _ = _simulate(300, 200.0, seed=1)
    start = pd.Timestamp("2024-01-01")
    rows = []
    for i, (n, last) in enumerate(zip(x.astype(int), t_x, strict=True)):
        times = [start] + [
            start + pd.Timedelta(days=float(d)) for d in np.linspace(0, last, n + 1)[1:]
        ]
        rows += [(f"o{i}-{k}", f"c{i}", t, 10.0) for k, t in enumerate(times)]
    orders = pd.DataFrame(rows, columns=["order_id", "customer_id", "ordered_at", "amount"])
    customers = pd.DataFrame({"customer_id": [f"c{i}" for i in range(300)], "created_at": start})
    crm = CRM.from_frames(customers=customers, orders=orders)
    at = pd.Timestamp("2024-07-19")
    population = pd.DataFrame({"customer_id": customers["customer_id"], "as_of": at})
    before = customer_features(FeatureContext.build(crm), population)
    # a burst of orders exactly at as_of and after it changes nothing
    late = pd.DataFrame(
        {
            "order_id": [f"z{i}" for i in range(300)],
            "customer_id": customers["customer_id"],
            "ordered_at": [at] * 150 + [at + pd.Timedelta(days=3)] * 150,
            "amount": 5.0,
        }
    )
    more = CRM.from_frames(customers=customers, orders=pd.concat([orders, late]))
    after = customer_features(FeatureContext.build(more), population)
    assert before["p_alive"].notna().all()
    pd.testing.assert_frame_equal(
        before[["p_alive", "expected_orders_90d"]], after[["p_alive", "expected_orders_90d"]]
    )
