"""A primary correspondent invites a secondary one limited to an insured group of a contract (issue 12, guide
003: « Je sélectionne le ou les contrats collectifs » — a correspondent « rattaché en fonction du contrat », filtered
by the population it manages); the secondary one, once activated, sees that group's employees only."""

from __future__ import annotations

from datetime import date

from extranet_contracts.testing import PRIMARY as LEA
from extranet_contracts.testing import contract_signed, member_affiliated
from extranet_plumbing.testing import wait_until

from .conftest import Checker

PASSWORD = "Entreprise-Rhone-2026!"
SECONDARY_PASSWORD = "Portabilite-Lyon-2026!"
PRIMARY_SCOPE = {"company_code": "12345678", "company_name": "BTP Rhône", "contracts": "all", "primary": True}
JEAN = {"civility": "M", "last_name": "Le Gall", "first_name": "Jean", "birth_date": "1985-12-01", "nir": "185127800608409"}


async def test_a_correspondent_grants_a_secondary_one_an_insured_group_of_a_contract(stack, page, check, device):
    both = ("identity", "portfolio")
    await stack.legacy_event(contract_signed(insured_groups=["A", "P"]), applied_by=both)
    await stack.legacy_event(contract_signed(contract_number="W2-000456", category="CADRES"), applied_by=both)
    for event in (
        member_affiliated(effective_date=date(2026, 1, 1)),  # Léa, group A (Actif)
        member_affiliated(
            membership_id="ADH-0000043",
            member_number="73000043",
            insured_group="P",
            primary=JEAN,
            dependants=[],
            effective_date=date(2026, 1, 1),
        ),
    ):
        await stack.legacy_event(event, applied_by=("portfolio",))
    await stack.first_login(page, "entreprise", "correspondent", "C12345678", PASSWORD, PRIMARY_SCOPE)

    await page.get_by_role("link", name="Créer un correspondant").click()
    await page.wait_for_url("**/mbtp/entreprise/correspondants/nouveau")
    await page.get_by_label("Identifiant").fill("portabilite.rh")
    await page.locator("#last_name").fill("Morel")
    await page.get_by_label("Prénom").fill("Inès")
    await page.get_by_label("Adresse e-mail").fill("ines.morel@btp-rhone.fr")
    # Every group of each contract is offered checked: the whole contract unless some are unchecked.
    w1 = page.get_by_role("group", name="Contrat W1-000123")
    assert await w1.get_by_role("checkbox", name="A : Actif").is_checked()
    assert await w1.get_by_role("checkbox", name="P : Portabilité").is_checked()
    assert await page.get_by_role("group", name="Contrat W2-000456").get_by_role("checkbox", name="A : Actif").is_checked()
    await page.get_by_role("button", name="Valider").click()  # no contract chosen
    assert "Choisissez un ou plusieurs contrats" in await page.locator("#contracts-error").inner_text()
    await page.get_by_role("checkbox", name="Contrat W1-000123 — SANTE, NON CADRES").check()
    w1 = page.get_by_role("group", name="Contrat W1-000123")
    await w1.get_by_role("checkbox", name="A : Actif").uncheck()
    await w1.get_by_role("checkbox", name="P : Portabilité").uncheck()
    await page.get_by_role("button", name="Valider").click()  # the contract without any group
    assert "groupes d'assurés de ce contrat" in await page.locator("#groups-1-error").inner_text()
    await check("nouveau-correspondant-groupes-erreur")
    w1 = page.get_by_role("group", name="Contrat W1-000123")
    assert await page.get_by_role("checkbox", name="Contrat W1-000123 — SANTE, NON CADRES").is_checked()  # kept as posted
    await w1.get_by_role("checkbox", name="P : Portabilité").check()
    await check("nouveau-correspondant-groupes")
    await page.get_by_role("button", name="Valider").click()

    await page.wait_for_url("**/mbtp/entreprise/correspondants")
    assert "portabilite.rh est créé" in await page.get_by_role("status").inner_text()
    row = page.locator("#correspondants tbody tr", has_text="portabilite.rh")
    cells = [" ".join(text.split()) for text in await row.locator("td").all_inner_texts()]
    assert cells[4] == "W1-000123 (groupes P)"
    await check("correspondants-groupes")

    # The secondary correspondent activates the account and reads group P of W1-000123 only.
    invitation = await stack.mail("ines.morel@btp-rhone.fr", "Activation de votre compte sur l'espace entreprise")
    await page.context.clear_cookies()
    await page.goto(stack.link_in(stack.text_of(invitation)))
    await page.locator("#password").fill(SECONDARY_PASSWORD)
    await page.locator("#password_confirmation").fill(SECONDARY_PASSWORD)
    await page.get_by_role("button", name="Valider").click()
    await page.wait_for_url("**/mbtp/entreprise/connexion")
    await stack.first_login_here(page, "entreprise", SECONDARY_PASSWORD)  # the identifier filled already
    await page.goto(stack.portal("mbtp", "entreprise", "/salaries/liste?du=01/01/2026&au=31/12/2026"))
    options = [" ".join(o.split()) for o in await page.locator("#portee option").all_inner_texts()]
    assert options == ["Tous les contrats et tous les groupes", "W1-000123 – P Portabilité"]
    names = await page.locator("#liste tbody tr td:first-child").all_inner_texts()
    assert names == ["LE GALL Jean"], names
    assert LEA["last_name"].upper() not in (await page.locator("main").inner_text()).upper()
    await check("liste-secondaire")

    # « Modifier »: the primary correspondent, in a browser of its own, gives it group A of W1-000123 instead of P.
    primary = await page.context.browser.new_context(viewport=page.viewport_size, locale="fr-FR", timezone_id="Europe/Paris")
    other = await primary.new_page()
    await other.goto(stack.portal("mbtp", "entreprise", "/connexion"))
    await other.locator("#identifier").fill("C12345678")
    await other.locator("#password").fill(PASSWORD)
    await other.get_by_role("button", name="Connexion").click()
    await other.wait_for_url("**/mbtp/entreprise/accueil")
    await other.goto(stack.portal("mbtp", "entreprise", "/correspondants"))
    await other.get_by_role("link", name="Modifier le correspondant portabilite.rh").click()
    await other.wait_for_url("**/mbtp/entreprise/correspondants/portabilite.rh/modifier")
    assert await other.get_by_role("checkbox", name="Contrat W1-000123 — SANTE, NON CADRES").is_checked()
    assert not await other.get_by_role("checkbox", name="Contrat W2-000456 — SANTE, CADRES").is_checked()
    w1 = other.get_by_role("group", name="Contrat W1-000123")
    assert await w1.get_by_role("checkbox", name="P : Portabilité").is_checked()  # as granted today
    assert not await w1.get_by_role("checkbox", name="A : Actif").is_checked()
    await w1.get_by_role("checkbox", name="A : Actif").check()
    await w1.get_by_role("checkbox", name="P : Portabilité").uncheck()
    await Checker(other, "correspondent_grant_change", device)("modifier-correspondant")
    await other.get_by_role("button", name="Valider").click()
    await other.wait_for_url("**/mbtp/entreprise/correspondants")
    assert "portabilite.rh sont modifiés" in await other.get_by_role("status").inner_text()
    row = other.locator("#correspondants tbody tr", has_text="portabilite.rh")
    assert " ".join((await row.locator("td").all_inner_texts())[4].split()) == "W1-000123 (groupes A)"
    await primary.close()

    # The secondary's next page, in its own session, holds group A: its token was refused everywhere and renewed.
    async def renewed() -> bool:
        await page.reload()
        return await page.locator("#liste tbody tr td:first-child").all_inner_texts() == [f"{LEA['last_name'].upper()} {LEA['first_name']}"]

    await wait_until(renewed, timeout=10)
    options = [" ".join(o.split()) for o in await page.locator("#portee option").all_inner_texts()]
    assert options == ["Tous les contrats et tous les groupes", "W1-000123 – A Actif"]
    assert "LE GALL" not in (await page.locator("main").inner_text()).upper()
    await check("liste-secondaire-modifiee")
