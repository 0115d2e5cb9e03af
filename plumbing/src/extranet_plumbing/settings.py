"""Settings read from the environment (prefix `EXTRANET_`), common to every service."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class ServiceSettings(BaseSettings):
    """What every service process needs; a service subclasses it for its own settings."""

    model_config = SettingsConfigDict(env_prefix="EXTRANET_", extra="ignore")

    service_name: str = "extranet"
    kafka_bootstrap: str = "127.0.0.1:9092"
    database_url: SecretStr = SecretStr("postgresql://extranet@127.0.0.1:55432/extranet")
    topic_prefix: str = Field(default="", description="Prefix of every topic name (test isolation)")
    http_host: str = "127.0.0.1"
    http_port: int = 8080
    log_level: str = "INFO"
    log_format: Literal["json", "console"] = "json"
    tracing_exporter: Literal["none", "console", "otlp"] = "none"
    jwt_public_key_file: Path | None = None
    max_body_bytes: int = Field(default=64 * 1024, description="Largest request body accepted (413 above)")
    # Addresses of the reverse proxies whose X-Forwarded-For / X-Forwarded-Proto are believed; none by
    # default, so that a client cannot choose the address it is throttled by.
    trusted_proxies: list[str] = Field(default_factory=list)

    def topic(self, stream: str) -> str:
        return f"{self.topic_prefix}{stream}"

    def group_id(self, name: str) -> str:
        """Consumer group names carry the topic prefix so that isolated runs never share offsets."""
        return f"{self.topic_prefix}{name}"

    @property
    def event_source(self) -> str:
        """The `source` of the events this service publishes."""
        return f"urn:extranet:{self.service_name}"
