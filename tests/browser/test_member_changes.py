"""The member's situation changes (guide 004, « Modifications »): a member of an individual contract changes the IBAN
for benefits (a wrong IBAN refused next to its field first, the IBAN then shown masked), the home address, a
communication choice (the preferences' matrix made editable), and removes a child (« Retirer » on the beneficiaries
page); each form shows the dates the mutuelle allows before it is sent, and each request is then in « Mes demandes »."""

from __future__ import annotations

import re
from datetime import date

from extranet_contracts.calendar import today_in_france
from extranet_contracts.households import beneficiary_id
from extranet_contracts.testing import (
    communication_preferences_recorded,
    household_beneficiaries_recorded,
    member_contract_recorded,
)

MEMBER = "73000077"  # a household on an individual contract
PASSWORD = "Verger-Basalte-41!"
NEW_IBAN = "DE89 3704 0044 0532 0130 00"
WRONG_IBAN = "DE89 3704 0044 0532 0130 01"  # one digit off: its check digits disagree


def _words(text: str) -> str:
    return " ".join(text.split())


async def _household(stack) -> None:
    contract = member_contract_recorded(
        member_number=MEMBER,
        contract_number="I-0077",
        kind="INDIVIDUEL",
        company_code=None,
        company_name=None,
        contribution={"payment_mode": "PRELEVEMENT", "frequency": "MENSUELLE"},
    )
    # Enrollment keeps the contract and the beneficiaries too: what a change of guarantee or a removal is checked against.
    for event, applied_by in (
        (contract, ("claims", "enrollment")),
        (household_beneficiaries_recorded(member_number=MEMBER), ("claims", "enrollment")),
        (communication_preferences_recorded(member_number=MEMBER), ("claims",)),
    ):
        await stack.legacy_event(event, applied_by=applied_by)


async def _window(page) -> tuple[date, date]:
    """The effective dates the page says the mutuelle allows, before anything is sent."""
    found = re.search(r"comprise entre le (\d\d/\d\d/\d{4}) et le (\d\d/\d\d/\d{4})", await page.locator("#window").inner_text())
    earliest, latest = (date(*reversed([int(part) for part in day.split("/")])) for day in found.groups())
    return earliest, latest


async def _sent(page, kind_label: str) -> str:
    await page.wait_for_url(re.compile(r".*/mbtp/adherent/mes-demandes/[0-9a-f-]{36}$"))
    assert f"« {kind_label} » est envoyée à nos services" in await page.get_by_role("status").inner_text()
    return _words(await page.get_by_role("region", name="Votre demande").inner_text())


