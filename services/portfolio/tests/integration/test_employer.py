"""The employer portal's reads on the portfolio service, fed by real Kafka into a real PostgreSQL: what a
correspondent may see (its company, its contracts, its categories and insured groups), the company sheet,
the search of an employee by name or NIR, the detail with masked NIRs and RIB, the list and its downloads."""

from __future__ import annotations

import csv
import io
import time
from datetime import date

import httpx
import jwt
import pytest
from openpyxl import load_workbook
from stdnum.fr import nir as stdnum_nir

from extranet_contracts.testing import (
    CHILD,
    PRIMARY,
    company_registered,
    contract_signed,
    contribution_paid,
    contribution_payer_recorded,
    contribution_scheduled,
    guarantee_attached,
    member_affiliated,
    member_radiated,
)
from extranet_plumbing.testing import GATEWAY_HEADERS, publish_event, wait_until
from portfolio.bootstrap import bootstrap
from portfolio.settings import PortfolioSettings

from .test_read_model import drop_schema

TODAY = date(2026, 2, 15)
MINE, THEIRS = "12345678", "87654321"
CADRES, NON_CADRES, OTHER = "W1-000123", "W1-000124", "W2-000900"
IBAN = "FR7630006000011234567890189"


def full_nir(body: str) -> str:
    return body + stdnum_nir.calc_check_digits(body)


CORSICAN = full_nir("185122A004123")
LEA_NIR = PRIMARY["nir"]  # 285057800608441
EVENTS = [
    ("legacy.companies", company_registered(company_code=MINE, legal_name="Rédwater", siret="73282932000074")),
    ("legacy.companies", company_registered(company_code=THEIRS, legal_name="Autre Entreprise", siret="35600000000048")),
    ("legacy.contracts", contract_signed(contract_number=CADRES, company_code=MINE, category="CADRES", insured_groups=["A", "P"])),
    ("legacy.contracts", contract_signed(contract_number=NON_CADRES, company_code=MINE, category="NON CADRES", insured_groups=["A"])),
    ("legacy.contracts", contract_signed(contract_number=OTHER, company_code=THEIRS, insured_groups=["A"])),
    ("legacy.contracts", guarantee_attached(contract_number=CADRES, guarantee_code="BASE", name="Base Seule Actif")),
    (
        "legacy.contracts",
        guarantee_attached(
            contract_number=CADRES, guarantee_code="OPT1", name="Base+option 1", start_date=date(2025, 1, 1), end_date=date(2025, 12, 31)
        ),
    ),
    (
        "legacy.memberships",
        member_affiliated(
            membership_id="ADH-1",
            member_number="70000001",
            contract_number=CADRES,
            company_code=MINE,
            benefits_bank_details={"iban": IBAN, "bic": "AGRIFRPP", "holder": "Léa Durand"},
        ),
    ),
    (
        "legacy.memberships",
        member_affiliated(
            membership_id="ADH-2",
            member_number="70000002",
            contract_number=CADRES,
            company_code=MINE,
            insured_group="P",
            primary={"civility": "M", "last_name": "Le Gall-Hervé", "first_name": "Jean-Éric", "birth_date": "1985-12-01", "nir": CORSICAN},
            dependants=[],
        ),
    ),
    (
        "legacy.memberships",
        member_affiliated(
            membership_id="ADH-3",
            member_number="70000003",
            contract_number=NON_CADRES,
            company_code=MINE,
            primary={**PRIMARY, "last_name": "Durandet", "first_name": "Marc", "nir": full_nir("1800175123456")},
            dependants=[],
        ),
    ),
    (
        "legacy.memberships",
        member_affiliated(
            membership_id="ADH-4",
            member_number="70000004",
            contract_number=OTHER,
            company_code=THEIRS,
            primary={**PRIMARY, "first_name": "Autre", "nir": full_nir("2850575123457")},
        ),
    ),
    (
        "legacy.memberships",
        member_affiliated(
            membership_id="ADH-5",
            member_number="70000005",
            contract_number=CADRES,
            company_code=MINE,
            primary={**PRIMARY, "first_name": "Paul", "nir": full_nir("1850575123458")},
            dependants=[],
            effective_date=date(2025, 6, 1),
        ),
    ),
    (
        "legacy.memberships",
        member_radiated(
            membership_id="ADH-5", member_number="70000005", contract_number=CADRES, company_code=MINE, effective_date=date(2026, 1, 31)
        ),
    ),
]


