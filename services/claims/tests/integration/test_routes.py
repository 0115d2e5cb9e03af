"""The claims service's internal API on its read model (real Kafka and PostgreSQL): the last three, the
search, the tiers-payant tab, a payment's detail explained; and a member kept to their own household."""

from __future__ import annotations

import io
import zipfile
from datetime import date, timedelta
from decimal import Decimal

import httpx
import pypdf
import pytest
from prometheus_client import REGISTRY

from claims.domain.payments import beneficiary_id
from extranet_contracts.testing import reimbursement_paid
from extranet_plumbing.testing import GATEWAY_HEADERS, publish_event, wait_until

MINE, THEIRS = "73000042", "73000043"
LEA = beneficiary_id(MINE, "Léa", date(1985, 5, 12))
HUGO = beneficiary_id(MINE, "Hugo", date(2015, 3, 2))
CONSULTATION, PHARMACY = (act.model_dump(mode="json") for act in reimbursement_paid().acts)


def payments() -> list:
    """Mine: eight payments, one every ten days back from 1 October 2026 (Léa's consultations, Hugo's pharmacy
    on every third, paid to the pharmacy); theirs: one."""
    mine = []
    for n in range(8):
        paid_on = date(2026, 10, 1) - timedelta(days=10 * n)
        hugo = n % 3 == 0
        act = {**(PHARMACY if hugo else CONSULTATION), "act_date": (paid_on - timedelta(days=5)).isoformat()}
        tiers = {"payee": "TIERS", "professional_name": "Pharmacie du Centre", "masked_iban": None} if hugo else {}
        mine.append(
            reimbursement_paid(
                reference=f"3550{n:04d}",
                paid_on=paid_on,
                received_on=paid_on - timedelta(days=2),
                acts=[act],
                amount=act["mutuelle_amount"],
                **tiers,
            )
        )
    return [*mine, reimbursement_paid(reference="46600001", member_number=THEIRS)]


@pytest.fixture
async def client(claims, kafka_producer, service_env):
    topic = service_env["topic_prefix"] + "legacy.claims"
    for event in payments():
        await publish_event(kafka_producer, topic, event)
    await wait_until(lambda: claims.pool.fetchval("SELECT count(*) = 9 FROM payments"))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(claims.app), base_url="http://claims", headers=GATEWAY_HEADERS) as c:
        yield c


BASE = f"/internal/members/{MINE}/reimbursements"


async def test_the_last_three_newest_first(client, bearer):
    answer = await client.get(f"{BASE}/latest", headers=bearer())
    assert answer.status_code == 200, answer.text
    rows = answer.json()["items"]
    assert [r["reference"] for r in rows] == ["35500000", "35500001", "35500002"]
    assert rows[0] == {
        "reference": "35500000",
        "received_on": "2026-09-29",
        "paid_on": "2026-10-01",
        "amount": "6.60",
        "paid_to": "professional",
        "recipient": "Pharmacie du Centre",
        "beneficiaries": ["Hugo"],
        "natures": ["Pharmacie remboursée à 65 %"],
    }
    assert (rows[1]["paid_to"], rows[1]["recipient"], rows[1]["amount"]) == ("member", "Vous", "9.00")


async def test_the_list_pages_newest_first_and_searches_by_beneficiary_and_period(client, bearer):
    me = bearer()
    first = (await client.get(BASE, params={"page_size": 5}, headers=me)).json()
    second = (await client.get(BASE, params={"page_size": 5, "page": 2}, headers=me)).json()
    assert first["total"] == second["total"] == 8
    assert [r["reference"] for r in first["items"] + second["items"]] == [f"3550{n:04d}" for n in range(8)]
    assert [(b["first_name"], b["role"], b["id"]) for b in first["beneficiaries"]] == [("Léa", "ASSURE", LEA), ("Hugo", "ENFANT", HUGO)]

    hugo = (await client.get(BASE, params={"beneficiary": HUGO}, headers=me)).json()
    assert [r["reference"] for r in hugo["items"]] == ["35500000", "35500003", "35500006"] and hugo["beneficiary"] == HUGO
    september = (await client.get(BASE, params={"from": "2026-09-01", "to": "2026-09-30", "beneficiary": LEA}, headers=me)).json()
    assert [r["paid_on"] for r in september["items"]] == ["2026-09-21", "2026-09-11"]  # Hugo's of the 1st aside
    assert september["period"] == {"start": "2026-09-01", "end": "2026-09-30"}
    nobody = (await client.get(BASE, params={"beneficiary": "0123456789ab"}, headers=me)).json()
    assert nobody["total"] == 0 and nobody["items"] == []


