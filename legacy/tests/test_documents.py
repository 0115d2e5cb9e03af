"""The simulator's employer documents: each company's membership form and each contract's conditions and
benefits table, deposited in the document store before the event that names them, which says their size
and SHA-256 truly; the same seed gives the same documents."""

from __future__ import annotations

import hashlib
from datetime import date

from extranet_contracts.legacy import (
    CollectiveContractSigned,
    CompanyDocumentIssued,
    CompanyRegistered,
    GuaranteeAttached,
    MemberAffiliated,
)
from extranet_plumbing.storage import LocalFolderStore
from legacy_simulator import generator
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


def test_every_guarantee_names_its_product_brochure_deposited_once_per_product(tmp_path):
    store = LocalFolderStore(tmp_path)
    events = list(with_documents(generate(SizeSpec.preset("small"), 7, "mbtp", TODAY), store))
    guarantees = [e for _, e in events if isinstance(e, GuaranteeAttached)]
    assert guarantees and all(g.brochure is not None for g in guarantees)
    by_product = {}
    for g in guarantees:
        by_product.setdefault(g.guarantee_code, set()).add(g.brochure.storage_key)
    assert all(len(keys) == 1 for keys in by_product.values())  # one file per product, named by every contract offering it
    for g in {g.guarantee_code: g for g in guarantees}.values():
        data = store.path("mbtp", g.brochure.storage_key).read_bytes()
        assert data.startswith(b"%PDF-") and len(data) == g.brochure.size and hashlib.sha256(data).hexdigest() == g.brochure.sha256
        assert g.brochure.name == f"PLAQUETTE_{g.guarantee_code}.pdf"


def test_groups_and_employees_carry_their_details_drawn_apart(monkeypatch):
    """The groups' addresses and contacts, the employees' family situation and payment mode: present, and drawn from
    generators of their own (without them, every other field of every event is the same: names, numbers, dates)."""
    events = [e for _, e in generate(SizeSpec.preset("small"), 7, "mbtp", TODAY)]
    monkeypatch.setattr(generator._Generator, "group_details", lambda *_: [])
    monkeypatch.setattr(generator._Generator, "member_details", lambda *_: {})
    without = [e for _, e in generate(SizeSpec.preset("small"), 7, "mbtp", TODAY)]
    details = {"group_details", "family_situation", "payment_mode", "payment_frequency"}
    assert [e.model_dump(exclude=details) for e in events] == [e.model_dump(exclude=details) for e in without]
    contracts = [e for e in events if isinstance(e, CollectiveContractSigned)]
    assert any(d.address or d.contacts for k in contracts for d in k.group_details)
    assert all({d.insured_group for d in k.group_details} <= set(k.insured_groups) for k in contracts)
    members = [e for e in events if isinstance(e, MemberAffiliated)]
    assert all(m.family_situation and m.payment_mode and m.payment_frequency for m in members)
    couples = [m for m in members if any(d.role == "CONJOINT" for d in m.dependants)]
    assert couples and all(m.family_situation in ("MARIE", "PACSE", "CONCUBIN") for m in couples)