CONTRIBUTIONS = [
    contribution_payer_recorded(contract_number=CADRES, company_code=MINE, payer_id="PAY-A-E"),
    contribution_payer_recorded(
        contract_number=CADRES,
        company_code=MINE,
        insured_group="P",
        payer_id="PAY-P-E",
        payment_mode="VIREMENT",
        pre_litigation="EN_COURS",
        pre_litigation_date=date(2026, 1, 20),
    ),
    # January paid in two payments (an older revision of the schedule said half), February not yet due, P's December unpaid.
    contribution_scheduled(contract_number=CADRES, company_code=MINE, schedule_id="ECH-A-2601", payer_id="PAY-A-E", amount_paid="600.00"),
    contribution_scheduled(contract_number=CADRES, company_code=MINE, schedule_id="ECH-A-2601", payer_id="PAY-A-E", revision=2),
    contribution_scheduled(
        contract_number=CADRES,
        company_code=MINE,
        schedule_id="ECH-A-2602",
        payer_id="PAY-A-E",
        period_start=date(2026, 2, 1),
        period_end=date(2026, 2, 28),
        due_date=date(2026, 2, 20),
        amount_paid="0",
    ),
    contribution_scheduled(
        contract_number=CADRES,
        company_code=MINE,
        insured_group="P",
        schedule_id="ECH-P-2512",
        payer_id="PAY-P-E",
        period_start=date(2025, 12, 1),
        period_end=date(2025, 12, 31),
        due_date=date(2025, 12, 10),
        amount_due="80.00",
        amount_paid="0",
    ),
    contribution_paid(contract_number=CADRES, company_code=MINE, payment_id="REG-A-1", schedule_id="ECH-A-2601", amount="600.00"),
    contribution_paid(
        contract_number=CADRES,
        company_code=MINE,
        payment_id="REG-A-2",
        schedule_id="ECH-A-2601",
        amount="650.40",
        paid_on=date(2026, 1, 12),
    ),
]
EVENTS += [("legacy.contracts", event) for event in CONTRIBUTIONS]


@pytest.fixture
async def portfolio(service_env, infra, kafka_producer):
    service = bootstrap(PortfolioSettings(**service_env), clock=lambda: TODAY)
    async with service.running():
        for stream, event in EVENTS:
            await publish_event(kafka_producer, service_env["topic_prefix"] + stream, event)
        await wait_until(lambda: service.pool.fetchval("SELECT count(*) = 5 FROM memberships WHERE start_date IS NOT NULL"))
        await wait_until(lambda: service.pool.fetchval("SELECT count(*) = 1 FROM memberships WHERE end_date IS NOT NULL"))
        await wait_until(lambda: service.pool.fetchval("SELECT count(*) = 2 FROM guarantees"))
        await wait_until(lambda: service.pool.fetchval("SELECT count(*) = 2 FROM contribution_payments"))
        await wait_until(
            lambda: service.pool.fetchval("SELECT count(*) = 3 FROM contribution_schedules WHERE revision < 3 AND amount_paid <> 600")
        )
        yield service
    await drop_schema(infra, service.schema)


@pytest.fixture
async def client(portfolio):
    async with httpx.AsyncClient(transport=httpx.ASGITransport(portfolio.app), base_url="http://portfolio", headers=GATEWAY_HEADERS) as c:
        yield c


