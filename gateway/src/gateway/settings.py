"""Settings of the gateway (environment, prefix `EXTRANET_`)."""

from extranet_plumbing.settings import ServiceSettings


class GatewaySettings(ServiceSettings):
    service_name: str = "gateway"
    http_port: int = 8000
    identity_url: str = "http://127.0.0.1:8101"
    portfolio_url: str = "http://127.0.0.1:8102"
    claims_url: str = "http://127.0.0.1:8104"
    enrollment_url: str = "http://127.0.0.1:8103"
    default_tenant: str = "mbtp"
    upstream_timeout_seconds: float = 10.0
    # Give a relayed read answer again while the service's read model has not changed (gateway.kept).
    keep_answers: bool = True
