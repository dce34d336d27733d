"""The README documents every feature as the code defines it (docs move with code)."""

from __future__ import annotations

from pathlib import Path

import pytest

from stagnation.features import CUSTOMER_FEATURES, REP_FEATURES

README = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("feature", [*REP_FEATURES, *CUSTOMER_FEATURES], ids=lambda f: f.name)
def test_every_feature_is_in_the_readme_with_its_description(feature) -> None:
    assert f"| `{feature.name}` | {feature.unit} | {feature.description} |" in README


def test_the_readme_counts_match() -> None:
    assert f"Rep features ({len(REP_FEATURES)})" in README
    assert f"Customer features ({len(CUSTOMER_FEATURES)})" in README
