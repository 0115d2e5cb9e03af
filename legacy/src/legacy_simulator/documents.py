"""The documents the legacy system makes available to the companies' correspondents (« Mes documents »,
guide 003): a membership form for each company, and for each of its collective contracts the contract and
its benefits table. As the real system would, the simulator deposits each file in the platform's document
store (the folder `EXTRANET_DOCUMENTS_DIR` names: portfolio's, which serves them) and then publishes
`CompanyDocumentIssued` naming it by its storage key, with its name, size and SHA-256.

`with_documents(events, store)` passes the generated events through, each guarantee with its product's brochure
(« Fiche »: one PDF per product, deposited once), and, once they are all out, adds the documents of the companies and
contracts among them (`legacy-simulator publish` with a documents folder).
The files are small PDFs on the tenant's name (reportlab), the same bytes for the same seed.
"""

from __future__ import annotations

import hashlib
import io
import os
import random
import uuid
from collections.abc import Iterable, Iterator
from datetime import date, datetime, timedelta
from pathlib import Path

from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from extranet_contracts.base import Event
from extranet_contracts.envelope import Envelope
from extranet_contracts.legacy import (
    CollectiveContractSigned,
    CompanyDocumentIssued,
    CompanyDocumentKind,
    CompanyRegistered,
    GuaranteeAttached,
    StoredFile,
)
from extranet_plumbing.storage import LocalFolderStore
from extranet_plumbing.tenants import UnknownTenant, tenant

SOURCE = "urn:extranet:legacy:promut2000"
TITLES = {
    CompanyDocumentKind.MEMBERSHIP_FORM: "Bulletin d'adhésion",
    CompanyDocumentKind.CONTRACT: "Conditions particulières du contrat collectif",
    CompanyDocumentKind.BENEFITS_TABLE: "Tableau de prestations",
}


def store_from_environment() -> LocalFolderStore | None:
    """The store the documents are deposited in, if `EXTRANET_DOCUMENTS_DIR` names one."""
    folder = os.environ.get("EXTRANET_DOCUMENTS_DIR")
    return LocalFolderStore(Path(folder)) if folder else None


def document_pdf(tenant_name: str, title: str, lines: Iterable[str], issued_on: date) -> bytes:
    """A one-page PDF: the tenant, the title, the lines (the invariant creation date keeps the bytes of a seed)."""
    out = io.BytesIO()
    canvas = Canvas(out, pagesize=A4, invariant=1)
    canvas.setTitle(title)
    canvas.setAuthor(tenant_name)
    width, height = A4
    canvas.setFont("Helvetica-Bold", 16)
    canvas.drawString(20 * mm, height - 25 * mm, tenant_name)
    canvas.setFont("Helvetica-Bold", 13)
    canvas.drawString(20 * mm, height - 40 * mm, title)
    canvas.setFont("Helvetica", 10)
    y = height - 52 * mm
    for line in [*lines, f"Édité le {issued_on:%d/%m/%Y}"]:
        canvas.drawString(20 * mm, y, line)
        y -= 6 * mm
    canvas.showPage()
    canvas.save()
    return out.getvalue()


def issue(
    store: LocalFolderStore,
    tenant_code: str,
    company: CompanyRegistered,
    kind: CompanyDocumentKind,
    *,
    contract: CollectiveContractSigned | None,
    issued_on: date,
    ids: random.Random,
) -> CompanyDocumentIssued:
    """One document deposited in the store, and the event that names it."""
    try:
        tenant_name = tenant(tenant_code).name
    except UnknownTenant:
        tenant_name = tenant_code
    subject = contract.contract_number if contract else company.company_code
    lines = [f"Entreprise : {company.legal_name} ({company.company_code})", f"SIRET : {company.siret}"]
    if contract is not None:
        lines += [f"Contrat collectif : {contract.contract_number}", f"Produit : {contract.product}"]
    data = document_pdf(tenant_name, TITLES[kind], lines, issued_on)
    key = store.put_blocking(tenant_code, data)
    name = {
        CompanyDocumentKind.MEMBERSHIP_FORM: f"BULLETIN_ADHESION_{subject}.pdf",
        CompanyDocumentKind.CONTRACT: f"CONTRAT_{subject}.pdf",
        CompanyDocumentKind.BENEFITS_TABLE: f"TABLEAU_DE_PRESTATIONS_{subject}.pdf",
    }[kind]
    return CompanyDocumentIssued(
        document_id=uuid.UUID(int=ids.getrandbits(128), version=4),
        company_code=company.company_code,
        contract_number=contract.contract_number if contract else None,
        kind=kind,
        name=name,
        media_type="application/pdf",
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        storage_key=key,
        issued_on=issued_on,
        revision=1,
    )


