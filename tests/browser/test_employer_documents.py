"""« Mes documents » of the employer portal (issue 12, guide 003): from the menu's « Documents » group, the
company's membership forms, contracts and benefits tables by section, each with its name, its size in French
(« 1,2 Mo »), its date (« 14 octobre 2019 ») and « Télécharger le document », the file streamed by the portal
with the session's token; another company's document is neither listed nor downloaded."""

from __future__ import annotations

import hashlib
import uuid
from datetime import date

from extranet_contracts.testing import company_document_issued, company_registered, contract_signed
from extranet_plumbing.storage import LocalFolderStore

PASSWORD = "Entreprise-Documents-2026!"
SCOPE = {"company_code": "12345678", "contracts": "all", "primary": True}
TABLE = b"%PDF-1.4\n% tableau de prestations\n" + b"0" * (1_258_291 - 40) + b"\n%%EOF\n"  # 1,2 Mo
FORM = b"%PDF-1.4\n% bulletin d'adhesion\n" + b"1" * 2_000 + b"\n%%EOF\n"


def _words(text: str) -> str:
    return " ".join(text.split())


def _issued(store: LocalFolderStore, content: bytes, **values):
    key = store.put_blocking("mbtp", content)
    return company_document_issued(
        document_id=uuid.uuid4(), size=len(content), sha256=hashlib.sha256(content).hexdigest(), storage_key=key, **values
    )


async def test_a_correspondent_lists_and_downloads_the_company_documents(stack, page, check):
    store = LocalFolderStore(stack.portfolio.settings.documents_dir)
    table = _issued(store, TABLE, name="TABLEAU_DE_PRESTATIONS_W1-000123.pdf", issued_on=date(2019, 10, 14))
    form = _issued(store, FORM, kind="MEMBERSHIP_FORM", contract_number=None, name="BULLETIN_ADHESION.pdf", issued_on=date(2026, 1, 1))
    other = _issued(store, FORM, company_code="87654321", contract_number=None, kind="MEMBERSHIP_FORM", name="AUTRE_SOCIETE.pdf")
    for event in (
        company_registered(),
        company_registered(company_code="87654321", legal_name="Autre SARL", siret="44306184100047"),
        contract_signed(),
        table,
        form,
        other,
    ):
        await stack.legacy_event(event, applied_by=("portfolio",))
    await stack.first_login(page, "entreprise", "correspondent", "C12345678", PASSWORD, SCOPE)

    await stack.nav(page, "Mes documents")
    await page.wait_for_url("**/mbtp/entreprise/documents")
    assert await page.locator("h1").inner_text() == "Mes documents"
    assert await page.locator("h3").all_inner_texts() == ["Bulletins d'adhésion", "Contrats", "Tableaux de prestations"]
    forms = [_words(row) for row in await page.locator("#membership_form tbody tr").all_inner_texts()]
    assert forms == ["BULLETIN_ADHESION.pdf Entreprise 2,0 ko 1er janvier 2026 Télécharger le document"]
    assert _words(await page.locator("#contract").inner_text()).endswith("Aucun document pour le moment.")
    tables = [_words(row) for row in await page.locator("#benefits_table tbody tr").all_inner_texts()]
    assert tables == ["TABLEAU_DE_PRESTATIONS_W1-000123.pdf W1-000123 1,2 Mo 14 octobre 2019 Télécharger le document"]
    nav = page.get_by_role("navigation", name="Navigation principale")
    assert _words(await nav.locator(".nav-group.current summary").text_content()) == "Documents (rubrique de la page affichée)"
    await check("mes-documents")

    link = page.get_by_role("link", name="Télécharger le document TABLEAU_DE_PRESTATIONS_W1-000123.pdf (1,2 Mo)")
    assert await stack.download(page, link) == ("TABLEAU_DE_PRESTATIONS_W1-000123.pdf", TABLE)

    # Another company's document, its id guessed: back to the list, told why.
    await page.goto(stack.portal("mbtp", "entreprise", f"/documents/{other.document_id}"))
    await page.wait_for_url("**/mbtp/entreprise/documents")
    assert "Le document n'a pas pu être téléchargé" in await page.get_by_role("status").inner_text()
    await check("mes-documents-refus")
