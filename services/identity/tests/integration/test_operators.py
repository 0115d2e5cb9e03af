"""Back-office operator accounts, created by the operator command, log in on the back-office portal."""

from __future__ import annotations

from extranet_plumbing.auth import TokenVerifier
from identity.entrypoints.admin import set_login


async def test_an_operator_created_by_command_logs_in_on_the_backoffice_portal(identity, service_env, jwt_keys):
    settings = identity.service.settings
    await set_login(
        settings,
        tenant="mbtp",
        kind="operator",
        identifier="jdupont",
        password="Gestion-2026!x",
        email="j.dupont@mutuelle-mbtp.com",
        scope={"operator": True},
    )
    login = await identity.post("/public/auth/login", {"portal": "backoffice", "identifier": "jdupont", "password": "Gestion-2026!x"})
    assert login.status_code == 200, login.text
    principal = TokenVerifier(jwt_keys.public_pem).verify(login.json()["access_token"])
    assert principal.kind == "operator" and principal.tenant == "mbtp" and principal.scope == {"operator": True}
    elsewhere = await identity.post("/public/auth/login", {"portal": "broker", "identifier": "jdupont", "password": "Gestion-2026!x"})
    assert elsewhere.status_code == 401  # an operator is not a broker