async def test_a_search_that_cannot_be_right_says_which_field(client, bearer):
    for params, field in (
        ({"from": "2026-09-30", "to": "2026-09-01"}, "to"),
        ({"page_size": 7}, "page_size"),
        ({"beneficiary": "léa"}, "beneficiary"),
    ):
        answer = await client.get(BASE, params=params, headers=bearer())
        assert answer.status_code == 422 and answer.json()["errors"][0]["field"].endswith(field), answer.text


async def test_the_tiers_payant_tab_lists_the_payments_to_professionals(client, bearer):
    tab = (await client.get(f"{BASE}/third-party", headers=bearer())).json()
    assert [r["reference"] for r in tab["items"]] == ["35500000", "35500003", "35500006"]
    assert {r["recipient"] for r in tab["items"]} == {"Pharmacie du Centre"} and tab["total"] == 3


async def test_a_payment_in_detail_adds_up_and_explains_each_act(client, bearer):
    answer = await client.get(f"{BASE}/35500001", headers=bearer())
    assert answer.status_code == 200, answer.text
    detail = answer.json()
    assert detail["masked_iban"] == "FR76 **** **** **** **** ***1 189" and detail["paid_to"] == "member"
    (act,) = detail["acts"]
    amounts = {k: Decimal(v) for k, v in detail["totals"].items()}
    assert amounts["expense"] == amounts["mandatory_scheme"] + amounts["mutuelle"] + amounts["remaining"] == Decimal("30.00")
    assert act["mandatory_scheme"] == {"base": "30.00", "rate": "70.00", "amount": "19.00"} and act["mandatory_deductible"] == "2.00"
    assert act["mutuelle"] == {"base": "30.00", "rate": "30.00", "amount": "9.00"} and act["remaining"] == "2.00"
    assert act["care_pathway"] == "Parcours de soins coordonnés" and act["guarantee"] == {"code": "SANTE-SOCLE", "name": "SANTE SOCLE"}
    assert "Votre mutuelle a pris en charge 9,00\u00a0€ au titre de votre garantie « SANTE SOCLE »" in act["explanation"]
    assert detail["summary"].startswith("Votre mutuelle vous a versé 9,00\u00a0€ le 21/09/2026")


async def test_a_member_reads_nothing_of_another_household(client, bearer):
    me = bearer()
    for reference in ("46600001", "35509999", "99999999"):  # theirs, then guessed ones
        answer = await client.get(f"{BASE}/{reference}", headers=me)
        assert answer.status_code == 404 and answer.json()["detail"] == "Remboursement introuvable."
    for path in ("", "/latest", "/third-party", "/46600001"):
        assert (await client.get(f"/internal/members/{THEIRS}/reimbursements{path}", headers=me)).status_code == 403
    theirs = bearer(scope={"member_number": THEIRS})
    assert [r["reference"] for r in (await client.get(f"/internal/members/{THEIRS}/reimbursements", headers=theirs)).json()["items"]] == [
        "46600001"
    ]


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        ({}, 401),
        ({"kind": "broker", "scope": {"broker_code": "M12345", "member_number": MINE}}, 403),
        ({"terms_ok": False}, 403),
        ({"scope": {}}, 403),
    ],
)
async def test_only_the_member_who_accepted_the_terms(client, bearer, headers, status):
    token = bearer(**headers) if headers else {}
    for path in ("", "/latest", "/third-party", "/35500001"):
        assert (await client.get(f"{BASE}{path}", headers=token)).status_code == status


# --- statements (PDF) --------------------------------------------------------------------------------


