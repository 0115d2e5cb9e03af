"""A broker's tabs in the broker portal (guide 000 §3): Effectifs searched by SIRET (its key checked)
and by insured person, sorted, on a past date; a company's detail, a contract's guarantees and
insured over two pages; the Excel and PDF exports downloaded through the portal; Productions and
Radiations of the current month; then the office's postal address change with its Kbis (a file
that is not one refused next to the field, a PDF accepted), followed in « Mes demandes »."""

from __future__ import annotations

from datetime import date

from extranet_contracts.calendar import today_in_france
from extranet_contracts.testing import (
    PRIMARY,
    broker_registered,
    company_assigned,
    company_registered,
    contract_signed,
    guarantee_attached,
    member_affiliated,
    member_radiated,
)

BROKER = "M13579"
PASSWORD = "Courtier-Listes-2026!"
ALPINE_SIRET = "44236981500117"
OLD_MEMBERS = ("Durand", "Petit", "Robert", "Richard", "Moreau")


def _member(number: int, last_name: str, contract: str, company: str, effective: date):
    return member_affiliated(
        membership_id=f"ADH-00{number}",
        member_number=f"730{number}",
        contract_number=contract,
        company_code=company,
        primary={**PRIMARY, "last_name": last_name, "first_name": "Camille"},
        dependants=[],
        effective_date=effective,
        recorded_on=effective,
    )


async def _portfolio(stack, today: date) -> None:
    both = ("identity", "portfolio")
    await stack.legacy_event(broker_registered(broker_code=BROKER, email="agence@courtage-alpes.fr"), applied_by=both)
    contact = {"last_name": "Garnier", "first_name": "Hélène", "role": "Dirigeant", "email": "h.garnier@btp-rhone.fr", "primary": True}
    await stack.legacy_event(company_registered(contacts=[contact]), applied_by=("portfolio",))
    await stack.legacy_event(
        company_registered(company_code="87654321", legal_name="Menuiserie Alpine SARL", siret=ALPINE_SIRET), applied_by=("portfolio",)
    )
    await stack.legacy_event(contract_signed(), applied_by=("portfolio",))
    await stack.legacy_event(
        contract_signed(contract_number="W1-000456", company_code="87654321", category="CADRES"), applied_by=("portfolio",)
    )
    for company in ("12345678", "87654321"):
        await stack.legacy_event(
            company_assigned(broker_code=BROKER, company_code=company, assigned_on=date(2021, 9, 18)), applied_by=("portfolio",)
        )
    await stack.legacy_event(guarantee_attached(), applied_by=("portfolio",))
    await stack.legacy_event(guarantee_attached(guarantee_code="ASSIST", name="ASSISTANCE SOCLE"), applied_by=("portfolio",))
    for index, name in enumerate(OLD_MEMBERS):
        await stack.legacy_event(_member(10001 + index, name, "W1-000123", "12345678", date(2026, 1, 1)), applied_by=("portfolio",))
    await stack.legacy_event(_member(10010, "Lefebvre", "W1-000123", "12345678", today.replace(day=1)), applied_by=("portfolio",))
    await stack.legacy_event(_member(10020, "Bernard", "W1-000456", "87654321", date(2025, 3, 1)), applied_by=("portfolio",))
    await stack.legacy_event(
        member_radiated(
            membership_id="ADH-0010020",
            member_number="73010020",
            contract_number="W1-000456",
            company_code="87654321",
            effective_date=today,
            recorded_on=today,
        ),
        applied_by=("portfolio",),
    )


def _words(text: str) -> str:
    return " ".join(text.split())


async def _totals(page) -> str:
    return _words(await page.locator(".totals").inner_text())


async def _first_cells(page) -> list[str]:
    return [_words(text) for text in await page.locator("#liste > tbody > tr:not(.detail-row) > td:first-child").all_inner_texts()]


