"""The employer portal's requests about employees (guide 003): a correspondent affiliates an employee through the
wizard (« Affiliation par l'employeur »: Famille with a child added, Adresse, Coordonnées; leaves, resumes the draft
from the list of drafts; Couverture, RIB; a supporting document joined; a NIR that does not agree with the civility and a wrong IBAN said next to
their fields; the recap with the NIRs and IBAN masked; sent, then followed in the history); orders an employee's TP
card and adds a beneficiary to an employee (a spouse without a social security number said next to the field)."""

from __future__ import annotations

import re
from datetime import date

from extranet_contracts.testing import affiliation_requested, company_registered, contract_signed, guarantee_attached, member_affiliated

PASSWORD = "Entreprise-Affilie-2026!"
SCOPE = {"company_code": "12345678", "contracts": "all", "primary": True}
MARC = affiliation_requested()  # Marc Petit, born 20/05/1984, and his son Hugo
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def _words(text: str) -> str:
    return " ".join(text.split())


def _french(day: date) -> str:
    return f"{day:%d/%m/%Y}"


async def _window(page) -> tuple[str, str]:
    """The dates the page offers (« du JJ/MM/AAAA au JJ/MM/AAAA »)."""
    found = re.search(r"du (\d\d/\d\d/\d{4}) au (\d\d/\d\d/\d{4})", await page.locator("main").inner_text())
    return found.group(1), found.group(2)


