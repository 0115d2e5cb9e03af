"""The company sheet and the employee's sheet show what the legacy contract now carries (issue 12, guide 003 « Fiche
entreprise », « Consultation d'un salarié »): the selected group's address and contacts (« Aucune adresse spécifiée »,
« Aucune coordonnée médiatique spécifiée » where none), each product's « Fiche » downloaded as a PDF from the document
store, and an employee's family situation and payment mode."""

from __future__ import annotations

import hashlib

from extranet_contracts.testing import company_registered, contract_signed, guarantee_attached, member_affiliated
from extranet_plumbing.storage import LocalFolderStore

PASSWORD = "Entreprise-Fiche-2026!"
SCOPE = {"company_code": "12345678", "contracts": "all", "primary": True}
PDF = b"%PDF-1.4\n% plaquette Base Seule Actif\n%%EOF\n"
SERVICE = {"line1": "Service du personnel", "line2": "213 rue de Gerland", "postal_code": "69007", "city": "Lyon"}
PAIE = {"last_name": "Roux", "first_name": "Nadia", "role": "Responsable paie", "email": "paie@btp-rhone.fr", "phone": "04 72 60 15 00"}


def _words(text: str) -> str:
    return " ".join(text.split())


async def test_the_sheets_show_the_group_the_brochures_and_the_employee_details(stack, page, check):
    key = LocalFolderStore(stack.portfolio.settings.documents_dir).put_blocking("mbtp", PDF)
    brochure = {"name": "PLAQUETTE_BASE.pdf", "media_type": "application/pdf", "size": len(PDF), "sha256": hashlib.sha256(PDF).hexdigest()}
    for event in (
        company_registered(),
        contract_signed(insured_groups=["A", "P"], group_details=[{"insured_group": "A", "address": SERVICE, "contacts": [PAIE]}]),
        guarantee_attached(guarantee_code="BASE", name="Base Seule Actif", brochure={**brochure, "storage_key": key}),
        guarantee_attached(guarantee_code="OPT1", name="Base+option 1"),
        member_affiliated(family_situation="MARIE", payment_mode="CHEQUE", payment_frequency="ANNUELLE"),
    ):
        await stack.legacy_event(event, applied_by=("portfolio",))
    await stack.first_login(page, "entreprise", "correspondent", "C12345678", PASSWORD, SCOPE)

    await page.goto(stack.portal("mbtp", "entreprise", "/fiche-entreprise?contrat=W1-000123&groupe=A"))
    group = _words(await page.get_by_role("region", name="Votre groupe A – Actif").inner_text())
    assert "Adresse Service du personnel 213 rue de Gerland 69007 LYON" in group
    assert "Coordonnées Nadia ROUX (Responsable paie) paie@btp-rhone.fr 04 72 60 15 00" in group
    products = [_words(row) for row in await page.locator("#produits tbody tr").all_inner_texts()]
    assert products == ["Base Seule Actif 01/10/2021 - Télécharger", "Base+option 1 01/10/2021 - -"]
    await check("fiche-entreprise-groupe")
    link = page.get_by_role("link", name="Télécharger la fiche du produit Base Seule Actif")
    assert await stack.download(page, link) == ("PLAQUETTE_BASE.pdf", PDF)

    await page.goto(stack.portal("mbtp", "entreprise", "/fiche-entreprise?contrat=W1-000123&groupe=P"))
    group = _words(await page.get_by_role("region", name="Votre groupe P – Portabilité").inner_text())
    assert "Adresse Aucune adresse spécifiée" in group and "Coordonnées Aucune coordonnée médiatique spécifiée" in group

    await page.goto(stack.portal("mbtp", "entreprise", "/salaries"))
    await page.locator("#last_name").fill("durand")
    await page.get_by_role("button", name="Rechercher").click()
    await page.get_by_role("button", name="Fiche de DURAND Léa").click()
    await page.wait_for_url("**/mbtp/entreprise/salaries/fiche")
    identity = _words(await page.get_by_role("region", name="Identité et adhésion").inner_text())
    assert "Situation familiale Marié(e)" in identity
    assert "Mode de règlement Chèque (annuelle)" in _words(await page.get_by_role("region", name="Coordonnées").inner_text())
    await check("salarie-situation")