async def test_a_broker_searches_the_portfolio_exports_it_and_asks_for_an_address_change(stack, page, check):
    today = today_in_france()
    await _portfolio(stack, today)
    await stack.first_login(page, "courtier", "broker", BROKER, PASSWORD, {"broker_code": BROKER})

    await page.get_by_role("navigation", name="Navigation principale").get_by_role("link", name="Effectifs").click()
    await page.wait_for_url("**/mbtp/courtier/effectifs")
    assert await _totals(page) == "2 Entreprises 2 Contrats 7 Adhésions"
    assert await _first_cells(page) == ["BTP Rhône Construction SAS", "Menuiserie Alpine SARL"]
    await check("effectifs")

    # Sorted by raison sociale, descending (htmx swaps the list; the address says the sorting)
    await page.get_by_role("link", name="Raison sociale").click()  # already ascending: now descending
    await page.wait_for_url("**/effectifs?*tri=legal_name*ordre=desc*")
    assert await _first_cells(page) == ["Menuiserie Alpine SARL", "BTP Rhône Construction SAS"]
    assert await page.locator("th[aria-sort='descending']").inner_text() != ""

    # A SIRET whose key is wrong: said next to the field
    await page.get_by_label("Numéro de SIRET").fill("73282932000075")
    await page.get_by_role("button", name="Rechercher").click()
    assert "clé" in await page.locator("#siret-error").inner_text()
    await check("effectifs-siret-refuse")
    await page.get_by_label("Numéro de SIRET").fill(ALPINE_SIRET)
    await page.get_by_label("Numéro de SIRET").press("Enter")  # Enter searches (it does not reset)
    await page.wait_for_url("**/mbtp/courtier/effectifs")
    assert await _first_cells(page) == ["Menuiserie Alpine SARL"]
    assert await _totals(page) == "1 Entreprise 1 Contrat 1 Adhésion"
    assert "73282932000075" not in page.url and ALPINE_SIRET not in page.url  # criteria stay on the server

    # The portfolio on a past date
    await page.get_by_role("button", name="Réinitialiser").click()
    await page.get_by_label("Situation au").fill("01/06/2025")
    await page.get_by_role("button", name="Rechercher").click()
    assert "Situation au 01/06/2025" in await page.locator("#resultats .as-of").inner_text()
    assert await _totals(page) == "2 Entreprises 2 Contrats 1 Adhésion"  # the companies were in the portfolio, one member had joined
    await page.get_by_role("button", name="Réinitialiser").click()

    # By insured person
    await page.get_by_label("Recherche par assuré").check()
    assert await page.get_by_label("Raison sociale").is_hidden()
    await page.get_by_label("Nom de l'assuré").fill("bernard")
    await page.get_by_role("button", name="Rechercher").click()
    rows = page.locator("#liste tbody tr")
    assert await rows.count() == 1
    assert _words(await rows.first.inner_text()).startswith("73010020 BERNARD Camille") or "Bernard" in await rows.first.inner_text()
    assert "bernard" not in page.url.lower()
    await check("effectifs-par-assure")
    async with page.expect_download() as download_info:
        await page.get_by_role("link", name="Exporter en Excel").click()
    download = await download_info.value
    assert download.suggested_filename.endswith(".xlsx")
    assert open(await download.path(), "rb").read(2) == b"PK"  # an Excel workbook is a zip
    await page.get_by_role("button", name="Réinitialiser").click()

    # A company's detail, its contract's guarantees and insured
    await page.get_by_role("link", name="BTP Rhône Construction SAS").click()
    await page.get_by_role("heading", name="Détails entreprise").wait_for()
    contacts = _words(await page.locator("#contacts").inner_text())
    assert "Hélène GARNIER principal Dirigeant" in contacts and "h.garnier@btp-rhone.fr" in contacts
    contract = _words(await page.locator(".contract").first.inner_text())
    assert "W1-000123" in contract and "Nombre de salariés actifs 6" in contract
    await check("entreprise")
    await page.get_by_role("link", name="Garanties du contrat W1-000123").click()
    guarantees = _words(await page.locator("#liste").inner_text())
    assert "ASSISTANCE SOCLE 01/10/2021" in guarantees and "Santé base niveau 2 01/10/2021" in guarantees
    await check("garanties")
    async with page.expect_download() as download_info:
        await page.get_by_role("link", name="Exporter en PDF").click()
    download = await download_info.value
    assert open(await download.path(), "rb").read(5) == b"%PDF-"
    await page.go_back()
    await page.get_by_role("link", name="Assurés du contrat W1-000123").click()
    assert await page.locator(".pager-count").inner_text() == "Afficher 1 à 5 sur 6 entrées"
    await page.get_by_role("link", name="Page 2", exact=True).click()
    await page.locator(".pager-count").get_by_text("Afficher 6 à 6 sur 6 entrées").wait_for()
    assert "page=2" in page.url
    await check("assures-page-2")

    # Productions and Radiations of the current month
    await page.get_by_role("navigation", name="Navigation principale").get_by_role("link", name="Productions").click()
    assert await _totals(page) == "1 Entreprise 1 Contrat 1 Adhésion"
    assert await _first_cells(page) == ["BTP Rhône Construction SAS"]
    assert f"Période du {today.replace(day=1):%d/%m/%Y}" in await page.locator("#resultats .as-of").inner_text()
    await check("productions")
    await page.get_by_role("navigation", name="Navigation principale").get_by_role("link", name="Radiations").click()
    assert await _first_cells(page) == ["Menuiserie Alpine SARL"]
    await page.get_by_label("Du").fill("31/13/2026")
    await page.get_by_role("button", name="Rechercher").click()
    assert "JJ/MM/AAAA" in await page.locator("#from-error").inner_text()
    await check("radiations-periode-refusee")
    await page.get_by_role("button", name="Réinitialiser").click()
    await page.get_by_role("link", name="Menuiserie Alpine SARL").click()
    await page.get_by_role("link", name="Assurés du contrat W1-000456").click()
    radiated = _words(await page.locator("#liste tbody").inner_text())
    assert "73010020" in radiated and f"{today:%d/%m/%Y}" in radiated and "DEMISSION" in radiated
    await check("radiations-assures")

    # The office's postal address, with its Kbis
    await page.get_by_role("link", name="Mon compte").click()
    await page.get_by_role("link", name="Modifier mon adresse postale").click()
    await page.locator("#line1").fill("8 place Bellecour")
    await page.get_by_label("Code postal").fill("69002")
    await page.get_by_label("Ville").fill("Lyon")
    await page.get_by_label("Date d'effet souhaitée").fill(f"{today:%d/%m/%Y}")
    gif = b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;"
    await page.get_by_label("Extrait de Kbis").set_input_files({"name": "kbis.pdf", "mimeType": "application/pdf", "buffer": gif})
    await page.get_by_role("button", name="Valider").click()
    refusal = await page.locator("#kbis-error").inner_text()
    assert "Kbis" in refusal or "PDF" in refusal
    assert await page.get_by_label("Ville").input_value() == "Lyon"  # what was typed stays
    await check("adresse-kbis-refuse")
    pdf = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"
    await page.get_by_label("Extrait de Kbis").set_input_files({"name": "kbis.pdf", "mimeType": "application/pdf", "buffer": pdf})
    await page.get_by_role("button", name="Valider").click()
    await page.wait_for_url("**/mbtp/courtier/mon-compte")
    assert await page.get_by_role("status").inner_text()
    assert "en cours de validation" in await page.get_by_role("region", name="Cabinet Martin Courtage").inner_text()
    await check("adresse-demandee")

    # The request followed in « Mes demandes » (once the request engine has it from portfolio)
    await page.get_by_role("navigation", name="Navigation principale").get_by_role("link", name="Mes demandes").click()
    rows = page.locator("#demandes tbody tr td:first-child a")
    for _ in range(60):
        if await rows.count():
            break
        await page.wait_for_timeout(500)
        await page.reload()
    assert await rows.count() == 1
    await rows.first.click()
    await page.get_by_role("heading", name="Historique").wait_for()
    assert "Vous" in await page.locator("#historique").inner_text()
    asked = _words(await page.get_by_role("region", name="Ce que vous avez demandé").inner_text())
    assert f"Date d'effet {today:%d/%m/%Y} Adresse Adresse 8 place Bellecour Code postal 69002 Ville Lyon" in asked
    await check("demande-adresse")


