"""The employer portal's navigation as guide 003 groups it (« Accueil | Gestion administrative ▾ | Gestion des
effectifs ▾ | Documents ▾ | Suivi ▾ »): one row on a computer and on a tablet, each group opened and left by the keyboard alone
(Enter, Tab, Escape), the page shown marked in its group, and the groups usable without JavaScript."""

from __future__ import annotations

from extranet_contracts.testing import company_registered, contract_signed

PASSWORD = "Entreprise-Menus-2026!"
SCOPE = {"company_code": "12345678", "contracts": "all", "primary": True}
GROUPS = {
    "Gestion administrative": ["Fiche entreprise", "Cotisations", "Mes correspondants"],
    "Gestion des effectifs": [
        "Rechercher un salarié",
        "Affilier un salarié",
        "Affiliation en ligne",
        "Radier un salarié",
        "Carte TP",
        "Ajouter un bénéficiaire",
    ],
    "Documents": ["Mes documents"],
    "Suivi": ["Historique des demandes"],
}


async def _rows(nav) -> int:
    """How many rows the navigation's top entries take (their distinct tops)."""
    tops = await nav.locator(".nav-menu > li").evaluate_all("items => items.map(item => Math.round(item.getBoundingClientRect().top))")
    return len(set(tops))


async def test_the_employer_navigation_is_grouped_and_usable_by_keyboard(stack, page, check, without_javascript):
    await stack.legacy_event(company_registered(), applied_by=("portfolio",))
    await stack.legacy_event(contract_signed(), applied_by=("portfolio",))
    await stack.first_login(page, "entreprise", "correspondent", "C12345678", PASSWORD, SCOPE)
    nav = page.get_by_role("navigation", name="Navigation principale")

    # The guide's rubrics, in one row (a computer and a tablet alike), the groups closed
    tops = [" ".join(text.split()) for text in await nav.locator(".nav-menu > li > a, .nav-menu > li summary").all_inner_texts()]
    assert tops == ["Accueil", *GROUPS]
    assert await _rows(nav) == 1
    assert (await nav.bounding_box())["height"] < 60
    for label in GROUPS:
        assert await nav.get_by_role("link", name=GROUPS[label][0]).count() == 0  # hidden until opened
    await check("accueil-menus-fermes")

    # By the keyboard: Tab reaches the group, Enter opens it, Tab walks its entries, Escape closes it back on the group
    summary = nav.locator("summary", has_text="Gestion des effectifs")
    await nav.get_by_role("link", name="Accueil").focus()
    await page.keyboard.press("Tab")
    await page.keyboard.press("Tab")
    assert await summary.evaluate("element => element === document.activeElement")
    await page.keyboard.press("Enter")
    links = [" ".join(text.split()) for text in await nav.locator("details[open] .nav-sub a").all_inner_texts()]
    assert links == GROUPS["Gestion des effectifs"]
    group_box, list_box = await summary.bounding_box(), await nav.locator("details[open] .nav-sub").bounding_box()
    assert list_box["y"] >= group_box["y"] + group_box["height"] - 1  # drops under its group
    assert list_box["x"] + list_box["width"] <= page.viewport_size["width"]  # within the screen
    await check("menu-gestion-des-effectifs")
    await page.keyboard.press("Tab")
    assert await page.evaluate("document.activeElement.textContent") == "Rechercher un salarié"
    await page.keyboard.press("Escape")
    assert await nav.locator("details[open]").count() == 0
    assert await summary.evaluate("element => element === document.activeElement")

    # One group open at a time; the focus leaving a group closes it
    await page.keyboard.press("Enter")
    await nav.locator("summary", has_text="Gestion administrative").click()
    assert await nav.locator("details[open] summary").all_inner_texts() == ["Gestion administrative"]
    await nav.locator("summary", has_text="Suivi").focus()
    assert await nav.locator("details[open]").count() == 0

    # Following an entry: the page is marked in its group, which says it holds the page shown
    await nav.locator("summary", has_text="Gestion administrative").focus()
    await page.keyboard.press("Enter")
    await page.keyboard.press("Tab")
    await page.keyboard.press("Tab")
    await page.keyboard.press("Enter")  # « Cotisations »
    await page.wait_for_url("**/mbtp/entreprise/cotisations")
    current = nav.locator(".nav-group.current summary")
    assert " ".join((await current.text_content()).split()) == "Gestion administrative (rubrique de la page affichée)"
    await current.click()
    assert await nav.get_by_role("link", name="Cotisations").get_attribute("aria-current") == "page"
    assert await _rows(nav) == 1
    await check("cotisations-menu-ouvert")
    await page.keyboard.press("Escape")

    # Without JavaScript, the groups open all the same (the same session)
    async with without_javascript() as plain:
        await plain.goto(stack.portal("mbtp", "entreprise", "/accueil"))
        plain_nav = plain.get_by_role("navigation", name="Navigation principale")
        await plain_nav.locator("summary", has_text="Suivi").click()
        await plain_nav.get_by_role("link", name="Historique des demandes").click()
        await plain.wait_for_url("**/mbtp/entreprise/mes-demandes")
        assert await _rows(plain_nav) == 1