def bearer(jwt_keys, kind: str = "correspondent", **scope) -> dict[str, str]:
    now = int(time.time())
    claims = {
        "iss": "extranet-identity",
        "aud": "extranet",
        "sub": f"account-{kind}",
        "typ": "access",
        "kind": kind,
        "tenant": "mbtp",
        "scope": scope,
        "iat": now,
        "exp": now + 600,
        "terms_ok": True,
    }
    return {"authorization": f"Bearer {jwt.encode(claims, jwt_keys.private_pem, algorithm='EdDSA')}"}


@pytest.fixture
def tokens(jwt_keys):
    return {
        "primary": bearer(jwt_keys, company_code=MINE, contracts="all", primary=True),
        "secondary": bearer(jwt_keys, company_code=MINE, contracts=[CADRES], insured_groups=["A"], primary=False),
        "categories": bearer(jwt_keys, company_code=MINE, contracts="all", categories=["NON CADRES"], primary=False),
        # Both contracts, but only group A of W1-000123 (NON CADRES: every group).
        "per_contract": bearer(jwt_keys, company_code=MINE, contracts=[CADRES, NON_CADRES], contract_groups={CADRES: ["A"]}, primary=False),
        "theirs": bearer(jwt_keys, company_code=THEIRS, contracts="all", primary=True),
        "broker": bearer(jwt_keys, "broker", broker_code="M12345", company_code=MINE),
        "member": bearer(jwt_keys, "member", member_number="70000001", company_code=MINE),
    }


async def test_the_selector_offers_the_contracts_and_groups_the_correspondent_may_see(client, tokens):
    primary = (await client.get("/internal/employer/contracts", headers=tokens["primary"])).json()
    assert primary["legal_name"] == "Rédwater"
    assert {k["contract_number"]: [g["code"] for g in k["insured_groups"]] for k in primary["contracts"]} == {
        CADRES: ["A", "P"],
        NON_CADRES: ["A"],
    }
    assert primary["contracts"][0]["insured_groups"][1] == {"code": "P", "label": "Portabilité"}
    secondary = (await client.get("/internal/employer/contracts", headers=tokens["secondary"])).json()
    assert [(k["contract_number"], [g["code"] for g in k["insured_groups"]]) for k in secondary["contracts"]] == [(CADRES, ["A"])]
    by_category = (await client.get("/internal/employer/contracts", headers=tokens["categories"])).json()
    assert [k["contract_number"] for k in by_category["contracts"]] == [NON_CADRES]


async def test_the_company_sheet_counts_the_contract_and_the_group(client, tokens):
    answer = await client.get(f"/internal/employer/contracts/{CADRES}/groups/A/sheet", headers=tokens["primary"])
    assert answer.status_code == 200, answer.text
    sheet = answer.json()
    assert sheet["contract"]["contract_number"] == CADRES and sheet["contract"]["name"] == "Rédwater"
    assert (sheet["company"]["siret"], sheet["company"]["siren"]) == ("73282932000074", "732829320")
    # On 15 February 2026: Léa (and her child) in A, Jean-Éric in P; Paul left on 31 January.
    assert (sheet["employees"], sheet["covered_persons"]) == (2, 3)
    assert sheet["group"] == {"code": "A", "label": "Actif", "employees": 1, "covered_persons": 2, "address": None, "contacts": []}
    assert [(p["name"], p["end_date"]) for p in sheet["products"]] == [("Base Seule Actif", None), ("Base+option 1", "2025-12-31")]
    in_january = (
        await client.get(f"/internal/employer/contracts/{CADRES}/groups/A/sheet?as_of=2026-01-15", headers=tokens["primary"])
    ).json()
    assert in_january["group"]["employees"] == 2  # Paul was still covered
    # The secondary correspondent sees only group A: its contract's figures count group A alone.
    secondary = (await client.get(f"/internal/employer/contracts/{CADRES}/groups/A/sheet", headers=tokens["secondary"])).json()
    assert (secondary["employees"], secondary["covered_persons"]) == (1, 2)


