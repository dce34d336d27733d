"""The model card: typed, frozen, strict, and able to read the flat settings of older models."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from pydantic import ValidationError

from stagnation.labels import CustomerReactivationSettings, RepPassivitySettings
from stagnation.training import SCHEMA_VERSION, ModelCard

#: The settings dict a model stored before the card (schema 1), abridged from a real run.
FLAT = {
    "model": "customer-recycling",
    "horizon_days": 180,
    "dormant_days": 60,
    "cutoff": "2025-03-01 00:00:00",
    "features": ["days_since_last_order", "industry"],
    "grid": ["2024-01-01", "2024-02-01"],
    "data_start": "2024-01-01",
    "positive_rate": 0.04,
    "beats_baselines": False,
    "reference_as_of": "2025-03-01 00:00:00",
}


def test_a_flat_schema_1_card_is_read_with_its_label_settings_folded_in() -> None:
    card = ModelCard.parse(FLAT)
    assert card.labels == CustomerReactivationSettings(horizon_days=180, dormant_days=60)
    assert (card.horizon_days, card.dormant_days) == (180, 60)
    assert card.cutoff == datetime(2025, 3, 1) and card.grid[1] == date(2024, 2, 1)
    assert card.beats_baselines is False and card.verdict is None


def test_the_card_round_trips_through_json_in_the_new_layout() -> None:
    card = ModelCard.parse(FLAT)
    stored = card.to_json()
    assert stored["schema_version"] == SCHEMA_VERSION
    assert stored["labels"] == {"dormant_days": 60, "horizon_days": 180}
    assert "horizon_days" not in stored and "reference" not in stored  # None is left out
    assert ModelCard.parse(stored) == card


def test_each_model_gets_its_own_label_settings_class() -> None:
    rep = ModelCard.parse({**FLAT, "model": "rep-passivity", "dormant_days": 90})
    assert isinstance(rep.labels, RepPassivitySettings) and rep.labels.baseline_days == 180
    with pytest.raises(ValidationError, match="needs RepPassivitySettings"):
        ModelCard(
            model="rep-passivity",
            labels=CustomerReactivationSettings(),
            cutoff=datetime(2025, 1, 1),
            features=["x"],
        )


def test_a_misspelt_key_is_refused_and_a_card_cannot_change() -> None:
    with pytest.raises(ValidationError, match="postive_rate"):
        ModelCard.parse({**FLAT, "postive_rate": 0.1})
    with pytest.raises(ValidationError, match="baseline_dayz"):
        ModelCard.parse({**FLAT, "model": "rep-passivity", "baseline_dayz": 3})
    card = ModelCard.parse(FLAT)
    with pytest.raises(ValidationError, match="frozen"):
        card.positive_rate = 0.5  # type: ignore[misc]
