"""The tenant registry: each tenant declared once, common facts shared, a section per service."""

from __future__ import annotations

import pytest

from extranet_plumbing.tenants import UnknownTenant, load_registry, tenant


def test_every_tenant_has_its_three_portals_and_a_notifications_section():
    registry = load_registry()
    assert set(registry) >= {"mbtp", "marseille", "solimut", "mgen"}
    for entry in registry.values():
        assert set(entry.portals) == {"member", "broker", "employer"}
        assert all(url.startswith("https://") and not url.endswith("/") for url in entry.portals.values())
        assert entry.section("notifications")["sender_email"].startswith("noreply@")


def test_portal_links_are_built_from_the_one_address(tmp_path):
    assert tenant("mbtp").portal_url("broker", "activation?token=x") == "https://courtier.mutuelle-mbtp.com/activation?token=x"
    assert tenant("mbtp").portal_url("member") == "https://assure.mutuelle-mbtp.com/"
    with pytest.raises(UnknownTenant):
        tenant("nowhere")


def test_a_service_setting_outside_its_section_is_refused(tmp_path):
    path = tmp_path / "tenants.toml"
    path.write_text(
        '[x]\nname = "X"\nwebsite = "https://x.fr/"\nsender_email = "a@x.fr"\n'
        '[x.portals]\nmember = "https://x.fr/m"\nbroker = "https://x.fr/b"\nemployer = "https://x.fr/e"\n'
    )
    with pytest.raises(ValueError, match=r"\[x.<service>\]"):
        load_registry(path)
