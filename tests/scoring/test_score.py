"""`stagnation score` as a sales manager, a batch job and a reviewer meet it, on the sample.

Both models are trained once on the bundled sample into a module-scoped throwaway registry
(the slow part); each test then scores an extract and reads the action list, the drift table or
the registry. Every rough edge found while reading the list as a manager became a test here.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from tests.store import working_store
from typer.testing import CliRunner

from stagnation import cli
from stagnation.crm import load_crm, save_crm

SAMPLE = str(Path(__file__).resolve().parents[2] / "data" / "sample")
AS_OF = "2026-01-01"  # the day after the sample ends: what `make demo` scores
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A registry in a tmp folder where both models were trained on the whole sample."""
    folder = tmp_path_factory.mktemp("score-registry")
    with working_store(folder):
        result = CliRunner().invoke(cli.app, ["train", SAMPLE])
        assert result.exit_code == 0, result.output
        yield folder


@pytest.fixture(scope="module")
def actions(store: Path) -> pd.DataFrame:
    """The sample's action list at AS_OF, scored by the champions."""
    out = store / "actions.csv"
    result = CliRunner().invoke(cli.app, ["score", SAMPLE, "--as-of", AS_OF, "--out", str(out)])
    assert result.exit_code == 0, result.output
    (store / "score.out").write_text(result.output, encoding="utf-8")
    return pd.read_csv(out, dtype=str).astype({"rank": int, "score": float, "priority": float})


def _score(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli.app, ["score", *args])
    return result.exit_code, result.output


def _write(crm, folder: Path) -> str:
    save_crm(crm, folder)
    return str(folder)


# --------------------------------------------------------------------------- crashes found


def test_orders_without_rep_id_give_customer_rows_that_say_why_no_recipient(store: Path) -> None:
    crm = load_crm(SAMPLE)
    orders = crm.orders.drop(columns=["rep_id"])  # optional in the contract
    data = _write(type(crm)(customers=crm.customers, orders=orders), store / "no-rep-id")
    out = store / "no-rep-id.csv"
    code, output = _score(data, "--as-of", AS_OF, "--out", str(out))
    assert code == 0, output
    rows = pd.read_csv(out)
    assert len(rows) > 100 and set(rows["entity_type"]) == {"customer"}
    assert rows["counterpart_id"].isna().all() and rows["current_owner"].isna().all()
    assert rows["no_counterpart_reason"].str.contains("no rep to hand it to").all()


def test_a_three_customer_extract_scores(store: Path) -> None:
    crm = load_crm(SAMPLE)
    few = crm.customers.head(3)
    orders = crm.orders.loc[crm.orders["customer_id"].isin(few["customer_id"])]
    data = _write(type(crm)(customers=few, orders=orders.drop(columns=["rep_id"])), store / "3c")
    out = store / "three.csv"
    # within one horizon of the extract's last event (a later moment is refused: see
    # tests/test_cli_short_history.py)
    moment = f"{orders['ordered_at'].max() + pd.Timedelta(days=30):%Y-%m-%d}"
    code, output = _score(data, "--as-of", moment, "--out", str(out))
    assert code == 0, output
    assert len(pd.read_csv(out)) <= 3


