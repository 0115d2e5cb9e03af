"""The read models as the legacy event log implies them, computed from the published records alone.

Independent of the services: it reads each record's headers and JSON value with the standard library (no
service projection, no extranet_contracts model), keeps the last revision of each aggregate, and says what
portfolio, claims and identity must hold. `compare` sets that against what the read models hold (fetched
by faults/run.py with plain SQL) and counts what is missing (lost) and what is there without an event
behind it (extra, i.e. doubled or invented). A record is `(stream, type, key, value, headers)`, as
`legacy_simulator.publisher.to_record` makes it; poison records (faults/fault_poison.py) are left out by
their event id.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

Record = tuple[str, str, bytes, bytes, list[tuple[str, bytes]]]


def header(record: Record, name: str) -> str:
    for key, value in record[4]:
        if key == name:
            return value.decode()
    return ""


def event_id(record: Record) -> str:
    return header(record, "ce_id")


@dataclass
class Oracle:
    """What the events say, by tenant-qualified keys."""

    companies: set[tuple[str, str]] = field(default_factory=set)
    contracts: set[tuple[str, str]] = field(default_factory=set)
    brokers: set[tuple[str, str]] = field(default_factory=set)
    memberships: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)  # affiliation facts, last revision
    radiations: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    movements: dict[tuple[str, str, str], set[tuple[str, int]]] = field(default_factory=lambda: defaultdict(set))  # -> {(day, withdrawn)}
    payments: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    members: set[tuple[str, str]] = field(default_factory=set)  # primary insured numbers (identity's members on file)
    households: dict[str, set[tuple[str, str]]] = field(default_factory=lambda: defaultdict(set))
    applied: int = 0

    @classmethod
    def of(cls, records: Iterable[Record], poison: set[str] = frozenset()) -> Oracle:
        oracle, seen = cls(), set()
        for record in records:
            ident = event_id(record)
            if ident in poison or ident in seen:  # a record sent twice is one event
                continue
            seen.add(ident)
            oracle.add(header(record, "ce_tenant"), record[1], json.loads(record[3]))
        return oracle

    def add(self, tenant: str, kind: str, data: Mapping[str, Any]) -> None:
        self.applied += 1
        if kind == "CompanyRegistered":
            self.companies.add((tenant, data["company_code"]))
        elif kind == "CollectiveContractSigned":
            self.contracts.add((tenant, data["contract_number"]))
        elif kind == "BrokerRegistered":
            self.brokers.add((tenant, data["broker_code"]))
        elif kind == "MemberAffiliated":
            self._latest(self.memberships, (tenant, data["membership_id"]), data)
            self.members.add((tenant, data["member_number"]))
        elif kind == "MemberRadiated":
            self._latest(self.radiations, (tenant, data["membership_id"]), data)
        elif kind in ("BrokerPortfolioCompanyAssigned", "BrokerPortfolioCompanyWithdrawn"):
            withdrawn = kind.endswith("Withdrawn")
            fact = (data["withdrawn_on" if withdrawn else "assigned_on"], int(withdrawn))  # on the same day, the withdrawal wins
            key = (tenant, data["broker_code"], data["company_code"])
            self.movements[key].add(fact)
        elif kind == "ReimbursementPaid":
            self._latest(self.payments, (tenant, data["reference"]), data)
        elif kind in ("MemberContractRecorded", "HouseholdBeneficiariesRecorded", "CommunicationPreferencesRecorded"):
            self.households[kind].add((tenant, data["member_number"]))

    @staticmethod
    def _latest(facts: dict, key: tuple, data: Mapping[str, Any]) -> None:
        if key not in facts or facts[key].get("revision", 0) < data.get("revision", 0):
            facts[key] = dict(data)

    def portfolio_of(self, day: str) -> dict[tuple[str, str], set[str]]:
        """Each broker's companies on `day` (ISO date): the last assignment or withdrawal dated by then is an assignment."""
        last: dict[tuple[str, str, str], tuple[str, int]] = {}
        for key, facts in self.movements.items():
            dated = [fact for fact in facts if fact[0] <= day]
            if dated:
                last[key] = max(dated)
        mine: dict[tuple[str, str], set[str]] = defaultdict(set)
        for (tenant, broker, company), (_day, withdrawn) in last.items():
            if not withdrawn:
                mine[(tenant, broker)].add(company)
        return mine

    def figures(self, day: str) -> dict[str, Any]:
        """The sets and per-broker figures the read models must show on `day`."""
        active: dict[tuple[str, str], int] = defaultdict(int)  # (tenant, company) -> memberships active on `day`
        for key, affiliation in self.memberships.items():
            radiation = self.radiations.get(key)
            if _active(affiliation["effective_date"], radiation, day):
                active[(tenant_of(key), affiliation["company_code"])] += 1
        per_broker = {
            f"{tenant}/{broker}": {"companies": len(companies), "active_memberships": sum(active[(tenant, c)] for c in companies)}
            for (tenant, broker), companies in self.portfolio_of(day).items()
        }
        return {
            "portfolio.companies": set(self.companies),
            "portfolio.contracts": set(self.contracts),
            "portfolio.brokers": set(self.brokers),
            "portfolio.memberships": set(self.memberships) | set(self.radiations),
            "portfolio.radiated": set(self.radiations),
            "portfolio.per_broker": per_broker,
            "claims.payments": set(self.payments),
            "claims.acts": sum(len(p.get("acts") or ()) for p in self.payments.values()),
            "claims.member_contracts": set(self.households["MemberContractRecorded"]),
            "claims.household_beneficiaries": set(self.households["HouseholdBeneficiariesRecorded"]),
            "claims.communication_preferences": set(self.households["CommunicationPreferencesRecorded"]),
            "identity.members_on_file": set(self.members),
            "identity.broker_accounts": set(self.brokers),
        }


