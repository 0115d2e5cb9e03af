"""A product's brochure (« Fiche » of the company sheet's « Vos produits », issue 12, guide 003) through the gateway: the
legacy system deposits the file in the document store and names it on the guarantee; the company sheet lists it and the
correspondent who sees the contract downloads the very bytes; nobody else gets it (route x role)."""

from __future__ import annotations

import hashlib

from extranet_contracts.legacy import COMPANIES, CONTRACTS
from extranet_contracts.testing import company_registered, contract_signed, guarantee_attached
from extranet_plumbing.storage import LocalFolderStore
from extranet_plumbing.testing import publish_event, wait_until

PASSWORD = "Plaquette-Test-2026!"
MINE, OTHER = "12345678", "87654321"
PDF = b"%PDF-1.4\n% plaquette Sante socle\n%%EOF\n"
BROCHURE = "/api/employer/contracts/W1-000123/products/SANTE-SOCLE/brochure"


async def test_a_brochure_is_listed_and_downloaded_by_the_correspondents_of_the_contract_only(platform, kafka_producer, service_env):
    prefix = service_env["topic_prefix"]
    key = LocalFolderStore(platform.portfolio.settings.documents_dir).put_blocking("mbtp", PDF)
    stored = {"name": "PLAQUETTE_SANTE-SOCLE.pdf", "media_type": "application/pdf", "size": len(PDF), "storage_key": key}
    stored["sha256"] = hashlib.sha256(PDF).hexdigest()
    for company in (company_registered(), company_registered(company_code=OTHER, legal_name="Autre SARL", siret="44306184100047")):
        await publish_event(kafka_producer, prefix + COMPANIES, company)
    for event in (
        contract_signed(),
        contract_signed(contract_number="W1-000999", category="CADRES"),
        contract_signed(contract_number="W2-000555", company_code=OTHER),
        guarantee_attached(guarantee_code="SANTE-SOCLE", name="Santé socle", brochure=stored),
        guarantee_attached(contract_number="W2-000555", guarantee_code="SANTE-SOCLE", name="Santé socle", brochure=stored),
    ):
        await publish_event(kafka_producer, prefix + CONTRACTS, event)
    await wait_until(lambda: platform.portfolio.pool.fetchval("SELECT count(*) = 2 FROM guarantees WHERE brochure IS NOT NULL"))

    async def bearer(portal: str, kind: str, identifier: str, scope: dict) -> dict[str, str]:
        return {"authorization": f"Bearer {await platform.account_token(portal, kind, identifier, PASSWORD, scope)}"}

    await platform.create_broker_login("M12345", PASSWORD)
    accounts = {
        "primary": await bearer("employer", "correspondent", f"C{MINE}", {"company_code": MINE, "contracts": "all", "primary": True}),
        "theirs": await bearer("employer", "correspondent", f"C{OTHER}", {"company_code": OTHER, "contracts": "all", "primary": True}),
        "other contract": await bearer(
            "employer", "correspondent", f"K{MINE}", {"company_code": MINE, "contracts": ["W1-000999"], "primary": False}
        ),
        "member": await bearer("member", "member", "73000042", {"member_number": "73000042"}),
        "broker": {"authorization": f"Bearer {await platform.login('M12345', PASSWORD)}"},
    }
    sheet = await platform.gateway.get("/api/employer/contracts/W1-000123/groups/A/sheet", headers=accounts["primary"])
    assert sheet.status_code == 200, sheet.text
    assert [(p["guarantee_code"], p["brochure"]["name"]) for p in sheet.json()["products"]] == [
        ("SANTE-SOCLE", "PLAQUETTE_SANTE-SOCLE.pdf")
    ]

    assert (await platform.gateway.get(BROCHURE)).status_code == 401
    for who in ("broker", "member"):
        assert (await platform.gateway.get(BROCHURE, headers=accounts[who])).status_code == 403, who
    for who in ("theirs", "other contract"):
        refused = await platform.gateway.get(BROCHURE, headers=accounts[who])
        assert refused.status_code == 404 and refused.content != PDF, who
    mine = await platform.gateway.get(BROCHURE, headers=accounts["primary"])
    assert mine.status_code == 200 and mine.content == PDF and mine.headers["content-type"] == "application/pdf"
    assert "PLAQUETTE_SANTE-SOCLE.pdf" in mine.headers["content-disposition"]
    # Another company's contract, though the product and its file are the same: not found.
    foreign = await platform.gateway.get("/api/employer/contracts/W2-000555/products/SANTE-SOCLE/brochure", headers=accounts["primary"])
    assert foreign.status_code == 404
    # A path that is not a product code is refused before it reaches portfolio.
    assert (
        await platform.gateway.get("/api/employer/contracts/W1-000123/products/..%2F..%2Fx/brochure", headers=accounts["primary"])
    ).status_code in (404, 422)
