"""The company's own pool rule (公海规则) as an optional file of an extract: ``pool_rules.json``.

CRMs with a built-in customer pool release a customer after some days without a follow-up
record, or some days after it was received without a deal. An import that finds these settings
writes them next to the tables so the pool-rule baseline and the backtest can use the company's
own numbers. The file is an optional extension of the extract contract: loading and validating
an extract ignore it.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from stagnation.errors import BadExtract

#: File name of the pool settings inside an extract folder.
POOL_RULES_FILE = "pool_rules.json"


class PoolRules(BaseModel):
    """Settings of a CRM's customer pool: when an owned customer is released to the pool.

    Parameters
    ----------
    enabled
        Whether the CRM releases customers automatically at all.
    contact_expire_days
        Release an owned customer after this many days without a follow-up record
        (yudao ``contact_expire_days``, 未跟进放入公海天数). ``None``: no such rule.
    deal_expire_days
        Release an owned customer this many days after its owner received it, when it has not
        made a deal (yudao ``deal_expire_days``, 未成交放入公海天数). ``None``: no such rule.
    notify_days
        Warn the owner this many days before a release (``None``: no warning).
    source
        Where the settings came from, e.g. ``"crm_customer_pool_config"``.

    Examples
    --------
    >>> rules = PoolRules(contact_expire_days=30, deal_expire_days=90)
    >>> rules.enabled, rules.contact_expire_days
    (True, 30)
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    enabled: bool = True
    contact_expire_days: int | None = Field(default=None, ge=1)
    deal_expire_days: int | None = Field(default=None, ge=1)
    notify_days: int | None = Field(default=None, ge=0)
    source: str = ""


def write_pool_rules(rules: PoolRules, folder: str | os.PathLike[str]) -> Path:
    """Write ``rules`` as ``pool_rules.json`` into the extract ``folder`` and return its path."""
    path = Path(folder) / POOL_RULES_FILE
    path.write_text(json.dumps(rules.model_dump(), indent=2, ensure_ascii=False) + "\n", "utf-8")
    return path


def read_pool_rules(folder: str | os.PathLike[str]) -> PoolRules | None:
    """Read the pool settings of an extract folder, or ``None`` when it has none.

    Parameters
    ----------
    folder
        An extract folder, e.g. one written by ``stagnation import sql``.

    Returns
    -------
    PoolRules or None
        The settings in ``folder/pool_rules.json``; ``None`` when the file does not exist.

    Raises
    ------
    ValueError
        When the file is not valid JSON or breaks the :class:`PoolRules` rules; the message
        names the file and the setting.

    Examples
    --------
    >>> import tempfile
    >>> folder = tempfile.mkdtemp()
    >>> read_pool_rules(folder) is None  # an extract without the file
    True
    >>> path = write_pool_rules(PoolRules(contact_expire_days=31, deal_expire_days=5), folder)
    >>> read_pool_rules(folder).contact_expire_days
    31
    """
    path = Path(folder) / POOL_RULES_FILE
    if not path.is_file():
        return None
    try:
        return PoolRules.model_validate_json(path.read_bytes())
    except ValidationError as err:
        first = err.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "(file)"
        raise BadExtract(f"{path}: {where}: {first['msg']}") from None
