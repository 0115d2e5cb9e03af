"""Each tenant's portal looks like its own and follows its rules (tenant registry), French pages for
what does not exist, and a clear page when the gateway cannot be reached."""

from __future__ import annotations


async def test_each_tenants_portal_has_its_look_and_its_rules(portals_alone, page, check):
    await page.goto(f"{portals_alone}/mgen/entreprise/connexion")
    assert await page.locator(".logo-text").inner_text() == "MGEN"
    assert await page.locator(".site-header").evaluate("e => getComputedStyle(e).backgroundColor") == "rgb(0, 112, 74)"  # #00704a
    assert "entreprises@mgen.fr" in await page.locator(".site-footer").inner_text()
    assert (await page.locator("#password-rules").inner_text()).count("12 caractères au minimum") == 1
    await check("mgen-entreprise")

    # Solimut's members log in with the mutuelle's number, their email and the password (guide 004).
    await page.goto(f"{portals_alone}/solimut/adherent/connexion")
    assert await page.get_by_role("textbox", name="Adresse mail").is_visible()
    await check("solimut-adherent")
    await page.goto(f"{portals_alone}/mbtp/adherent/connexion")
    assert await page.get_by_role("textbox", name="Adresse mail").count() == 0

    # Mutuelle de Marseille activates by an emailed link (guide 002), not by a code: only that form is offered.
    await page.goto(f"{portals_alone}/marseille/adherent/premiere-connexion")
    offered = await page.locator(".choices a").all_inner_texts()
    assert offered == ["Je souhaite créer mon espace personnel"]
    await page.goto(f"{portals_alone}/solimut/adherent/premiere-connexion")
    assert await page.locator(".choices a").all_inner_texts() == ["C'est votre première connexion ou vous avez oublié votre mot de passe ?"]
    await page.get_by_role("link", name="C'est votre première connexion").click()
    assert await page.get_by_role("textbox", name="Numéro de contrat").is_visible()
    await check("solimut-premiere-connexion")
    response = await page.goto(f"{portals_alone}/marseille/adherent/premiere-connexion/identifiant")
    assert response.status == 404 and await page.locator("h1").inner_text() == "Page introuvable"
    await check("page-introuvable")
    assert (await page.goto(f"{portals_alone}/mbtp/courtier/premiere-connexion")).status == 404  # members only


async def test_a_gateway_that_does_not_answer_gives_a_page_that_says_so(portals_alone, page, check):
    await page.goto(f"{portals_alone}/mbtp/courtier/connexion")
    await page.locator("#identifier").fill("M12345")
    await page.locator("#password").fill("Courtier-Demo-2026")
    await page.get_by_role("button", name="Je me connecte").click()
    assert await page.locator("h1").inner_text() == "Service momentanément indisponible"
    await check("service-indisponible")
