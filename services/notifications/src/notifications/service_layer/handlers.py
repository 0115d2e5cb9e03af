"""What the notifications service does with each event it consumes: the one map its consumer reads."""

from extranet_contracts.notifications import NotificationRequested
from extranet_plumbing.consumer import Handlers
from notifications.service_layer.intake import Intake

INTAKE_GROUP = "notifications-intake"


def handlers(intake: Intake) -> Handlers:
    return {NotificationRequested: intake}
