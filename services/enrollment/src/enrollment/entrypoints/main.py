"""`enrollment-service`: the process of this service."""

from enrollment.bootstrap import bootstrap
from enrollment.settings import EnrollmentSettings
from extranet_plumbing.serve import serve


def main() -> None:
    serve(EnrollmentSettings, lambda settings: bootstrap(settings).app)


if __name__ == "__main__":
    main()
