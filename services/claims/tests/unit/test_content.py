"""The tenants' content files: every tenant of the registry has them and they read; an edit shows at once."""

from __future__ import annotations

import os
from datetime import date

import pytest

from claims.adapters.content import ContentError, TenantContent
from extranet_plumbing.tenants import load_registry


@pytest.mark.parametrize("tenant", sorted(load_registry()))
def test_every_tenant_has_content_that_reads(tenant):
    content = TenantContent()
    assert content.news(tenant) and content.faq(tenant) and content.legal_notices(tenant)
    contact = content.contact(tenant)
    assert contact.email and contact.phone and contact.postal_address
    assert all(item.until is None or item.published_on <= item.until for item in content.news(tenant))


def test_an_edit_shows_at_the_next_read_and_a_broken_file_is_refused(tmp_path):
    (tmp_path / "mbtp").mkdir()
    news = tmp_path / "mbtp" / "news.toml"
    news.write_text('[[news]]\ntitle = "Une"\npublished_on = 2026-01-01\nbody = "Texte"\n', encoding="utf-8")
    content = TenantContent(tmp_path)
    assert [n.title for n in content.news("mbtp")] == ["Une"]
    news.write_text('[[news]]\ntitle = "Deux"\npublished_on = 2026-02-01\nbody = "Autre"\n', encoding="utf-8")
    os.utime(news, ns=(1, 2_000_000_000_000_000_000))  # a new modification time, whatever the clock's resolution
    assert [(n.title, n.published_on) for n in content.news("mbtp")] == [("Deux", date(2026, 2, 1))]
    assert content.faq("mbtp") == [] and content.contact("mbtp").email is None and content.legal_notices("unknown") == []
    (tmp_path / "mbtp" / "faq.toml").write_text('[[faq]]\nquestion = "Sans réponse ?"\n', encoding="utf-8")
    with pytest.raises(ContentError) as refused:
        content.faq("mbtp")
    assert "faq.toml" in str(refused.value)
    assert content.news("../mbtp") == []  # never a path outside the content folder
