"""``pool_rules.json``: the company's own pool settings beside an extract."""

from __future__ import annotations

import pytest

from stagnation.importers import PoolRules, read_pool_rules
from stagnation.importers._pool import write_pool_rules


def test_pool_rules_round_trip_and_absent_means_none(tmp_path) -> None:
    assert read_pool_rules(tmp_path) is None
    rules = PoolRules(contact_expire_days=30, deal_expire_days=90, notify_days=3, source="x")
    write_pool_rules(rules, tmp_path)
    assert read_pool_rules(tmp_path) == rules


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{"contact_expire_days": 0}', "contact_expire_days: Input should be greater than"),
        ('{"contact_expire_dayz": 30}', "contact_expire_dayz: Extra inputs are not permitted"),
        ("not json", "Invalid JSON"),
    ],
)
def test_a_broken_pool_rules_file_names_the_setting(tmp_path, text, message) -> None:
    (tmp_path / "pool_rules.json").write_text(text, encoding="utf-8")
    with pytest.raises(ValueError, match=message):
        read_pool_rules(tmp_path)
