"""Settings of the claims service (environment, prefix `EXTRANET_`)."""

from pathlib import Path

from extranet_plumbing.settings import ServiceSettings


class ClaimsSettings(ServiceSettings):
    service_name: str = "claims"
    db_schema: str = "claims"
    http_port: int = 8104
    # How often the statements that came before their household's file are announced (service_layer.documents).
    announcement_sweep_seconds: float = 30.0
    content_dir: Path | None = None  # EXTRANET_CONTENT_DIR: the tenants' content (news, FAQ, ...); the packaged one by default