def pdf_text(content: bytes) -> str:
    """What a member reads in the PDF, as a PDF text extractor lays it out: a table's row on one line, with
    its cells' spaces reduced to one (no-break spaces as spaces)."""
    reader = pypdf.PdfReader(io.BytesIO(content))
    text = "\n".join(page.extract_text(extraction_mode="layout") for page in reader.pages).replace("\u00a0", " ")
    return "\n".join(" ".join(line.split()) for line in text.splitlines() if line.strip())


async def test_the_statement_of_a_payment_holds_the_amounts_of_its_detail(client, bearer):
    me = bearer()
    detail = (await client.get(f"{BASE}/35500001", headers=me)).json()
    answer = await client.get(f"/internal/members/{MINE}/statements/35500001", headers=me)
    assert answer.status_code == 200 and answer.headers["content-type"] == "application/pdf"
    assert 'filename="releve-35500001.pdf"' in answer.headers["content-disposition"]
    text = pdf_text(answer.content)
    assert "Mutuelle MBTP" in text and "5 rue Jean-Marie Chavant" in text and "Relevé de prestations" in text
    assert "N° de référence 35500001" in text and "Date de règlement 21/09/2026" in text
    (act,) = detail["acts"]
    assert "Bénéficiaire des prestations : Léa Durand" in text and "Parcours de soins : Parcours de soins coordonnés" in text
    # Nature, date, quantity, expense, R.O. base/rate/amount, mutuelle base/rate/amount, what remains.
    assert "Consultation médecin généraliste 16/09/2026 1 30,00 30,00 70 19,00 30,00 30 9,00 2,00" in text, text
    assert act["mandatory_scheme"]["amount"] == "19.00" and act["mutuelle"]["amount"] == "9.00" and act["remaining"] == "2.00"
    assert "participation forfaitaire ou franchise médicale retenue par l'Assurance Maladie : 2,00 €" in text
    assert "Règlement à l'assuré, sur le compte FR76 **** **** **** **** ***1 189" in text
    assert "Réglé 9,00 €" in text and "francs" not in text  # MBTP does not keep the francs column
    assert "Votre mutuelle a pris en charge 9,00 € au titre de votre garantie « SANTE SOCLE »" in " ".join(text.split())
    assert "Total 30,00 19,00 9,00 2,00" in text


async def test_a_tenant_that_keeps_the_francs_prints_them(claims, kafka_producer, service_env, bearer):
    topic = service_env["topic_prefix"] + "legacy.claims"
    await publish_event(kafka_producer, topic, reimbursement_paid(reference="35507436"), tenant="solimut")
    await wait_until(lambda: claims.pool.fetchval("SELECT count(*) = 1 FROM payments WHERE tenant = 'solimut'"))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(claims.app), base_url="http://claims", headers=GATEWAY_HEADERS) as c:
        answer = await c.get(f"/internal/members/{MINE}/statements/35507436", headers=bearer(tenant="solimut"))
    text = pdf_text(answer.content)
    assert "Solimut Mutuelle de France" in text and "Réglé 15,60 € soit 102,33 francs" in text, text


async def test_every_statement_of_a_period_in_one_download(client, bearer):
    me = bearer()
    answer = await client.get(f"/internal/members/{MINE}/statements/archive", params={"from": "2026-09-01", "to": "2026-09-30"}, headers=me)
    assert answer.status_code == 200 and answer.headers["content-type"] == "application/zip"
    assert 'filename="releves-01092026-30092026.zip"' in answer.headers["content-disposition"]
    archive = zipfile.ZipFile(io.BytesIO(answer.content))
    assert archive.namelist() == ["releve-35500001.pdf", "releve-35500002.pdf", "releve-35500003.pdf"]
    for name in archive.namelist():
        reference = name.removeprefix("releve-").removesuffix(".pdf")
        detail = (await client.get(f"{BASE}/{reference}", headers=me)).json()
        text = pdf_text(archive.read(name))
        assert f"N° de référence {reference}" in text and f"Réglé {detail['amount'].replace('.', ',')} €" in text

    hugo = await client.get(f"/internal/members/{MINE}/statements/archive", params={"beneficiary": HUGO}, headers=me)
    assert zipfile.ZipFile(io.BytesIO(hugo.content)).namelist() == [f"releve-3550000{n}.pdf" for n in (0, 3, 6)]
    empty = await client.get(f"/internal/members/{MINE}/statements/archive", params={"from": "2027-01-01"}, headers=me)
    assert zipfile.ZipFile(io.BytesIO(empty.content)).namelist() == ["aucun-releve.txt"]
    refused = await client.get(
        f"/internal/members/{MINE}/statements/archive", params={"from": "2026-09-30", "to": "2026-09-01"}, headers=me
    )
    assert refused.status_code == 422 and refused.json()["errors"][0]["field"].endswith("to")


