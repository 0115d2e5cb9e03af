"""Settings of the enrollment service (environment, prefix `EXTRANET_`)."""

from pathlib import Path

from extranet_plumbing.settings import ServiceSettings
from extranet_plumbing.storage import StorageSettings


class EnrollmentSettings(ServiceSettings, StorageSettings):
    """With the document store's folder and size limit (`EXTRANET_DOCUMENTS_DIR`, `EXTRANET_DOCUMENTS_MAX_BYTES`): the
    files attached to requests."""

    service_name: str = "enrollment"
    db_schema: str = "enrollment"
    http_port: int = 8103
    # The notifications service's public sealing key: the online enrollment's links are sealed with it.
    notifications_seal_key_file: Path | None = None
    # How often the online enrollment's links are expired and its automatic reminders sent.
    invitation_sweep_seconds: float = 60.0
