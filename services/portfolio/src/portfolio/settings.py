"""Settings of the portfolio service (environment, prefix `EXTRANET_`)."""

import tempfile
from pathlib import Path

from pydantic import Field

from extranet_plumbing.settings import ServiceSettings


class PortfolioSettings(ServiceSettings):
    service_name: str = "portfolio"
    db_schema: str = "portfolio"
    http_port: int = 8102
    # Where the documents brokers attach (Kbis) are kept, one folder per tenant, each file under a random
    # id: a lasting volume wherever the service runs for real (the embedded stack: .stack/documents/portfolio).
    documents_dir: Path = Field(default_factory=lambda: Path(tempfile.gettempdir()) / "extranet-documents" / "portfolio")
