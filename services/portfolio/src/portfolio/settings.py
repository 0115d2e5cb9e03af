"""Settings of the portfolio service (environment, prefix `EXTRANET_`)."""

from extranet_plumbing.settings import ServiceSettings


class PortfolioSettings(ServiceSettings):
    service_name: str = "portfolio"
    db_schema: str = "portfolio"
    http_port: int = 8102
