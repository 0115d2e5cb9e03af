"""Settings of the identity service (environment, prefix `EXTRANET_`)."""

from pathlib import Path

from extranet_plumbing.settings import ServiceSettings


class IdentitySettings(ServiceSettings):
    service_name: str = "identity"
    db_schema: str = "identity"
    http_port: int = 8101
    jwt_private_key_file: Path | None = None
    access_token_ttl_seconds: int = 900
