"""The fault suite's oracle against a small event log written by hand: what the read models must hold."""

from __future__ import annotations

import json
import uuid

from fault_oracle import Oracle, compare


def record(kind: str, stream: str, data: dict, tenant: str = "mbtp", ident: str | None = None):
    headers = [("ce_id", (ident or str(uuid.uuid4())).encode()), ("ce_type", kind.encode()), ("ce_tenant", tenant.encode())]
    return stream, kind, b"k", json.dumps(data).encode(), headers


def affiliated(membership: str, company: str, start: str, revision: int = 1, member: str = "10000001"):
    data = {"membership_id": membership, "member_number": member, "company_code": company, "effective_date": start, "revision": revision}
    return record("MemberAffiliated", "legacy.memberships", data)


LOG = [
    record("BrokerRegistered", "legacy.brokers", {"broker_code": "M1", "revision": 1}),
    record("CompanyRegistered", "legacy.companies", {"company_code": "C1", "revision": 1}),
    record("CompanyRegistered", "legacy.companies", {"company_code": "C2", "revision": 1}),
    record("BrokerPortfolioCompanyAssigned", "legacy.companies", {"broker_code": "M1", "company_code": "C1", "assigned_on": "2025-01-01"}),
    record("BrokerPortfolioCompanyAssigned", "legacy.companies", {"broker_code": "M1", "company_code": "C2", "assigned_on": "2025-01-01"}),
    # C2 leaves the broker's portfolio in June; an assignment dated the same day as a withdrawal loses to it.
    record(
        "BrokerPortfolioCompanyWithdrawn", "legacy.companies", {"broker_code": "M1", "company_code": "C2", "withdrawn_on": "2026-06-01"}
    ),
    record("BrokerPortfolioCompanyAssigned", "legacy.companies", {"broker_code": "M1", "company_code": "C2", "assigned_on": "2026-06-01"}),
    record("CollectiveContractSigned", "legacy.contracts", {"contract_number": "K1", "company_code": "C1", "revision": 1}),
    affiliated("A1", "C1", "2025-02-01"),
    affiliated("A2", "C1", "2025-03-01", member="10000002"),
    affiliated("A3", "C1", "2027-01-01", member="10000003"),  # not yet in force
    record("MemberRadiated", "legacy.memberships", {"membership_id": "A2", "effective_date": "2026-01-31", "revision": 2}),
    record("ReimbursementPaid", "legacy.claims", {"reference": "R1", "acts": [{}, {}], "revision": 1}),
    record("ReimbursementPaid", "legacy.claims", {"reference": "R1", "acts": [{}, {}, {}], "revision": 2}),  # a correction
    record("ReimbursementPaid", "legacy.claims", {"reference": "R2", "acts": [{}], "revision": 1}),
    record("CompanyRegistered", "legacy.companies", {"company_code": "C9", "revision": 1}, tenant="solimut"),
]


def test_the_figures_the_log_implies():
    figures = Oracle.of(LOG).figures("2026-12-01")
    assert figures["portfolio.companies"] == {("mbtp", "C1"), ("mbtp", "C2"), ("solimut", "C9")}
    assert figures["portfolio.memberships"] == {("mbtp", "A1"), ("mbtp", "A2"), ("mbtp", "A3")}
    assert figures["portfolio.radiated"] == {("mbtp", "A2")}
    # C2 withdrawn (the withdrawal wins on its day); A2 radiated, A3 not yet in force: one active membership.
    assert figures["portfolio.per_broker"] == {"mbtp/M1": {"companies": 1, "active_memberships": 1}}
    assert figures["claims.payments"] == {("mbtp", "R1"), ("mbtp", "R2")}
    assert figures["claims.acts"] == 4  # R1's correction (3 acts) replaces its first statement
    assert figures["identity.members_on_file"] == {("mbtp", "10000001"), ("mbtp", "10000002"), ("mbtp", "10000003")}
    # Before the withdrawal, and before A2's radiation: both companies, two memberships in force.
    assert Oracle.of(LOG).figures("2025-12-01")["portfolio.per_broker"] == {"mbtp/M1": {"companies": 2, "active_memberships": 2}}


def test_poison_and_records_sent_twice_count_for_nothing():
    poison = record("CompanyRegistered", "legacy.companies", {"company_code": "BAD", "revision": 1})
    twice = record("CompanyRegistered", "legacy.companies", {"company_code": "C3", "revision": 1}, ident=str(uuid.uuid4()))
    oracle = Oracle.of([*LOG, poison, twice, twice], poison={dict(poison[4])["ce_id"].decode()})
    assert ("mbtp", "BAD") not in oracle.companies and ("mbtp", "C3") in oracle.companies
    assert oracle.applied == len(LOG) + 1


def test_compare_counts_lost_and_extra():
    expected = Oracle.of(LOG).figures("2026-12-01")
    found = dict(expected)
    found["portfolio.companies"] = {("mbtp", "C1"), ("mbtp", "C2"), ("mbtp", "GHOST")}  # C9 lost, GHOST extra
    found["claims.acts"] = 5
    found["portfolio.per_broker"] = {"mbtp/M1": {"companies": 1, "active_memberships": 0}}
    by_name = {d.what: d for d in compare(expected, found)}
    assert (by_name["portfolio.companies"].lost, by_name["portfolio.companies"].extra) == (1, 1)
    assert (by_name["claims.acts"].lost, by_name["claims.acts"].extra) == (0, 1)
    assert by_name["portfolio.per_broker"].lost == 1 and "mbtp/M1" in by_name["portfolio.per_broker"].sample
    assert by_name["portfolio.contracts"].ok and not by_name["portfolio.companies"].ok
