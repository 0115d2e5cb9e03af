"""structlog configuration: JSON lines with trace and span ids, personal data redacted, exceptions by class.

An exception's message may hold personal data (asyncpg quotes a row's values or a query's argument: a NIR, an IBAN;
pydantic's ValidationError quotes the input), so no log line carries one: a failure is logged as `**failure(exc)`
(its class and where it was raised), and a traceback (`log.exception`, `exc_info`, the standard library's loggers:
FastStream, aiokafka, asyncio) is written with its frames and classes only, its messages withheld and removed from
the event's text.
"""

from __future__ import annotations

import errno
import logging
import sys
import traceback
from typing import Any

import structlog
from opentelemetry import trace

from extranet_plumbing.redaction import redaction_processor


def _add_trace_ids(_logger: Any, _method: str, event_dict: dict[str, Any]) -> dict[str, Any]:
    span_context = trace.get_current_span().get_span_context()
    if span_context.is_valid:
        event_dict["trace_id"] = format(span_context.trace_id, "032x")
        event_dict["span_id"] = format(span_context.span_id, "016x")
    return event_dict


WITHHELD = "(message withheld)"


def failure(exc: BaseException) -> dict[str, Any]:
    """The fields a log line gives of a failure: its class, an OS error's errno name (ECONNREFUSED), and the file, line
    and function where it was raised; never its message (`log.error("...", **failure(exc))`)."""
    fields: dict[str, Any] = {"error_class": type(exc).__name__}
    if isinstance(exc, OSError) and isinstance(exc.errno, int):
        fields["errno"] = errno.errorcode.get(exc.errno, str(exc.errno))
    frames = traceback.extract_tb(exc.__traceback__) if exc.__traceback__ is not None else None
    if frames:
        fields["error_at"] = f"{frames[-1].filename.rsplit('/', 1)[-1]}:{frames[-1].lineno} in {frames[-1].name}"
    return fields


def _chain(exc: BaseException) -> list[BaseException]:
    """The exception and those it was raised from or during, innermost first as Python prints them."""
    chain: list[BaseException] = []
    while exc is not None and all(exc is not seen for seen in chain):
        chain.append(exc)
        exc = exc.__cause__ or (None if exc.__suppress_context__ else exc.__context__)
    return chain[::-1]


def traceback_without_messages(exc: BaseException) -> str:
    """A traceback as Python prints it (frames, source lines, each exception's class), without any exception's message."""
    parts: list[str] = []
    for index, link in enumerate(_chain(exc)):
        if index:
            parts.append("\nThe above exception was followed by:\n\n")
        parts.append("Traceback (most recent call last):\n")
        parts.extend(traceback.format_tb(link.__traceback__))
        parts.append(f"{type(link).__module__}.{type(link).__qualname__} {WITHHELD}\n")
    return "".join(parts)


def _exception_of(exc_info: Any) -> BaseException | None:
    if isinstance(exc_info, BaseException):
        return exc_info
    if isinstance(exc_info, tuple) and len(exc_info) == 3 and isinstance(exc_info[1], BaseException):
        return exc_info[1]
    if exc_info is True:
        return sys.exc_info()[1]
    return None


def exceptions_by_class(_logger: Any, _method: str, event_dict: dict[str, Any]) -> dict[str, Any]:
    """structlog processor, in place of `format_exc_info`: `exc_info` becomes `exception`, a traceback without
    messages, and `error_class`; the messages (and reprs) of the exception and its chain are cut out of the event's
    text, where the standard library's loggers put them (FastStream: "ValueError: <message>", asyncio: the repr)."""
    exc = _exception_of(event_dict.pop("exc_info", None))
    if exc is None:
        return event_dict
    event_dict["exception"] = traceback_without_messages(exc)
    event_dict.setdefault("error_class", type(exc).__name__)
    event = event_dict.get("event")
    if isinstance(event, str):
        for link in _chain(exc):
            for text in sorted({repr(link), str(link)}, key=len, reverse=True):
                if len(text) >= 3 and text != type(link).__name__:
                    event = event.replace(text, WITHHELD)
        event_dict["event"] = event
    return event_dict


def configure_logging(service: str, level: str = "INFO", fmt: str = "json", *, cache: bool = True) -> None:
    """Route structlog and the standard library's logging through the same redacting pipeline."""
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        _add_trace_ids,
        exceptions_by_class,
        redaction_processor,
    ]
    renderer: Any = structlog.processors.JSONRenderer() if fmt == "json" else structlog.dev.ConsoleRenderer(colors=False)
    structlog.configure(
        processors=[structlog.stdlib.filter_by_level, *shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        # A process's loggers keep this configuration once used (tests pass cache=False: testing.logging_configured).
        cache_logger_on_first_use=cache,
    )
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=shared,
            processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, renderer],
        )
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # Quiet below WARNING: chatty libraries, and httpx, which logs every request's URL at INFO (its path holds member
    # numbers, codes, references: the portals' calls to the gateway, the legacy system's to portfolio).
    for noisy in ("aiokafka", "kafka", "uvicorn.access", "asyncio", "httpx", "httpcore"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))
    structlog.contextvars.bind_contextvars(service=service)


def get_logger(name: str | None = None) -> structlog.stdlib.BoundLogger:
    return structlog.stdlib.get_logger(name)
