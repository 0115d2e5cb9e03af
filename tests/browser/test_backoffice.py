"""The back office (espace gestion): a member writes to the mutuelle and adds a beneficiary in the member portal;
the simulated management system leaves both to an advisor; an operator (an account made by
`identity-admin create-operator`) logs in, filters the requests waiting for an advisor by type and portal,
opens each (what is asked shown in French, the NIR masked), refuses the message (the reason required, said next to its
field) and accepts the beneficiary; the management system applies the decisions, and the member reads
them in « Mes demandes », and what they asked on the request's own page."""

from __future__ import annotations

import asyncio
import re
import time
from datetime import timedelta

from extranet_contracts.calendar import today_in_france

MEMBER = "73000088"
PASSWORD = "Gestion-Conseil-2026!"
ANNE_NIR = "287027800608489"  # a woman born in February 1987
REASON = "Merci de nous appeler : votre dossier nécessite un échange avec un conseiller."


def _words(text: str) -> str:
    return " ".join(text.split())


async def _reload_until(page, text: str, where, timeout: float = 30) -> None:
    """Reload the page until `where` (a locator) says `text`: what the management system publishes takes a moment."""
    deadline = time.monotonic() + timeout
    while text not in _words(await where.inner_text()):
        assert time.monotonic() < deadline, f"never shown: {text}"
        await asyncio.sleep(0.3)
        await page.reload()


async def _member_requests(stack, page) -> None:
    """The member's two requests, made in the member portal."""
    await stack.first_login(page, "adherent", "member", MEMBER, PASSWORD, {"member_number": MEMBER})
    await page.goto(stack.portal("mbtp", "adherent", "/ecrivez-nous"))
    await page.get_by_label("Sujet").select_option(label="Un document")
    await page.get_by_label("Votre message").fill("Bonjour, pouvez-vous m'envoyer une attestation de mutuelle pour 2026 ?")
    await page.get_by_label("Adresse e-mail pour vous répondre").fill("m.bernard@exemple.fr")
    await page.get_by_role("button", name="Envoyer").click()
    await page.wait_for_url(re.compile(r".*/mes-demandes/[0-9a-f-]{36}$"))
    await page.goto(stack.portal("mbtp", "adherent", "/beneficiaires/ajouter"))
    await page.get_by_label("Conjoint").check()
    await page.get_by_label("Madame").check()
    await page.locator("#last_name").fill("Bernard")
    await page.get_by_label("Prénom").fill("Anne")
    await page.get_by_label("Date de naissance").fill("03/02/1987")
    await page.get_by_label("N° de sécurité sociale").fill(ANNE_NIR)
    await page.get_by_label("Date d'effet").fill(f"{today_in_france() + timedelta(days=10):%d/%m/%Y}")
    await page.get_by_role("button", name="Envoyer la demande").click()
    await page.wait_for_url(re.compile(r".*/mes-demandes/[0-9a-f-]{36}$"))


