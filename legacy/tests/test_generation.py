"""Unit tests of the generator: determinism, validity, sizes, dates, causal order, memory."""

from __future__ import annotations

import collections
import os
import re
import time
from datetime import UTC, date, datetime, timedelta

import pytest
from stdnum import iban as std_iban
from stdnum import luhn
from stdnum.fr import nir as std_nir
from stdnum.fr import siren as std_siren
from stdnum.fr import siret as std_siret

from extranet_contracts.catalogue import CATALOGUE
from extranet_contracts.decisions import DECISIONS
from extranet_contracts.envelope import Envelope
from extranet_contracts.legacy import (
    BrokerPortfolioCompanyAssigned,
    BrokerPortfolioCompanyWithdrawn,
    BrokerRegistered,
    CollectiveContractSigned,
    CompanyDocumentIssued,
    CompanyRegistered,
    GuaranteeAttached,
    MemberAffiliated,
    MemberRadiated,
)
from extranet_contracts.types import Civility
from legacy_simulator import SOURCE, SizeSpec, broker_codes, generate
from legacy_simulator.numbers import rib_key

TODAY = date(2026, 11, 23)
THIS_MONTH = date(2026, 11, 1)
PREVIOUS_MONTH = date(2026, 10, 1)


def _stream(size: str = "small", seed: int = 1, tenant: str = "mbtp", today: date = TODAY, **counts):
    return list(generate(SizeSpec.preset(size, **counts), seed, tenant, today))


@pytest.fixture(scope="module")
def small():
    return _stream("small", 1)


@pytest.fixture(scope="module")
def demo():
    return _stream("demo", 2026)


def _of(stream, model):
    return [event for _, event in stream if isinstance(event, model)]


def _people(stream):
    for event in _of(stream, MemberAffiliated):
        yield event.primary
        yield from event.dependants


# --- determinism -------------------------------------------------------------------------------


def test_same_seed_gives_the_same_envelopes_and_events(small):
    again = _stream("small", 1)
    assert [(e.model_dump(), ev.model_dump()) for e, ev in again] == [(e.model_dump(), ev.model_dump()) for e, ev in small]


def test_another_seed_gives_other_events(small):
    other = _stream("small", 2)
    assert {e.id for e, _ in other}.isdisjoint({e.id for e, _ in small})
    assert {ev.member_number for ev in _of(other, MemberAffiliated)} != {ev.member_number for ev in _of(small, MemberAffiliated)}
    assert [p.nir for p in _people(other)] != [p.nir for p in _people(small)]


def test_another_tenant_gets_other_envelope_ids_for_the_same_events(small):
    other = _stream("small", 1, tenant="marseille")
    assert [ev for _, ev in other] == [ev for _, ev in small]
    assert {e.id for e, _ in other}.isdisjoint({e.id for e, _ in small})
    assert {e.tenant for e, _ in other} == {"marseille"}


def test_broker_codes_match_the_stream(demo):
    assert broker_codes(SizeSpec.preset("demo"), 2026) == [ev.broker_code for ev in _of(demo, BrokerRegistered)]


# --- validity ----------------------------------------------------------------------------------


def test_every_event_validates_and_round_trips_through_json(demo):
    ids = set()
    for envelope, event in demo:
        model = CATALOGUE[(envelope.type, envelope.version)]
        assert type(event) is model
        assert model.model_validate_json(event.model_dump_json()) == event
        assert envelope.key == event.key()
        assert envelope.source == SOURCE == "urn:extranet:legacy:promut2000"
        assert envelope.tenant == "mbtp"
        assert envelope.id.version == 4
        assert Envelope.from_headers(envelope.to_headers()) == envelope
        ids.add(envelope.id)
    assert len(ids) == len(demo)
    # Every model of the legacy streams but its decisions on the portals' requests (legacy-simulator decide publishes those)
    # and the companies' documents (legacy_simulator.documents adds them, once their files are deposited in a store).
    legacy_models = {model for model in CATALOGUE.values() if model.STREAM.startswith("legacy.") and model.STREAM != DECISIONS}
    assert {type(event) for _, event in demo} == legacy_models - {CompanyDocumentIssued}


