"""``stagnation import salesforce``: a Salesforce data export (standard objects) to an extract.

Reads ``Account``, ``User``, ``Task``, ``Event``, ``Opportunity``, ``Order`` and
``AccountHistory`` CSVs with their API field names, as the weekly data export and Data Loader
write them, and says what it mapped, what it dropped and why.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import numpy as np
import pandas as pd

from stagnation.crm import CRM, extract_folder, save_crm
from stagnation.importers._output import (
    ImportResult,
    SourceError,
    TableImport,
    staged_extract,
    validate_staged,
)
from stagnation.importers._salesforce_read import (
    PREFIXES,
    column,
    prefix,
    read_object,
    require,
    sf_bools,
    sf_ids,
    sf_times,
)

#: The objects read; other CSVs of the export are listed as not used.
OBJECTS = ("Account", "User", "Task", "Event", "Opportunity", "Order", "AccountHistory")
#: Task subtypes and types, and event types, to contract channels (anything else: other).
TASK_CHANNELS = {
    "call": "call",
    "email": "email",
    "listemail": "email",
    "linkedin": "message",
    "meeting": "meeting",
    "visit": "visit",
}
EVENT_CHANNELS = {
    "call": "call",
    "email": "email",
    "visit": "visit",
    "customer visit": "visit",
    "site visit": "visit",
}
CALL_DIRECTIONS = {"inbound": "inbound", "outbound": "outbound", "internal": "outbound"}
#: Size bands of ``NumberOfEmployees``.
SIZE_BANDS = ((10, "1-10"), (50, "11-50"), (200, "51-200"), (1000, "201-1000"), (5000, "1001-5000"))


def import_salesforce(
    export_dir: str | os.PathLike[str],
    out_dir: str | os.PathLike[str],
    *,
    encoding: str = "auto",
    hired_at: str = "CreatedDate",
    left_at: str | None = None,
) -> ImportResult:
    """Turn a Salesforce export folder into a validated extract folder.

    Parameters
    ----------
    export_dir
        The unzipped export: ``Account.csv``, ``User.csv`` and any of ``Task.csv``,
        ``Event.csv``, ``Opportunity.csv``, ``Order.csv``, ``AccountHistory.csv``.
    out_dir
        The extract folder to write; it appears only once it is complete and valid.
    encoding
        ``"auto"`` (UTF-8 or UTF-16 with a byte-order mark) or the export's encoding.
    hired_at
        The User field holding the hiring date (default ``CreatedDate``).
    left_at
        The User field holding the leaving date; default: ``LastModifiedDate`` of inactive users.

    Returns
    -------
    ImportResult
        Per contract table: rows written and rows dropped by reason; the validation report.

    Raises
    ------
    SourceError
        A missing object or column, ids that are not Salesforce ids, unreadable dates or text.
    CRMValidationError
        When the mapped tables break the extract contract.
    """
    folder = extract_folder(export_dir)
    began = time.perf_counter()
    read = {name: read_object(folder, name, encoding) for name in OBJECTS}
    unused = sorted(p.name for p in folder.glob("*.csv") if p.stem not in OBJECTS)
    for path in unused:  # every CSV must at least be a Salesforce object
        read_object(folder, Path(path).stem, encoding)
    if read["Account"] is None or read["User"] is None:
        raise SourceError(f"{folder}: a Salesforce export needs Account.csv and User.csv")
    if read["Task"] is None and read["Event"] is None and read["Opportunity"] is None:
        raise SourceError(f"{folder}: no Task.csv, Event.csv or Opportunity.csv: nothing to learn")
    accounts = _accounts(read["Account"])
    reps = _users(read["User"], hired_at, left_at)
    known = _Known(set(accounts.frame["customer_id"]), set(reps.frame["rep_id"]))
    opps_raw = read["Opportunity"]
    opp_account = (
        dict(
            zip(
                sf_ids(opps_raw["Id"], "Opportunity.csv.Id"),
                sf_ids(opps_raw["AccountId"], "Opportunity.csv.AccountId"),
                strict=True,
            )
        )
        if opps_raw is not None and "AccountId" in opps_raw
        else {}
    )
    tables = [accounts, reps]
    activities = [
        _activities(raw, n, known, opp_account)
        for n in ("Task", "Event")
        if (raw := read[n]) is not None
    ]
    if activities:
        tables.append(
            _Mapped(
                "activities",
                pd.concat([a.frame for a in activities], ignore_index=True),
                " + ".join(a.source for a in activities),
                _merge(a.dropped for a in activities),
            )
        )
    opportunities = _opportunities(opps_raw, known) if opps_raw is not None else None
    if opportunities is not None:
        tables.append(opportunities)
    orders = _orders(read["Order"], known, opportunities)
    if orders is not None:
        tables.append(orders)
    ownership = _ownership(read["Account"], read["AccountHistory"], known)
    if ownership is not None:
        tables.append(ownership)
    elapsed = time.perf_counter() - began
    with staged_extract(out_dir) as staged:
        save_crm(CRM.from_frames(**{t.table: t.frame for t in tables}), staged)
        report = validate_staged(staged)
    notes = tuple(n for t in tables for n in t.notes)
    if unused:
        notes += (f"not used: {', '.join(unused)}",)
    return ImportResult(
        Path(out_dir),
        tuple(TableImport(t.table, t.source, len(t.frame), elapsed, t.dropped) for t in tables),
        report,
        notes=notes,
    )


class _Mapped:
    def __init__(
        self, table: str, frame: pd.DataFrame, source: str, dropped: dict[str, int] | None = None
    ) -> None:
        self.table, self.frame, self.source, self.dropped = table, frame, source, dropped or {}
        self.notes: list[str] = []


class _Known:
    def __init__(self, accounts: set[str], users: set[str]) -> None:
        self.accounts, self.users = accounts, users


def _merge(parts: object) -> dict[str, int]:
    out: dict[str, int] = {}
    for part in parts:  # type: ignore[attr-defined]
        for reason, n in part.items():
            out[reason] = out.get(reason, 0) + n
    return out


def _drop(frame: pd.DataFrame, reasons: list[tuple[str, pd.Series]]) -> tuple[pd.DataFrame, dict]:
    """Drop rows by the first reason that applies; return the kept rows and counts by reason."""
    keep = pd.Series(True, index=frame.index)
    counts = {}
    for reason, mask in reasons:
        hit = keep & mask.fillna(False).astype(bool)
        if hit.any():
            counts[reason] = int(hit.sum())
        keep &= ~hit
    return frame[keep], counts


def _not_deleted(raw: pd.DataFrame) -> pd.Series:
    return sf_bools(raw["IsDeleted"]) if "IsDeleted" in raw else pd.Series(False, index=raw.index)


def _accounts(raw: pd.DataFrame) -> _Mapped:
    require(raw, "Account", "Id", "CreatedDate")
    kept, dropped = _drop(raw, [("deleted in Salesforce", _not_deleted(raw))])
    employees = pd.to_numeric(column(kept, "NumberOfEmployees"), errors="coerce").astype(float)
    bands = np.select(
        [(employees <= limit).to_numpy() for limit, _ in SIZE_BANDS],
        [band for _, band in SIZE_BANDS],
        default="5000+",
    )
    frame = pd.DataFrame(
        {
            "customer_id": sf_ids(kept["Id"], "Account.csv.Id"),
            "created_at": sf_times(kept["CreatedDate"], "Account.csv.CreatedDate"),
            "industry": column(kept, "Industry"),
            "region": column(kept, "BillingState", "BillingCountry"),
            "size": pd.Series(bands, index=kept.index, dtype="string").where(employees.notna()),
            "source": column(kept, "AccountSource"),
        }
    )
    return _Mapped("customers", frame, "Account.csv", dropped)


def _users(raw: pd.DataFrame, hired_at: str, left_at: str | None) -> _Mapped:
    require(raw, "User", "Id", hired_at, *([left_at] if left_at else []))
    if left_at is None:
        require(raw, "User", "IsActive", "LastModifiedDate")
        left = sf_times(raw["LastModifiedDate"], "User.csv.LastModifiedDate").where(
            ~sf_bools(raw["IsActive"])
        )
    else:
        left = sf_times(raw[left_at], f"User.csv.{left_at}")
    frame = pd.DataFrame(
        {
            "rep_id": sf_ids(raw["Id"], "User.csv.Id"),
            "hired_at": sf_times(raw[hired_at], f"User.csv.{hired_at}"),
            "left_at": left,
            "team": column(raw, "Department", "UserRoleId"),
            "role": column(raw, "Title"),
        }
    )
    return _Mapped("reps", frame, "User.csv")


def _account_of(raw: pd.DataFrame, name: str, opp_account: dict[str, str]) -> pd.Series:
    """Return each row's Account: ``AccountId``, else the Account or Opportunity in ``WhatId``."""
    account = sf_ids(column(raw, "AccountId"), f"{name}.csv.AccountId")
    what = sf_ids(column(raw, "WhatId"), f"{name}.csv.WhatId")
    direct = account.isna() & (prefix(what) == "001")
    account = account.where(~direct, what)
    via_opp = account.isna() & (prefix(what) == "006")
    return account.where(~via_opp, what.map(opp_account).astype("string"))


