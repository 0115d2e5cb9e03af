"""The simulator's employer documents: each company's membership form and each contract's conditions and
benefits table, deposited in the document store before the event that names them, which says their size
and SHA-256 truly; the same seed gives the same documents."""

from __future__ import annotations

import hashlib
from datetime import date

from extranet_contracts.legacy import CollectiveContractSigned, CompanyDocumentIssued, CompanyRegistered
from extranet_plumbing.storage import LocalFolderStore
from legacy_simulator.documents import with_documents
from legacy_simulator.generator import generate
from legacy_simulator.sizes import SizeSpec

TODAY = date(2026, 12, 1)


def test_every_company_and_contract_gets_its_documents_deposited_first(tmp_path):
    store = LocalFolderStore(tmp_path)
    events = list(with_documents(generate(SizeSpec.preset("small"), 7, "mbtp", TODAY), store))
    companies = {e.company_code for _, e in events if isinstance(e, CompanyRegistered)}
    contracts = {e.contract_number: e.company_code for _, e in events if isinstance(e, CollectiveContractSigned)}
    documents = [e for _, e in events if isinstance(e, CompanyDocumentIssued)]
    assert documents and all(isinstance(e, CompanyDocumentIssued) for _, e in events[-len(documents) :])  # after what they name
    assert {d.company_code for d in documents if d.kind == "MEMBERSHIP_FORM"} == companies
    assert sorted(d.contract_number for d in documents if d.kind == "CONTRACT") == sorted(contracts)
    assert sorted(d.contract_number for d in documents if d.kind == "BENEFITS_TABLE") == sorted(contracts)
    assert all(contracts[d.contract_number] == d.company_code for d in documents if d.contract_number)
    for document in documents:
        data = store.path("mbtp", document.storage_key).read_bytes()
        assert data.startswith(b"%PDF-") and len(data) == document.size and hashlib.sha256(data).hexdigest() == document.sha256


def test_the_same_seed_gives_the_same_documents(tmp_path):
    def documents(folder):
        events = with_documents(generate(SizeSpec.preset("small"), 7, "mbtp", TODAY), LocalFolderStore(folder))
        return [(e.document_id, e.name, e.sha256) for _, e in events if isinstance(e, CompanyDocumentIssued)]

    assert documents(tmp_path / "a") == documents(tmp_path / "b")