def test_nir_are_valid_consistent_and_unique(demo):
    nirs = []
    for person in _people(demo):
        assert std_nir.is_valid(person.nir)
        assert person.nir[0] == ("1" if person.civility is Civility.MR else "2")
        assert person.nir[1:3] == f"{person.birth_date.year % 100:02d}"
        assert person.nir[3:5] == f"{person.birth_date.month:02d}"
        assert int(person.nir[13:]) == 97 - int(person.nir[:13]) % 97
        nirs.append(person.nir)
    assert len(nirs) > 2_000
    assert len(set(nirs)) == len(nirs)


def test_siret_and_iban_are_valid(demo):
    companies = _of(demo, CompanyRegistered)
    for company in companies:
        assert std_siret.is_valid(company.siret) and std_siren.is_valid(company.siren)
        assert luhn.is_valid(company.siren) and luhn.is_valid(company.siret)
    banks = [ev.benefits_bank_details for ev in _of(demo, MemberAffiliated) if ev.benefits_bank_details]
    assert len(banks) > 800
    for bank in banks:
        assert std_iban.is_valid(bank.iban)
        assert bank.iban.startswith("FR76") and len(bank.iban) == 27
        bank_code, branch, account, key = bank.iban[4:9], bank.iban[9:14], bank.iban[14:25], bank.iban[25:]
        assert rib_key(bank_code, branch, account) == key
        assert re.fullmatch(r"[A-Z]{6}[A-Z0-9]{2}([A-Z0-9]{3})?", bank.bic)


def test_realistic_shapes(demo):
    companies = _of(demo, CompanyRegistered)
    for company in companies:
        assert 1 <= len(company.contacts) <= 4  # 1-3, one more on a rare later revision
        assert sum(contact.primary for contact in company.contacts) == 1
        assert company.legal_name.split()[-1] in {"SARL", "SAS", "SASU", "EURL", "SA", "SCOP"}
    contracts = _of(demo, CollectiveContractSigned)
    per_company = collections.Counter(c.company_code for c in contracts)
    assert set(per_company.values()) <= {1, 2, 3}
    assert all(re.fullmatch(r"W[12]-\d{6}", c.contract_number) for c in contracts)
    guarantees = collections.Counter(g.contract_number for g in _of(demo, GuaranteeAttached))
    assert set(guarantees.values()) <= set(range(3, 7)) and len(guarantees) == len(contracts)
    members = _of(demo, MemberAffiliated)
    assert all(re.fullmatch(r"ADH-\d{7}", m.membership_id) for m in members)
    assert 0.75 < sum(m.email is not None for m in members) / len(members) < 0.95
    mobiles = [m.mobile_phone for m in members if m.mobile_phone]
    assert len(mobiles) / len(members) > 0.8
    assert all(re.fullmatch(r"0[67] \d\d \d\d \d\d \d\d", phone) for phone in mobiles)
    assert all(re.fullmatch(r"\d{5}", m.address.postal_code) for m in members)
    roles = collections.Counter(d.role.value for m in members for d in m.dependants)
    assert roles["CONJOINT"] > 200 and roles["ENFANT"] > 300
    assert all(len(m.dependants) <= 4 for m in members)
    reasons = {r.reason for r in _of(demo, MemberRadiated)}
    assert reasons <= {"DEMISSION", "LICENCIEMENT", "RETRAITE", "FIN DE CONTRAT", "DECES", "MUTATION", "FIN PORTABILITE"}


# --- sizes -------------------------------------------------------------------------------------


