"""`gateway-service`: the process of the gateway."""

from extranet_plumbing.serve import serve
from gateway.bootstrap import bootstrap
from gateway.settings import GatewaySettings


def main() -> None:
    serve(GatewaySettings, lambda settings: bootstrap(settings).app)


if __name__ == "__main__":
    main()
