"""How every service process starts: logging and tracing set up once, then its HTTP app under uvicorn."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import uvicorn
from fastapi import FastAPI

from extranet_plumbing.logging import configure_logging
from extranet_plumbing.settings import ServiceSettings
from extranet_plumbing.tracing import configure_tracing

S = TypeVar("S", bound=ServiceSettings)


def serve(settings: S, create_app: Callable[[S], FastAPI]) -> None:
    configure_logging(settings.service_name, settings.log_level, settings.log_format)
    configure_tracing(settings.service_name, settings.tracing_exporter)
    uvicorn.run(create_app(settings), host=settings.http_host, port=settings.http_port, log_config=None, access_log=False)
