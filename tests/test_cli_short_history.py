"""Short histories through the CLI: a 9-month customers + orders extract trains and scores.

A young CRM (or a retail log) has months, not years, and only customers and orders. These tests
build one (purchases of a buy-till-you-die population over 9 months) and run the commands a user
would, in a throwaway registry; too short a history, a cutoff after the data and a prediction
before it are refused with the numbers.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from tests.store import working_store
from typer.testing import CliRunner

from stagnation import cli
from stagnation.crm import CRM, save_crm

pytestmark = pytest.mark.slow
START = pd.Timestamp("2025-01-01")
SETTINGS = ["--horizon-days", "90", "--dormant-days", "60"]


def _extract(folder: Path, days: int, n: int = 1500, seed: int = 0) -> Path:
    """Write customers + orders: Poisson buyers that drop out after an order with chance p."""
    rng = np.random.default_rng(seed)
    rate = rng.gamma(0.8, 1 / 25, n)  # about one order a month on average
    drop = rng.beta(1.0, 6.0, n)
    joined = rng.uniform(0, 60, n)  # joined in the first two months
    rows = []
    for i in range(n):
        t = joined[i]
        rows.append((f"o{i}-0", f"C{i:05d}", t, rng.lognormal(4, 0.6)))
        while rng.random() > drop[i]:
            t += rng.exponential(1 / rate[i])
            if t >= days:
                break
            rows.append((f"o{i}-{len(rows)}", f"C{i:05d}", t, rng.lognormal(4, 0.6)))
    orders = pd.DataFrame(rows, columns=["order_id", "customer_id", "day", "amount"])
    orders["ordered_at"] = START + pd.to_timedelta(orders.pop("day"), unit="D")
    customers = pd.DataFrame(
        {
            "customer_id": [f"C{i:05d}" for i in range(n)],
            "created_at": START + pd.to_timedelta(joined, unit="D"),
        }
    )
    save_crm(CRM.from_frames(customers=customers, orders=orders), folder)
    return folder


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    folder = tmp_path_factory.mktemp("short")
    with working_store(folder):
        _extract(folder / "nine", days=275)
        _extract(folder / "six", days=182)
        yield folder


def _run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli.app, [str(a) for a in args])
    return result.exit_code, result.output


def test_nine_months_of_orders_train_and_score(workdir: Path) -> None:
    code, out = _run("train", "nine", "--model", "customer-recycling", *SETTINGS)
    assert code == 0, out
    assert "weekly as_of grid" in out and "holdout" in out  # the plan it used is printed
    assert "stagnation-customer-recycling version 1" in out
    assert "pooled out-of-time rows" in out  # the verdict, with its interval
    code, out = _run("score", "nine", "--as-of", "2025-10-03", "--out", "actions.csv")
    assert code == 0, out
    actions = pd.read_csv("actions.csv")
    assert len(actions) > 0 and set(actions["entity_type"]) == {"customer"}


def test_a_tie_on_the_same_data_does_not_promote(workdir: Path) -> None:
    code, out = _run("train", "nine", "--model", "customer-recycling", *SETTINGS)
    assert code == 0, out
    code, out = _run("promote", "--model", "customer-recycling")
    assert code == 0, out
    assert "not promoted" in " ".join(out.split())


def test_too_short_a_history_says_what_it_needs(workdir: Path) -> None:
    code, out = _run("train", "six", "--model", "customer-recycling", *SETTINGS)
    assert code == 2
    text = " ".join(out.split())
    assert "needs at least 262 days of history" in text and "this extract has" in text
    assert "Traceback" not in out


def test_a_cutoff_after_the_data_is_refused(workdir: Path) -> None:
    code, out = _run("train", "nine", "--as-of", "2026-06-01", *SETTINGS)
    assert code == 2 and "lies after the end of the data" in " ".join(out.split())
    # a wrong --as-of for both models: said once, not as a rep model skipped for thin data
    assert "skipped" not in out and out.count("lies after the end") == 1


def test_a_prediction_outside_the_data_is_refused(workdir: Path) -> None:
    for moment in ("2024-06-01", "2026-06-01"):
        code, out = _run("score", "nine", "--as-of", moment, "--out", "late.csv")
        assert code == 2, out
        assert "outside what this extract can score" in " ".join(out.split())
    assert not Path("late.csv").exists()


def test_folds_without_enough_positives_leave_the_holdout_to_judge(workdir: Path) -> None:
    # the README's worked example: a small young company whose early folds hold < 10 positives
    args = ["--reps", "20", "--customers", "2000", "--months", "24", "--seed", "3"]
    code, out = _run("sample", "acme", *args)
    assert code == 0, out
    code, out = _run("train", "acme", "--model", "customer-recycling", *SETTINGS)
    assert code == 0, out
    said = " ".join(out.split())
    assert "skipped: too few" in said and "pooled out-of-time rows" in said
