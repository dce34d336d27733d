"""`stagnation train`, `promote` and `export` on the bundled sample, in a throwaway registry.

Training both models on the sample is the slow part (tens of seconds), so one module-scoped
store is trained once and the tests read it; each command is checked for its exit code, what it
prints, and what it leaves in the registry.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from tests.store import working_store
from typer.testing import CliRunner

from stagnation import cli
from stagnation.crm import load_crm, save_crm
from stagnation.scoring import load_scoring_models
from stagnation.training._drift import MIN_ROWS_PER_BIN

SAMPLE = str(Path(__file__).resolve().parents[1] / "data" / "sample")
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A registry in a tmp folder where both models were trained on the sample."""
    folder = tmp_path_factory.mktemp("registry")
    with working_store(folder):
        result = CliRunner().invoke(cli.app, ["train", SAMPLE])
        assert result.exit_code == 0, result.output
        (folder / "train.out").write_text(result.output, encoding="utf-8")
        yield folder


def test_train_registers_both_models_with_aliases(store: Path) -> None:
    from mlflow import MlflowClient

    output = (store / "train.out").read_text(encoding="utf-8")
    client = MlflowClient()
    for name in ("stagnation-rep-passivity", "stagnation-customer-recycling"):
        version = client.get_model_version_by_alias(name, "champion")
        assert str(version.version) == "1"
        assert str(client.get_model_version_by_alias(name, "challenger").version) == "1"
        assert f"{name} version 1 (champion, challenger)" in output
    for text in ("lightgbm", "trailing_drift_rule", "rfm_logistic", "AUC", "lift@10"):
        assert text in output


def test_promote_refuses_an_older_challenger_whose_holdout_the_champion_learned(
    store: Path,
) -> None:
    runner = CliRunner()
    earlier = ["train", SAMPLE, "--model", "customer-recycling", "--as-of", "2025-09-01"]
    result = runner.invoke(cli.app, earlier)
    assert result.exit_code == 0, result.output
    assert "version 2 (challenger)" in result.output
    result = runner.invoke(cli.app, ["promote", "--model", "customer-recycling"])
    assert result.exit_code == 0, result.output
    said = " ".join(result.output.split())
    assert "not promoted" in said and "was trained on every holdout row" in said


def test_export_writes_a_model_folder_that_scores(store: Path) -> None:
    from stagnation.snapshots import features_at
    from stagnation.tracking import load_model, model_features, to_model_input

    out = store / "models" / "rep-passivity"
    result = CliRunner().invoke(cli.app, ["export", "--model", "rep-passivity", "--out", str(out)])
    assert result.exit_code == 0, result.output
    model, settings = load_model(str(out))
    assert settings.horizon_days == 90
    rows = features_at(load_crm(SAMPLE), "rep", "2025-10-01")
    scores = model.predict(to_model_input(rows, model_features(model)))
    assert len(scores) == len(rows) and scores["score"].between(0, 1).all()


def test_the_rep_model_refuses_an_extract_without_activities(store: Path) -> None:
    crm = load_crm(SAMPLE)
    folder = store / "orders-only"
    save_crm(type(crm)(customers=crm.customers, orders=crm.orders), folder)
    result = CliRunner().invoke(cli.app, ["train", str(folder), "--model", "rep-passivity"])
    assert result.exit_code == 2
    assert "activities" in result.output and "Traceback" not in result.output


