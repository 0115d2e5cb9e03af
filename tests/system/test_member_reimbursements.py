"""A member's reimbursements, statements and household file (contract, beneficiaries, preferences) through
the gateway: identity, claims and the gateway with their real lifespans on Kafka and PostgreSQL, fed by
the legacy simulator's reimbursements and households' files. What the member reads
is checked against the published events themselves: their household's payments only (another member's
token or a guessed reference finds nothing), amounts that add up to the cent, and a search that finds
what it should."""

from __future__ import annotations

import collections
import contextlib
import io
import zipfile
from datetime import date, timedelta
from decimal import Decimal

import asyncpg
import httpx
import pypdf
import pytest

from claims.bootstrap import bootstrap as claims_bootstrap
from claims.domain.payments import beneficiary_id
from claims.service_layer.handlers import READ_MODEL_GROUP
from claims.settings import ClaimsSettings
from extranet_contracts.calendar import today_in_france
from extranet_contracts.claims import Payee, ReimbursementPaid
from extranet_contracts.households import CommunicationPreferencesRecorded, HouseholdBeneficiariesRecorded, MemberContractRecorded
from extranet_plumbing.auth import TokenVerifier
from extranet_plumbing.read_cache import VERSION_PATH
from extranet_plumbing.testing import wait_until
from gateway.bootstrap import bootstrap as gateway_bootstrap
from gateway.settings import GatewaySettings
from identity.adapters.captcha import TestCaptchaVerifier
from identity.bootstrap import bootstrap as identity_bootstrap
from identity.entrypoints.admin import set_login
from identity.settings import IdentitySettings
from legacy_simulator.generator import generate
from legacy_simulator.publisher import publish
from legacy_simulator.sizes import SizeSpec

PASSWORD = "Adherent-Test-2026!"
SPEC = SizeSpec("custom", brokers=1, companies=3, insured=30, unassigned_share=0.0, transfer_share=0.0, reimbursements_per_member=8.0)
TODAY = date(2026, 11, 23)


class MemberPlatform:
    """The gateway's client, identity's settings (to create logins), what claims applied, and every
    (service, path) the gateway called."""

    def __init__(self, gateway: httpx.AsyncClient, identity_settings: IdentitySettings, claims, calls: list) -> None:
        self.gateway, self.identity_settings, self.claims, self.calls = gateway, identity_settings, claims, calls

    async def login(self, portal: str, kind: str, identifier: str, scope: dict, *, accept_terms: bool = True) -> dict[str, str]:
        await set_login(self.identity_settings, tenant="mbtp", kind=kind, identifier=identifier, password=PASSWORD, scope=scope)
        answer = await self.gateway.post("/api/auth/login", json={"portal": portal, "identifier": identifier, "password": PASSWORD})
        assert answer.status_code == 200, answer.text
        token = answer.json()["access_token"]
        if accept_terms:
            auth = {"authorization": f"Bearer {token}"}
            version = (await self.gateway.get("/api/auth/terms", headers=auth)).json()["version"]
            accepted = await self.gateway.post(
                "/api/auth/terms/accept", json={"version": version, "health_data_consent": kind == "member"}, headers=auth
            )
            assert accepted.status_code == 200, accepted.text
            token = accepted.json()["access_token"]
        return {"authorization": f"Bearer {token}"}

    async def member(self, member_number: str) -> dict[str, str]:
        return await self.login("member", "member", member_number, {"member_number": member_number})


class Recorded:
    def __init__(self, name: str, app, calls: list) -> None:
        self.name, self.app, self.calls = name, app, calls

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] == "http" and scope["path"] != VERSION_PATH:  # not the gateway's own follow-up (gateway.kept)
            self.calls.append((self.name, scope["path"]))
        await self.app(scope, receive, send)


