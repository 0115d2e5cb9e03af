"""`identity-service`: the process of this service."""

from extranet_plumbing.serve import serve
from identity.entrypoints.http import create_app
from identity.settings import IdentitySettings


def main() -> None:
    serve(IdentitySettings(), create_app)


if __name__ == "__main__":
    main()
