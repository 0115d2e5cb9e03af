"""`claims-service`: the process of this service."""

from claims.bootstrap import bootstrap
from claims.settings import ClaimsSettings
from extranet_plumbing.serve import serve


def main() -> None:
    serve(ClaimsSettings, lambda settings: bootstrap(settings).app)


if __name__ == "__main__":
    main()
