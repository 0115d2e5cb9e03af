"""Every Kafka client's connection comes from one place (extranet_plumbing.kafka.client_kwargs and
broker_security) and the settings `EXTRANET_KAFKA_*`: SASL/SCRAM by default, a clear error without
a principal, the password never shown."""

from __future__ import annotations

import pytest
from faststream.security import SASLScram512

from extranet_plumbing.kafka import KafkaConfigError, broker_security, client_kwargs
from extranet_plumbing.settings import KafkaSettings, ServiceSettings


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch):
    for name in ("EXTRANET_KAFKA_BOOTSTRAP", "EXTRANET_KAFKA_USERNAME", "EXTRANET_KAFKA_PASSWORD", "EXTRANET_KAFKA_SECURITY_PROTOCOL"):
        monkeypatch.delenv(name, raising=False)


def test_sasl_scram_from_the_environment(monkeypatch):
    monkeypatch.setenv("EXTRANET_KAFKA_BOOTSTRAP", "kafka:9092")
    monkeypatch.setenv("EXTRANET_KAFKA_USERNAME", "portfolio")
    monkeypatch.setenv("EXTRANET_KAFKA_PASSWORD", "s3cret-value")
    settings = ServiceSettings()
    assert client_kwargs(settings) == {
        "bootstrap_servers": "kafka:9092",
        "security_protocol": "SASL_PLAINTEXT",
        "sasl_mechanism": "SCRAM-SHA-512",
        "sasl_plain_username": "portfolio",
        "sasl_plain_password": "s3cret-value",
    }
    security = broker_security(settings)
    assert isinstance(security, SASLScram512) and not security.use_ssl
    assert "s3cret-value" not in repr(settings) and "s3cret-value" not in str(settings.model_dump())
    # A bare address takes the environment's principal.
    assert client_kwargs("other:9092")["sasl_plain_username"] == "portfolio"


def test_no_principal_is_a_clear_error():
    with pytest.raises(KafkaConfigError, match="EXTRANET_KAFKA_USERNAME"):
        client_kwargs(KafkaSettings())
    with pytest.raises(KafkaConfigError, match="EXTRANET_KAFKA_USERNAME"):
        broker_security(KafkaSettings(kafka_username="portfolio"))


def test_plaintext_only_when_asked_for():
    settings = KafkaSettings(kafka_security_protocol="PLAINTEXT")
    assert client_kwargs(settings) == {"bootstrap_servers": "127.0.0.1:9092", "security_protocol": "PLAINTEXT"}
    assert broker_security(settings) is None
    tls = client_kwargs(KafkaSettings(kafka_security_protocol="SASL_SSL", kafka_username="a", kafka_password="b"))
    assert tls["security_protocol"] == "SASL_SSL" and tls["ssl_context"] is not None