async def test_a_company_opens_in_place_with_its_contracts_guarantees_and_insured(stack, page, check, without_javascript, monkeypatch):
    today = today_in_france()
    await _portfolio(stack, today)
    await stack.first_login(page, "courtier", "broker", BROKER, PASSWORD, {"broker_code": BROKER})
    await page.get_by_role("navigation", name="Navigation principale").get_by_role("link", name="Effectifs").click()
    await page.wait_for_url("**/mbtp/courtier/effectifs")
    listed = page.url

    # The arrow before the company's name opens its detail under its row, by the keyboard; the focus stays on it
    arrow = page.get_by_role("button", name="Détail de l'entreprise BTP Rhône Construction SAS")
    assert await arrow.get_attribute("aria-expanded") == "false"
    await arrow.focus()
    await page.keyboard.press("Enter")
    detail = page.get_by_role("region", name="Détail de l'entreprise BTP Rhône Construction SAS")
    await detail.get_by_role("heading", name="Détails entreprise").wait_for()
    assert await arrow.get_attribute("aria-expanded") == "true"
    assert await arrow.evaluate("button => button === document.activeElement")
    assert await arrow.get_attribute("aria-controls") == await page.locator("tr.detail-row").get_attribute("id")
    assert page.url == listed
    text = _words(await detail.inner_text())
    assert "Code entreprise 12345678" in text and "Hélène GARNIER principal Dirigeant h.garnier@btp-rhone.fr" in text
    assert "Numéro de contrat W1-000123" in text and "Nombre de salariés actifs 6" in text
    assert await page.locator("#liste > tbody > tr:not(.detail-row)").count() == 2  # the list is still whole

    # The contract's guarantees, then its insured over two pages, each in place under the contract
    guarantees = detail.get_by_role("button", name="Garanties du contrat W1-000123")
    await guarantees.press("Enter")
    listing = detail.get_by_role("region", name="Liste des garanties du contrat W1-000123")
    assert "ASSISTANCE SOCLE 01/10/2021" in _words(await listing.locator("table").inner_text())
    assert await guarantees.get_attribute("aria-expanded") == "true"
    await detail.get_by_role("button", name="Assurés du contrat W1-000123").click()
    insured = detail.get_by_role("region", name="Liste des assurés du contrat W1-000123")
    assert await insured.locator(".pager-count").inner_text() == "Afficher 1 à 5 sur 6 entrées"
    await check("effectifs-entreprise-en-place")
    await insured.get_by_role("link", name="Page 2", exact=True).click()
    await insured.locator(".pager-count").get_by_text("Afficher 6 à 6 sur 6 entrées").wait_for()
    assert "ROBERT Camille" in await insured.locator("tbody").inner_text()  # the last by name
    assert page.url == listed  # paging a list in place leaves the page's address
    assert await page.locator("[id]").evaluate_all("nodes => nodes.length === new Set(nodes.map(n => n.id)).size")  # ids stay unique
    await check("effectifs-assures-en-place-page-2")

    # Closed by the same arrow; opened again without asking the portal again
    await arrow.click()
    assert await arrow.get_attribute("aria-expanded") == "false" and await detail.count() == 0
    await arrow.click()
    assert await detail.get_by_role("region", name="Liste des assurés du contrat W1-000123").is_visible()

    # Radiations: the period's exits of a company, in place
    await page.get_by_role("navigation", name="Navigation principale").get_by_role("link", name="Radiations").click()
    await page.get_by_role("button", name="Détail de l'entreprise Menuiserie Alpine SARL").click()
    alpine = page.get_by_role("region", name="Détail de l'entreprise Menuiserie Alpine SARL")
    assert "Sorties sur la période 1" in _words(await alpine.inner_text())
    await alpine.get_by_role("button", name="Assurés du contrat W1-000456").click()
    radiated = _words(await alpine.get_by_role("region", name="Liste des assurés du contrat W1-000456").locator("tbody").inner_text())
    assert "73010020" in radiated and "DEMISSION" in radiated
    await check("radiations-entreprise-en-place")

    # Without JavaScript: no arrow, the company's name leads to its page
    async with without_javascript() as plain:
        await plain.goto(stack.portal("mbtp", "courtier", "/effectifs"))
        assert await plain.get_by_role("button", name="Détail de l'entreprise BTP Rhône Construction SAS").count() == 0
        await plain.get_by_role("link", name="BTP Rhône Construction SAS").click()
        await plain.get_by_role("heading", name="Détails entreprise").wait_for()
        assert await plain.get_by_role("link", name="Garanties du contrat W1-000123").count() == 1

    # A detail the portal cannot draw (a fault of its templates): the French error page, not nothing
    from portals import web

    get_template = web.templates.env.get_template

    def failing(name, *args, **kwargs):
        if name == "broker_company_detail.html":
            raise RuntimeError("gabarit cassé")
        return get_template(name, *args, **kwargs)

    monkeypatch.setattr(web.templates.env, "get_template", failing)
    await page.get_by_role("navigation", name="Navigation principale").get_by_role("link", name="Effectifs").click()
    await page.get_by_role("button", name="Détail de l'entreprise Menuiserie Alpine SARL").click()
    await page.get_by_role("heading", name="Erreur technique").wait_for()
    assert "/entreprises/87654321" in page.url
    assert "réessayer dans quelques minutes" in await page.locator("main").inner_text()
    assert "gabarit" not in await page.content()
    await check("entreprise-erreur-technique")
