"""The tenant's content through the claims service: news of the day, FAQ, contact, legal notices; each
member reads their own tenant's, and only as a member."""

from __future__ import annotations

import httpx
import pytest

from extranet_plumbing.testing import GATEWAY_HEADERS

MINE = "73000042"


@pytest.fixture
async def client(claims_on_23_november):
    app = claims_on_23_november.app
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://claims", headers=GATEWAY_HEADERS) as c:
        yield c


async def test_the_news_of_the_day_the_faq_the_contact_and_the_legal_notices(client, bearer):
    base = f"/internal/members/{MINE}/content"
    news = (await client.get(f"{base}/news", headers=bearer())).json()["items"]
    # MBTP's files: the flu campaign ended on 31 January 2026, the other two are shown, newest first.
    assert [n["published_on"] for n in news] == ["2026-10-01", "2026-06-15"] and "Vos relevés" in news[0]["title"]
    faq = (await client.get(f"{base}/faq", headers=bearer())).json()["items"]
    assert faq[0]["question"] == "Comment lire le détail de mon remboursement ?" and len(faq) == 6
    contact = (await client.get(f"{base}/contact", headers=bearer())).json()
    assert contact["email"] == "contact@mutuelle-mbtp.com" and contact["postal_address"][-1] == "69007 Lyon"
    legal = (await client.get(f"{base}/legal-notices", headers=bearer())).json()["paragraphs"]
    assert legal[0].startswith("MBTP SE") and any("protection des données" in p for p in legal)

    solimut = (await client.get(f"{base}/contact", headers=bearer(tenant="solimut"))).json()
    assert solimut["email"] == "contact@solimut-mutuelle.fr"


async def test_only_a_member_of_the_household_reads_it(client, bearer):
    for part in ("news", "faq", "contact", "legal-notices"):
        assert (await client.get(f"/internal/members/{MINE}/content/{part}")).status_code == 401
        assert (await client.get(f"/internal/members/73000043/content/{part}", headers=bearer())).status_code == 403
        broker = bearer(kind="broker", scope={"broker_code": "M12345"})
        assert (await client.get(f"/internal/members/{MINE}/content/{part}", headers=broker)).status_code == 403
