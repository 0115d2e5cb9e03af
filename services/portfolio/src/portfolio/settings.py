"""Settings of the portfolio service (environment, prefix `EXTRANET_`)."""

import tempfile
from pathlib import Path

from pydantic import Field, SecretStr

from extranet_plumbing.settings import ServiceSettings


class PortfolioSettings(ServiceSettings):
    service_name: str = "portfolio"
    db_schema: str = "portfolio"
    http_port: int = 8102
    # Where the documents brokers attach (Kbis) are kept, one folder per tenant, each file under a random
    # id: a lasting volume wherever the service runs for real (the embedded stack: .stack/documents/portfolio).
    documents_dir: Path = Field(default_factory=lambda: Path(tempfile.gettempdir()) / "extranet-documents" / "portfolio")
    # The key of the NIR digests that let a correspondent find an employee by social security number
    # (HMAC-SHA256; at least 16 bytes). Unset: derived from the gateway credential (one secret fewer to
    # distribute). Changing it makes the stored digests unfindable until the read model is rebuilt.
    nir_search_key: SecretStr | None = None