def test_a_batch_job_with_one_exported_model_needs_no_registry(
    store: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = store / "exported" / "customer-recycling"
    args = ["export", "--model", "customer-recycling", "--out", str(folder)]
    assert CliRunner().invoke(cli.app, args).exit_code == 0
    job = tmp_path / "job"
    job.mkdir()
    monkeypatch.chdir(job)
    monkeypatch.delenv("MLFLOW_TRACKING_URI")
    code, output = _score(SAMPLE, "--as-of", AS_OF, "--out", "a.csv", "--model-uri", str(folder))
    assert code == 0, output
    assert set(pd.read_csv(job / "a.csv")["entity_type"]) == {"customer"}
    assert sorted(p.name for p in job.iterdir()) == ["a.csv", "a.drift.csv"]  # no mlflow.db


def test_scoring_without_a_registry_is_an_error_that_creates_none(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    code, output = _score(SAMPLE, "--as-of", AS_OF, "--out", "a.csv")
    assert code == 2 and "Traceback" not in output
    assert "no MLflow registry" in output
    assert list(tmp_path.iterdir()) == []


# --------------------------------------------------------------------------- rows to act on


def test_every_row_says_what_to_do_to_whom(actions: pd.DataFrame) -> None:
    assert actions.columns[-2:].tolist() == ["instruction", "no_counterpart_reason"]
    for row in actions.itertuples():
        assert row.entity_id in row.instruction
        if isinstance(row.counterpart_id, str):
            assert row.instruction.endswith(row.counterpart_id)
            assert pd.isna(row.no_counterpart_reason)
        else:
            assert isinstance(row.no_counterpart_reason, str)
    coach = actions[actions["action"] == "coach"]
    said = coach["instruction"].str
    assert said.fullmatch(
        r"Pair R\d+ with coach R\d+|Find a coach for R\d+|No coaching needed for R\d+ now"
    ).all()
    assert said.startswith("Pair").any()
    calm = said.startswith("No coaching")
    assert (coach.loc[calm, "priority"] == 0).all() and (coach.loc[~calm, "priority"] > 0).all()


def test_no_rep_is_both_coached_and_coaching(actions: pd.DataFrame) -> None:
    coach = actions[actions["action"] == "coach"]
    at_risk = coach[coach["priority"] > 0]  # the others need no coaching now and may coach
    mentees, coaches = set(at_risk["entity_id"]), set(coach["counterpart_id"].dropna())
    assert coaches and not mentees & coaches
    assert not set(coach.loc[coach["counterpart_id"].notna(), "entity_id"]) & coaches


def test_every_eligible_rep_gets_a_row_and_only_those_at_risk_a_coach(
    store: Path, actions: pd.DataFrame
) -> None:
    from stagnation.scoring import load_scoring_models

    model = load_scoring_models(need=["rep-passivity"])["rep-passivity"]
    base = float(model.card.positive_rate or 0.0)
    drift = pd.read_csv(store / "actions.drift.csv")
    eligible = drift.loc[drift["model_name"] == "stagnation-rep-passivity", "rows"].iloc[0]
    coach = actions[actions["action"] == "coach"]
    assert len(coach) == eligible  # the contract: one row per eligible rep
    at_risk = coach[coach["priority"] > 0]
    assert 0 < len(at_risk) < eligible and (at_risk["score"] >= base).all()
    assert (coach.loc[coach["priority"] == 0, "score"] < base).all()
    # reps below the line may coach; reps at risk never do
    assert not set(at_risk["entity_id"]) & set(coach["counterpart_id"].dropna())


def test_min_score_keeps_only_likely_rows(store: Path, actions: pd.DataFrame) -> None:
    out = store / "likely.csv"
    code, output = _score(SAMPLE, "--as-of", AS_OF, "--out", str(out), "--min-score", "0.2")
    assert code == 0, output
    likely = pd.read_csv(out)
    assert 0 < len(likely) < len(actions) and (likely["score"] >= 0.2).all()
    assert likely["rank"].tolist() == list(range(1, len(likely) + 1))
    assert _score(SAMPLE, "--as-of", AS_OF, "--out", str(out), "--min-score", "2")[0] == 2


#: Words that carry a reason's yardstick: a median, a base rate, the rep's own past, a level.
YARDSTICK = re.compile(r"median|comeback rate|slide rate| from \d|\dx the|level|pace")


def test_every_reason_of_the_top_20_has_a_yardstick(actions: pd.DataFrame) -> None:
    reasons = [r for text in actions["reasons"].head(20) for r in text.split("; ")]
    assert len(reasons) >= 40
    missing = [r for r in reasons if not YARDSTICK.search(r)]
    assert not missing


def test_a_rep_hunting_share_is_read_against_its_own_past(actions: pd.DataFrame) -> None:
    reasons = actions.loc[actions["action"] == "coach", "reasons"].str.cat(sep="; ")
    own_past = r"hunting share is \d+% in the last \d+ days, (down|up|unchanged) from \d+%"
    assert re.search(own_past, reasons)


# --------------------------------------------------------------------------- drift guard


def test_drift_guard_is_quiet_right_after_training(store: Path, actions: pd.DataFrame) -> None:
    drift = pd.read_csv(store / "actions.drift.csv")
    customers = drift[drift["model_name"] == "stagnation-customer-recycling"]
    assert len(customers) > 50 and (customers["shift"] == "stable").all()
    assert "drifted" not in (store / "score.out").read_text(encoding="utf-8")


def test_drift_guard_is_loud_on_a_shifted_extract(store: Path) -> None:
    crm = load_crm(SAMPLE)
    orders = crm.orders.assign(amount=crm.orders["amount"] * 20)  # amounts in another currency
    data = _write(type(crm)(customers=crm.customers, orders=orders), store / "shifted")
    out = store / "shifted.csv"
    code, output = _score(data, "--as-of", AS_OF, "--out", str(out))
    assert code == 0, output
    assert "features drifted far from training" in output
    drift = pd.read_csv(store / "shifted.drift.csv").set_index("feature")
    # Most rows scored on a customers + orders extract are never-buyers, whose lifetime value (0)
    # no currency changes: the amount per order shows the shift in full. Measured on the 120-rep
    # sample: average_order_value PSI 1.16 (0.06 without the shift), order_value_lifetime 0.22
    # (0.04 without it).
    assert drift.loc["average_order_value", "shift"] == "major"
    assert drift.loc["order_value_lifetime", "shift"] != "stable"
    assert drift.loc["customer_age_days", "shift"] == "stable"


# --------------------------------------------------------------------------- registry


def test_the_registry_shows_short_tags_and_a_few_dozen_params(store: Path, tmp_path: Path) -> None:
    import mlflow
    from mlflow import MlflowClient

    client = MlflowClient()
    for name in ("stagnation-rep-passivity", "stagnation-customer-recycling"):
        version = client.get_model_version(name, "1")
        assert all(len(value) <= 250 for value in version.tags.values())
        assert float(version.tags["positive_rate"]) > 0
        params = client.get_run(version.run_id).data.params
        assert 20 <= len(params) <= 60
        assert not [key for key in params if key.startswith(("reference.", "splits."))]
        local = Path(
            mlflow.artifacts.download_artifacts(
                run_id=version.run_id, dst_path=str(tmp_path / name)
            )
        )
        settings = json.loads((local / "settings.json").read_text(encoding="utf-8"))
        assert "reference" not in settings and settings["model"] in name
        reference = json.loads((local / "drift_reference.json").read_text(encoding="utf-8"))
        assert set(reference) == set(settings["features"])
        shares = np.array(next(iter(reference.values()))["shares"])
        assert shares.sum() == pytest.approx(1.0)