@pytest.mark.parametrize(("size", "brokers", "companies", "insured"), [("small", 2, 6, 60), ("demo", 3, 30, 1_000)])
def test_size_presets_are_respected(size, brokers, companies, insured, small, demo):
    stream = small if size == "small" else demo
    assert len({ev.broker_code for ev in _of(stream, BrokerRegistered)}) == brokers
    assert len({ev.company_code for ev in _of(stream, CompanyRegistered)}) == companies
    affiliations = _of(stream, MemberAffiliated)
    assert len(affiliations) == insured
    assert len({ev.member_number for ev in affiliations}) == insured
    assert len({ev.membership_id for ev in affiliations}) == insured


def test_bench_preset_and_custom_counts():
    bench = SizeSpec.preset("bench")
    assert (bench.brokers, bench.companies, bench.insured) == (60, 10_000, 1_000_000)
    custom = SizeSpec.preset("small", brokers=4, companies=9, insured=123)
    assert custom.name == "custom"
    stream = list(generate(custom, 3, "mbtp", TODAY))
    assert len(_of(stream, BrokerRegistered)) == 4
    assert len(_of(stream, CompanyRegistered)) == 9
    assert len(_of(stream, MemberAffiliated)) == 123
    with pytest.raises(ValueError):
        SizeSpec.preset("huge")


def test_broker_portfolios(small, demo):
    def current_broker(stream):
        broker = {}
        for event in (ev for _, ev in stream):
            if isinstance(event, BrokerPortfolioCompanyAssigned):
                broker[event.company_code] = event.broker_code
            elif isinstance(event, BrokerPortfolioCompanyWithdrawn):
                assert broker.pop(event.company_code) == event.broker_code
        return broker

    assert len(current_broker(small)) == 6  # every company of the small set has a broker
    portfolio = current_broker(demo)
    assert len(portfolio) == 28  # ~5% of the companies have no broker
    assert set(portfolio.values()) == {ev.broker_code for ev in _of(demo, BrokerRegistered)}
    assert len(_of(demo, BrokerPortfolioCompanyWithdrawn)) == 1


# --- dates and order ---------------------------------------------------------------------------


def test_dates_are_never_after_today(demo):
    end_of_today = datetime(2026, 11, 23, 23, 59, 59, tzinfo=UTC)
    for envelope, event in demo:
        assert envelope.time <= end_of_today
        assert 7 <= envelope.time.hour <= 17
        for field in ("recorded_on", "assigned_on", "withdrawn_on", "membership_date", "start_date"):
            value = getattr(event, field, None)
            if value is not None:
                assert value <= TODAY, (field, event)
        if isinstance(event, MemberAffiliated):
            assert event.effective_date <= TODAY + timedelta(days=31)
            assert event.recorded_on >= min(event.effective_date, TODAY - timedelta(days=31))
            assert event.primary.birth_date < TODAY
            assert all(d.birth_date <= TODAY for d in event.dependants)
        if isinstance(event, MemberAffiliated | MemberRadiated) and event.effective_date <= TODAY:
            assert event.recorded_on <= event.effective_date + timedelta(days=48)
    affiliations = _of(demo, MemberAffiliated)
    oldest = min(m.effective_date for m in affiliations)
    assert TODAY - timedelta(days=3 * 366) <= oldest < TODAY - timedelta(days=2 * 365)


def test_times_recorded_today_are_not_after_now():
    now = datetime(2026, 11, 23, 9, 30, tzinfo=UTC)
    stream = list(generate(SizeSpec.preset("demo"), 5, "mbtp", TODAY, now=now))
    assert max(envelope.time for envelope, _ in stream) <= now
    assert any(envelope.time.date() == TODAY for envelope, _ in stream)


def test_stream_is_in_causal_order(demo):
    brokers, companies, contracts, memberships = set(), set(), set(), {}
    for position, (_, event) in enumerate(demo):
        match event:
            case BrokerRegistered():
                brokers.add(event.broker_code)
            case BrokerPortfolioCompanyAssigned() | BrokerPortfolioCompanyWithdrawn():
                assert event.broker_code in brokers and event.company_code in companies
            case CompanyRegistered():
                companies.add(event.company_code)
            case CollectiveContractSigned():
                assert event.company_code in companies
                contracts.add(event.contract_number)
            case GuaranteeAttached():
                assert event.contract_number in contracts
            case MemberAffiliated():
                assert event.contract_number in contracts and event.company_code in companies
                memberships[event.membership_id] = (position, event)
            case MemberRadiated():
                _, affiliation = memberships.pop(event.membership_id)  # each terminated once, after it began
                assert event.member_number == affiliation.member_number
                assert event.contract_number == affiliation.contract_number
                assert event.effective_date > affiliation.effective_date
                assert event.recorded_on >= affiliation.recorded_on