MEMBER = "73000078"
MEMBER_PASSWORD = "Adherent-Menus-2026!"
MEMBER_TOPS = ["Accueil", "Contrat", "Mes remboursements", "Services en ligne", "Aide"]
MEMBER_GROUPS = {
    "Contrat": ["Mon contrat", "Bénéficiaires", "Mes préférences"],
    "Services en ligne": ["Faire une demande", "Mes demandes"],
    "Aide": ["FAQ", "Contact"],
}


async def test_the_member_navigation_is_grouped_as_guide_004_and_usable_by_keyboard(stack, page, check):
    """Guide 004's pages in its order (Contrat with « Les bénéficiaires de votre contrat » and the choices of mailings,
    Remboursements, Services en ligne with the requests made), the help last: nine entries in one row on a computer
    and on a tablet."""
    await stack.first_login(page, "adherent", "member", MEMBER, MEMBER_PASSWORD, {"member_number": MEMBER})
    nav = page.get_by_role("navigation", name="Navigation principale")
    tops = [" ".join(text.split()) for text in await nav.locator(".nav-menu > li > a, .nav-menu > li summary").all_inner_texts()]
    assert tops == MEMBER_TOPS
    assert await _rows(nav) == 1
    assert (await nav.bounding_box())["height"] < 60
    await check("adherent-accueil-menus-fermes")

    for label, entries in MEMBER_GROUPS.items():
        summary = nav.locator("summary", has_text=label)
        await summary.focus()
        await page.keyboard.press("Enter")
        assert [" ".join(text.split()) for text in await nav.locator("details[open] .nav-sub a").all_inner_texts()] == entries
        group_box, list_box = await summary.bounding_box(), await nav.locator("details[open] .nav-sub").bounding_box()
        assert list_box["y"] >= group_box["y"] + group_box["height"] - 1
        assert 0 <= list_box["x"] and list_box["x"] + list_box["width"] <= page.viewport_size["width"]
        await page.keyboard.press("Tab")
        assert await page.evaluate("document.activeElement.textContent") == entries[0]
        await page.keyboard.press("Escape")
        assert await nav.locator("details[open]").count() == 0
        assert await summary.evaluate("element => element === document.activeElement")

    # The last group opened by the keyboard, its last entry followed: the page is marked in its group
    await page.keyboard.press("Enter")
    await page.keyboard.press("Tab")
    await page.keyboard.press("Tab")
    await page.keyboard.press("Enter")  # « Contact »
    await page.wait_for_url("**/mbtp/adherent/contact")
    current = nav.locator(".nav-group.current summary")
    assert " ".join((await current.text_content()).split()) == "Aide (rubrique de la page affichée)"
    await current.click()
    assert await nav.get_by_role("link", name="Contact", exact=True).get_attribute("aria-current") == "page"
    await check("adherent-contact-menu-ouvert")
    await page.keyboard.press("Escape")

    await stack.nav(page, "Faire une demande")
    await page.wait_for_url("**/mbtp/adherent/services-en-ligne")
    await check("adherent-services-en-ligne")
    assert await _rows(nav) == 1
