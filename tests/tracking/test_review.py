"""What a model owner reads before promoting: versions, side by side, plots, a dry-run compare."""

from __future__ import annotations

from pathlib import Path

import pytest
from mlflow import MlflowClient

from stagnation.tracking import compare, model_versions, promote, side_by_side, version_plots
from stagnation.training._result import TrainingResult

NAME = "stagnation-customer-recycling"


def _aliases(uri: str) -> dict[str, str]:
    aliases = MlflowClient(tracking_uri=uri).get_registered_model(NAME).aliases
    return {k: str(v) for k, v in aliases.items()}


def test_compare_says_what_promote_would_do_and_moves_nothing(promotion_store: str) -> None:
    dry = compare("customer-recycling")

    assert (dry.champion, dry.challenger, dry.promoted) == ("1", "2", False)
    assert dry.message.startswith("would not promote")
    assert _aliases(promotion_store) == {"champion": "1", "challenger": "2"}
    assert "promotion" not in MlflowClient().get_model_version(NAME, "2").tags
    done = promote(NAME)
    assert done.comparison.equals(dry.comparison)


def test_compare_of_a_better_challenger_would_promote(promotion_store: str) -> None:
    client = MlflowClient(tracking_uri=promotion_store)
    client.set_registered_model_alias(NAME, "champion", "2")
    client.set_registered_model_alias(NAME, "challenger", "1")

    dry = compare(NAME)

    assert dry.promoted and dry.message.startswith("would promote")
    assert dry.comparison.loc["roc_auc", "difference"] > 0
    assert _aliases(promotion_store)["champion"] == "2"


def test_model_versions_lists_newest_first_with_aliases_and_metrics(
    promotion_store: str, customer_result: TrainingResult, worse: TrainingResult
) -> None:
    table = model_versions("customer-recycling")

    assert table["version"].tolist() == [2, 1]
    assert table["aliases"].tolist() == ["challenger", "champion"]
    assert table.loc[1, "roc_auc"] == pytest.approx(customer_result.headline()["roc_auc"], 1e-3)
    assert table.loc[0, "roc_auc"] == pytest.approx(worse.headline()["roc_auc"], 1e-3)
    assert (table["data_end"] == "2024-12-01").all()
    assert (table["source_commit"] == "template").all()


def test_side_by_side_puts_metrics_settings_and_source_in_columns(
    promotion_store: str, customer_result: TrainingResult
) -> None:
    table = side_by_side(NAME)

    assert list(table.columns) == ["champion v1", "challenger v2"]
    assert set(table.index.get_level_values("section")) == {"metric", "setting", "source"}
    assert table.loc[("metric", "roc_auc"), "champion v1"] == pytest.approx(
        customer_result.headline()["roc_auc"], 1e-3
    )
    assert table.loc[("setting", "horizon_days"), "challenger v2"] == 180
    assert table.loc[("source", "source_commit"), "champion v1"] == "template"
    by_number = side_by_side(NAME, ("2",))
    assert list(by_number.columns) == ["2"]
    with pytest.raises(ValueError, match="no version with alias 'staging'"):
        side_by_side(NAME, ("staging",))


def test_version_plots_downloads_the_logged_pngs(promotion_store: str, tmp_path: Path) -> None:
    plots = version_plots(NAME, "champion", tmp_path / "plots")

    assert {"lift_gain", "roc_pr", "calibration", "feature_importance"} <= set(plots)
    for path in plots.values():
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert tmp_path in path.parents


def test_compare_without_a_champion_leaves_the_aliases_alone(logged_store: str) -> None:
    MlflowClient(tracking_uri=logged_store).delete_registered_model_alias(NAME, "champion")

    dry = compare(NAME)

    assert dry.promoted and dry.message.endswith("would be 'champion'")
    assert _aliases(logged_store) == {"challenger": "1"}
    done = promote(NAME)
    assert done.message.endswith("is now 'champion'")
    assert _aliases(logged_store) == {"champion": "1", "challenger": "1"}
