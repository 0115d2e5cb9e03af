"""`gateway-service`: the gateway's process."""

from __future__ import annotations

import uvicorn

from extranet_plumbing.logging import configure_logging
from extranet_plumbing.tracing import configure_tracing
from gateway.app import create_app
from gateway.settings import GatewaySettings


def main() -> None:
    settings = GatewaySettings()
    configure_logging(settings.service_name, settings.log_level, settings.log_format)
    configure_tracing(settings.service_name, settings.tracing_exporter)
    uvicorn.run(create_app(settings), host=settings.http_host, port=settings.http_port, log_config=None, access_log=False)


if __name__ == "__main__":
    main()