async def search(client, headers, **criteria) -> httpx.Response:
    return await client.post("/internal/employer/employees/search", json=criteria, headers=headers)


async def test_an_employee_is_found_by_name_as_people_type_it(client, tokens):
    found = (await search(client, tokens["primary"], last_name="durand")).json()
    # Durand and Durandet of the company, covered today: not Paul (gone), not the other company's Durand.
    assert [(r["membership_id"], r["name"]) for r in found["items"]] == [("ADH-1", "DURAND Léa"), ("ADH-3", "DURANDET Marc")]
    assert found["items"][0] | {"birth_date": "1985-05-12", "start_date": "2026-01-01", "insured_group": "A"} == found["items"][0]
    assert [r["membership_id"] for r in (await search(client, tokens["primary"], last_name="DURAND", first_name="le")).json()["items"]] == [
        "ADH-1"
    ]
    in_january = await search(client, tokens["primary"], last_name="durand", as_of="2026-01-15", contract_number=CADRES)
    assert [r["membership_id"] for r in in_january.json()["items"]] == ["ADH-1", "ADH-5"]
    for typed in ("le gall herve", "LE GALL-HERVÉ", "Le  Gall"):
        assert [r["membership_id"] for r in (await search(client, tokens["primary"], last_name=typed)).json()["items"]] == ["ADH-2"], typed
    assert (await search(client, tokens["primary"], last_name="durand", birth_date="1985-05-13")).json()["total"] == 0
    assert (await search(client, tokens["primary"], last_name="%")).json()["total"] == 0  # a wildcard is a letter like any other
    refused = await search(client, tokens["primary"], first_name="Léa")
    assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "last_name"
    # The secondary correspondent: contract W1-000123, group A only.
    assert [r["membership_id"] for r in (await search(client, tokens["secondary"], last_name="durand")).json()["items"]] == ["ADH-1"]
    assert (await search(client, tokens["secondary"], last_name="le gall")).json()["total"] == 0


async def test_an_employee_is_found_by_nir_and_a_wrong_key_is_named(client, tokens):
    found = await search(client, tokens["primary"], nir=LEA_NIR[:13], nir_key=LEA_NIR[13:])
    assert [r["membership_id"] for r in found.json()["items"]] == ["ADH-1"]
    corsican = await search(client, tokens["primary"], nir=" ".join((CORSICAN[:1], CORSICAN[1:5], CORSICAN[5:13])), nir_key=CORSICAN[13:])
    assert [r["membership_id"] for r in corsican.json()["items"]] == ["ADH-2"]
    wrong = f"{(int(LEA_NIR[13:]) + 1) % 97:02d}"
    refused = await search(client, tokens["primary"], nir=LEA_NIR[:13], nir_key=wrong)
    assert refused.status_code == 422
    assert refused.json()["errors"] == [
        {"field": "nir_key", "in": "body", "message": "La clé ne correspond pas au numéro de sécurité sociale : vérifiez-les."}
    ]
    assert LEA_NIR[:13] not in refused.text
    assert (await search(client, tokens["primary"], nir="28505780060", nir_key="41")).json()["errors"][0]["field"] == "nir"
    # The other company's employee, by its NIR: not found by this company.
    theirs = full_nir("2850575123457")
    assert (await search(client, tokens["primary"], nir=theirs[:13], nir_key=theirs[13:])).json()["total"] == 0


async def test_the_read_model_keeps_no_full_nir_nor_iban(portfolio):
    dumped = " ".join(str(dict(r)) for r in await portfolio.pool.fetch("SELECT * FROM memberships"))
    for secret in (LEA_NIR, CHILD["nir"], CORSICAN, IBAN, LEA_NIR[:13]):
        assert secret not in dumped


