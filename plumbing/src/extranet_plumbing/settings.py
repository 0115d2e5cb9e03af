"""Settings read from the environment (prefix `EXTRANET_`), common to every service."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Literal, TypeVar

from pydantic import Field, SecretStr, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict, SettingsError

B = TypeVar("B", bound=BaseSettings)


class InvalidSettings(SystemExit):
    """A process's configuration could not be read: its message names the variables at fault and why, never their
    values (one may be a password or a key put in the wrong variable); exits with status 2."""

    def __init__(self, message: str) -> None:
        super().__init__(2)
        self.message = message


def read_settings(settings_class: type[B]) -> B:
    """`settings_class()` from the environment; on a value it refuses, `InvalidSettings` (printed on stderr, status 2)
    instead of pydantic's error, which quotes the value read."""
    try:
        return settings_class()
    except ValidationError as exc:
        prefix = str(settings_class.model_config.get("env_prefix") or "")
        faults = [
            f"{prefix}{str(error['loc'][0]).upper() if error['loc'] else '?'}: {error['msg']}"
            for error in exc.errors(include_url=False, include_input=False, include_context=False)
        ]
    except SettingsError as exc:  # a list or mapping that is not JSON: its message names the field, not the value
        faults = [str(exc).split(" from source", 1)[0]]
    message = f"invalid configuration of {settings_class.__name__}: " + "; ".join(faults)
    print(message, file=sys.stderr)
    raise InvalidSettings(message) from None


class KafkaSettings(BaseSettings):
    """How to reach Kafka and who to be there: every client of the platform (services, commands,
    tests) takes these from `EXTRANET_KAFKA_*`; `extranet_plumbing.kafka.client_kwargs` turns them
    into the clients' arguments. The broker authenticates every client (SASL/SCRAM) and lets each
    principal at its own topics only (deploy/services.toml)."""

    model_config = SettingsConfigDict(env_prefix="EXTRANET_", extra="ignore")

    kafka_bootstrap: str = "127.0.0.1:9092"
    kafka_security_protocol: Literal["SASL_PLAINTEXT", "SASL_SSL", "PLAINTEXT"] = "SASL_PLAINTEXT"
    kafka_sasl_mechanism: Literal["SCRAM-SHA-512", "SCRAM-SHA-256"] = "SCRAM-SHA-512"
    kafka_username: str | None = Field(default=None, description="The client's principal (one per service)")
    kafka_password: SecretStr | None = None


class ServiceSettings(KafkaSettings):
    """What every service process needs; a service subclasses it for its own settings."""

    model_config = SettingsConfigDict(env_prefix="EXTRANET_", extra="ignore")

    service_name: str = "extranet"
    database_url: SecretStr = SecretStr("postgresql://extranet@127.0.0.1:55432/extranet")
    topic_prefix: str = Field(default="", description="Prefix of every topic name (test isolation)")
    http_host: str = "127.0.0.1"
    http_port: int = 8080
    log_level: str = "INFO"
    log_format: Literal["json", "console"] = "json"
    tracing_exporter: Literal["none", "console", "otlp", "file"] = "none"
    tracing_dir: Path = Field(default=Path(".stack/traces"), description="Where the `file` exporter writes <service>.jsonl")
    jwt_public_key_file: Path | None = None
    max_body_bytes: int = Field(default=64 * 1024, description="Largest request body accepted (413 above)")
    # Addresses of the reverse proxies whose X-Forwarded-For / X-Forwarded-Proto are believed; none by
    # default, so that a client cannot choose the address it is throttled by.
    trusted_proxies: list[str] = Field(default_factory=list)
    # Service-to-service: the gateway sends its credential on every call to a service (only it may set
    # X-Tenant and X-Client-IP); operators and the platform's tools send theirs to /internal/* (stats).
    # Every /internal/* route refuses a call without one of them; none configured: every such call is refused.
    gateway_credential: SecretStr | None = None
    operator_credential: SecretStr | None = None
    metrics_public: bool = Field(default=True, description="/metrics open to all; otherwise only with a service credential")
    api_docs_public: bool = Field(
        default=False, description="/docs, /redoc and /openapi.json open to all; otherwise only with a service credential"
    )
    # Follow identity's revoked sessions (identity.sessions) and refuse their access tokens: on wherever
    # tokens are checked; off only for tests without Kafka.
    session_revocations: bool = True

    def topic(self, stream: str) -> str:
        return f"{self.topic_prefix}{stream}"

    def group_id(self, name: str) -> str:
        """Consumer group names carry the topic prefix so that isolated runs never share offsets."""
        return f"{self.topic_prefix}{name}"

    @property
    def event_source(self) -> str:
        """The `source` of the events this service publishes."""
        return f"urn:extranet:{self.service_name}"
