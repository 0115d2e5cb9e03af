"""`identity-service`: the process of this service."""

from extranet_plumbing.serve import serve
from identity.bootstrap import bootstrap
from identity.settings import IdentitySettings


def main() -> None:
    serve(IdentitySettings, lambda settings: bootstrap(settings).app)


if __name__ == "__main__":
    main()