async def test_statements_of_another_household_are_not_found(client, bearer):
    me = bearer()
    for reference in ("46600001", "99999999"):
        answer = await client.get(f"/internal/members/{MINE}/statements/{reference}", headers=me)
        assert answer.status_code == 404 and answer.json()["detail"] == "Remboursement introuvable."
    for path in ("archive", "46600001"):
        assert (await client.get(f"/internal/members/{THEIRS}/statements/{path}", headers=me)).status_code == 403
        assert (await client.get(f"/internal/members/{MINE}/statements/{path}")).status_code == 401
        assert (await client.get(f"/internal/members/{MINE}/statements/{path}", headers=bearer(terms_ok=False))).status_code == 403


def _kept_answers(outcome: str) -> float:
    return REGISTRY.get_sample_value("extranet_read_cache_answers_total", {"cache": "claims", "outcome": outcome}) or 0.0


async def test_a_kept_answer_gives_way_to_a_new_payment_and_to_a_correction(claims, client, bearer, kafka_producer, service_env):
    """The member's pages are kept while the read model has not changed: asked twice, the second answer is
    the kept one; a payment that arrives since, or a correction of one, shows at the next request."""
    me, topic = bearer(), service_env["topic_prefix"] + "legacy.claims"
    first = (await client.get(f"{BASE}/latest", headers=me)).json()
    hits = _kept_answers("hit")
    assert (await client.get(f"{BASE}/latest", headers=me)).json() == first
    assert _kept_answers("hit") == hits + 1
    before = (await client.get(f"{BASE}/35500001", headers=me)).json()
    assert before["amount"] == "9.00"

    newer = {**CONSULTATION, "act_date": "2026-10-20"}
    await publish_event(
        kafka_producer, topic, reimbursement_paid(reference="35509001", paid_on=date(2026, 10, 25), acts=[newer], amount="9.00")
    )
    await wait_until(lambda: claims.pool.fetchval("SELECT count(*) = 10 FROM payments"))
    latest = [r["reference"] for r in (await client.get(f"{BASE}/latest", headers=me)).json()["items"]]
    assert latest == ["35509001", "35500000", "35500001"]

    corrected = {**CONSULTATION, "act_date": "2026-09-16", "mutuelle_amount": "8.00"}
    correction = reimbursement_paid(
        reference="35500001", paid_on=date(2026, 9, 21), received_on=date(2026, 9, 19), acts=[corrected], amount="8.00", revision=2
    )
    await publish_event(kafka_producer, topic, correction)
    await wait_until(lambda: claims.pool.fetchval("SELECT revision = 2 FROM payments WHERE reference = '35500001'"))
    assert (await client.get(f"{BASE}/35500001", headers=me)).json()["amount"] == "8.00"


async def test_a_kept_answer_is_never_another_households(client, bearer):
    me, theirs = bearer(), bearer(scope={"member_number": THEIRS})
    mine = (await client.get(BASE, headers=me)).json()
    assert mine["total"] == 8
    for path in ("", "/latest", "/35500001"):  # kept for me, refused to them
        await client.get(f"{BASE}{path}", headers=me)
        assert (await client.get(f"{BASE}{path}", headers=theirs)).status_code == 403
    theirs_listed = (await client.get(f"/internal/members/{THEIRS}/reimbursements", headers=theirs)).json()
    assert [r["reference"] for r in theirs_listed["items"]] == ["46600001"] and theirs_listed["total"] == 1