def _no_account_reasons(raw: pd.DataFrame, name: str, account: pd.Series) -> list:
    who = prefix(sf_ids(column(raw, "WhoId"), f"{name}.csv.WhoId"))
    what = prefix(sf_ids(column(raw, "WhatId"), f"{name}.csv.WhatId"))
    none = account.isna()
    reasons = [
        (f"{name} on a Contact with no Account", none & (who == "003")),
        (f"{name} on a Lead (no Account yet)", none & (who == "00Q")),
    ]
    for key, obj in PREFIXES.items():
        if obj not in ("Account", "Contact", "Lead"):
            reasons.append((f"{name} on a {obj} with no Account", none & (what == key)))
    reasons.append((f"{name} on an unknown object with no Account", none & what.notna()))
    reasons.append((f"{name} with no Account", none))
    return reasons


def _owner_reasons(owner: pd.Series, known: _Known, name: str) -> list:
    return [
        (f"{name} owned by a queue, not a user", prefix(owner) == "00G"),
        (f"{name} owner not in User.csv", ~owner.isin(known.users)),
    ]


def _activities(
    raw: pd.DataFrame, name: str, known: _Known, opp_account: dict[str, str]
) -> _Mapped:
    require(raw, name, "Id", "OwnerId", "CreatedDate")
    if "AccountId" not in raw and "WhatId" not in raw:
        require(raw, name, "AccountId")
    account = _account_of(raw, name, opp_account)
    owner = sf_ids(raw["OwnerId"], f"{name}.csv.OwnerId")
    reasons = [("deleted in Salesforce", _not_deleted(raw))]
    if name == "Task" and "IsClosed" in raw:
        reasons.append(("open Task (not done yet)", ~sf_bools(raw["IsClosed"])))
    reasons += _no_account_reasons(raw, name, account)
    reasons.append((f"{name} on an Account not in Account.csv", ~account.isin(known.accounts)))
    reasons += _owner_reasons(owner, known, name)
    kept, dropped = _drop(raw, reasons)
    if name == "Task":
        when = column(kept, "CompletedDateTime", "ActivityDate", "CreatedDate")
        kind = column(kept, "TaskSubtype").str.lower()
        kind = kind.where(kind.isin(list(TASK_CHANNELS)), column(kept, "Type").str.lower())
        channel = kind.map(TASK_CHANNELS).fillna("other")
        direction = column(kept, "CallType").str.lower().map(CALL_DIRECTIONS)
    else:
        when = column(kept, "ActivityDateTime", "StartDateTime", "ActivityDate", "CreatedDate")
        channel = column(kept, "Type").str.lower().map(EVENT_CHANNELS).fillna("meeting")
        direction = pd.Series(pd.NA, index=kept.index, dtype="string")
    frame = pd.DataFrame(
        {
            "activity_id": sf_ids(kept["Id"], f"{name}.csv.Id"),
            "customer_id": account[kept.index],
            "rep_id": owner[kept.index],
            "occurred_at": sf_times(when, f"{name}.csv"),
            "channel": channel.astype("string"),
            "direction": direction.astype("string"),
        }
    )
    return _Mapped("activities", frame, f"{name}.csv", dropped)


