"""Settings of the claims service (environment, prefix `EXTRANET_`)."""

from extranet_plumbing.settings import ServiceSettings


class ClaimsSettings(ServiceSettings):
    service_name: str = "claims"
    db_schema: str = "claims"
    http_port: int = 8104
