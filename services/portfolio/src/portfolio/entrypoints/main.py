"""`portfolio-service`: the process of this service."""

from extranet_plumbing.serve import serve
from portfolio.entrypoints.http import create_app
from portfolio.settings import PortfolioSettings


def main() -> None:
    serve(PortfolioSettings(), create_app)


if __name__ == "__main__":
    main()
