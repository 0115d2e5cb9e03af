"""A company's primary correspondent in the employer portal (espace entreprise, guide 003): activates
the account through the invitation email's link, logs in, accepts the terms of use, and invites a
secondary correspondent limited to one collective contract; the secondary one gets the invitation."""

from __future__ import annotations

from extranet_contracts.testing import company_registered, contract_signed

PRIMARY = {"last_name": "Roux", "first_name": "Marc", "role": "Dirigeant", "email": "marc.roux@btp-rhone.fr", "primary": True}
PASSWORD = "Entreprise-Rhone-2026!"


async def test_a_correspondent_invites_a_secondary_correspondent(stack, page, check):
    await stack.legacy_event(company_registered(contacts=[PRIMARY]))
    await stack.legacy_event(contract_signed(), applied_by=("identity", "portfolio"))  # the form offers portfolio's contracts
    invitation = await stack.mail("marc.roux@btp-rhone.fr", "Activation de votre compte sur l'espace entreprise")
    link = stack.link_in(stack.text_of(invitation))
    assert link.startswith(stack.portal("mbtp", "entreprise", "/activation?token="))

    await page.goto(link)
    await page.locator("#password").fill(PASSWORD)
    await page.locator("#password_confirmation").fill(PASSWORD)
    await page.get_by_role("button", name="Valider").click()
    await page.wait_for_url("**/mbtp/entreprise/connexion")
    assert await page.locator("#identifier").input_value() == "C12345678"
    await check("connexion")
    # With the keyboard only: the focus goes through the page in reading order.
    focused = []
    for _ in range(8):
        await page.keyboard.press("Tab")
        focused.append(await page.evaluate("document.activeElement.id || document.activeElement.textContent.trim()"))
        if focused[-1] == "password":
            await page.keyboard.type(PASSWORD)
    assert focused == [
        "Aller au contenu",
        "MBTP",
        "identifier",
        "Où trouver votre identifiant ?",
        "password",
        "Afficher le mot de passe",
        "Mot de passe oublié ?",
        "Connexion",
    ]
    await page.keyboard.press("Enter")
    await page.wait_for_url("**/mbtp/entreprise/cgu")
    await page.locator("#terms-text").evaluate("text => text.scrollTo(0, text.scrollHeight)")
    await page.get_by_label("Je reconnais").check()
    await page.get_by_role("button", name="Accepter").click()

    await page.wait_for_url("**/mbtp/entreprise/accueil")
    await check("accueil")
    await page.get_by_role("link", name="Créer un correspondant").click()
    await page.wait_for_url("**/mbtp/entreprise/correspondants/nouveau")
    await page.get_by_label("Identifiant").fill("assistante.rh")
    await page.locator("#last_name").fill("Petit")
    await page.get_by_label("Prénom").fill("Julie")
    await page.get_by_label("Adresse e-mail").fill("julie.petit@btp-rhone.fr")
    await page.get_by_role("button", name="Valider").click()  # no contract chosen
    assert "Choisissez un ou plusieurs contrats collectifs" in await page.locator("#contracts-error").inner_text()
    assert await page.get_by_role("alert").inner_text() == "Certains champs sont à corriger."
    await check("nouveau-correspondant-erreur")
    await page.get_by_role("checkbox", name="Contrat W1-000123 — SANTE, NON CADRES").check()  # with every group (A)
    await page.get_by_role("button", name="Valider").click()

    await page.wait_for_url("**/mbtp/entreprise/correspondants")
    assert "assistante.rh est créé" in await page.get_by_role("status").inner_text()
    row = page.locator("#correspondants tbody tr", has_text="assistante.rh")
    cells = [" ".join(text.split()) for text in await row.locator("td").all_inner_texts()]
    assert cells[:5] == ["assistante.rh", "Julie Petit", "Jamais", "julie.petit@btp-rhone.fr", "W1-000123"]
    assert cells[5].startswith("Non")
    await check("correspondants")
    secondary = await stack.mail("julie.petit@btp-rhone.fr", "Activation de votre compte sur l'espace entreprise")
    assert "assistante.rh" in stack.text_of(secondary)

    # The correspondent's own account: the notification email, then the account deleted.
    await page.get_by_role("link", name="Mon compte").click()
    await page.get_by_role("link", name="Modifier mon adresse e-mail de notification").click()
    await page.get_by_role("textbox", name="Nouvelle adresse e-mail de notification").fill("rh@btp-rhone.fr")
    await page.get_by_role("textbox", name="Confirmation de la nouvelle adresse").fill("rh@btp-rhone.fr")
    await check("email-notification")
    await page.get_by_role("button", name="Valider").click()
    await page.wait_for_url("**/mbtp/entreprise/mon-compte")
    assert "notification est modifiée" in await page.get_by_role("status").inner_text()
    assert "rh@btp-rhone.fr" in await page.locator("main").inner_text()
    await check("mon-compte")
    await page.get_by_role("link", name="Supprimer mon compte").click()
    await check("suppression")
    await page.get_by_role("button", name="Supprimer mon compte").click()
    await page.wait_for_url("**/mbtp/entreprise/connexion?motif=compte-supprime")
    assert await page.get_by_role("status").inner_text() == "Votre compte est supprimé."
    await page.locator("#identifier").fill("C12345678")
    await page.locator("#password").fill(PASSWORD)
    await page.get_by_role("button", name="Connexion").click()
    assert "incorrect" in await page.get_by_role("alert").inner_text()
