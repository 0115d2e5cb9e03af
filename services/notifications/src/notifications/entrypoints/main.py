"""`notifications-service`: the process that takes notification requests in and sends them."""

from extranet_plumbing.serve import serve
from notifications.bootstrap import bootstrap
from notifications.settings import NotificationsSettings


def main() -> None:
    serve(NotificationsSettings, lambda settings: bootstrap(settings).app)


if __name__ == "__main__":
    main()