async def test_a_member_changes_iban_address_choices_and_removes_a_child(stack, page, check):
    await _household(stack)
    await stack.first_login(page, "adherent", "member", MEMBER, PASSWORD, {"member_number": MEMBER})

    # The IBAN for benefits, from the beneficiaries page: the current one masked, the dates allowed shown first
    await stack.nav(page, "Bénéficiaires")
    await check("beneficiaires")
    await page.get_by_role("link", name="Changer votre IBAN prestation").click()
    await page.wait_for_url("**/mbtp/adherent/modifications/iban-prestation")
    earliest, latest = await _window(page)
    assert earliest == today_in_france() and latest > earliest
    assert await page.get_by_label("Date d'effet").input_value() == f"{earliest:%d/%m/%Y}"
    current = _words(await page.locator("#iban-actuel").inner_text())
    assert "FR76" in current and "*" in current and "FR7630006000011234567890189" not in await page.content()
    await check("iban-prestation")
    await page.locator("#iban").fill(WRONG_IBAN)
    await page.get_by_label("Code BIC").fill("COBADEFFXXX")
    await page.get_by_label("Titulaire du compte").fill("Paul Moreau")
    await page.get_by_role("button", name="Envoyer la demande").click()
    refusal = await page.locator("#iban-error").inner_text()
    assert refusal.startswith("Cet IBAN n'est pas valide")
    assert "0130" not in refusal  # the value typed is never repeated in the refusal
    assert await page.locator("#iban").get_attribute("aria-invalid") == "true"
    assert await page.get_by_label("Titulaire du compte").input_value() == "Paul Moreau"  # what was typed is kept
    await check("iban-prestation-refus")
    await page.locator("#iban").fill(NEW_IBAN)
    await page.get_by_role("button", name="Envoyer la demande").click()
    summary = await _sent(page, "Changement d'IBAN prestation")
    assert "Concernant IBAN DE89 **** **** **** **30 00" in summary
    assert "370400440532013000" not in (await page.content()).replace(" ", "")
    await check("iban-prestation-envoyee")

    # The home address
    await stack.nav(page, "Bénéficiaires")
    await page.get_by_role("link", name="Changer votre adresse").click()
    await page.wait_for_url("**/mbtp/adherent/modifications/adresse")
    earliest, latest = await _window(page)
    assert earliest <= today_in_france() < latest
    assert await page.get_by_label("Adresse personnelle").is_checked()
    assert await page.get_by_label("Date d'effet").input_value() == f"{today_in_france():%d/%m/%Y}"  # not the first day allowed, past
    await check("adresse")
    await page.get_by_label("Numéro et voie").fill("3 rue Longue")
    await page.get_by_label("Code postal").fill("1340")
    await page.get_by_label("Ville").fill("Aubagne")
    await page.get_by_role("button", name="Envoyer la demande").click()
    assert await page.locator("#postal_code-error").inner_text() == "Le code postal doit compter 5 chiffres."
    assert await page.get_by_label("Ville").input_value() == "Aubagne"
    await check("adresse-refus")
    await page.get_by_label("Code postal").fill("13400")
    await page.get_by_role("button", name="Envoyer la demande").click()
    assert "Concernant 13400 AUBAGNE" in await _sent(page, "Changement d'adresse")

    # A communication choice, from the preferences' matrix
    await stack.nav(page, "Mes préférences")
    await page.get_by_role("link", name="Modifier mes choix d'envoi des informations").click()
    await page.wait_for_url("**/mbtp/adherent/modifications/choix-envoi")
    await _window(page)
    assert await page.get_by_label("Informations commerciales, par mail").input_value() == ""  # « Non défini »
    assert await page.get_by_label("Informations commerciales, par SMS").input_value() == "REFUSE"
    await check("choix-envoi")
    await page.get_by_role("button", name="Valider mes choix").click()
    assert "Modifiez au moins un choix" in await page.get_by_role("alert").inner_text()
    await page.get_by_label("Informations commerciales, par mail").select_option(label="Accepté")
    await page.get_by_role("button", name="Valider mes choix").click()
    assert "Concernant Informations commerciales" in await _sent(page, "Changement des choix d'envoi des informations")

    # A child removed: « Retirer » on his line; the reason is required
    await stack.nav(page, "Bénéficiaires")
    assert await page.get_by_role("link", name=re.compile("^Retirer")).count() == 1  # the primary insured is not removed
    await page.get_by_role("link", name="Retirer Hugo Durand").click()
    hugo = beneficiary_id(MEMBER, "Hugo", date(2015, 3, 2))  # his id in the household's file
    await page.wait_for_url(f"**/mbtp/adherent/modifications/retirer-beneficiaire?beneficiaire={hugo}")
    assert "Hugo Durand" in await page.locator("#beneficiaire-retire").inner_text()
    await _window(page)
    await check("retirer-beneficiaire")
    await page.get_by_role("button", name="Retirer ce bénéficiaire").click()
    assert await page.locator("#reason-error").inner_text() == "Ce champ est obligatoire."
    await check("retirer-beneficiaire-refus")
    await page.get_by_label("Motif").select_option(label="Couvert par une autre complémentaire santé")
    await page.get_by_role("button", name="Retirer ce bénéficiaire").click()
    assert "Concernant DURAND Hugo" in await _sent(page, "Suppression d'un bénéficiaire")

    # Each in « Mes demandes », newest first
    await stack.nav(page, "Mes demandes")
    kinds = await page.locator("#demandes tbody tr td:nth-child(1)").all_inner_texts()
    subjects = await page.locator("#demandes tbody tr td:nth-child(2)").all_inner_texts()
    assert list(zip(kinds, subjects, strict=True)) == [
        ("Suppression d'un bénéficiaire", "DURAND Hugo"),
        ("Changement des choix d'envoi des informations", "Informations commerciales"),
        ("Changement d'adresse", "13400 AUBAGNE"),
        ("Changement d'IBAN prestation", "IBAN DE89 **** **** **** **30 00"),
    ]
    await check("mes-demandes")

    # The online services' list, and the other forms reached from it show their dates and lists
    await stack.nav(page, "Faire une demande")
    await check("services-en-ligne")
    await page.get_by_role("link", name="Changement de date de prélèvement").click()
    days = await page.get_by_label("Nouvelle date de prélèvement").locator("option").all_inner_texts()
    assert days[0] == "Choisissez un jour" and "Le 10 du mois" in days
    await _window(page)
    await check("date-prelevement")

    # From the contract: the guarantee change offers the mutuelle's range for individual contracts (tenants.toml), an
    # advisor calling back
    await stack.nav(page, "Mon contrat")
    await check("contrat")
    await page.get_by_role("link", name="Changer de garantie").click()
    guarantees = await page.get_by_label("Nouvelle garantie").locator("option").all_inner_texts()
    assert guarantees == ["Choisissez une garantie", "BTP Santé Essentiel", "BTP Santé Confort", "BTP Santé Intégral"]
    assert "un conseiller prendra contact avec vous" in await page.locator("main").inner_text()
    await check("garantie")

    # A second IBAN change while the first is under way: refused, said above the form, what was typed kept
    await stack.nav(page, "Bénéficiaires")
    await page.get_by_role("link", name="Changer votre IBAN prestation").click()
    await page.locator("#iban").fill(NEW_IBAN)
    await page.get_by_label("Code BIC").fill("COBADEFFXXX")
    await page.get_by_label("Titulaire du compte").fill("Paul Moreau")
    await page.get_by_role("button", name="Envoyer la demande").click()
    assert await page.get_by_role("alert").inner_text() == "Un changement d'IBAN prestation est déjà en cours."
    assert await page.get_by_label("Titulaire du compte").input_value() == "Paul Moreau"

    # A sponsorship, from the online services: reachable by email or phone, said next to the email when neither is given
    await stack.nav(page, "Faire une demande")
    await page.get_by_role("link", name="Proposer un parrainage").click()
    await page.get_by_label("Madame").check()
    await page.locator("#last_name").fill("Martin")
    await page.get_by_label("Prénom").fill("Sophie")
    await page.get_by_role("button", name="Proposer").click()
    assert "e-mail ou le téléphone" in await page.locator("#email-error").inner_text()
    await check("parrainage-refus")
    await page.get_by_label("Téléphone").fill("06 98 76 54 32")
    await page.get_by_role("button", name="Proposer").click()
    assert "Concernant MARTIN Sophie" in await _sent(page, "Proposition de parrainage")

    # Phones and email, from the contact page: the current ones said, only those typed change
    await stack.nav(page, "Contact")
    await page.get_by_role("link", name="Changer mes téléphones ou mon e-mail").click()
    assert "Actuellement : 06 12 34 56 78" in await page.locator("#mobile_phone-hint").inner_text()
    await _window(page)
    await check("coordonnees")
