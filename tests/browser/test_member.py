"""A member's first connection in the member portal (espace adhérent, guide 001 §1.2): with the member
number and the email on file, the code read from the email; or without the member number, with the
mobile phone and the birth date, the code read from the SMS. Then the account's details and password,
the login, the terms of use with the consent to health data, and the home page."""

from __future__ import annotations

import re

from extranet_contracts.testing import member_affiliated
from extranet_plumbing.testing import publish_event, wait_until

MEMBER = member_affiliated(membership_id="ADH-0000077", member_number="73000077", dependants=[])
PASSWORD = "Lagune-Ardoise-73!"


async def activate_account(stack, page, check, *, code: str) -> None:
    """From the code form to the first page of the member's space."""
    await page.locator("#code").fill("000000" if code != "000000" else "111111")
    await page.get_by_role("button", name="Valider").click()
    assert "invalide" in await page.locator("#code-error").inner_text()
    await check("code-refuse")
    await page.locator("#code").fill(code)
    await page.get_by_role("button", name="Valider").click()

    await page.wait_for_url("**/mbtp/adherent/premiere-connexion/compte")
    assert await page.locator("#member-number").inner_text() == "73000077"
    await check("compte")
    await page.locator("#email").fill("lea.durand@orange.fr")
    await page.locator("#email_confirmation").fill("lea.durand@orange.fr")
    await page.locator("#password").fill(PASSWORD)
    await page.locator("#password_confirmation").fill(PASSWORD)
    await page.get_by_label("Mail", exact=True).check()
    await page.get_by_role("button", name="Valider").click()

    await page.wait_for_url("**/mbtp/adherent/connexion")
    assert "Votre compte est activé" in await page.get_by_role("status").inner_text()
    assert await page.locator("#identifier").input_value() == "73000077"
    await check("connexion-compte-active")
    await page.locator("#password").fill(PASSWORD)
    await page.get_by_role("button", name="Connectez-vous").click()

    await page.wait_for_url("**/mbtp/adherent/cgu")
    await page.locator("#terms-text").evaluate("text => text.scrollTo(0, text.scrollHeight)")
    await page.get_by_label("Je reconnais").check()
    await page.get_by_role("button", name="J'accepte").click()
    assert "données de santé" in await page.locator("#health-error").inner_text()  # the consent is required
    await check("cgu-consentement")
    await page.locator("#terms-text").evaluate("text => text.scrollTo(0, text.scrollHeight)")
    await page.get_by_label("Je reconnais").check()
    await page.get_by_label("Je déclare avoir pris connaissance").check()
    await page.get_by_role("button", name="J'accepte").click()

    await page.wait_for_url("**/mbtp/adherent/accueil")
    assert "73000077" in await page.get_by_role("region", name="Mon compte").inner_text()
    await check("accueil")


async def test_a_member_activates_with_the_code_received_by_email(stack, page, check):
    await stack.legacy_event(MEMBER)
    await page.goto(stack.portal("mbtp", "adherent", "/connexion"))
    await check("connexion")
    await page.get_by_role("link", name="Première connexion").click()
    await check("premiere-connexion")
    await page.get_by_role("link", name="J'ai déjà reçu mon identifiant").click()
    await page.get_by_role("button", name="Valider").click()  # nothing filled in
    assert await page.locator("#member_number-error").inner_text() == "Ce champ est obligatoire."
    await check("identifiant-erreurs")
    await page.get_by_label("Votre identifiant").fill("73000077")
    await page.get_by_label("Votre email ou n° de téléphone portable").fill("lea.durand@orange.fr")
    await page.get_by_role("button", name="Cliquez ici pour vérifier").click()
    await check("identifiant")
    await page.get_by_role("button", name="Valider").click()

    await page.wait_for_url("**/mbtp/adherent/premiere-connexion/code")
    await check("code")
    message = await stack.mail("lea.durand@orange.fr", "ACTIVER VOTRE ESPACE PAR CODE EMAIL")
    code = re.search(r"\b(\d{6})\b", stack.text_of(message)).group(1)
    await activate_account(stack, page, check, code=code)


