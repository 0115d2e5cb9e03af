"""The employer's documents end to end (issue 12, guide 003 « Mes documents »): the simulated legacy system
deposits membership forms, contracts and benefits tables in the document store and publishes
`CompanyDocumentIssued`; portfolio's read model keeps them; a correspondent lists them (name, size, date) and
downloads them through the gateway, within its scope: a secondary correspondent only its contracts' and the
company's, nobody else anything. The lists agree with what the events say."""

from __future__ import annotations

import hashlib
import random
from datetime import date

from extranet_contracts.legacy import COMPANIES, CONTRACTS, CompanyDocumentKind
from extranet_contracts.testing import company_registered, contract_signed
from extranet_plumbing.storage import LocalFolderStore
from extranet_plumbing.testing import publish_event, wait_until
from legacy_simulator.documents import issue

PASSWORD = "Documents-Test-2026!"
MINE, OTHER = "12345678", "87654321"


async def log_in(platform, portal: str, kind: str, identifier: str, scope: dict) -> dict[str, str]:
    return {"authorization": f"Bearer {await platform.account_token(portal, kind, identifier, PASSWORD, scope)}"}


def shown(documents) -> dict[str, set[tuple]]:
    """What the portal should list by section, from the events: (name, size, date, contract)."""
    sections: dict[str, set[tuple]] = {kind.value: set() for kind in CompanyDocumentKind}
    for d in documents:
        sections[d.kind.value].add((d.name, d.size, d.issued_on.isoformat(), d.contract_number))
    return sections


def listed(answer: dict) -> dict[str, set[tuple]]:
    return {s["kind"]: {(d["name"], d["size"], d["issued_on"], d["contract_number"]) for d in s["documents"]} for s in answer["sections"]}


async def test_a_correspondent_reads_its_documents_within_its_scope(platform, kafka_producer, service_env):
    prefix = service_env["topic_prefix"]
    store = LocalFolderStore(platform.portfolio.settings.documents_dir)
    companies = {MINE: company_registered(), OTHER: company_registered(company_code=OTHER, legal_name="Autre SARL", siret="44306184100047")}
    contracts = {
        "W1-000123": contract_signed(),
        "W1-000999": contract_signed(contract_number="W1-000999", category="CADRES"),
        "W2-000555": contract_signed(contract_number="W2-000555", company_code=OTHER),
    }
    for company in companies.values():
        await publish_event(kafka_producer, prefix + COMPANIES, company)
    for contract in contracts.values():
        await publish_event(kafka_producer, prefix + CONTRACTS, contract)
    ids = random.Random(12)
    documents = [
        issue(store, "mbtp", company, CompanyDocumentKind.MEMBERSHIP_FORM, contract=None, issued_on=date(2026, 1, 5), ids=ids)
        for company in companies.values()
    ] + [
        issue(store, "mbtp", companies[c.company_code], kind, contract=c, issued_on=c.effective_date, ids=ids)
        for c in contracts.values()
        for kind in (CompanyDocumentKind.CONTRACT, CompanyDocumentKind.BENEFITS_TABLE)
    ]
    # A benefits table corrected (revision 2, a new file), then its first version again, late: the newest stays.
    table = next(d for d in documents if d.kind is CompanyDocumentKind.BENEFITS_TABLE and d.contract_number == "W1-000123")
    corrected = issue(
        store,
        "mbtp",
        companies[MINE],
        CompanyDocumentKind.BENEFITS_TABLE,
        contract=contracts["W1-000123"],
        issued_on=date(2026, 6, 1),
        ids=ids,
    )
    corrected = corrected.model_copy(
        update={"document_id": table.document_id, "revision": 2, "name": "TABLEAU_DE_PRESTATIONS_W1-000123_R2.pdf"}
    )
    for event in (*documents, corrected, table):
        await publish_event(kafka_producer, prefix + COMPANIES, event)
    documents = [corrected if d.document_id == table.document_id else d for d in documents]
    await wait_until(lambda: platform.portfolio.pool.fetchval("SELECT count(*) = 8 AND max(revision) = 2 FROM company_documents"))

    primary = await log_in(platform, "employer", "correspondent", f"C{MINE}", {"company_code": MINE, "contracts": "all", "primary": True})
    secondary = await log_in(
        platform, "employer", "correspondent", "corr.cadres", {"company_code": MINE, "contracts": ["W1-000999"], "primary": False}
    )
    other = await log_in(platform, "employer", "correspondent", f"C{OTHER}", {"company_code": OTHER, "contracts": "all", "primary": True})
    member = await log_in(platform, "member", "member", "73000042", {"member_number": "73000042"})
    broker = await log_in(platform, "broker", "broker", "M12345", {"broker_code": "M12345"})
    gateway = platform.gateway

    # The primary correspondent: every document of its company, in the portal's sections, as the events say.
    answer = (await gateway.get("/api/employer/documents", headers=primary)).json()
    assert [s["label"] for s in answer["sections"]] == ["Bulletins d'adhésion", "Contrats", "Tableaux de prestations"]
    assert listed(answer) == shown(d for d in documents if d.company_code == MINE)
    assert "TABLEAU_DE_PRESTATIONS_W1-000123_R2.pdf" in {d["name"] for s in answer["sections"] for d in s["documents"]}
    sized = next(d for s in answer["sections"] for d in s["documents"])
    assert sized["size_label"] == f"{sized['size'] / 1024:.1f} ko".replace(".", ",")
    one_contract = (await gateway.get("/api/employer/documents", params={"contract_number": "W1-000999"}, headers=primary)).json()
    assert listed(one_contract) == shown(d for d in documents if d.company_code == MINE and d.contract_number in (None, "W1-000999"))

    # Each file as deposited, with its type and name.
    for document in (d for d in documents if d.company_code == MINE):
        got = await gateway.get(f"/api/employer/documents/{document.document_id}", headers=primary)
        assert got.status_code == 200 and got.headers["content-type"] == "application/pdf"
        assert hashlib.sha256(got.content).hexdigest() == document.sha256 and document.name in got.headers["content-disposition"]

    # The secondary correspondent: the company's form and its contract's documents only.
    mine_only = shown(d for d in documents if d.company_code == MINE and d.contract_number in (None, "W1-000999"))
    assert listed((await gateway.get("/api/employer/documents", headers=secondary)).json()) == mine_only
    assert (await gateway.get("/api/employer/documents", params={"contract_number": "W1-000123"}, headers=secondary)).status_code == 404
    for document in documents:
        path = f"/api/employer/documents/{document.document_id}"
        secondary_sees = document.company_code == MINE and document.contract_number in (None, "W1-000999")
        assert (await gateway.get(path, headers=secondary)).status_code == (200 if secondary_sees else 404)
        assert (await gateway.get(path, headers=other)).status_code == (200 if document.company_code == OTHER else 404)
        assert (await gateway.get(path)).status_code == 401
        for not_a_correspondent in (member, broker):
            assert (await gateway.get(path, headers=not_a_correspondent)).status_code == 403
    assert listed((await gateway.get("/api/employer/documents", headers=other)).json()) == shown(
        d for d in documents if d.company_code == OTHER
    )
    assert (await gateway.get("/api/employer/documents")).status_code == 401
    for not_a_correspondent in (member, broker):
        assert (await gateway.get("/api/employer/documents", headers=not_a_correspondent)).status_code == 403