def test_bad_arguments_exit_2(store: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(cli.app, ["train", SAMPLE, "--as-of", "not-a-date"])
    assert result.exit_code == 2 and "--as-of" in result.output
    result = runner.invoke(cli.app, ["promote", "--model", "no-such-model"])
    assert result.exit_code == 2 and "no registered model" in result.output


def test_too_short_a_history_is_refused_with_a_reason(store: Path) -> None:
    early = ["train", SAMPLE, "--model", "customer-recycling", "--as-of", "2024-02-01"]
    result = CliRunner().invoke(cli.app, early)
    assert result.exit_code == 2
    said = " ".join(result.output.split())
    assert "needs at least 473 days of history" in said and "this extract has 396 days" in said
    assert "Traceback" not in result.output


# --- score: the ranked action list (CONTRACT.md section 4) -------------------------------------

COLUMNS = [
    "rank", "action", "entity_type", "entity_id", "score", "expected_value", "priority",
    "current_owner", "counterpart_id", "reasons", "as_of", "model_name", "model_version",
]  # fmt: skip


def test_score_writes_the_ranked_action_list(store: Path) -> None:
    out = store / "actions.csv"
    args = ["score", SAMPLE, "--as-of", "2025-10-01", "--out", str(out)]
    result = CliRunner().invoke(cli.app, args)
    assert result.exit_code == 0, result.output
    actions = pd.read_csv(out, dtype={"current_owner": "string", "counterpart_id": "string"})
    assert actions.columns.tolist() == [*COLUMNS, "instruction", "no_counterpart_reason"]
    assert actions["rank"].tolist() == list(range(1, len(actions) + 1))
    assert actions["priority"].is_monotonic_decreasing
    assert set(actions["action"]) == {"coach", "release_to_pool", "assign"}
    assert set(actions["entity_type"]) == {"rep", "customer"}
    assert actions["score"].between(0, 1).all() and (actions["expected_value"] >= 0).all()
    customers = actions[actions["entity_type"] == "customer"]
    assert (customers["action"] == "release_to_pool").eq(customers["current_owner"].notna()).all()
    assert (customers["counterpart_id"] != customers["current_owner"]).fillna(True).all()
    assert (
        actions["reasons"].str.count("; ").le(2).all()
        and not actions["reasons"].str.contains("_").any()
    )
    assert actions["counterpart_id"].notna().any()
    drift = pd.read_csv(store / "actions.drift.csv")
    assert drift.columns.tolist() == ["model_name", "feature", "psi", "rows", "shift"]
    reps = drift[drift["model_name"] == "stagnation-rep-passivity"]
    # ~55 reps a day: a feature is judged only when each of its bins can hold 10 of them; for
    # the others (the deciles of most features) the PSI would be noise
    reference = load_scoring_models(need=["rep-passivity"])["rep-passivity"].card.reference
    assert reference is not None
    bins = reps["feature"].map(lambda feature: len(reference[feature]["shares"]))
    too_few = reps["rows"] < MIN_ROWS_PER_BIN * bins
    assert too_few.mean() > 0.5
    assert ((reps["shift"] == "too_few_rows") == too_few).all()
    assert set(drift["model_name"]) == {
        "stagnation-rep-passivity",
        "stagnation-customer-recycling",
    }
    assert (drift["psi"] >= 0).all()


def test_score_is_deterministic_and_keeps_the_top(store: Path) -> None:
    runner, first, second = CliRunner(), store / "a.parquet", store / "b.parquet"
    for out in (first, second):
        args = ["score", SAMPLE, "--as-of", "2025-10-01", "--out", str(out), "--top", "25"]
        assert runner.invoke(cli.app, args).exit_code == 0
    assert first.read_bytes() == second.read_bytes()
    assert len(pd.read_parquet(first)) == 25


def test_score_accepts_exported_model_folders(store: Path) -> None:
    runner = CliRunner()
    folders = []
    for name in ("rep-passivity", "customer-recycling"):
        folder = store / "exported" / name
        assert (
            runner.invoke(cli.app, ["export", "--model", name, "--out", str(folder)]).exit_code == 0
        )
        folders += ["--model-uri", str(folder)]
    out = store / "from-folders.csv"
    args = ["score", SAMPLE, "--as-of", "2025-10-01", "--out", str(out), *folders]
    result = runner.invoke(cli.app, args)
    assert result.exit_code == 0, result.output
    assert len(pd.read_csv(out)) > 10


def test_a_failed_score_leaves_the_earlier_file_untouched(store: Path) -> None:
    out = store / "keep.csv"
    out.write_text("earlier list\n", encoding="utf-8")
    args = ["score", SAMPLE, "--as-of", "2025-10-01", "--out", str(out), "--model-uri", "nowhere"]
    result = CliRunner().invoke(cli.app, args)
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert out.read_text(encoding="utf-8") == "earlier list\n"


def test_customers_and_orders_only_give_customer_actions_without_counterparts(
    store: Path,
) -> None:
    crm = load_crm(SAMPLE)
    folder = store / "orders-only-score"
    save_crm(type(crm)(customers=crm.customers, orders=crm.orders), folder)
    out = store / "orders-only.csv"
    args = ["score", str(folder), "--as-of", "2025-10-01", "--out", str(out)]
    result = CliRunner().invoke(cli.app, args)
    assert result.exit_code == 0, result.output
    actions = pd.read_csv(out)
    assert set(actions["entity_type"]) == {"customer"}
    assert actions["counterpart_id"].isna().all()


def test_feature_drift_of_one_model_is_the_drift_scoring_reports(store: Path) -> None:
    from stagnation.scoring import feature_drift, score_with_drift

    crm = load_crm(SAMPLE)
    steps: list[str] = []
    result = score_with_drift(crm, "2026-01-01", progress=steps.append)
    name = "stagnation-customer-recycling"
    one = feature_drift(crm, "2026-01-01", f"models:/{name}@champion")

    expected = result.drift[result.drift["model_name"] == name].reset_index(drop=True)
    pd.testing.assert_frame_equal(one.reset_index(drop=True), expected)
    assert len(one) > 50 and set(one["shift"]) <= {"stable", "moderate", "major"}
    assert steps[0] == "loading the models" and steps[-1] == "ranking"
    assert {"rep features, scores and reasons", "matching recipients"} <= set(steps)


def test_no_id_of_the_sample_is_in_any_mlflow_artifact(store: Path) -> None:
    from tests._privacy import extract_ids, ids_in_files

    crm = load_crm(SAMPLE, validate=False)
    assert crm.reps is not None
    ids = extract_ids(crm.customers["customer_id"], crm.reps["rep_id"])
    artifacts = store / "mlruns"
    files = [p for p in artifacts.rglob("*") if p.is_file()]
    suffixes = {p.suffix for p in files}
    assert {".parquet", ".json", ".md", ".csv", ".pkl", ".png"} <= suffixes  # swept them all
    holdouts = list(artifacts.rglob("holdout.parquet"))
    assert len(holdouts) >= 2 and all("row" in pd.read_parquet(p).columns for p in holdouts)
    assert ids_in_files(artifacts, ids) == {}