async def test_a_member_without_identifier_activates_with_the_code_received_by_sms(stack, page, check):
    await stack.legacy_event(MEMBER)
    await page.goto(stack.portal("mbtp", "adherent", "/premiere-connexion"))
    await page.get_by_role("link", name="Je n'ai pas encore reçu mon identifiant").click()
    await page.get_by_label("Votre email ou n° de téléphone portable").fill("06 12 34 56 78")
    await page.get_by_label("Date de naissance").fill("31/02/1985")
    await page.get_by_role("button", name="Valider").click()  # the anti-robot check not done either
    assert "anti-robot" in await page.locator("#captcha-error").inner_text()
    assert "JJ/MM/AAAA" in await page.locator("#birth_date-error").inner_text()
    await check("sans-identifiant-erreurs")
    await page.get_by_label("Date de naissance").fill("12/05/1985")
    await page.get_by_role("button", name="Cliquez ici pour vérifier").click()
    await check("sans-identifiant")
    await page.get_by_role("button", name="Valider").click()

    await page.wait_for_url("**/mbtp/adherent/premiere-connexion/code")
    [sms] = await wait_until(lambda: stack.smsbox.messages, timeout=30)
    assert sms["to"] == "+33612345678"
    assert re.search(r"\b\d{6}\b", sms["body"])  # the first code; a new one is asked for below
    await page.get_by_role("button", name="Générer un nouveau code").click()
    await page.locator("#code-status .success").wait_for()
    await check("nouveau-code")
    second = await wait_until(lambda: stack.smsbox.messages[1:] or None, timeout=30)
    new_code = re.search(r"\b(\d{6})\b", second[0]["body"]).group(1)
    await activate_account(stack, page, check, code=new_code)


async def test_a_member_of_marseille_activates_through_the_link_of_the_email(stack, page, check):
    """Guide 002: the form strictly as on the member card, a confirmation email valid 48 hours."""
    envelope = await publish_event(stack.kafka_producer, stack.topic_prefix + MEMBER.STREAM, MEMBER, tenant="marseille")
    await wait_until(lambda: stack.identity.pool.fetchval("SELECT 1 FROM inbox WHERE event_id = $1", envelope.id), timeout=30)
    await page.goto(stack.portal("marseille", "adherent", "/premiere-connexion"))
    assert await page.get_by_role("link", name="J'ai déjà reçu mon identifiant").count() == 0  # not this tenant's way
    await page.get_by_role("link", name="Je souhaite créer mon espace personnel").click()
    await page.get_by_label("Votre identifiant").fill("73000077")
    await page.get_by_role("textbox", name="Nom", exact=True).fill("DURAND")
    await page.get_by_label("Date de naissance").fill("12/05/1985")
    await page.get_by_role("textbox", name="Adresse e-mail").fill("lea.durand@orange.fr")
    await page.get_by_role("button", name="Cliquez ici pour vérifier").click()
    await check("lien-formulaire")
    await page.get_by_role("button", name="Valider").click()
    await page.get_by_role("heading", name="Vérifiez votre boîte mail").wait_for()
    await check("lien-envoye")

    message = await stack.mail("lea.durand@orange.fr", "confirmez la création de votre espace adhérent")
    link = stack.link_in(stack.text_of(message))
    assert link.startswith(stack.portal("marseille", "adherent", "/activation?token="))
    # Followed from the mail reader, another site (a blank page of its own): the portal's SameSite=Strict cookie
    # is not sent along the way
    await page.goto("about:blank")
    await page.set_content(f'<html lang="fr"><title>Messagerie</title><a href="{link}">Confirmer mon adresse</a></html>')
    await page.get_by_role("link", name="Confirmer mon adresse").click()
    await page.wait_for_url("**/marseille/adherent/premiere-connexion/compte")
    assert "token" not in page.url
    await page.locator("#email").fill("lea.durand@orange.fr")
    await page.locator("#email_confirmation").fill("lea.durand@orange.fr")
    await page.locator("#password").fill(PASSWORD)
    await page.locator("#password_confirmation").fill(PASSWORD)
    await page.get_by_label("Courrier", exact=True).check()
    await check("lien-compte")
    await page.get_by_role("button", name="Valider").click()
    await page.wait_for_url("**/marseille/adherent/connexion")
    assert await page.locator("#identifier").input_value() == "73000077"
    await page.locator("#password").fill(PASSWORD)
    await page.get_by_role("button", name="Connectez-vous").click()
    await page.wait_for_url("**/marseille/adherent/cgu")
