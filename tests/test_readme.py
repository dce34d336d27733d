"""The README documents every feature as the code defines it; its pictures come from notebooks."""

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


def test_every_readme_picture_exists_and_is_drawn_by_a_tagged_notebook_cell() -> None:
    import json
    import re

    root = Path(__file__).resolve().parents[1]
    shown = set(re.findall(r"!\[[^\]]*\]\((docs/images/[^)]+\.png)\)", README))
    drawn = set()
    for notebook in sorted((root / "notebooks").glob("*.ipynb")):
        for cell in json.loads(notebook.read_text(encoding="utf-8"))["cells"]:
            for tag in cell.get("metadata", {}).get("tags", []):
                if tag.startswith("readme-image:"):
                    drawn.add(f"docs/images/{tag.removeprefix('readme-image:')}.png")
    assert shown, "the README shows no pictures"
    assert shown <= drawn, f"pictures no notebook cell draws: {sorted(shown - drawn)}"
    for path in shown:
        assert (root / path).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", path


def test_the_contract_lives_in_the_repository_and_names_every_action_column() -> None:
    from stagnation.scoring import ACTION_COLUMNS

    root = Path(__file__).resolve().parents[1]
    contract = (root / "docs" / "contract.md").read_text(encoding="utf-8")
    assert "(docs/contract.md)" in README and "../shared" not in README
    missing = [c for c in ACTION_COLUMNS if f"`{c}`" not in contract]
    assert not missing
    for action in ("release_to_pool", "assign", "coach", "--min-score", "strictly before T"):
        assert action in contract