@pytest.fixture
async def member_platform(infra, service_env, jwt_keys):
    """identity, claims and the gateway (the `platform` fixture's shape, with claims instead of portfolio)."""
    verifier = TokenVerifier(jwt_keys.public_pem)
    claims = claims_bootstrap(ClaimsSettings(**{**service_env, "db_schema": service_env["db_schema"] + "_claims"}), verifier=verifier)
    identity_settings = IdentitySettings(
        **{**service_env, "db_schema": service_env["db_schema"] + "_identity", "jwt_private_key_file": jwt_keys.private_file}
    )
    identity = identity_bootstrap(identity_settings, verifier=verifier, captcha=TestCaptchaVerifier())
    calls: list = []
    gateway = gateway_bootstrap(
        GatewaySettings(**{**service_env, "default_tenant": "mbtp"}),
        transports={name: httpx.ASGITransport(Recorded(name, s.app, calls)) for name, s in (("identity", identity), ("claims", claims))},
    )
    async with contextlib.AsyncExitStack() as stack:
        for service in (claims, identity, gateway):
            await stack.enter_async_context(service.running())
        client = await stack.enter_async_context(httpx.AsyncClient(transport=httpx.ASGITransport(gateway.app), base_url="http://gateway"))
        yield MemberPlatform(client, identity_settings, claims, calls)
    conn = await asyncpg.connect(infra.database_url)
    try:
        for schema in (claims.schema, identity.schema):
            await conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
    finally:
        await conn.close()


@pytest.fixture
async def published(member_platform, service_env) -> dict[str, list[ReimbursementPaid]]:
    """The simulator's reimbursements, published as the legacy system would and applied by claims: by household."""
    events = [(envelope, event) for envelope, event in generate(SPEC, 2026, "mbtp", TODAY) if isinstance(event, ReimbursementPaid)]
    await publish(iter(events), bootstrap=service_env["kafka_bootstrap"], topic_prefix=service_env["topic_prefix"], progress=False)
    claims = member_platform.claims
    group = claims.group_id(READ_MODEL_GROUP)
    await wait_until(
        lambda: claims.pool.fetchval("SELECT count(*) >= $2 FROM inbox WHERE consumer_group = $1", group, len(events)), timeout=60
    )
    households: dict[str, list[ReimbursementPaid]] = collections.defaultdict(list)
    for _, event in events:
        households[event.member_number].append(event)
    return households


def newest_first(payments: list[ReimbursementPaid]) -> list[str]:
    return [p.reference for p in sorted(payments, key=lambda p: (p.paid_on, p.reference), reverse=True)]


def two_households(households: dict[str, list[ReimbursementPaid]]) -> tuple[str, str]:
    """The household with the most payments (several beneficiaries if there is one), and another."""
    ranked = sorted(households, key=lambda n: (len({a.beneficiary for p in households[n] for a in p.acts}) > 1, len(households[n])))
    return ranked[-1], ranked[-2]


async def every_page(gateway: httpx.AsyncClient, path: str, headers: dict, **params) -> tuple[int, list[dict], dict]:
    rows, page, first = [], 1, None
    while True:
        answer = await gateway.get(path, params={**params, "page": page, "page_size": 5}, headers=headers)
        assert answer.status_code == 200, answer.text
        body = answer.json()
        first = first or body
        rows += body["items"]
        if page * 5 >= body["total"]:
            return body["total"], rows, first
        page += 1


async def test_a_member_reads_their_households_reimbursements_and_they_add_up(member_platform, published):
    mine, theirs = two_households(published)
    me = await member_platform.member(mine)
    gateway = member_platform.gateway

    latest = await gateway.get("/api/member/reimbursements/latest", headers=me)
    assert latest.status_code == 200, latest.text
    assert [r["reference"] for r in latest.json()["items"]] == newest_first(published[mine])[:3]

    total, rows, first = await every_page(gateway, "/api/member/reimbursements", me)
    assert total == len(published[mine]) and [r["reference"] for r in rows] == newest_first(published[mine])
    expected_people = {beneficiary_id(mine, a.beneficiary.first_name, a.beneficiary.birth_date) for p in published[mine] for a in p.acts}
    assert {b["id"] for b in first["beneficiaries"]} == expected_people

    by_reference = {p.reference: p for p in published[mine]}
    for row in rows:
        detail = await gateway.get(f"/api/member/reimbursements/{row['reference']}", headers=me)
        assert detail.status_code == 200, detail.text
        body, event = detail.json(), by_reference[row["reference"]]
        assert Decimal(body["amount"]) == event.amount == sum(Decimal(a["mutuelle"]["amount"]) for a in body["acts"])
        for act in body["acts"]:
            expense, mandatory, mutuelle, remaining = (
                Decimal(v) for v in (act["expense"], act["mandatory_scheme"]["amount"], act["mutuelle"]["amount"], act["remaining"])
            )
            assert expense == mandatory + mutuelle + remaining and remaining >= 0 and remaining == remaining.quantize(Decimal("0.01"))
            assert act["explanation"] and act["guarantee"]["name"] in act["explanation"]
        totals = {k: Decimal(v) for k, v in body["totals"].items()}
        assert totals["expense"] == totals["mandatory_scheme"] + totals["mutuelle"] + totals["remaining"]
        assert totals["expense"] == sum(a.expense for a in event.acts) and totals["mutuelle"] == event.amount
        assert (body["paid_to"] == "professional") is (event.payee is Payee.PROFESSIONAL)
        if body["masked_iban"]:
            assert body["masked_iban"].replace(" ", "") == event.masked_iban and body["masked_iban"].count("*") >= 16

    # Nothing of another household: not in the lists, and its references are not found, as guessed ones.
    assert not {p.reference for p in published[theirs]} & {r["reference"] for r in rows}
    for reference in [p.reference for p in published[theirs]][:3] + ["99999999", "100000"]:
        answer = await gateway.get(f"/api/member/reimbursements/{reference}", headers=me)
        assert answer.status_code == 404 and answer.json()["detail"] == "Remboursement introuvable."
    assert {path.split("/")[3] for service, path in member_platform.calls if service == "claims"} == {mine}

    theirs_token = await member_platform.member(theirs)
    total, rows, _ = await every_page(gateway, "/api/member/reimbursements", theirs_token)
    assert [r["reference"] for r in rows] == newest_first(published[theirs])
    for reference in newest_first(published[mine])[:3]:
        assert (await gateway.get(f"/api/member/reimbursements/{reference}", headers=theirs_token)).status_code == 404


