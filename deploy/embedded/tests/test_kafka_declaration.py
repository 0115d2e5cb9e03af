"""What deploy/services.toml lets each service read is what the service reads: its declared
`consumes` and `groups` are the streams and consumer groups of the Subscriptions its bootstrap()
returns (the handler maps), and it `follows` the revoked sessions exactly when it checks tokens, so
that the ACLs and the code cannot drift apart."""

from __future__ import annotations

import pytest

from devstack import declaration
from devstack.config import find_root
from extranet_plumbing.consumer import topics_of
from extranet_plumbing.sealing import new_key_pair
from extranet_plumbing.testing import new_jwt_keys

DECLARED = declaration.load(find_root())
KAFKA_SERVICES = {p.deploy_name: p.kafka for p in DECLARED.services() if p.kafka}


def _seal_public_key(tmp_path):
    _, public = new_key_pair()
    (tmp_path / "seal-public.pem").write_bytes(public)
    return tmp_path / "seal-public.pem"


def _bootstrap(name: str, tmp_path):
    keys = new_jwt_keys(tmp_path)
    common = {
        "kafka_username": name,
        "kafka_password": "unused",
        "database_url": "postgresql://unused@127.0.0.1:1/unused",
        "gateway_credential": "unused",
    }
    if name == "identity":
        from identity.bootstrap import bootstrap
        from identity.settings import IdentitySettings

        return bootstrap(
            IdentitySettings(
                **common,
                jwt_private_key_file=keys.private_file,
                jwt_public_key_file=keys.public_file,
                notifications_seal_key_file=_seal_public_key(tmp_path),
                captcha_mode="test",
            )
        )
    if name == "portfolio":
        from portfolio.bootstrap import bootstrap
        from portfolio.settings import PortfolioSettings

        return bootstrap(PortfolioSettings(**common, jwt_public_key_file=keys.public_file))
    if name == "enrollment":
        from enrollment.bootstrap import bootstrap
        from enrollment.settings import EnrollmentSettings

        return bootstrap(
            EnrollmentSettings(**common, jwt_public_key_file=keys.public_file, notifications_seal_key_file=_seal_public_key(tmp_path))
        )
    if name == "claims":
        from claims.bootstrap import bootstrap
        from claims.settings import ClaimsSettings

        return bootstrap(ClaimsSettings(**common, jwt_public_key_file=keys.public_file))
    if name == "notifications":
        from notifications.bootstrap import bootstrap
        from notifications.settings import NotificationsSettings

        return bootstrap(NotificationsSettings(**common, jwt_public_key_file=keys.public_file))
    if name == "gateway":
        from gateway.bootstrap import bootstrap
        from gateway.settings import GatewaySettings

        return bootstrap(GatewaySettings(**common, jwt_public_key_file=keys.public_file))
    raise AssertionError(f"{name} declares Kafka access in deploy/services.toml: add its bootstrap here")


def test_the_services_using_kafka_are_known():
    assert set(KAFKA_SERVICES) == {"identity", "portfolio", "enrollment", "claims", "notifications", "gateway"}


@pytest.mark.parametrize("name", sorted(KAFKA_SERVICES))
def test_declared_consumes_are_the_handler_maps_streams(name, tmp_path):
    service = _bootstrap(name, tmp_path)
    access = KAFKA_SERVICES[name]
    streams = sorted({t for s in service.subscriptions for t in topics_of(s.handlers, service.settings)})
    assert service.settings.topic_prefix == ""
    assert sorted(access.consumes) == streams, f"deploy/services.toml: {name}'s kafka.consumes"
    assert sorted(access.groups) == sorted({s.group for s in service.subscriptions}), f"deploy/services.toml: {name}'s kafka.groups"
    if service.uses_kafka and not service.subscriptions:
        assert access.produces, f"{name} relays an outbox: it must produce something"
    followed = [service.revocation_follower.topic] if service.revocation_follower else []
    assert sorted(access.follows) == followed, f"deploy/services.toml: {name}'s kafka.follows"


def test_every_service_that_checks_tokens_follows_the_revoked_sessions_which_identity_publishes():
    identity = KAFKA_SERVICES["identity"]
    assert "identity.sessions" in identity.produces
    assert DECLARED.retention_ms["identity.sessions"] <= 24 * 3600 * 1000  # read whole at every start


def test_each_service_using_kafka_connects_as_its_principal(tmp_path):
    for process in DECLARED.services():
        if process.kafka:
            assert process.env.get("EXTRANET_KAFKA_USERNAME") == "{kafka.username}", process.name
            assert process.env.get("EXTRANET_KAFKA_PASSWORD") == "{kafka.password}", process.name
