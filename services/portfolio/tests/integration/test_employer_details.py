"""What the legacy contract now carries for the employer portal (issue 12, guide 003), projected by portfolio on a real
Kafka and PostgreSQL: each insured group's address and contacts on the company sheet (« Votre groupe »; the newest
revision of the contract wins, in any order), each product's brochure (« Fiche ») downloaded from the document store
within the correspondent's scope like the company's documents, and an employee's family situation and payment mode."""

from __future__ import annotations

import hashlib
import uuid
from datetime import date

import pytest

from extranet_contracts.testing import company_registered, contract_signed, guarantee_attached, member_affiliated
from extranet_plumbing.storage import LocalFolderStore
from extranet_plumbing.testing import publish_event, wait_until
from portfolio.bootstrap import bootstrap
from portfolio.settings import PortfolioSettings

from .test_employer import bearer, client  # noqa: F401 (the fixture, on this module's portfolio)
from .test_read_model import drop_schema

TODAY = date(2026, 2, 15)
MINE, THEIRS = "12345678", "87654321"
CONTRACT, OTHER_CONTRACT, THEIR_CONTRACT = "W1-000123", "W1-000124", "W2-000900"
PDF = b"%PDF-1.4\n% plaquette Base Seule Actif\n%%EOF\n"
RH = {"last_name": "Roux", "first_name": "Nadia", "role": "Responsable paie", "email": "paie@redwater.fr", "phone": "0472601500"}
SERVICE = {"line1": "Service du personnel", "line2": "12 rue de Gerland", "postal_code": "69007", "city": "Lyon"}


def brochure(key: uuid.UUID, data: bytes = PDF) -> dict:
    return {
        "name": "PLAQUETTE_BASE.pdf",
        "media_type": "application/pdf",
        "size": len(data),
        "sha256": hashlib.sha256(data).hexdigest(),
        "storage_key": key,
    }


@pytest.fixture
async def portfolio(service_env, infra, kafka_producer, tmp_path):
    store = LocalFolderStore(tmp_path)
    deposited = store.put_blocking("mbtp", PDF)
    announced_only = uuid.uuid4()  # named by an event, never deposited
    newer = contract_signed(
        contract_number=CONTRACT,
        company_code=MINE,
        insured_groups=["A", "P"],
        group_details=[{"insured_group": "A", "address": SERVICE, "contacts": [RH]}],
        revision=2,
    )
    older = contract_signed(
        contract_number=CONTRACT,
        company_code=MINE,
        insured_groups=["A", "P"],
        group_details=[{"insured_group": "A", "address": {**SERVICE, "line2": "ancienne adresse"}}],
        revision=1,
    )
    events = [
        ("legacy.companies", company_registered(company_code=MINE, legal_name="Rédwater")),
        ("legacy.companies", company_registered(company_code=THEIRS, legal_name="Autre", siret="35600000000048")),
        ("legacy.contracts", newer),
        ("legacy.contracts", older),  # late: changes nothing
        ("legacy.contracts", contract_signed(contract_number=OTHER_CONTRACT, company_code=MINE, category="CADRES")),
        ("legacy.contracts", contract_signed(contract_number=THEIR_CONTRACT, company_code=THEIRS)),
        (
            "legacy.contracts",
            guarantee_attached(contract_number=CONTRACT, guarantee_code="BASE", name="Base Seule Actif", brochure=brochure(deposited)),
        ),
        ("legacy.contracts", guarantee_attached(contract_number=CONTRACT, guarantee_code="OPT1", name="Base+option 1")),
        (
            "legacy.contracts",
            guarantee_attached(contract_number=CONTRACT, guarantee_code="OPT2", name="Base+option 2", brochure=brochure(announced_only)),
        ),
        (
            "legacy.contracts",
            guarantee_attached(contract_number=THEIR_CONTRACT, guarantee_code="BASE", name="Base", brochure=brochure(deposited)),
        ),
        (
            "legacy.memberships",
            member_affiliated(
                membership_id="ADH-1",
                member_number="70000001",
                contract_number=CONTRACT,
                company_code=MINE,
                family_situation="MARIE",
                payment_mode="CHEQUE",
                payment_frequency="ANNUELLE",
            ),
        ),
        (
            "legacy.memberships",
            member_affiliated(membership_id="ADH-2", member_number="70000002", contract_number=CONTRACT, company_code=MINE),
        ),
    ]
    service = bootstrap(PortfolioSettings(**service_env), clock=lambda: TODAY, documents=store)
    async with service.running():
        for stream, event in events:
            await publish_event(kafka_producer, service_env["topic_prefix"] + stream, event)
        # Both revisions of the contract applied (the older one last): the inbox holds every event.
        await wait_until(lambda: service.pool.fetchval("SELECT count(*) = $1 FROM inbox", len(events)))
        yield service
    await drop_schema(infra, service.schema)


