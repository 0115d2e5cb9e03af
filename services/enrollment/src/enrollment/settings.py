"""Settings of the enrollment service (environment, prefix `EXTRANET_`)."""

from extranet_plumbing.settings import ServiceSettings


class EnrollmentSettings(ServiceSettings):
    service_name: str = "enrollment"
    db_schema: str = "enrollment"
    http_port: int = 8103
