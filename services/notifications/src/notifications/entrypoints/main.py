"""`notifications-service`: the process that takes notification requests in and sends them."""

from extranet_plumbing.serve import serve
from notifications.entrypoints.http import create_app
from notifications.settings import NotificationsSettings


def main() -> None:
    serve(NotificationsSettings(), create_app)


if __name__ == "__main__":
    main()
