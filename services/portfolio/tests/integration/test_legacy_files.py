"""A broker's Kbis served to the legacy system by the reference BrokerAddressChangeRequested carries (issue 11), on a
real Kafka and PostgreSQL: the bytes the event describes (size, type, SHA-256), to the back office's (operator)
credential alone; the gateway's refused even with the broker's own token, no credential 401; another tenant, a guessed
reference or a file gone from the store 404."""

from __future__ import annotations

import hashlib
import uuid

import httpx

from extranet_contracts.requests import PORTAL_REQUESTS, BrokerAddressChangeRequested
from extranet_plumbing.storage import LocalFolderStore
from extranet_plumbing.testing import GATEWAY_HEADERS, OPERATOR_HEADERS, read_topic

from .test_address_change import MINE, PDF, bearer, client, form, portfolio, registered  # noqa: F401 - fixtures


async def test_the_kbis_is_served_by_its_reference_to_the_back_office_alone(
    client,  # noqa: F811
    registered,  # noqa: F811
    portfolio,  # noqa: F811
    jwt_keys,
    infra,
    service_env,
    tmp_path,
):
    auth = bearer(jwt_keys, MINE)
    sent = await client.post(
        f"/internal/brokers/{MINE}/address-change", data=form(), files={"kbis": ("kbis.pdf", PDF, "application/pdf")}, headers=auth
    )
    assert sent.status_code == 202, sent.text
    [record] = await read_topic(infra.kafka_bootstrap, service_env["topic_prefix"] + PORTAL_REQUESTS, expected=1)
    kbis = BrokerAddressChangeRequested.model_validate_json(record.value).kbis
    path = f"/internal/legacy/mbtp/files/{kbis.file_id}"

    async with httpx.AsyncClient(transport=httpx.ASGITransport(portfolio.app), base_url="http://portfolio") as legacy:
        got = await legacy.get(path, headers=OPERATOR_HEADERS)
        assert got.status_code == 200, got.text
        assert (len(got.content), got.headers["content-type"], hashlib.sha256(got.content).hexdigest()) == (
            kbis.size,
            kbis.media_type,
            kbis.sha256,
        )

        assert (await legacy.get(path)).status_code == 401
        forbidden = await legacy.get(path, headers={**GATEWAY_HEADERS, **auth})  # the broker's own token, through the gateway
        assert forbidden.status_code == 403 and forbidden.json()["detail"] == "Réservé au système de gestion de la mutuelle."
        assert (await legacy.get(path.replace("/mbtp/", "/marseille/"), headers=OPERATOR_HEADERS)).status_code == 404
        assert (await legacy.get(f"/internal/legacy/mbtp/files/{uuid.uuid4()}", headers=OPERATOR_HEADERS)).status_code == 404

        # Gone from the store (the request kept): not found, never an error.
        await LocalFolderStore(tmp_path / "documents").delete("mbtp", kbis.file_id)
        assert (await legacy.get(path, headers=OPERATOR_HEADERS)).status_code == 404