def _opportunities(raw: pd.DataFrame, known: _Known) -> _Mapped:
    require(raw, "Opportunity", "Id", "AccountId", "OwnerId", "CreatedDate", "IsClosed", "IsWon")
    account = sf_ids(raw["AccountId"], "Opportunity.csv.AccountId")
    owner = sf_ids(raw["OwnerId"], "Opportunity.csv.OwnerId")
    kept, dropped = _drop(
        raw,
        [
            ("deleted in Salesforce", _not_deleted(raw)),
            ("Opportunity with no Account", account.isna()),
            ("Opportunity on an Account not in Account.csv", ~account.isin(known.accounts)),
            *_owner_reasons(owner, known, "Opportunity"),
        ],
    )
    closed, won = sf_bools(kept["IsClosed"]), sf_bools(kept["IsWon"])
    created = sf_times(kept["CreatedDate"], "Opportunity.csv.CreatedDate")
    close = sf_times(column(kept, "CloseDate"), "Opportunity.csv.CloseDate").where(closed)
    # CloseDate is a date; a deal closed the day it was created must not close before it began
    clipped = close.notna() & (close < created)
    frame = pd.DataFrame(
        {
            "opportunity_id": sf_ids(kept["Id"], "Opportunity.csv.Id"),
            "customer_id": account[kept.index],
            "rep_id": owner[kept.index],
            "created_at": created,
            "closed_at": close.where(~clipped, created),
            "status": np.where(closed & won, "won", np.where(closed, "lost", "open")),
            "amount": pd.to_numeric(column(kept, "Amount"), errors="coerce"),
        }
    )
    mapped = _Mapped("opportunities", frame, "Opportunity.csv", dropped)
    if clipped.any():
        mapped.notes.append(
            f"opportunities: {int(clipped.sum())} closed the day they were "
            "created (CloseDate is a date): closed_at set to CreatedDate"
        )
    return mapped


