"""The employer portal: a company correspondent reads the company sheet and the contributions, finds an employee by social
security number (its key checked) and by name and opens the employee's sheet (NIRs masked); then
terminates an employee (« Radier un salarié »: a
wrong member number said next to the field, a draft confirmed then sent), follows it in the history of
requests by year and type, and reads the management system's refusal and its reason in its history."""

from __future__ import annotations

import re
from datetime import date, timedelta

from extranet_contracts.calendar import today_in_france
from extranet_contracts.testing import (
    company_registered,
    contract_signed,
    contribution_paid,
    contribution_payer_recorded,
    contribution_scheduled,
    member_affiliated,
    request_decided,
)

PASSWORD = "Entreprise-Suivi-2026!"
LEA = member_affiliated()  # 73000042, on W1-000123 of company 12345678
SCOPE = {"company_code": "12345678", "contracts": "all", "primary": True}


def _words(text: str) -> str:
    return " ".join(text.split())


async def test_a_correspondent_terminates_an_employee_and_follows_the_request(stack, page, check):
    await stack.legacy_event(company_registered(), applied_by=("portfolio",))
    await stack.legacy_event(contract_signed(), applied_by=("portfolio",))
    await stack.legacy_event(LEA, applied_by=("portfolio", "enrollment"))
    for event in (contribution_payer_recorded(), contribution_scheduled(), contribution_paid()):
        await stack.legacy_event(event, applied_by=("portfolio",))
    await stack.first_login(page, "entreprise", "correspondent", "C12345678", PASSWORD, SCOPE)

    # The company sheet, then the employee found by social security number, then by name, and opened
    await stack.nav(page, "Fiche entreprise")
    contract = _words(await page.get_by_role("region", name="Votre contrat W1-000123 – BTP Rhône Construction SAS").inner_text())
    assert "Nombre de salariés 1" in contract and "Nombre de personnes couvertes 2" in contract and "SIRET 73282932000074" in contract
    await check("fiche-entreprise")
    await stack.nav(page, "Cotisations")
    payers = _words(await page.get_by_role("region", name="Payeurs").locator("tbody").inner_text())
    assert payers.startswith("Employeur Mensuel")
    schedules = _words(await page.get_by_role("region", name="Échéanciers").locator("tbody").inner_text())
    assert "du 01/01/2026 au 31/01/2026 10/01/2026 1 250,40 € 1 250,40 € 0,00 € Réglée" in schedules
    assert "08/01/2026 1 250,40 €" in _words(await page.get_by_role("region", name="Règlements").inner_text())
    await check("cotisations")
    await stack.nav(page, "Rechercher un salarié")
    await page.get_by_label("Par numéro de sécurité sociale").check()
    await page.get_by_label("N° de sécurité sociale").fill("2850578006084")
    await page.get_by_label("Clé").fill("40")
    await page.get_by_role("button", name="Rechercher").click()
    assert "clé" in (await page.locator("#nir_key-error, #nir-error").first.inner_text()).lower()
    await check("salarie-cle-refusee")
    await page.get_by_label("Clé").fill("41")
    await page.get_by_role("button", name="Rechercher").click()
    assert "73000042" in await page.locator("#salaries").inner_text()
    await page.get_by_label("Par nom").check()
    await page.locator("#last_name").fill("durand")
    await page.get_by_role("button", name="Rechercher").click()
    assert await page.locator("#salaries tbody tr").count() == 1
    await check("salarie-trouve")
    await page.get_by_role("button", name="Fiche de DURAND Léa").click()
    await page.wait_for_url("**/mbtp/entreprise/salaries/fiche")
    content = await page.content()
    assert "285057800608441" not in content and "115037800608494" not in content  # NIRs masked
    beneficiaries = _words(await page.locator("#beneficiaires").inner_text())
    assert "Assuré principal 2 85 05" in beneficiaries and "Enfant" in beneficiaries
    await check("salarie-fiche")
    # The guide's actions of the sheet open their forms filled in with this employee
    for action in ("Modifier carte TP", "Ajouter bénéficiaire", "Radier salarié"):
        assert await page.get_by_role("link", name=action).count() == 1
    await page.get_by_role("link", name="Radier salarié").click()
    await page.wait_for_url("**/mbtp/entreprise/radiation")
    assert await page.get_by_label("Numéro d'adhérent du salarié").input_value() == "73000042"
    assert await page.get_by_label("Contrat").input_value() == "W1-000123"

    # The employees covered during a period, with their dependants, and its download
    await stack.nav(page, "Rechercher un salarié")
    await page.get_by_role("link", name="Une liste de salariés").click()
    await page.locator("#du").fill("01/01/2026")
    await page.locator("#au").fill("31/12/2026")
    await page.get_by_label("Avec les ayants droit").check()
    await page.get_by_role("button", name="Rechercher").click()
    listed = _words(await page.locator("#liste tbody").inner_text())
    assert "DURAND Léa Assuré principal 73000042 12/05/1985" in listed and "Hugo Enfant" in listed
    assert "durand" not in page.url.lower()
    await check("liste-salaries")
    async with page.expect_download() as download_info:
        await page.get_by_role("link", name="Télécharger en CSV").click()
    with open(await (await download_info.value).path(), encoding="utf-8-sig") as file:
        assert "73000042" in file.read()

    await stack.nav(page, "Radier un salarié")
    window = re.search(r"du (\d\d/\d\d/\d{4}) au (\d\d/\d\d/\d{4})", await page.locator("main p").first.inner_text())
    earliest = date(*reversed([int(part) for part in window.group(1).split("/")]))
    effective = earliest + timedelta(days=10)
    await page.get_by_label("Contrat").select_option("W1-000123")
    await page.get_by_label("Numéro d'adhérent du salarié").fill("73999999")
    await page.get_by_label("Date de radiation").fill(f"{effective:%d/%m/%Y}")
    await page.get_by_label("Motif").select_option(label="Démission")
    await page.get_by_role("button", name="Continuer").click()
    assert await page.locator("#member_number-error").inner_text()  # no such employee: said next to the field
    assert await page.get_by_label("Date de radiation").input_value() == f"{effective:%d/%m/%Y}"
    await check("radiation-salarie-inconnu")
    await page.get_by_label("Numéro d'adhérent du salarié").fill("73000042")
    await page.get_by_role("button", name="Continuer").click()

    await page.get_by_role("heading", name="Confirmez la radiation").wait_for()
    summary = _words(await page.locator("dl.details").inner_text())
    assert summary == f"Salarié DURAND Léa (73000042) Contrat W1-000123 Date de radiation {effective:%d/%m/%Y} Motif Démission"
    assert "73000042" not in page.url
    await check("radiation-confirmation")
    await page.get_by_role("button", name="Envoyer la demande").click()
    await page.wait_for_url(re.compile(r".*/mbtp/entreprise/mes-demandes/[0-9a-f-]{36}$"))
    request_id = page.url.rsplit("/", 1)[1]
    assert "envoyée à nos services" in await page.get_by_role("status").inner_text()
    steps = [_words(cell) for cell in await page.locator("#historique tbody tr td:nth-child(3)").all_inner_texts()]
    actors = [_words(cell) for cell in await page.locator("#historique tbody tr td:nth-child(2)").all_inner_texts()]
    assert steps[:2] == ["Brouillon", "Envoyée"] or steps[0] == "Brouillon", steps
    assert actors[:2] == ["Vous", "Vous"]
    await check("demande-envoyee")

    # The management system refuses it: the portal shows the status and the reason
    await stack.legacy_event(request_decided("refused", request_id), applied_by=("enrollment",))
    await page.reload()
    assert "Refusée" in await page.get_by_role("region", name="Votre demande").inner_text()
    assert "Le salarié est déjà radié à cette date." in await page.get_by_role("region", name="Votre demande").inner_text()
    await check("demande-refusee")

    await stack.nav(page, "Historique des demandes")
    rows = page.locator("#demandes tbody tr")
    assert await rows.count() == 1
    row = _words(await rows.first.inner_text())
    assert row.startswith("Radiation d'un salarié DURAND Léa (73000042) Contrat W1-000123") and "Refusée" in row
    await page.get_by_label("Année").select_option(str(today_in_france().year - 1))
    await page.get_by_role("button", name="Afficher").click()
    assert await page.locator("#demandes tbody").inner_text() == "Aucune demande à afficher."
    await page.get_by_label("Année").select_option(str(today_in_france().year))
    await page.get_by_label("Type de demande").select_option(label="Radiation d'un salarié")
    await page.get_by_role("button", name="Afficher").click()
    assert await rows.count() == 1
    await check("historique")