async def test_the_search_by_beneficiary_and_period_and_the_tiers_payant_tab(member_platform, published):
    mine, _ = two_households(published)
    me = await member_platform.member(mine)
    payments = published[mine]
    gateway = member_platform.gateway

    people = collections.Counter(
        (a.beneficiary.first_name, a.beneficiary.birth_date) for p in payments for a in {a.beneficiary: a for a in p.acts}.values()
    )
    (first_name, birth_date), _ = people.most_common(1)[0]
    someone = beneficiary_id(mine, first_name, birth_date)
    paid = sorted(p.paid_on for p in payments)
    start, end = paid[len(paid) // 4], paid[3 * len(paid) // 4]
    expected = [
        p
        for p in payments
        if any((a.beneficiary.first_name, a.beneficiary.birth_date) == (first_name, birth_date) for a in p.acts)
        and start <= p.paid_on <= end
    ]
    total, rows, first = await every_page(
        gateway, "/api/member/reimbursements", me, beneficiary=someone, **{"from": start.isoformat(), "to": end.isoformat()}
    )
    assert total == len(expected) and [r["reference"] for r in rows] == newest_first(expected)
    assert first["beneficiary"] == someone and first["period"] == {"start": start.isoformat(), "end": end.isoformat()}
    assert all(first_name in r["beneficiaries"] for r in rows)

    total, rows, _ = await every_page(gateway, "/api/member/reimbursements/third-party", me)
    to_professionals = [p for p in payments if p.payee is Payee.PROFESSIONAL]
    assert total == len(to_professionals) and [r["reference"] for r in rows] == newest_first(to_professionals)
    assert {r["recipient"] for r in rows} == {p.professional_name for p in to_professionals}

    refused = await gateway.get("/api/member/reimbursements", params={"from": "2026-06-30", "to": "2026-06-01"}, headers=me)
    assert refused.status_code == 422 and refused.json()["errors"][0]["field"].endswith("to")
    later = (end + timedelta(days=400)).isoformat()
    nothing = await gateway.get("/api/member/reimbursements", params={"from": later}, headers=me)
    assert nothing.status_code == 200 and nothing.json()["total"] == 0


async def test_only_members_who_accepted_the_terms_reach_the_reimbursements(member_platform, published):
    mine, _ = two_households(published)
    broker = await member_platform.login("broker", "broker", "M40001", {"broker_code": "M40001"})
    pending = await member_platform.login("member", "member", mine, {"member_number": mine}, accept_terms=False)
    reference = newest_first(published[mine])[0]
    for url in [f"/api/member/reimbursements{path}" for path in ("", "/latest", "/third-party", f"/{reference}")] + [
        "/api/member/statements/archive",
        f"/api/member/statements/{reference}",
        "/api/member/statements",
        "/api/member/contract",
        "/api/member/contract/benefits-table",
        "/api/member/beneficiaries",
        "/api/member/preferences",
        "/api/member/news",
        "/api/member/faq",
        "/api/member/contact",
        "/api/member/legal-notices",
    ]:
        assert (await member_platform.gateway.get(url)).status_code == 401
        assert (await member_platform.gateway.get(url, headers=broker)).status_code == 403
        assert (await member_platform.gateway.get(url, headers=pending)).status_code == 403
    assert not [call for call in member_platform.calls if call[0] == "claims"]  # refused before claims was asked


def french(amount: Decimal) -> str:
    return f"{amount:,.2f}".replace(",", " ").replace(".", ",")


def pdf_lines(content: bytes) -> list[str]:
    """The lines a member reads in a PDF, as a text extractor lays them out (spaces reduced to one)."""
    pages = pypdf.PdfReader(io.BytesIO(content)).pages
    text = "\n".join(page.extract_text(extraction_mode="layout") for page in pages).replace("\u00a0", " ")
    return [" ".join(line.split()) for line in text.splitlines() if line.strip()]


def holds_the_payment(lines: list[str], event: ReimbursementPaid) -> None:
    """The statement names the payment and shows each act's amounts on its line, as the detail gives them."""
    assert "Mutuelle MBTP" in lines[0] and f"N° de référence {event.reference}" in "\n".join(lines)
    for act in event.acts:
        amounts = [act.expense, act.mandatory_base, act.mandatory_amount, act.mutuelle_base, act.mutuelle_amount, act.remaining]
        assert any(f"{act.act_date:%d/%m/%Y}" in line and all(french(a) in line for a in amounts) for line in lines), (
            f"{act.nature} {act.act_date}"
        )
    assert any(line.startswith(f"Réglé {french(event.amount)} €") for line in lines)


async def test_statements_one_payment_and_a_period_at_once(member_platform, published):
    mine, theirs = two_households(published)
    me = await member_platform.member(mine)
    gateway = member_platform.gateway
    by_reference = {p.reference: p for p in published[mine]}

    newest = newest_first(published[mine])[0]
    answer = await gateway.get(f"/api/member/statements/{newest}", headers=me)
    assert answer.status_code == 200 and answer.headers["content-type"] == "application/pdf", answer.text
    holds_the_payment(pdf_lines(answer.content), by_reference[newest])

    paid = sorted(p.paid_on for p in published[mine])
    start, end = paid[len(paid) // 3], paid[-1]
    answer = await gateway.get("/api/member/statements/archive", params={"from": start.isoformat(), "to": end.isoformat()}, headers=me)
    assert answer.status_code == 200 and answer.headers["content-type"] == "application/zip", answer.text
    archive = zipfile.ZipFile(io.BytesIO(answer.content))
    # No paperless option published here: the last ten statements are online, those of the period among them.
    expected = [r for r in newest_first(published[mine])[:10] if start <= by_reference[r].paid_on <= end]
    assert archive.namelist() == [f"releve-{reference}.pdf" for reference in expected]
    for reference in expected:
        holds_the_payment(pdf_lines(archive.read(f"releve-{reference}.pdf")), by_reference[reference])

    for reference in newest_first(published[theirs])[:2]:
        assert (await gateway.get(f"/api/member/statements/{reference}", headers=me)).status_code == 404
    refused = await gateway.get("/api/member/statements/archive", params={"page": 2}, headers=me)
    assert refused.status_code == 422


@pytest.fixture
async def files(member_platform, published, service_env) -> dict[str, dict[type, object]]:
    """The simulator's households' files (legacy.households), published and applied by claims: by household."""
    events = [(envelope, event) for envelope, event in generate(SPEC, 2026, "mbtp", TODAY) if event.STREAM == "legacy.households"]
    await publish(iter(events), bootstrap=service_env["kafka_bootstrap"], topic_prefix=service_env["topic_prefix"], progress=False)
    claims = member_platform.claims
    total = len(events) + sum(len(payments) for payments in published.values())
    group = claims.group_id(READ_MODEL_GROUP)
    await wait_until(lambda: claims.pool.fetchval("SELECT count(*) >= $2 FROM inbox WHERE consumer_group = $1", group, total), timeout=60)
    households: dict[str, dict[type, object]] = collections.defaultdict(dict)
    for _, event in events:
        households[event.member_number][type(event)] = event
    return households


async def test_the_contract_beneficiaries_and_preferences_pages(member_platform, published, files):
    mine, theirs = two_households(published)
    me = await member_platform.member(mine)
    gateway = member_platform.gateway
    recorded: MemberContractRecorded = files[mine][MemberContractRecorded]

    page = (await gateway.get("/api/member/contract", headers=me)).json()
    assert (page["contract_number"], page["kind"], page["subscription_date"]) == (
        recorded.contract_number,
        "collective",
        recorded.subscription_date.isoformat(),
    )
    assert recorded.company_name in page["collective_notice"] and "employeur" in page["collective_notice"]
    assert sorted((g["code"], g["start_date"]) for g in page["guarantees"]) == sorted(
        (g.guarantee_code, g.start_date.isoformat()) for g in recorded.guarantees
    )
    running = [
        g for g in recorded.guarantees if g.start_date <= today_in_france() and (g.end_date is None or today_in_france() <= g.end_date)
    ]
    if running:
        current = max(running, key=lambda g: g.start_date)
        assert page["current_guarantee"]["code"] == current.guarantee_code
        table = await gateway.get("/api/member/contract/benefits-table", headers=me)
        assert table.status_code == 200 and table.headers["content-type"] == "application/pdf"
        text = "\n".join(pdf_lines(table.content))
        assert current.name in text and all(b.label in text for b in current.benefits)
    last = recorded.contribution.last_payment
    assert page["contribution"]["last_payment"] == (
        None if last is None else {"paid_on": last.paid_on.isoformat(), "amount": f"{last.amount:.2f}"}
    )

    people = (await gateway.get("/api/member/beneficiaries", headers=me)).json()["items"]
    expected = files[mine][HouseholdBeneficiariesRecorded].beneficiaries
    assert [(p["first_name"], p["birth_date"]) for p in people] == [(b.first_name, b.birth_date.isoformat()) for b in expected]
    for person, beneficiary in zip(people, expected, strict=True):
        assert person["nir"].replace(" ", "").replace("*", "") == beneficiary.nir[:5] + beneficiary.nir[13:]
        assert beneficiary.nir not in str(person)
        if beneficiary.benefits_account:
            masked = person["benefits_account"]["iban"].replace(" ", "")
            assert masked[:4] + masked[-4:] == beneficiary.benefits_account.iban[:4] + beneficiary.benefits_account.iban[-4:]
            assert beneficiary.benefits_account.iban not in str(person) and masked.count("*") >= 16

    preferences = (await gateway.get("/api/member/preferences", headers=me)).json()
    chosen: CommunicationPreferencesRecorded = files[mine][CommunicationPreferencesRecorded]
    words = {"ACCEPTE": "accepted", "REFUSE": "refused", "NON_DEFINI": "undefined"}
    for row in preferences["rows"]:
        consents = getattr(chosen, row["kind"])
        assert [row[c]["value"] for c in ("email", "post", "sms")] == [words[getattr(consents, c).value] for c in ("email", "post", "sms")]
    assert preferences["paperless"] is chosen.paperless

    # The statements online: a year of them for a paperless member, otherwise the last ten.
    listed = (await gateway.get("/api/member/statements", headers=me)).json()
    newest = newest_first(published[mine])
    if chosen.paperless:
        a_year_ago = today_in_france() - timedelta(days=365)
        assert [r["reference"] for r in listed["items"]] == [r for r in newest if by_reference(published[mine])[r].paid_on >= a_year_ago]
    else:
        assert [r["reference"] for r in listed["items"]] == newest[:10]

    # Another member reads their own file, never this one.
    theirs_token = await member_platform.member(theirs)
    other = (await gateway.get("/api/member/contract", headers=theirs_token)).json()
    assert other["contract_number"] == files[theirs][MemberContractRecorded].contract_number
    their_people = (await gateway.get("/api/member/beneficiaries", headers=theirs_token)).json()["items"]
    assert {p["id"] for p in their_people}.isdisjoint({p["id"] for p in people})


def by_reference(payments: list[ReimbursementPaid]) -> dict[str, ReimbursementPaid]:
    return {p.reference: p for p in payments}


async def test_the_tenants_news_faq_contact_and_legal_notices(member_platform, published):
    mine, _ = two_households(published)
    me = await member_platform.member(mine)
    gateway = member_platform.gateway
    news = (await gateway.get("/api/member/news", headers=me)).json()["items"]
    assert news and all(n["published_on"] <= today_in_france().isoformat() for n in news)
    assert [n["published_on"] for n in news] == sorted((n["published_on"] for n in news), reverse=True)
    assert any("remboursement" in f["question"] for f in (await gateway.get("/api/member/faq", headers=me)).json()["items"])
    assert (await gateway.get("/api/member/contact", headers=me)).json()["email"] == "contact@mutuelle-mbtp.com"
    assert (await gateway.get("/api/member/legal-notices", headers=me)).json()["paragraphs"][0].startswith("MBTP SE")
