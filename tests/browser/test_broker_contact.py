"""A broker changes the office's contact in the broker portal (guide 000 §2.4, « Modifier mes points de contact »):
from « Mon compte », the form filled with the contact the legacy system has; two different emails are refused next to
the confirmation; the change sent, the simulated legacy system accepts it and « Mon compte » shows the new contact;
« Mes demandes » lists it accepted (issue 11)."""

from __future__ import annotations

from extranet_contracts.testing import broker_registered

BROKER = broker_registered(broker_code="M24691", email="claire.martin@cabinet-martin.fr", phone="04 78 12 34 56")
PASSWORD = "Courtier-Neuf-2026!"


def _words(text: str) -> str:
    return " ".join(text.split())


async def test_a_broker_changes_the_offices_contact_and_the_legacy_system_applies_it(stack, page, check, legacy_system):
    await stack.legacy_event(BROKER, applied_by=("identity", "portfolio"))
    await stack.first_login(page, "courtier", "broker", "M24691", PASSWORD, {"broker_code": "M24691"})

    await page.goto(stack.portal("mbtp", "courtier", "/mon-compte"))
    await page.get_by_role("link", name="Modifier mes points de contact").click()
    await page.wait_for_url("**/mbtp/courtier/mon-compte/points-de-contact")
    assert await page.locator("#contact_last_name").input_value() == "Martin"
    assert "Adresse e-mail actuelle : claire.martin@cabinet-martin.fr" in _words(await page.locator("main").inner_text())
    contact = page.get_by_role("group", name="Personne à contacter")
    await contact.get_by_role("textbox", name="Nom", exact=True).fill("Durand")
    await contact.get_by_role("textbox", name="Prénom", exact=True).fill("Sophie")
    await page.get_by_role("textbox", name="Nouvelle adresse e-mail", exact=True).fill("sophie.durand@cabinet-martin.fr")
    await page.get_by_label("Confirmation nouvelle adresse e-mail").fill("sophie.durand@cabinet-martin.com")
    await page.get_by_label("Numéro de téléphone").fill("04 72 10 20 30")
    await page.get_by_role("button", name="Confirmer").click()
    assert await page.locator("#email_confirmation-error").inner_text() == "Les deux adresses e-mail ne sont pas identiques."
    await check("points-de-contact-refuse")

    await page.get_by_label("Confirmation nouvelle adresse e-mail").fill("sophie.durand@cabinet-martin.fr")
    async with legacy_system("accept"):
        await page.get_by_role("button", name="Confirmer").click()
        await page.wait_for_url("**/mbtp/courtier/mon-compte")
        assert "Suivez-la dans « Mes demandes »" in await page.get_by_role("status").first.inner_text()
        for _ in range(60):
            office = _words(await page.locator("main").inner_text())
            if "Sophie Durand" in office:
                break
            await page.wait_for_timeout(500)
            await page.reload()
    assert "Sophie Durand" in office and "sophie.durand@cabinet-martin.fr" in office and "04 72 10 20 30" in office
    await check("points-de-contact-applique")

    await page.goto(stack.portal("mbtp", "courtier", "/mes-demandes"))
    listed = _words(await page.locator("main").inner_text())
    assert "Changement des points de contact du cabinet" in listed and "Acceptée" in listed