def tenant_of(key: tuple[str, ...]) -> str:
    return key[0]


def _active(start: str, radiation: Mapping[str, Any] | None, day: str) -> bool:
    return bool(start) and start <= day and (radiation is None or radiation["effective_date"] >= day)


@dataclass(frozen=True)
class Difference:
    what: str
    expected: int
    found: int
    lost: int  # expected, not found
    extra: int  # found, not expected (doubled or invented)
    sample: str = ""

    @property
    def ok(self) -> bool:
        return not self.lost and not self.extra


def compare(expected: Mapping[str, Any], found: Mapping[str, Any], only: set[str] | None = None) -> list[Difference]:
    """Each figure of `expected` against `found`: sets by their keys, numbers as they are, per-broker figures
    broker by broker (a broker whose figures differ counts as one lost, or extra when it has more)."""
    out = []
    for what, want in expected.items():
        if only is not None and what not in only:
            continue
        have = found.get(what)
        if isinstance(want, set):
            have = have if isinstance(have, set) else set()
            lost, extra = want - have, have - want
            sample = "; ".join(f"{label} {sorted(keys)[:2]}" for label, keys in (("lost", lost), ("extra", extra)) if keys)
            out.append(Difference(what, len(want), len(have), len(lost), len(extra), sample))
        elif isinstance(want, dict):
            have = have if isinstance(have, dict) else {}
            lost = extra = 0
            wrong = []
            for key in sorted(set(want) | set(have)):
                a, b = want.get(key), have.get(key)
                if a == b:
                    continue
                wrong.append(f"{key}: expected {a}, found {b}")
                if b is None or (a is not None and sum(b.values()) < sum(a.values())):
                    lost += 1
                else:
                    extra += 1
            out.append(Difference(what, len(want), len(have), lost, extra, "; ".join(wrong[:2])))
        else:
            have = int(have or 0)
            out.append(Difference(what, int(want), have, max(int(want) - have, 0), max(have - int(want), 0)))
    return out
