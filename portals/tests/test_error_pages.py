"""What the portals process answers outside a portal (an unknown address, a wrong method): a problem document in
French (the title by status, no English phrase as its detail); inside a portal, the French error page."""

from __future__ import annotations

import httpx


async def test_outside_a_portal_a_french_problem_inside_the_french_page(portals_behind):
    service = await portals_behind(lambda request: httpx.Response(404, json={"status": 404}))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(service.app), base_url="http://portail") as client:
        outside = await client.get("/nulle-part")
        inside = await client.get("/mbtp/courtier/nulle-part")
    assert outside.status_code == 404 and outside.headers["content-type"] == "application/problem+json"
    assert outside.json() == {"type": "about:blank", "title": "Ressource introuvable", "status": 404}
    assert inside.status_code == 404 and inside.headers["content-type"].startswith("text/html")
    assert "Page introuvable" in inside.text and "Espace courtier" in inside.text
