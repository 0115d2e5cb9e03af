"""The gateway sends its credential on every call to a service (the services believe the tenant
and the client's address from it alone), and refuses to start without one."""

from __future__ import annotations

import httpx
import pytest

from gateway.bootstrap import bootstrap
from gateway.settings import GatewaySettings

from .conftest import GATEWAY_CREDENTIAL


async def test_every_call_to_a_service_carries_the_gateways_credential(gateway, keys):
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.url.path.endswith("/dashboard"):
            return httpx.Response(403, json={"detail": "non"})
        return httpx.Response(200, json={"portal": "broker", "text": "Votre code courtier"})

    async with gateway(identity=answer, portfolio=answer) as client:
        assert (await client.get("/api/auth/identifier-help", params={"portal": "broker"})).status_code == 200
        await client.get("/api/broker/dashboard", headers={"authorization": f"Bearer {keys.token()}"})
    assert len(seen) == 2
    assert all(request.headers["x-service-credential"] == GATEWAY_CREDENTIAL for request in seen)


def test_the_gateway_does_not_start_without_its_credential(keys):
    with pytest.raises(RuntimeError, match="EXTRANET_GATEWAY_CREDENTIAL"):
        bootstrap(GatewaySettings(session_revocations=False), verifier=keys.verifier)
