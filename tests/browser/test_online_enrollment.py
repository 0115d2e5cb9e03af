"""The employer portal's online enrollment (guide 003, « Affiliation en ligne »): a correspondent invites two
employees one by one and imports a .csv file (a wrong line said as the API says it, nothing imported, then the file
corrected); an employee opens the link of the mail read from the local mail server, in a browser of their own and
without an account, fills the wizard's steps and sends them; the link no longer works afterwards; the correspondent
sees the affiliation completed, views it, reminds, closes, removes, reminds all and exports the tracking table."""

from __future__ import annotations

import re

from extranet_contracts.testing import company_registered, contract_signed, guarantee_attached

PASSWORD = "Entreprise-Inscrit-2026!"
SCOPE = {"company_code": "12345678", "contracts": "all", "primary": True}
MARION_NIR13 = "2900775056123"  # a woman born in July 1990
MARION_NIR = MARION_NIR13 + f"{97 - int(MARION_NIR13) % 97:02d}"
PDF = b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"


def _words(text: str) -> str:
    return " ".join(text.split())


async def _rows(page) -> list[str]:
    return [_words(row) for row in await page.locator("#suivi tbody tr").all_inner_texts()]


async def test_employees_invited_online_fill_their_affiliation(stack, page, check):
    for event in (company_registered(), contract_signed(), guarantee_attached()):
        await stack.legacy_event(event, applied_by=("portfolio", "enrollment"))
    await stack.first_login(page, "entreprise", "correspondent", "C12345678", PASSWORD, SCOPE)
    await stack.nav(page, "Affiliation en ligne")
    await page.get_by_role("heading", name="Inscription de salariés").wait_for()
    assert await _rows(page) == ["Aucun salarié invité."]

    # Two employees typed one by one
    await page.get_by_role("group", name="Salarié 1").get_by_label("Madame").check()
    await page.locator("#employees-0-last_name").fill("Martin")
    await page.locator("#employees-0-first_name").fill("Marion")
    await page.locator("#employees-0-email").fill("marion.martin@example.org")
    await page.get_by_role("button", name="Ajouter un salarié").click()
    assert "Nombre de salariés en cours d'ajout : 2" in await page.get_by_role("status").inner_text()
    assert await page.locator("#employees-0-email").input_value() == "marion.martin@example.org"
    await page.get_by_role("group", name="Salarié 2").get_by_label("Monsieur").check()
    await page.locator("#employees-1-last_name").fill("Gimenez")
    await page.locator("#employees-1-first_name").fill("Marc")
    await page.locator("#employees-1-email").fill("marc.gimenez@example.org")
    await check("inscription-saisie")
    await page.get_by_role("button", name="Valider", exact=True).click()
    await page.wait_for_url("**/mbtp/entreprise/inscription-salaries")
    assert "2 salariés invités" in await page.get_by_role("status").first.inner_text()
    rows = await _rows(page)
    assert len(rows) == 2 and all("En attente" in row for row in rows)

    # A file with a wrong line: said line by line, nothing imported; then the file corrected
    wrong = "MME;ROUSSEAU;Sandrine;sandrine.rousseau@example.org\nM;THOMAS;Aubéry;pas-une-adresse\n"
    await page.locator("#file").set_input_files(files=[{"name": "salaries.csv", "mimeType": "text/csv", "buffer": wrong.encode()}])
    await page.get_by_role("button", name="Importer").click()
    said = _words(await page.locator("#file-error").inner_text())
    assert "Aucun salarié n'a été importé" in said and "Ligne 2 : L'adresse e-mail n'est pas valide." in said
    assert "Ligne 1" not in said
    assert len(await _rows(page)) == 2
    await check("inscription-fichier-refuse")
    right = wrong.replace("pas-une-adresse", "aubery.thomas@example.org")
    await page.locator("#file").set_input_files(files=[{"name": "salaries.csv", "mimeType": "text/csv", "buffer": right.encode()}])
    await page.get_by_role("button", name="Importer").click()
    await page.wait_for_url("**/mbtp/entreprise/inscription-salaries")
    assert "Fichier importé : 2 salariés invités." in await page.get_by_role("status").first.inner_text()
    assert len(await _rows(page)) == 4
    await check("inscription-suivi")

    # The employee opens the link of the mail in a browser of their own: no account, the token out of the address
    mail = await stack.mail("marion.martin@example.org", "votre affiliation à la complémentaire santé")
    link = stack.link_in(stack.text_of(mail))
    context = await page.context.browser.new_context(viewport=page.viewport_size, locale="fr-FR", timezone_id="Europe/Paris")
    employee = await context.new_page()
    correspondent, check.page = page, employee
    try:
        # From the mail reader: a link followed from another site (the portal's cookie is SameSite=Strict)
        await employee.set_content(f'<html lang="fr"><title>Messagerie</title><a href="{link}">Compléter mon affiliation</a></html>')
        await employee.get_by_role("link", name="Compléter mon affiliation").click()
        await employee.wait_for_url("**/mbtp/entreprise/affiliation-en-ligne")
        assert "token" not in employee.url
        await employee.get_by_role("heading", name="Bonjour Madame Marion Martin").wait_for()
        await check("salarie-accueil")
        await employee.get_by_role("link", name="Commencer").click()
        await employee.wait_for_url("**/affiliation-en-ligne/famille")
        await employee.get_by_label("Madame").check()
        await employee.locator("#last_name").fill("Martin")
        await employee.locator("#first_name").fill("Marion")
        await employee.get_by_label("Régime social").select_option(label="Régime général")
        await employee.locator("#birth_date").fill("14/06/1990")  # June: the NIR says July
        await employee.locator("#nir").fill(MARION_NIR)
        await employee.get_by_role("button", name="Valider").click()
        assert "mois de naissance" in await employee.locator("#nir-error").inner_text()
        await check("salarie-famille-refusee")
        await employee.locator("#birth_date").fill("14/07/1990")
        await employee.get_by_role("button", name="Valider").click()
        await employee.wait_for_url("**/affiliation-en-ligne/adresse")
        await employee.get_by_label("Adresse (numéro et voie)").fill("3 place Bellecour")
        await employee.get_by_label("Code postal").fill("69002")
        await employee.get_by_label("Ville").fill("Lyon")
        await employee.get_by_role("button", name="Valider").click()
        await employee.get_by_label("Votre adresse e-mail").fill("marion.martin@example.org")
        await employee.get_by_role("button", name="Valider").click()
        await employee.wait_for_url("**/affiliation-en-ligne/couverture")
        latest = re.search(r"au (\d\d/\d\d/\d{4})", await employee.locator("#effective_date-hint").inner_text()).group(1)
        await employee.get_by_label("Produit").select_option(label="Santé base niveau 2")
        await employee.get_by_label("Date d'effet").fill(latest)
        await employee.get_by_role("button", name="Valider").click()
        await employee.get_by_label("IBAN").fill("FR76 3000 6000 0112 3456 7890 189")
        await employee.get_by_label("BIC").fill("AGRIFRPP")
        await employee.get_by_label("Titulaire du compte").fill("Marion Martin")
        await employee.get_by_label("Fréquence de prélèvement").select_option(label="Trimestrielle")
        await employee.get_by_label("Date de prélèvement").select_option(label="Le 10 du mois")
        await employee.get_by_role("button", name="Valider").click()
        # Supporting documents, through the link too: a program named .pdf refused next to the field, a PDF joined.
        await employee.wait_for_url("**/affiliation-en-ligne/pieces")
        chosen = employee.get_by_label("Fichier à joindre")
        await chosen.set_input_files({"name": "attestation.pdf", "mimeType": "application/pdf", "buffer": b"MZ\x90\x00 un programme"})
        await employee.get_by_role("button", name="Joindre le fichier").click()
        assert await employee.locator("#file-error").inner_text() == "La pièce justificative doit être un fichier PDF, PNG ou JPEG."
        await check("salarie-piece-refusee")
        await chosen.set_input_files({"name": "attestation vitale.pdf", "mimeType": "application/pdf", "buffer": PDF})
        await employee.get_by_role("button", name="Joindre le fichier").click()
        await employee.wait_for_url("**/affiliation-en-ligne/pieces")
        assert "« attestation vitale.pdf » est jointe" in await employee.get_by_role("status").inner_text()
        assert "attestation vitale.pdf" in await employee.locator("#pieces").inner_text()
        await check("salarie-pieces")
        await employee.get_by_role("link", name="Continuer vers le récapitulatif").click()
        await employee.wait_for_url("**/affiliation-en-ligne/recapitulatif")
        recap = _words(await employee.locator("#recapitulatif").inner_text())
        assert "attestation vitale.pdf" in _words(await employee.locator("main").inner_text())
        assert "Madame MARTIN Marion Assuré principal (Régime général) 14/07/1990" in recap and "3 place Bellecour 69002 Lyon" in recap
        assert MARION_NIR not in await employee.content()
        await check("salarie-recapitulatif")
        await employee.get_by_role("button", name="Envoyer mon affiliation").click()
        await employee.get_by_role("heading", name="Votre affiliation est envoyée").wait_for()
        await check("salarie-envoyee")
        await employee.goto(link)  # the link no longer works
        assert "n'est plus valable" in await employee.get_by_role("alert").inner_text()
        await check("salarie-lien-utilise")
    finally:
        check.page = correspondent
        await context.close()

    # The correspondent sees it completed, and the mails delivered
    async def followed() -> list[str]:
        await page.reload()
        return await _rows(page)

    for _ in range(60):
        rows = await followed()
        if "Terminée" in next(row for row in rows if "Marion" in row) and all("Remis" in row for row in rows):
            break
        await page.wait_for_timeout(500)
    marion = next(row for row in rows if "Marion" in row)
    assert marion.startswith("Madame Martin Marion marion.martin@example.org Terminée Remis"), rows
    await page.get_by_role("link", name="Consulter l'inscription de Marion Martin").click()
    view = _words(await page.locator("main").inner_text())
    assert "Inscription Terminée" in view and "Madame MARTIN Marion Assuré principal" in view and "Trimestrielle, le 10 du mois" in view
    await check("inscription-consultee")
    await page.get_by_role("link", name="Suivi de la saisie par les salariés").click()

    # Remind one, close one, remove one, remind all, export
    await page.get_by_role("button", name="Relancer Marc Gimenez").click()
    assert "Marc Gimenez est relancé(e)" in await page.get_by_role("status").first.inner_text()
    await page.get_by_role("button", name="Clôturer le dossier de Sandrine ROUSSEAU").click()
    assert "Clôturée" in next(row for row in await _rows(page) if "Sandrine" in row)
    await page.get_by_role("button", name="Retirer Aubéry THOMAS du suivi").click()
    assert not [row for row in await _rows(page) if "Aubéry" in row]
    await page.get_by_role("button", name="Relancer tous les salariés").click()
    assert "1 salarié relancé" in await page.get_by_role("status").first.inner_text()  # Marc: Marion finished, Sandrine closed
    await check("inscription-actions")
    async with page.expect_download() as download_info:
        await page.get_by_role("link", name="Exporter").click()
    with open(await (await download_info.value).path(), encoding="utf-8-sig") as file:
        exported = file.read()
    assert "marion.martin@example.org" in exported and "Gimenez" in exported


async def test_a_mutuelle_without_online_enrollment_says_it_is_coming(stack, page, check):
    """MGEN does not offer it yet (guide 003: « Fonctionnalité bientôt disponible »); the wizard stays offered."""
    await stack.first_login(page, "entreprise", "correspondent", "C87654321", PASSWORD, SCOPE, tenant="mgen")
    await stack.nav(page, "Affiliation en ligne")
    main = _words(await page.locator("main").inner_text())
    assert "Fonctionnalité bientôt disponible" in main and "sera bientôt disponible" in main
    assert await page.locator("#suivi").count() == 0
    await check("inscription-bientot")
