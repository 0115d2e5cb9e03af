"""The poison the fault suite mixes into the replay is what it says, and each kind is refused by the
envelope or the event's contract, as the consumers read them."""

from __future__ import annotations

import json
from datetime import date

import pytest
from fault_oracle import header
from fault_poison import KINDS, UNKNOWN_TENANT, mix, wrong_nir
from pydantic import ValidationError

from extranet_contracts import Envelope
from extranet_contracts.households import HouseholdBeneficiariesRecorded
from extranet_contracts.legacy import MemberAffiliated
from extranet_plumbing.tenants import load_registry
from legacy_simulator.generator import generate
from legacy_simulator.publisher import to_record
from legacy_simulator.sizes import PRESETS

MODELS = {"MemberAffiliated": MemberAffiliated, "HouseholdBeneficiariesRecorded": HouseholdBeneficiariesRecorded}


@pytest.fixture(scope="module")
def records():
    return [to_record(e, ev) for e, ev in generate(PRESETS["small"], 2026, "mbtp", date(2026, 12, 1))]


def test_one_percent_each_kind_after_the_record_it_copies(records):
    mixed, kinds = mix(records, 0.03, seed=1)
    assert len(kinds) == round(len(records) * 0.03) == len(mixed) - len(records)
    assert set(kinds.values()) == set(KINDS)
    originals = {header(r, "ce_id") for r in records}
    assert not originals & set(kinds)  # an event id of its own
    assert [r for r in mixed if header(r, "ce_id") not in kinds] == records  # the real ones untouched, in order
    for i, r in enumerate(mixed):
        if header(r, "ce_id") in kinds:
            before = mixed[i - 1]
            while header(before, "ce_id") in kinds:
                i -= 1
                before = mixed[i - 1]
            assert (r[0], r[2]) == (before[0], before[2])  # same stream and key: same partition, right after it
    assert list(mix(records, 0.03, seed=1)[1].values()) == list(kinds.values())  # the same seed, the same poison


def test_each_kind_is_refused_where_the_consumers_look(records):
    mixed, kinds = mix(records, 0.05, seed=2)
    registry = set(load_registry())
    for r in mixed:
        kind = kinds.get(header(r, "ce_id"))
        if kind is None:
            continue
        envelope = Envelope.from_headers(r[4])
        if kind == "malformed_json":
            with pytest.raises(ValueError):
                json.loads(r[3])
        elif kind == "unknown_tenant":
            assert envelope.tenant == UNKNOWN_TENANT and UNKNOWN_TENANT not in registry
            if r[1] in MODELS:
                MODELS[r[1]].model_validate_json(r[3])  # the data itself is sound: the tenant alone is wrong
        else:
            assert r[1] in MODELS and envelope.tenant in registry
            with pytest.raises(ValidationError, match="(?i)nir"):
                MODELS[r[1]].model_validate_json(r[3])


def test_wrong_nir_changes_the_control_key_only():
    assert wrong_nir("295125626007815") == "295125626007816"
    assert wrong_nir("195125626007897") == "195125626007801"