async def test_the_employee_detail_masks_nirs_and_the_rib(client, tokens):
    answer = await client.get("/internal/employer/employees/ADH-1", headers=tokens["primary"])
    assert answer.status_code == 200, answer.text
    detail = answer.json()
    assert (detail["civility"], detail["last_name"], detail["contract_number"], detail["insured_group"]) == ("MME", "Durand", CADRES, "A")
    assert detail["iban_masked"] == "FR76 **** **** **** **** ***0 189"
    assert detail["beneficiaries"] == [
        {"name": "MME DURAND Léa", "type": "Assuré principal", "nir_masked": "2 85 05 ** *** *** 41", "birth_date": "1985-05-12"},
        {"name": "M DURAND Hugo", "type": "Enfant", "nir_masked": "1 15 03 ** *** *** 94", "birth_date": "2015-03-02"},
    ]
    for secret in (LEA_NIR, CHILD["nir"], IBAN, LEA_NIR[:13]):
        assert secret not in answer.text
    no_rib = (await client.get("/internal/employer/employees/ADH-2", headers=tokens["primary"])).json()
    assert (no_rib["iban_masked"], no_rib["bank_details"]) == (None, "Pas de RIB spécifié")


async def test_the_list_of_a_period_with_or_without_dependants_and_its_downloads(client, tokens):
    params = {"start": "2026-01-01", "end": "2026-02-28", "page_size": 10}
    without = (await client.get("/internal/employer/employees", params=params, headers=tokens["primary"])).json()
    assert [(r["membership_id"], r["type"]) for r in without["items"]] == [
        ("ADH-1", "Assuré principal"),
        ("ADH-5", "Assuré principal"),  # covered in January
        ("ADH-3", "Assuré principal"),
        ("ADH-2", "Assuré principal"),
    ]
    listed = (await client.get("/internal/employer/employees", params={**params, "dependants": "true"}, headers=tokens["primary"])).json()
    assert listed["total"] == 5
    assert [(r["name"], r["type"]) for r in listed["items"][:2]] == [("DURAND Léa", "Assuré principal"), ("DURAND Hugo", "Enfant")]
    later = (await client.get("/internal/employer/employees", params={**params, "start": "2026-02-01"}, headers=tokens["primary"])).json()
    assert "ADH-5" not in {r["membership_id"] for r in later["items"]}
    paged = (
        await client.get("/internal/employer/employees", params={**params, "page_size": 10, "page": 2}, headers=tokens["primary"])
    ).json()
    assert paged["items"] == [] and paged["total"] == 4
    assert (
        await client.get("/internal/employer/employees", params={**params, "page_size": 7}, headers=tokens["primary"])
    ).status_code == 422
    refused = await client.get("/internal/employer/employees", params={**params, "end": "2025-12-31"}, headers=tokens["primary"])
    assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "end"

    exported = {"start": "2026-01-01", "end": "2026-02-28", "dependants": "true"}
    as_csv = await client.get("/internal/employer/exports/employees", params={**exported, "format": "csv"}, headers=tokens["primary"])
    assert as_csv.status_code == 200 and as_csv.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(as_csv.content.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][:5] == ["Contrat collectif", "Groupe d'assurés", "N° d'adhésion", "N° adhérent", "Nom et prénom"]
    assert [(r[2], r[4], r[5], r[6]) for r in rows[1:]] == [
        (i["membership_id"], i["name"], i["type"], _french(i["birth_date"])) for i in listed["items"]
    ]
    as_xlsx = await client.get("/internal/employer/exports/employees", params=exported, headers=tokens["primary"])
    assert as_xlsx.status_code == 200
    sheet = load_workbook(io.BytesIO(as_xlsx.content)).worksheets[0]
    assert [(r[2], r[4]) for r in sheet.iter_rows(min_row=2, values_only=True)] == [
        (i["membership_id"], i["name"]) for i in listed["items"]
    ]


