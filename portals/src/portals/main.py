"""`portals-service`: the process of the portals."""

from extranet_plumbing.serve import serve
from portals.bootstrap import bootstrap
from portals.settings import PortalsSettings


def main() -> None:
    serve(PortalsSettings, lambda settings: bootstrap(settings).app)


if __name__ == "__main__":
    main()
