"""Loading a model for scoring: one piece of advice per failure, chosen by the failure's type."""

from __future__ import annotations

from pathlib import Path

import pytest

from stagnation.errors import ModelNotFound
from stagnation.scoring._models import load_model_at

URI = "models:/stagnation-customer-recycling@champion"


def test_a_missing_registry_is_advised_once(tmp_path: Path) -> None:
    with pytest.raises(ModelNotFound) as info:
        load_model_at(URI, f"sqlite:///{tmp_path / 'none.db'}")

    message = str(info.value)
    assert "no MLflow registry at" in message
    assert message.count("stagnation train") == 1  # tracking's advice, not ours again
    assert not (tmp_path / "none.db").exists()


def test_a_mistyped_folder_gets_the_folder_advice(tmp_path: Path) -> None:
    with pytest.raises(ModelNotFound) as info:
        load_model_at(str(tmp_path / "nothere"), None)

    assert "check the path" in str(info.value)
    assert "Train it first" not in str(info.value)