def brochure(
    store: LocalFolderStore, tenant_code: str, guarantee: GuaranteeAttached, deposited: dict[tuple[str, str], StoredFile]
) -> StoredFile:
    """The product's brochure (« Fiche » of « Vos produits »), deposited once per tenant and product: the contracts
    offering the same guarantee name the same file."""
    key = (tenant_code, guarantee.guarantee_code)
    if key not in deposited:
        try:
            tenant_name = tenant(tenant_code).name
        except UnknownTenant:
            tenant_name = tenant_code
        lines = [
            f"Produit : {guarantee.name}",
            f"Code : {guarantee.guarantee_code}",
            "Garanties, exclusions et conditions de souscription.",
        ]
        data = document_pdf(tenant_name, f"Plaquette {guarantee.name}", lines, date(2026, 1, 1))
        deposited[key] = StoredFile(
            name=f"PLAQUETTE_{guarantee.guarantee_code}.pdf",
            media_type="application/pdf",
            size=len(data),
            sha256=hashlib.sha256(data).hexdigest(),
            storage_key=store.put_blocking(tenant_code, data),
        )
    return deposited[key]


def with_documents(
    events: Iterable[tuple[Envelope, Event]], store: LocalFolderStore, *, seed: int = 2026
) -> Iterator[tuple[Envelope, Event]]:
    """`events` as they come (each guarantee with its product's brochure, deposited in the store), then the documents of
    the companies and contracts among them (each company's membership form; each contract's conditions and benefits
    table, issued on the contract's start)."""
    companies: dict[tuple[str, str], CompanyRegistered] = {}
    contracts: list[tuple[str, CollectiveContractSigned]] = []
    brochures: dict[tuple[str, str], StoredFile] = {}
    last: datetime | None = None
    for envelope, event in events:
        if isinstance(event, GuaranteeAttached) and event.brochure is None:
            event = event.model_copy(update={"brochure": brochure(store, envelope.tenant, event, brochures)})
        if isinstance(event, CompanyRegistered):
            companies[(envelope.tenant, event.company_code)] = event
        elif isinstance(event, CollectiveContractSigned):
            contracts.append((envelope.tenant, event))
        last = envelope.time if last is None or envelope.time > last else last
        yield envelope, event
    ids = random.Random(seed * 7919 + 11)
    moment = (last or datetime.now().astimezone()) + timedelta(seconds=1)
    for (tenant_code, _), company in companies.items():
        yield _wrapped(
            issue(
                store, tenant_code, company, CompanyDocumentKind.MEMBERSHIP_FORM, contract=None, issued_on=company.membership_date, ids=ids
            ),
            tenant_code,
            moment,
            ids,
        )
    for tenant_code, contract in contracts:
        company = companies.get((tenant_code, contract.company_code))
        if company is None:
            continue
        for kind in (CompanyDocumentKind.CONTRACT, CompanyDocumentKind.BENEFITS_TABLE):
            document = issue(store, tenant_code, company, kind, contract=contract, issued_on=contract.effective_date, ids=ids)
            yield _wrapped(document, tenant_code, moment, ids)


def _wrapped(event: CompanyDocumentIssued, tenant_code: str, moment: datetime, ids: random.Random) -> tuple[Envelope, Event]:
    envelope = Envelope(
        id=uuid.UUID(int=ids.getrandbits(128), version=4),
        type=event.TYPE,
        version=event.VERSION,
        source=SOURCE,
        time=moment,
        tenant=tenant_code,
        key=event.key(),
    )
    return envelope, event
