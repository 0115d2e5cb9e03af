"""Poison records mixed into the legacy replay: each one a copy of a real record, spoilt one way, under an
event id of its own, so that every consumer of its stream must put it on `<topic>.dlq` and apply nothing.

Kinds:
  malformed_json  the value cut in the middle (not JSON any more)
  unknown_tenant  a tenant the registry does not know (`ce_tenant`)
  invalid_nir     a membership's or household's NIR with a wrong control key (a valid JSON event otherwise)
"""

from __future__ import annotations

import json
import random
import uuid
from collections.abc import Sequence

from fault_oracle import Record

KINDS = ("malformed_json", "unknown_tenant", "invalid_nir")
UNKNOWN_TENANT = "mutuelle-inconnue"
# The events that carry a NIR, and where.
NIR_TYPES = {"MemberAffiliated", "HouseholdBeneficiariesRecorded"}


def _with_headers(record: Record, **changed: str) -> Record:
    headers = [(name, changed[name].encode()) if name in changed else (name, value) for name, value in record[4]]
    return record[0], record[1], record[2], record[3], headers


def wrong_nir(nir: str) -> str:
    """The same NIR with its control key (the last two digits) off by one: well formed, invalid."""
    key = int(nir[-2:])
    return nir[:-2] + f"{(key % 97) + 1:02d}"


def _spoil_nir(value: bytes) -> bytes:
    data = json.loads(value)
    people = [data["primary"]] if "primary" in data else list(data.get("beneficiaries") or [])
    spoilt = False
    for person in people:
        if person.get("nir"):
            person["nir"] = wrong_nir(person["nir"])
            spoilt = True
            break
    if not spoilt:
        raise ValueError("no NIR to spoil")
    return json.dumps(data, ensure_ascii=False).encode()


def poison(record: Record, kind: str) -> Record:
    """`record` spoilt as `kind`, under a new event id."""
    fresh = _with_headers(record, ce_id=str(uuid.uuid4()))
    if kind == "malformed_json":
        return fresh[0], fresh[1], fresh[2], fresh[3][: max(len(fresh[3]) // 2, 1)], fresh[4]
    if kind == "unknown_tenant":
        return _with_headers(fresh, ce_tenant=UNKNOWN_TENANT)
    if kind == "invalid_nir":
        return fresh[0], fresh[1], fresh[2], _spoil_nir(fresh[3]), fresh[4]
    raise ValueError(f"unknown poison kind {kind!r}")


def mix(records: Sequence[Record], share: float, seed: int) -> tuple[list[Record], dict[str, str]]:
    """`records` with `share` of their number in poison records inserted right after the record each copies
    (the same stream and key: the same partition); the mixed list and each poison's event id -> kind."""
    rng = random.Random(seed)
    count = round(len(records) * share)
    nir_positions = [i for i, r in enumerate(records) if r[1] in NIR_TYPES]
    chosen: dict[int, list[str]] = {}
    for n in range(count):
        kind = KINDS[n % len(KINDS)]
        pool = nir_positions if kind == "invalid_nir" and nir_positions else range(len(records))
        if kind == "invalid_nir" and not nir_positions:
            kind = "malformed_json"
        chosen.setdefault(rng.choice(pool), []).append(kind)
    mixed: list[Record] = []
    kinds: dict[str, str] = {}
    for i, record in enumerate(records):
        mixed.append(record)
        for kind in chosen.get(i, ()):
            bad = poison(record, kind)
            mixed.append(bad)
            kinds[dict(bad[4])["ce_id"].decode()] = kind
    return mixed, kinds