async def test_the_contributions_of_a_contract_and_group(client, tokens):
    answer = await client.get(f"/internal/employer/contracts/{CADRES}/groups/A/contributions", headers=tokens["primary"])
    assert answer.status_code == 200, answer.text
    mine = answer.json()
    assert mine["payers"] == [
        {
            "payer_id": "PAY-A-E",
            "share": "Employeur",
            "frequency": "Mensuelle",
            "payment_mode": "Chèque",
            "pre_litigation": "Aucune",
            "pre_litigation_date": None,
        }
    ]
    assert [(s["schedule_id"], s["amount_paid"], s["balance"], s["status"]) for s in mine["schedules"]] == [
        ("ECH-A-2602", "0.00", "1250.40", "À venir"),  # due on 20 February: today is the 15th
        ("ECH-A-2601", "1250.40", "0.00", "Réglée"),  # revision 2 won over the half-paid one
    ]
    assert [(p["payment_id"], p["amount"]) for p in mine["payments"]] == [("REG-A-2", "650.40"), ("REG-A-1", "600.00")]
    portability = (await client.get(f"/internal/employer/contracts/{CADRES}/groups/P/contributions", headers=tokens["primary"])).json()
    assert [(p["payment_mode"], p["pre_litigation"], p["pre_litigation_date"]) for p in portability["payers"]] == [
        ("Virement", "En cours", "2026-01-20")
    ]
    assert [(s["status"], s["balance"]) for s in portability["schedules"]] == [("Impayée", "80.00")]
    assert portability["payments"] == []


def _french(iso: str) -> str:
    return date.fromisoformat(iso).strftime("%d/%m/%Y")


ROUTES = [
    "/internal/employer/contracts",
    f"/internal/employer/contracts/{CADRES}/groups/P/sheet",
    f"/internal/employer/contracts/{CADRES}/groups/P/contributions",
    "/internal/employer/employees/search",  # POST {"last_name": "le gall", "contract_number": W1-000123, "insured_group": "P"}
    "/internal/employer/employees/ADH-2",
    f"/internal/employer/employees?start=2026-01-01&end=2026-02-28&contract_number={CADRES}&insured_group=P",
    f"/internal/employer/exports/employees?start=2026-01-01&end=2026-02-28&contract_number={CADRES}&insured_group=P&format=csv",
]


async def call(client, route: str, headers: dict | None = None) -> httpx.Response:
    if route.endswith("/search"):
        return await client.post(route, json={"last_name": "le gall", "contract_number": CADRES, "insured_group": "P"}, headers=headers)
    return await client.get(route, headers=headers)


@pytest.mark.parametrize("route", ROUTES)
async def test_only_the_right_correspondent_reads(client, tokens, route):
    """Group P of W1-000123 (Jean-Éric LE GALL-HERVÉ): the primary correspondent reads it; anyone else is refused."""
    assert (await call(client, route)).status_code == 401
    for who in ("broker", "member"):
        assert (await call(client, route, tokens[who])).status_code == 403, who
    for who in ("theirs", "secondary", "categories", "per_contract"):
        answer = await call(client, route, tokens[who])
        if route.endswith("/contracts"):  # their own selector, without this company's contract or group
            assert answer.status_code == 200 and "P" not in {
                g["code"] for k in answer.json()["contracts"] for g in k["insured_groups"] if k["contract_number"] == CADRES
            }
            continue
        assert answer.status_code == 404, (who, answer.text)
        assert "LE GALL" not in answer.text.upper() and "70000002" not in answer.text
    mine = await call(client, route, tokens["primary"])
    assert mine.status_code == 200
    if not route.endswith("/contracts"):  # the answer kept for the primary correspondent is never served to another
        assert (await call(client, route, tokens["secondary"])).status_code == 404
    assert route.endswith("/contracts") or "sheet" in route or "ECH-P-2512" in mine.text or "70000002" in mine.text