def test_about_fifteen_percent_of_memberships_end(demo):
    share = len(_of(demo, MemberRadiated)) / len(_of(demo, MemberAffiliated))
    assert 0.10 <= share <= 0.20


def test_demo_has_entries_and_exits_in_the_current_and_previous_month_for_every_broker(demo):
    broker_of = {}
    for event in (ev for _, ev in demo):
        if isinstance(event, BrokerPortfolioCompanyAssigned):
            broker_of[event.company_code] = event.broker_code

    def month(day):
        return "current" if day >= THIS_MONTH else "previous" if day >= PREVIOUS_MONTH else None

    movements = collections.Counter()
    for event in (ev for _, ev in demo):
        if isinstance(event, MemberAffiliated | MemberRadiated) and event.company_code in broker_of:
            kind = "entries" if isinstance(event, MemberAffiliated) else "exits"
            if month(event.effective_date):
                movements[(broker_of[event.company_code], kind, month(event.effective_date))] += 1
    for broker in {ev.broker_code for ev in _of(demo, BrokerRegistered)}:
        for kind in ("entries", "exits"):
            for period in ("current", "previous"):
                assert movements[(broker, kind, period)] > 0, (broker, kind, period)
    affiliations = _of(demo, MemberAffiliated)
    current = sum(THIS_MONTH <= m.effective_date <= TODAY + timedelta(days=31) for m in affiliations)
    assert 0.02 <= current / len(affiliations) <= 0.10


# --- streaming ---------------------------------------------------------------------------------


def _rss_bytes() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


@pytest.mark.skipif(not os.path.exists("/proc/self/statm"), reason="needs /proc (Linux)")
def test_100_000_insured_stream_in_bounded_memory():
    """Resident memory is sampled while 100 000 insured are generated: it must stay flat.

    (tracemalloc slows this allocation-heavy code down ~9x, too slow for 100 000 insured; the
    resident set size tells the same thing: holding the ~115 000 events would take ~500 MB.)
    """
    spec = SizeSpec("custom", brokers=10, companies=1_000, insured=100_000)
    started = time.perf_counter()
    count = affiliations = 0
    baseline = peak = None
    for _, event in generate(spec, 11, "mbtp", TODAY):
        count += 1
        affiliations += isinstance(event, MemberAffiliated)
        if count % 5_000 == 0:
            rss = _rss_bytes()
            if count == 10_000:
                baseline = peak = rss
            elif baseline is not None:
                peak = max(peak, rss)
    elapsed = time.perf_counter() - started
    assert affiliations == 100_000
    assert peak - baseline < 40 * 2**20, f"memory grew by {(peak - baseline) / 2**20:.0f} MiB"
    print(f"\n100 000 insured: {count} events in {elapsed:.1f} s, {count / elapsed:,.0f} events/s")


def test_members_of_a_union_of_mutuelles_carry_their_mutuelle_number(small):
    union = _stream("small", 1, tenant="solimut")
    members = _of(union, MemberAffiliated)
    assert {m.mutuelle_code for m in members} <= {"700", "105", "106", "1012", "1308"}
    assert len({m.mutuelle_code for m in members}) >= 3
    assert all(m.mutuelle_code is None for m in _of(small, MemberAffiliated))  # a single mutuelle: no such number
    # Apart from that number, the union's stream is the same portfolio.
    assert [ev.model_copy(update={"mutuelle_code": None}) if isinstance(ev, MemberAffiliated) else ev for _, ev in union] == [
        ev for _, ev in small
    ]
