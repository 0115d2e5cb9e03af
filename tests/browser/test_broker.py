"""A broker in the broker portal (espace courtier): activates the account through the link of the
activation email, sets a password, logs in, accepts the terms of use and reads the dashboard of a
month and of the month before; then logs out."""

from __future__ import annotations

from datetime import date

from portals.formats import month_label, previous_months

from extranet_contracts.calendar import today_in_france
from extranet_contracts.testing import broker_registered, company_assigned, company_registered, contract_signed, member_affiliated

BROKER = broker_registered(broker_code="M24680", email="claire.martin@cabinet-martin.fr")
PASSWORD = "Courtier-Neuf-2026!"


async def test_a_broker_activates_accepts_the_terms_and_reads_the_dashboard(stack, page, check):
    this_month = f"{today_in_france():%Y-%m}"
    both = ("identity", "portfolio")
    await stack.legacy_event(BROKER, applied_by=both)
    await stack.legacy_event(company_registered(), applied_by=both)
    await stack.legacy_event(contract_signed(), applied_by=both)
    await stack.legacy_event(company_assigned(broker_code="M24680", assigned_on=date(2021, 9, 18)), applied_by=("portfolio",))
    today = today_in_france()
    await stack.legacy_event(member_affiliated(recorded_on=today, effective_date=today.replace(day=1)), applied_by=both)

    message = await stack.mail("claire.martin@cabinet-martin.fr", "Activation de votre compte courtier")
    text = stack.text_of(message)
    assert "M24680" in text
    link = stack.link_in(text)
    assert link.startswith(stack.portal("mbtp", "courtier", "/activation?token="))

    await page.goto(link)
    assert await page.locator("h1").inner_text() == "Activer votre espace : définissez votre mot de passe"
    await check("activation")
    await page.locator("#password").fill(PASSWORD)
    await page.locator("#password_confirmation").fill("Pas-le-meme-2026!")
    await page.get_by_role("button", name="Valider").click()
    assert "identiques" in await page.locator("#password_confirmation-error").inner_text()
    await check("activation-erreur")
    await page.locator("#password").fill(PASSWORD)
    await page.locator("#password_confirmation").fill(PASSWORD)
    await page.get_by_role("button", name="Valider").click()

    await page.wait_for_url("**/mbtp/courtier/connexion")
    assert "M24680" in await page.get_by_role("status").inner_text()
    assert await page.locator("#identifier").input_value() == "M24680"
    await check("connexion")
    await page.get_by_role("link", name="Vous n'arrivez pas à vous identifier ? Cliquez ici").click()
    help_panel = page.locator("#identifier-help")
    await help_panel.get_by_text("code courtier").wait_for()
    await page.locator("#password").fill("Mauvais-mot-2026!")
    await page.get_by_role("button", name="Je me connecte").click()
    assert "incorrect" in await page.get_by_role("alert").inner_text()
    await check("connexion-refusee")
    await page.locator("#password").fill(PASSWORD)
    await page.get_by_role("button", name="Je me connecte").click()

    await page.wait_for_url("**/mbtp/courtier/cgu")
    await check("cgu")
    assert await page.get_by_label("Je reconnais").is_disabled()  # until the whole text is read
    await page.locator("#terms-text").evaluate("text => text.scrollTo(0, text.scrollHeight)")
    await page.get_by_label("Je reconnais").check()
    await page.get_by_role("button", name="Accepter").click()

    await page.wait_for_url("**/mbtp/courtier/accueil")
    portfolio = page.get_by_role("region", name="Portefeuille")
    assert "1 Contrats collectifs" in " ".join((await portfolio.inner_text()).split())
    entries = " ".join((await page.get_by_role("region", name="Entrées mensuelles").inner_text()).split())
    assert f"1 {month_label(this_month).capitalize()}" in entries
    assert (
        "Durand Léa" in await page.locator("#affiliations").inner_text()
        or "DURAND" in (await page.locator("#affiliations").inner_text()).upper()
    )
    await check("tableau-de-bord")

    previous = previous_months(this_month, 2)[1]
    await page.get_by_label("Mois affiché").select_option(previous)
    await page.locator(".as-of").get_by_text(month_label(previous)).wait_for()
    assert page.url.endswith(f"/accueil?mois={previous}")
    entries = " ".join((await page.get_by_role("region", name="Entrées mensuelles").inner_text()).split())
    assert f"0 {month_label(previous).capitalize()}" in entries
    await check("tableau-de-bord-mois-precedent")

    await page.get_by_role("link", name="Mon compte").click()
    office = " ".join((await page.get_by_role("region", name="Cabinet Martin Courtage").inner_text()).split())
    assert "Code courtier M24680" in office and "Numéro ORIAS 07012345" in office and "Claire Martin" in office
    await check("mon-compte")

    await page.get_by_role("button", name="Déconnexion").click()
    await page.wait_for_url("**/mbtp/courtier/connexion?motif=deconnexion")
    assert "déconnecté" in await page.get_by_role("status").inner_text()
    await page.goto(stack.portal("mbtp", "courtier", "/accueil"))
    assert page.url.endswith("/mbtp/courtier/connexion")  # the session ended