async def test_a_secondary_correspondent_reads_the_groups_granted_on_each_contract(client, jwt_keys):
    """Granted group P of W1-000123 and the whole of W2-000456: Jean-Éric (P) and Marc (W2) are its employees, Léa (A of
    W1-000123) is not, whether a contract and group are selected or not, on every route and in the downloads."""
    only_p = bearer(jwt_keys, company_code=MINE, contracts=[CADRES, NON_CADRES], contract_groups={CADRES: ["P"]}, primary=False)
    selector = (await client.get("/internal/employer/contracts", headers=only_p)).json()
    assert [(k["contract_number"], [g["code"] for g in k["insured_groups"]]) for k in selector["contracts"]] == [
        (CADRES, ["P"]),
        (NON_CADRES, ["A"]),
    ]
    for route in ROUTES[1:]:
        answer = await call(client, route, only_p)
        assert answer.status_code == 200, (route, answer.text)
        assert "sheet" in route or "ECH-P-2512" in answer.text or "70000002" in answer.text, route
    sheet = (await client.get(f"/internal/employer/contracts/{CADRES}/groups/P/sheet", headers=only_p)).json()
    assert (sheet["employees"], sheet["covered_persons"]) == (1, 1)  # the contract's figures: its group P only
    for outside in (f"/contracts/{CADRES}/groups/A/sheet", f"/contracts/{CADRES}/groups/A/contributions", "/employees/ADH-1"):
        assert (await client.get(f"/internal/employer{outside}", headers=only_p)).status_code == 404, outside
    assert [r["membership_id"] for r in (await search(client, only_p, last_name="durand")).json()["items"]] == ["ADH-3"]
    assert (await search(client, only_p, nir=LEA_NIR[:13], nir_key=LEA_NIR[13:])).json()["total"] == 0
    assert (await search(client, only_p, last_name="durand", insured_group="A")).json()["total"] == 1  # Marc, A of W2-000456
    period = {"start": "2026-01-01", "end": "2026-02-28", "dependants": "true"}
    listed = (await client.get("/internal/employer/employees", params={**period, "page_size": 10}, headers=only_p)).json()
    assert {r["membership_id"] for r in listed["items"]} == {"ADH-2", "ADH-3"} and listed["total"] == 2
    in_a = (
        await client.get("/internal/employer/employees", params={**period, "page_size": 10, "insured_group": "A"}, headers=only_p)
    ).json()
    assert [r["membership_id"] for r in in_a["items"]] == ["ADH-3"]
    exported = await client.get("/internal/employer/exports/employees", params={**period, "format": "csv"}, headers=only_p)
    rows = list(csv.reader(io.StringIO(exported.content.decode("utf-8-sig")), delimiter=";"))[1:]
    assert sorted(r[2] for r in rows) == ["ADH-2", "ADH-3"]


async def test_an_older_revision_of_a_schedule_arriving_late_changes_nothing(portfolio, kafka_producer, service_env, client, tokens):
    topic = service_env["topic_prefix"] + "legacy.contracts"
    newer = contribution_scheduled(contract_number=CADRES, company_code=MINE, schedule_id="ECH-A-2512", payer_id="PAY-A-E", revision=2)
    older = contribution_scheduled(
        contract_number=CADRES, company_code=MINE, schedule_id="ECH-A-2512", payer_id="PAY-A-E", amount_paid="0", revision=1
    )
    for event in (newer, older, newer):  # the newer one delivered twice
        await publish_event(kafka_producer, topic, event)
    await wait_until(lambda: _applied(portfolio, len(EVENTS) + 3))
    answer = (await client.get(f"/internal/employer/contracts/{CADRES}/groups/A/contributions", headers=tokens["primary"])).json()
    assert [(s["schedule_id"], s["amount_paid"]) for s in answer["schedules"] if s["schedule_id"] == "ECH-A-2512"] == [
        ("ECH-A-2512", "1250.40")
    ]


async def _applied(runtime, count: int) -> bool:
    return await runtime.pool.fetchval("SELECT count(*) FROM inbox") >= count
