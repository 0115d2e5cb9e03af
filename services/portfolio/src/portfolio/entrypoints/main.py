"""`portfolio-service`: the process of this service."""

from extranet_plumbing.serve import serve
from portfolio.bootstrap import bootstrap
from portfolio.settings import PortfolioSettings


def main() -> None:
    serve(PortfolioSettings, lambda settings: bootstrap(settings).app)


if __name__ == "__main__":
    main()