def _orders(
    raw: pd.DataFrame | None, known: _Known, opportunities: _Mapped | None
) -> _Mapped | None:
    if raw is None:
        if opportunities is None:
            return None
        opp = opportunities.frame
        won = opp[opp["status"] == "won"]
        kept, dropped = _drop(won, [("won Opportunity without Amount", won["amount"].isna())])
        frame = pd.DataFrame(
            {
                "order_id": kept["opportunity_id"],
                "customer_id": kept["customer_id"],
                "ordered_at": kept["closed_at"],
                "amount": kept["amount"],
                "rep_id": kept["rep_id"],
            }
        )
        return _Mapped("orders", frame, "closed-won rows of Opportunity.csv", dropped)
    require(raw, "Order", "Id", "AccountId", "EffectiveDate")
    account = sf_ids(raw["AccountId"], "Order.csv.AccountId")
    status = column(raw, "StatusCode", "Status").str.lower()
    amount = pd.to_numeric(column(raw, "TotalAmount"), errors="coerce")
    kept, dropped = _drop(
        raw,
        [
            ("deleted in Salesforce", _not_deleted(raw)),
            ("Order not activated (Draft)", status.notna() & ~status.isin(["activated"])),
            ("Order on an Account not in Account.csv", ~account.isin(known.accounts)),
            ("Order without TotalAmount", amount.isna()),
        ],
    )
    owner = sf_ids(column(kept, "OwnerId"), "Order.csv.OwnerId")
    frame = pd.DataFrame(
        {
            "order_id": sf_ids(kept["Id"], "Order.csv.Id"),
            "customer_id": account[kept.index],
            "ordered_at": sf_times(column(kept, "ActivatedDate", "EffectiveDate"), "Order.csv"),
            "amount": amount[kept.index],
            "rep_id": owner.where(owner.isin(known.users)),  # a queue or unknown owner: no rep
        }
    )
    return _Mapped("orders", frame, "Order.csv", dropped)