async def test_an_operator_decides_the_requests_left_to_an_advisor(stack, browser, page, check, legacy_system):
    member_context = await browser.new_context(viewport=page.viewport_size, locale="fr-FR", timezone_id="Europe/Paris")
    member = await member_context.new_page()
    async with legacy_system("advisor"):  # the simulated management system: every request left to an advisor
        await _member_requests(stack, member)

        # The operator logs in on the back office: its home lists what waits for an advisor
        await stack.first_login(page, "gestion", "operator", "j.conseil", PASSWORD, {"operator": True})
        assert await page.title() == "Demandes à décider – Espace gestion MBTP"
        rows = page.locator("#demandes tbody tr")
        await _reload_until(page, "2 demandes", page.locator("#list-title"))
        assert [_words(row).count("À décider") for row in await rows.all_inner_texts()] == [1, 1]
        await check("a-decider")

        # Filtered by type and portal: the message
        await page.get_by_label("Type de demande").select_option(label="Message à la mutuelle")
        await page.get_by_label("Portail").select_option(label="Adhérent")
        await page.get_by_role("button", name="Afficher").click()
        assert "type=message" in page.url and "portail=member" in page.url
        assert await rows.count() == 1
        row = _words(await rows.first.inner_text())
        assert row.startswith(f"Message à la mutuelle Adhérent {MEMBER} Un document {today_in_france():%d/%m/%Y} Transmise à la gestion"), (
            row
        )
        await check("filtre-message")
        await page.get_by_label("Année").select_option(str(today_in_france().year - 1))
        await page.get_by_role("button", name="Afficher").click()
        assert await page.locator("#demandes tbody").inner_text() == "Aucune demande ne correspond à ces critères."
        await page.get_by_label("Année").select_option(str(today_in_france().year))
        await page.get_by_role("button", name="Afficher").click()

        # The message, read in French, refused: the reason is required
        await page.get_by_role("link", name="Message à la mutuelle").click()
        asked = _words(await page.get_by_role("region", name="Ce qui est demandé").locator("dl").first.inner_text())
        assert asked == (
            f"Numéro d'adhérent {MEMBER} Sujet Un document "
            "Message Bonjour, pouvez-vous m'envoyer une attestation de mutuelle pour 2026 ? "
            "Adresse e-mail de réponse m.bernard@exemple.fr"
        )
        assert "Numéro d'adhérent 73000088" in _words(await page.get_by_role("region", name="La demande").inner_text())
        await check("message")
        await page.get_by_label("Refuser la demande").check()
        await page.get_by_role("button", name="Valider la décision").click()
        assert await page.locator("#reason-error").inner_text() == "Indiquez le motif du refus : il sera communiqué au demandeur."
        await check("message-motif-manquant")
        await page.get_by_label("Motif du refus").fill(REASON)
        await page.get_by_role("button", name="Valider la décision").click()
        assert "transmise au service gestion" in await page.get_by_role("status").inner_text()
        assert await page.get_by_role("button", name="Valider la décision").count() == 0  # decided once
        summary = page.get_by_role("region", name="La demande")
        await _reload_until(page, "Refusée", summary)
        assert REASON in _words(await summary.inner_text())
        history = [_words(row) for row in await page.locator("#historique tbody tr").all_inner_texts()]
        assert [step.split(" ", 6)[-1] for step in history][-2:] == [
            f"Conseiller Transmise à la gestion Refus du conseiller : {REASON}",
            f"Service gestion Refusée {REASON}",
        ]
        await check("message-refuse")

        # The beneficiary, found among those waiting, accepted
        await page.get_by_role("navigation", name="Navigation principale").get_by_role("link", name="À décider").click()
        await _reload_until(page, "1 demande", page.locator("#list-title"))
        await page.get_by_role("link", name="Ajout d'un bénéficiaire").click()
        asked = _words(await page.get_by_role("region", name="Ce qui est demandé").locator("dl").first.inner_text())
        effective = today_in_france() + timedelta(days=10)
        assert asked == (
            f"Numéro d'adhérent {MEMBER} Date d'effet {effective:%d/%m/%Y} Bénéficiaire Qualité Conjoint Civilité Madame "
            "Nom Bernard Prénom Anne Date de naissance 03/02/1987 N° de sécurité sociale 2 87 02 ** *** *** 89"
        )
        assert ANNE_NIR not in await page.content()  # never whole in a page
        await check("beneficiaire")
        await page.get_by_label("Accepter la demande").check()
        await page.get_by_role("button", name="Valider la décision").click()
        await _reload_until(page, "Acceptée", page.get_by_role("region", name="La demande"))
        await check("beneficiaire-accepte")

    # The member reads both decisions in « Mes demandes »
    await member.goto(stack.portal("mbtp", "adherent", "/mes-demandes"))
    rows = [_words(row) for row in await member.locator("#demandes tbody tr").all_inner_texts()]
    assert rows[0].startswith("Ajout d'un bénéficiaire BERNARD Anne") and "Acceptée" in rows[0], rows
    assert rows[1].startswith("Message à la mutuelle Un document") and "Refusée" in rows[1] and REASON in rows[1], rows
    check.page = member
    await check("adherent-mes-demandes")
    # The member's own request: what was asked, in French, the NIR masked
    await member.get_by_role("link", name="Ajout d'un bénéficiaire").click()
    asked = _words(await member.get_by_role("region", name="Ce que vous avez demandé").inner_text())
    assert asked == (
        f"Ce que vous avez demandé Numéro d'adhérent {MEMBER} Date d'effet {effective:%d/%m/%Y} Bénéficiaire Qualité Conjoint "
        "Civilité Madame Nom Bernard Prénom Anne Date de naissance 03/02/1987 N° de sécurité sociale 2 87 02 ** *** *** 89"
    )
    assert ANNE_NIR not in await member.content()
    await check("adherent-demande-beneficiaire")
    await member_context.close()
