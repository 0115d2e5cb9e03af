"""Self-care in the broker portal, and what the session does on the server: a forgotten password
(anti-robot check, the reset link of the email), the access token renewed by the portal when it
expires, a form posted without its CSRF token refused, the password changed (every session ends:
log in again), the contact email changed and confirmed through the link sent to the new address."""

from __future__ import annotations

from identity.entrypoints.admin import set_login

OLD, NEW, NEWER = "Courtier-Ancien-2026!", "Courtier-Nouveau-2026!", "Courtier-Encore-2026!"


async def log_in(page, password: str) -> None:
    await page.locator("#identifier").fill("M13579")
    await page.locator("#password").fill(password)
    await page.get_by_role("button", name="Je me connecte").click()


async def test_a_broker_resets_then_changes_the_password_and_the_contact_email(stack, page, check):
    await set_login(
        stack.identity_settings,
        tenant="mbtp",
        kind="broker",
        identifier="M13579",
        password=OLD,
        email="paul.garnier@courtage-garnier.fr",
        scope={"broker_code": "M13579"},
    )
    await page.goto(stack.portal("mbtp", "courtier", "/connexion"))
    await page.get_by_role("link", name="Mot de passe oublié ?").click()
    await page.get_by_label("Email").fill("paul.garnier@courtage-garnier.fr")
    await page.get_by_role("button", name="Cliquez ici pour vérifier").click()
    await check("mot-de-passe-oublie")
    await page.get_by_role("button", name="Valider").click()
    await page.get_by_text("Pensez à consulter votre courrier indésirable").wait_for()
    await check("mot-de-passe-oublie-envoye")

    message = await stack.mail("paul.garnier@courtage-garnier.fr", "Réinitialisation mot de passe")
    link = stack.link_in(stack.text_of(message))
    assert link.startswith(stack.portal("mbtp", "courtier", "/reinitialiser-mot-de-passe?token="))
    await page.goto(link)
    await check("reinitialiser")
    await page.locator("#password").fill(NEW)
    await page.locator("#password_confirmation").fill(NEW)
    await page.get_by_role("button", name="Valider").click()
    await page.wait_for_url("**/mbtp/courtier/connexion")
    await log_in(page, NEW)
    await page.wait_for_url("**/mbtp/courtier/cgu")
    await page.locator("#terms-text").evaluate("text => text.scrollTo(0, text.scrollHeight)")
    await page.get_by_label("Je reconnais").check()
    await page.get_by_role("button", name="Accepter").click()
    await page.wait_for_url("**/mbtp/courtier/accueil")

    # The access token has expired: the portal renews it with the refresh token, on the server.
    pool = stack.portals.pool
    before = await pool.fetchval("SELECT refresh_token FROM sessions WHERE access_token IS NOT NULL")
    await pool.execute("UPDATE sessions SET access_expires_at = now() - interval '1 minute' WHERE access_token IS NOT NULL")
    await page.get_by_role("link", name="Mon compte").click()
    await page.wait_for_url("**/mbtp/courtier/mon-compte")
    assert "M13579" in await page.get_by_role("region", name="Mes coordonnées").inner_text()
    assert await pool.fetchval("SELECT refresh_token FROM sessions WHERE access_token IS NOT NULL") != before
    cookies = {c["name"]: c for c in await page.context.cookies()}
    session_cookie = cookies["portail_session"]
    assert session_cookie["httpOnly"] and session_cookie["sameSite"] == "Strict" and session_cookie["path"] == "/mbtp/courtier"
    assert before not in session_cookie["value"]  # the browser never holds a token
    await check("mon-compte")

    # A form posted without its CSRF token (another site's, say) changes nothing.
    forged = await page.request.post(
        stack.portal("mbtp", "courtier", "/mon-compte/mot-de-passe"),
        form={"old_password": NEW, "new_password": NEWER, "new_password_confirmation": NEWER},
    )
    assert forged.status == 403 and "Formulaire expiré" in await forged.text()

    await page.get_by_role("link", name="Modifier mon mot de passe").click()
    await page.locator("#old_password").fill("Pas-le-bon-2026!")
    await page.locator("#new_password").fill(NEWER)
    await page.locator("#new_password_confirmation").fill(NEWER)
    await page.get_by_role("button", name="Confirmer").click()
    assert await page.locator("#old_password-error").inner_text() == "L'ancien mot de passe est incorrect."
    await check("mot-de-passe-erreur")
    await page.locator("#old_password").fill(NEW)
    await page.locator("#new_password").fill(NEWER)
    await page.locator("#new_password_confirmation").fill(NEWER)
    await page.get_by_role("button", name="Confirmer").click()
    await page.wait_for_url("**/mbtp/courtier/connexion")
    assert "mot de passe a été modifié" in await page.get_by_role("status").inner_text()
    await log_in(page, NEW)
    assert "incorrect" in await page.get_by_role("alert").inner_text()
    await log_in(page, NEWER)
    await page.wait_for_url("**/mbtp/courtier/accueil")

    await page.goto(stack.portal("mbtp", "courtier", "/mon-compte/coordonnees"))
    await page.get_by_role("textbox", name="Nouvelle adresse e-mail", exact=True).fill("contact@courtage-garnier.fr")
    await page.get_by_label("Confirmation nouvelle adresse e-mail").fill("contact@courtage-garnier.fr")
    await page.get_by_label("Mot de passe actuel").fill(NEWER)
    await check("coordonnees")
    await page.get_by_role("button", name="Confirmer").click()
    await page.wait_for_url("**/mbtp/courtier/mon-compte")
    await check("coordonnees-demandees")
    confirmation = await stack.mail("contact@courtage-garnier.fr", "confirmez votre nouvelle adresse e-mail")
    link = stack.link_in(stack.text_of(confirmation))
    assert link.startswith(stack.portal("mbtp", "courtier", "/confirmer-adresse-email?token="))
    await page.goto(link)
    await check("confirmer-adresse")
    await page.get_by_role("button", name="Confirmer").click()
    await page.wait_for_url("**/mbtp/courtier/mon-compte")
    assert "nouvelle adresse e-mail contact@courtage-garnier.fr" in await page.get_by_role("region", name="Mes coordonnées").inner_text()
    await check("adresse-confirmee")
