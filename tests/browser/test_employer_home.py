"""The employer's home (issue 12, guide 003 « Accueil »), at 1280 and 768 px with axe-core: the contract and insured
group selector (only the groups of the contract granted), the tenant's information block, the guide's quick links, the
contact block; the request history says « Aucune opération réalisée sur les 90 derniers jours » until a TP card is
ordered, then lists it (type, status, date) with a link to the request."""

from __future__ import annotations

import re

from extranet_contracts.calendar import today_in_france
from extranet_contracts.testing import company_registered, contract_signed, member_affiliated

PASSWORD = "Entreprise-Accueil-2026!"
SCOPE = {"company_code": "12345678", "contracts": "all", "primary": True}


def _words(text: str) -> str:
    return " ".join(text.split())


async def test_the_employers_home_shows_its_blocks_and_the_requests_of_the_last_90_days(stack, page, check):
    await stack.legacy_event(company_registered())
    await stack.legacy_event(contract_signed(insured_groups=["A", "P"]), applied_by=("identity", "portfolio", "enrollment"))
    await stack.legacy_event(member_affiliated(), applied_by=("portfolio", "enrollment"))  # Léa Durand, 73000042
    await stack.first_login(page, "entreprise", "correspondent", "C12345678", PASSWORD, SCOPE)

    groups = await page.get_by_label("Groupe d'assurés", exact=True).locator("option").all_inner_texts()
    assert [_words(group) for group in groups] == ["A – Actif", "P – Portabilité"]
    for title in ("Information", "Accès rapides", "Contact", "Ma situation change"):
        assert await page.get_by_role("region", name=title).is_visible()
    history = page.get_by_role("region", name="Historique des demandes")
    assert "Aucune opération réalisée sur les 90 derniers jours" in await history.inner_text()
    quick = page.get_by_role("region", name="Accès rapides")
    assert await quick.get_by_role("link").all_inner_texts() == ["Mon profil correspondant", "Rechercher un salarié", "Cotisations"]
    await check("accueil-vide")

    await page.get_by_label("Groupe d'assurés", exact=True).select_option(label="P – Portabilité")
    await page.get_by_role("button", name="Afficher").click()
    await page.wait_for_url("**/mbtp/entreprise/accueil?contrat=W1-000123&groupe=P")
    await quick.get_by_role("link", name="Cotisations").click()
    await page.wait_for_url("**/mbtp/entreprise/cotisations?contrat=W1-000123&groupe=P")

    await stack.nav(page, "Carte TP")
    await page.get_by_label("Numéro d'adhérent du salarié").fill("73000042")
    await page.get_by_role("button", name="Commander la carte").click()
    await page.wait_for_url(re.compile(r".*/mbtp/entreprise/mes-demandes/[0-9a-f-]{36}$"))
    request_address = page.url

    await stack.nav(page, "Accueil")
    rows = [_words(row) for row in await history.locator("tbody tr").all_inner_texts()]
    assert rows == [f"Envoi de la carte de tiers payant DURAND Léa (73000042) Transmise à la gestion {today_in_france():%d/%m/%Y}"]
    await check("accueil-historique")
    await history.locator("tbody a").click()
    await page.wait_for_url(request_address)
