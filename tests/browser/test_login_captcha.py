"""Failed logins from one browser: the gateway counts them by the browser's address (which the
portals pass on), and past the tenant's threshold the login page shows the anti-robot check."""

from __future__ import annotations

from identity.entrypoints.admin import set_login

PASSWORD = "Courtier-Captcha-2026!"


async def test_after_repeated_failures_the_login_asks_for_the_anti_robot_check(stack, page, check):
    await set_login(
        stack.identity_settings, tenant="mbtp", kind="broker", identifier="M11223", password=PASSWORD, scope={"broker_code": "M11223"}
    )
    await page.goto(stack.portal("mbtp", "courtier", "/connexion"))
    assert await page.locator(".captcha").count() == 0
    for attempt in range(4):
        await page.locator("#identifier").fill(f"M9999{attempt}")
        await page.locator("#password").fill("Pas-le-bon-2026!")
        await page.get_by_role("button", name="Je me connecte").click()
    assert await page.locator(".captcha").count() == 1
    await check("connexion-verification")
    await page.locator("#identifier").fill("M11223")
    await page.locator("#password").fill(PASSWORD)
    await page.get_by_role("button", name="Je me connecte").click()  # the check not done: refused
    assert await page.locator("#captcha-error").is_visible()
    await page.locator("#password").fill(PASSWORD)
    await page.get_by_role("button", name="Cliquez ici pour vérifier").click()
    await page.get_by_role("button", name="Je me connecte").click()
    await page.wait_for_url("**/mbtp/courtier/cgu")
