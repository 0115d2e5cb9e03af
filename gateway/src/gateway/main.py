"""`gateway-service`: the process of this service."""

from extranet_plumbing.serve import serve
from gateway.app import create_app
from gateway.settings import GatewaySettings


def main() -> None:
    serve(GatewaySettings(), create_app)


if __name__ == "__main__":
    main()