def _ownership(
    accounts: pd.DataFrame, history: pd.DataFrame | None, known: _Known
) -> _Mapped | None:
    if "OwnerId" not in accounts:
        return None
    acc = accounts[~_not_deleted(accounts)]
    ids = sf_ids(acc["Id"], "Account.csv.Id")
    created = pd.Series(
        sf_times(acc["CreatedDate"], "Account.csv.CreatedDate").to_numpy(), index=ids.to_numpy()
    )
    current = pd.Series(
        sf_ids(acc["OwnerId"], "Account.csv.OwnerId").to_numpy(), index=ids.to_numpy()
    )
    changes = pd.DataFrame(columns=["customer_id", "valid_from", "old", "new"])
    source = "Account.csv OwnerId"
    if history is not None:
        require(history, "AccountHistory", "AccountId", "Field", "NewValue", "CreatedDate")
        owner_rows = history[column(history, "Field").str.lower() == "owner"]
        # Salesforce writes two rows per owner change: one with ids, one with names
        new, old = column(owner_rows, "NewValue"), column(owner_rows, "OldValue")
        is_id = new.str.fullmatch(r"(005|00G)[0-9A-Za-z]{12}(?:[0-9A-Za-z]{3})?").fillna(False)
        owner_rows = owner_rows[is_id]
        changes = pd.DataFrame(
            {
                "customer_id": sf_ids(owner_rows["AccountId"], "AccountHistory.csv.AccountId"),
                "valid_from": sf_times(owner_rows["CreatedDate"], "AccountHistory.csv.CreatedDate"),
                "old": sf_ids(old[is_id], "AccountHistory.csv.OldValue"),
                "new": sf_ids(new[is_id], "AccountHistory.csv.NewValue"),
            }
        )
        changes = changes[changes["customer_id"].isin(known.accounts)]
        changes = changes.sort_values(["customer_id", "valid_from"], kind="stable")
        source = "AccountHistory.csv (Field = Owner) + Account.csv OwnerId"
    first = changes.drop_duplicates("customer_id")
    initial_owner = current.copy()
    initial_owner[first["customer_id"].to_numpy()] = first["old"].to_numpy()
    rows = pd.concat(
        [
            pd.DataFrame(
                {
                    "customer_id": ids.to_numpy(),
                    "valid_from": created[ids].to_numpy(),
                    "owner": initial_owner[ids].to_numpy(),
                    "before": pd.NA,
                    "reason": "assigned",
                }
            ),
            pd.DataFrame(
                {
                    "customer_id": changes["customer_id"],
                    "valid_from": changes["valid_from"],
                    "owner": changes["new"],
                    "before": changes["old"],
                    "reason": "transferred",
                }
            ),
        ],
        ignore_index=True,
    )
    owner, before = rows["owner"].astype("string"), rows["before"].astype("string")
    to_pool, from_pool = prefix(owner) == "00G", prefix(before) == "00G"
    rows["reason"] = np.where(
        to_pool, "released", np.where(from_pool.fillna(False), "claimed", rows["reason"])
    )
    kept, dropped = _drop(rows, [("owner not in User.csv", ~to_pool & ~owner.isin(known.users))])
    frame = pd.DataFrame(
        {
            "customer_id": kept["customer_id"].astype("string"),
            "valid_from": pd.to_datetime(kept["valid_from"]),
            "rep_id": kept["owner"]
            .astype("string")
            .where(~to_pool[kept.index]),  # a queue: the pool
            "reason": kept["reason"],
        }
    ).sort_values(["customer_id", "valid_from"], kind="stable")
    return _Mapped("ownership", frame, source, dropped)


__all__ = ["import_salesforce"]