async def test_a_correspondent_affiliates_an_employee_step_by_step(stack, page, check):
    for event in (company_registered(), contract_signed(), guarantee_attached()):
        await stack.legacy_event(event, applied_by=("portfolio", "enrollment"))
    await stack.legacy_event(member_affiliated(), applied_by=("portfolio", "enrollment"))  # Léa Durand, 73000042
    await stack.first_login(page, "entreprise", "correspondent", "C12345678", PASSWORD, SCOPE)

    # A new affiliation on the contract
    await stack.nav(page, "Affilier un salarié")
    assert _words(await page.locator("#brouillons tbody").inner_text()) == "Aucune affiliation en cours."
    await check("affiliation-accueil")
    await page.get_by_label("Contrat collectif").select_option("W1-000123")
    await page.get_by_role("button", name="Commencer").click()
    await page.wait_for_url(re.compile(r".*/mbtp/entreprise/affiliation/[0-9a-f-]{36}/famille$"))
    draft_url = page.url.rsplit("/", 1)[0]
    steps = page.get_by_role("navigation", name="Étapes de l'affiliation")
    assert _words(await steps.locator("[aria-current=step]").inner_text()) == "1 Famille (à compléter)"

    # Famille: the primary insured, a child added; a NIR of a man typed for « Madame » is refused next to it
    primary = MARC.primary
    await page.get_by_role("group", name="Assuré principal").get_by_label("Madame").check()
    await page.locator("#last_name").fill(primary.last_name)
    await page.locator("#first_name").fill(primary.first_name)
    await page.get_by_label("Régime social").select_option(label="Régime général")
    await page.locator("#birth_date").fill(_french(primary.birth_date))
    await page.locator("#nir").fill(primary.nir)
    await page.get_by_role("button", name="Ajouter un bénéficiaire").click()
    assert await page.locator("#nir").input_value() == primary.nir  # what was typed stays
    child = MARC.dependants[0]
    await page.get_by_label("Type de bénéficiaire").select_option(label="Enfant")
    await page.get_by_role("group", name="Bénéficiaire rattaché 1").get_by_label("Monsieur").check()
    await page.locator("#dependants-0-last_name").fill(child.last_name)
    await page.locator("#dependants-0-first_name").fill(child.first_name)
    await page.locator("#dependants-0-birth_date").fill(_french(child.birth_date))
    await page.locator("#dependants-0-nir").fill(child.nir)
    await page.get_by_role("button", name="Valider").click()
    assert "civilité" in await page.locator("#nir-error").inner_text()
    assert await page.locator("#nir").get_attribute("aria-invalid") == "true"
    assert await page.locator("#dependants-0-first_name").input_value() == "Hugo"
    await check("affiliation-famille-nir-refuse")
    await page.get_by_role("group", name="Assuré principal").get_by_label("Monsieur").check()
    await page.get_by_role("button", name="Valider").click()
    await page.wait_for_url(f"{draft_url}/adresse")
    await check("affiliation-adresse")

    # Adresse, Coordonnées, then left for later
    await page.get_by_label("Adresse (numéro et voie)").fill("12 rue des Lilas")
    await page.get_by_label("Code postal").fill("69003")
    await page.get_by_label("Ville").fill("Lyon")
    await page.get_by_role("button", name="Valider").click()
    await page.wait_for_url(f"{draft_url}/coordonnees")
    await page.get_by_label("Adresse e-mail de l'assuré").fill(MARC.email)
    await page.get_by_role("button", name="Valider").click()
    await page.wait_for_url(f"{draft_url}/couverture")
    await page.get_by_role("link", name="Reprendre plus tard").click()

    # The draft in the list of those begun: resumed where it stopped
    row = _words(await page.locator("#brouillons tbody tr").first.inner_text())
    assert row.startswith("PETIT Marc W1-000123") and "Couverture, RIB" in row
    await check("affiliation-brouillons")
    await page.get_by_role("link", name="Reprendre l'affiliation PETIT Marc").click()
    await page.wait_for_url(f"{draft_url}/couverture")
    assert "(complétée)" in await steps.get_by_role("link", name=re.compile("Coordonnées")).inner_text()
    earliest, latest = await _window(page)
    await page.get_by_label("Produit").select_option(label="Santé base niveau 2")
    await page.get_by_label("Date d'effet").fill(latest)
    await check("affiliation-couverture")
    await page.get_by_role("button", name="Valider").click()
    await page.wait_for_url(f"{draft_url}/rib")

    # RIB: a wrong IBAN said next to it, then the right one
    await page.get_by_label("IBAN").fill("FR76 3000 6000 0112 3456 7890 188")
    await page.get_by_label("BIC").fill("AGRIFRPP")
    await page.get_by_label("Titulaire du compte").fill("Marc Petit")
    await page.get_by_label("Fréquence de prélèvement").select_option(label="Mensuelle")
    await page.get_by_label("Date de prélèvement").select_option(label="Le 5 du mois")
    await page.get_by_role("button", name="Valider").click()
    assert "IBAN" in await page.locator("#iban-error").inner_text()
    assert await page.get_by_label("Titulaire du compte").input_value() == "Marc Petit"
    await check("affiliation-rib-refuse")
    await page.get_by_label("IBAN").fill("FR76 3000 6000 0112 3456 7890 189")
    await page.get_by_role("button", name="Valider").click()
    await page.wait_for_url(f"{draft_url}/pieces")

    # Pièces justificatives: a text file named .pdf refused next to the field, a PDF joined, downloaded back
    await page.locator("#file").set_input_files(files=[{"name": "attestation.pdf", "mimeType": "application/pdf", "buffer": b"pas un PDF"}])
    await page.get_by_role("button", name="Joindre le fichier").click()
    assert "PDF, PNG ou JPEG" in await page.locator("#file-error").inner_text()
    await check("affiliation-piece-refusee")
    await page.locator("#file").set_input_files(files=[{"name": "attestation-droits.pdf", "mimeType": "application/pdf", "buffer": PDF}])
    await page.get_by_role("button", name="Joindre le fichier").click()
    await page.wait_for_url(f"{draft_url}/pieces")
    assert _words(await page.locator("#pieces tbody").inner_text()).startswith("attestation-droits.pdf 1 ko")
    await check("affiliation-pieces")
    png = b"\x89PNG\r\n\x1a\n" + bytes(24)
    await page.locator("#file").set_input_files(files=[{"name": "rib.png", "mimeType": "image/png", "buffer": png}])
    await page.get_by_role("button", name="Joindre le fichier").click()
    assert await page.locator("#pieces tbody tr").count() == 2
    await page.get_by_role("button", name="Retirer rib.png").click()
    assert "La pièce est retirée" in await page.get_by_role("status").inner_text()
    assert await page.locator("#pieces tbody tr").count() == 1
    async with page.expect_download() as download_info:
        await page.get_by_role("link", name="Télécharger attestation-droits.pdf").click()
    with open(await (await download_info.value).path(), "rb") as file:
        assert file.read() == PDF
    await page.get_by_role("link", name="Continuer vers le récapitulatif").click()
    await page.wait_for_url(f"{draft_url}/recapitulatif")

    # The recap: every step, the social security numbers and the IBAN masked
    recap = _words(await page.locator("#recapitulatif").inner_text())
    assert "Monsieur PETIT Marc Assuré principal (Régime général) 20/05/1984 18405 ••• ••• 90" in recap
    assert "Monsieur PETIT Hugo Enfant 02/03/2015 11503 ••• ••• 75" in recap
    assert "12 rue des Lilas 69003 Lyon" in recap and MARC.email in recap
    assert "attestation-droits.pdf – joindre ou retirer des pièces" in _words(await page.locator("main").inner_text())
    assert f"Santé base niveau 2, à partir du {latest}" in recap and "Mensuelle, le 5 du mois" in recap
    content = await page.content()
    assert primary.nir not in content and child.nir not in content and "FR7630006000011234567890189" not in content
    await check("affiliation-recapitulatif")
    await page.get_by_role("button", name="Envoyer l'affiliation").click()
    await page.wait_for_url(re.compile(r".*/mbtp/entreprise/mes-demandes/[0-9a-f-]{36}$"))
    assert "Votre demande d'affiliation est envoyée" in await page.get_by_role("status").inner_text()
    await check("affiliation-envoyee")
    await stack.nav(page, "Affilier un salarié")
    assert _words(await page.locator("#brouillons tbody").inner_text()) == "Aucune affiliation en cours."

    # Another affiliation begun, then abandoned from its recap
    await page.get_by_role("button", name="Commencer").click()
    await steps.get_by_role("link", name=re.compile("Récapitulatif")).click()
    assert "Étapes à compléter avant l'envoi" in await page.get_by_role("alert").inner_text()
    assert await page.get_by_role("button", name="Envoyer l'affiliation").is_disabled()
    await page.get_by_role("button", name="Abandonner ce brouillon").click()
    await page.wait_for_url("**/mbtp/entreprise/affiliation")
    assert "abandonné" in await page.get_by_role("status").inner_text()
    assert _words(await page.locator("#brouillons tbody").inner_text()) == "Aucune affiliation en cours."
    await stack.nav(page, "Historique des demandes")
    assert "PETIT Marc" in await page.locator("#demandes tbody").inner_text()

    # The TP card of an employee: an unknown member number said next to it, then Léa's card ordered
    await stack.nav(page, "Carte TP")
    await page.get_by_label("Numéro d'adhérent du salarié").fill("73999999")
    await page.get_by_role("button", name="Commander la carte").click()
    assert await page.locator("#member_number-error").inner_text()
    await check("carte-salarie-inconnu")
    await page.get_by_label("Numéro d'adhérent du salarié").fill("73000042")
    await page.get_by_role("button", name="Commander la carte").click()
    await page.wait_for_url(re.compile(r".*/mbtp/entreprise/mes-demandes/[0-9a-f-]{36}$"))
    assert "carte de tiers payant est envoyée" in await page.get_by_role("status").inner_text()
    await check("carte-commandee")

    # A spouse added to Léa's cover: refused without a social security number, then sent with it
    await stack.nav(page, "Ajouter un bénéficiaire")
    earliest, _ = await _window(page)
    await page.get_by_label("Numéro d'adhérent du salarié").fill("73000042")
    await page.get_by_label("Type de bénéficiaire").select_option(label="Conjoint")
    await page.get_by_label("Monsieur").check()
    await page.locator("#last_name").fill("Durand")
    await page.get_by_label("Prénom").fill("Paul")
    await page.get_by_label("Date de naissance").fill("20/05/1984")
    await page.get_by_label("Date d'effet").fill(earliest)
    await page.get_by_role("button", name="Envoyer la demande").click()
    assert await page.locator("#nir-error").inner_text()
    assert await page.get_by_label("Prénom").input_value() == "Paul"
    await check("beneficiaire-nir-manquant")
    await page.get_by_label("N° de sécurité sociale").fill(primary.nir)
    await page.get_by_role("button", name="Envoyer la demande").click()
    await page.wait_for_url(re.compile(r".*/mbtp/entreprise/mes-demandes/[0-9a-f-]{36}$"))
    assert "ajout de bénéficiaire est envoyée" in await page.get_by_role("status").inner_text()
    await check("beneficiaire-envoye")