@pytest.fixture
def tokens(jwt_keys):
    return {
        "primary": bearer(jwt_keys, company_code=MINE, contracts="all", primary=True),
        "other contract": bearer(jwt_keys, company_code=MINE, contracts=[OTHER_CONTRACT], primary=False),
        "other category": bearer(jwt_keys, company_code=MINE, contracts="all", categories=["CADRES"], primary=False),
        "theirs": bearer(jwt_keys, company_code=THEIRS, contracts="all", primary=True),
        "broker": bearer(jwt_keys, "broker", broker_code="M12345", company_code=MINE),
        "member": bearer(jwt_keys, "member", member_number="70000001", company_code=MINE),
    }


async def test_the_sheet_shows_the_groups_address_and_contacts_and_the_products_brochures(client, tokens):  # noqa: F811
    answer = await client.get(f"/internal/employer/contracts/{CONTRACT}/groups/A/sheet", headers=tokens["primary"])
    assert answer.status_code == 200, answer.text
    group = answer.json()["group"]
    assert group["address"]["line2"] == "12 rue de Gerland"  # revision 2's, though revision 1 came after it
    assert group["contacts"] == [RH]
    products = {p["guarantee_code"]: p["brochure"] for p in answer.json()["products"]}
    assert products["BASE"] == {"name": "PLAQUETTE_BASE.pdf", "size": len(PDF), "size_label": "0,0 ko"}
    assert products["OPT1"] is None
    p_group = (await client.get(f"/internal/employer/contracts/{CONTRACT}/groups/P/sheet", headers=tokens["primary"])).json()["group"]
    assert (p_group["address"], p_group["contacts"]) == (None, [])  # nothing on file for group P


BROCHURE = f"/internal/employer/contracts/{CONTRACT}/products/BASE/brochure"


async def test_a_brochure_is_downloaded_by_those_who_see_the_contract_only(client, tokens):  # noqa: F811
    mine = await client.get(BROCHURE, headers=tokens["primary"])
    assert mine.status_code == 200 and mine.content == PDF
    assert mine.headers["content-type"] == "application/pdf" and "PLAQUETTE_BASE.pdf" in mine.headers["content-disposition"]
    assert (await client.get(BROCHURE)).status_code == 401
    for who in ("broker", "member"):
        assert (await client.get(BROCHURE, headers=tokens[who])).status_code == 403, who
    for who in ("other contract", "other category", "theirs"):
        refused = await client.get(BROCHURE, headers=tokens[who])
        assert refused.status_code == 404 and refused.content != PDF, who
    # Another company's contract, a product without a brochure, a brochure announced but not deposited, an unknown product.
    for path in (
        f"/internal/employer/contracts/{THEIR_CONTRACT}/products/BASE/brochure",
        f"/internal/employer/contracts/{CONTRACT}/products/OPT1/brochure",
        f"/internal/employer/contracts/{CONTRACT}/products/OPT2/brochure",
        f"/internal/employer/contracts/{CONTRACT}/products/NOPE/brochure",
    ):
        assert (await client.get(path, headers=tokens["primary"])).status_code == 404, path


async def test_the_employee_sheet_shows_the_family_situation_and_the_payment_mode(client, tokens):  # noqa: F811
    lea = (await client.get("/internal/employer/employees/ADH-1", headers=tokens["primary"])).json()
    assert (lea["family_situation"], lea["payment_mode"]) == ("Marié(e)", "Chèque (annuelle)")
    unknown = (await client.get("/internal/employer/employees/ADH-2", headers=tokens["primary"])).json()
    assert (unknown["family_situation"], unknown["payment_mode"]) == (None, None)
