"""The event envelope and its mapping to Kafka headers (CloudEvents Kafka binding, binary mode).

The event's data is the Kafka value (JSON); its attributes are `ce_*` headers; the W3C trace
context travels as `traceparent` / `tracestate` so that a trace follows the event.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime

from pydantic import BaseModel, ConfigDict, Field, ValidationError

SPEC_VERSION = "1.0"
CONTENT_TYPE = "application/json"

# CloudEvents attribute -> Kafka header name.
_HEADERS = {
    "id": "ce_id",
    "type": "ce_type",
    "version": "ce_eventversion",
    "source": "ce_source",
    "time": "ce_time",
    "tenant": "ce_tenant",
    "key": "ce_partitionkey",
}


class EnvelopeError(ValueError):
    """The Kafka headers do not form a valid envelope."""


class Envelope(BaseModel):
    """Who, what and when of an event; the data itself is the Kafka value."""

    model_config = ConfigDict(frozen=True)

    id: uuid.UUID = Field(default_factory=uuid.uuid4)
    type: str = Field(min_length=1)
    version: int = Field(ge=1)
    source: str = Field(min_length=1)
    time: datetime = Field(default_factory=lambda: datetime.now(UTC))
    tenant: str = Field(min_length=1, pattern=r"^[a-z0-9][a-z0-9-]*$")
    key: str = Field(min_length=1)
    traceparent: str | None = None
    tracestate: str | None = None

    def to_headers(self) -> list[tuple[str, bytes]]:
        headers = [
            ("ce_specversion", SPEC_VERSION.encode()),
            ("ce_id", str(self.id).encode()),
            ("ce_type", self.type.encode()),
            ("ce_eventversion", str(self.version).encode()),
            ("ce_source", self.source.encode()),
            ("ce_time", self.time.isoformat().encode()),
            ("ce_tenant", self.tenant.encode()),
            ("ce_subject", self.key.encode()),
            ("ce_partitionkey", self.key.encode()),
            ("content-type", CONTENT_TYPE.encode()),
        ]
        if self.traceparent:
            headers.append(("traceparent", self.traceparent.encode()))
        if self.tracestate:
            headers.append(("tracestate", self.tracestate.encode()))
        return headers

    @classmethod
    def from_headers(cls, headers: Iterable[tuple[str, bytes]] | Sequence[tuple[str, bytes]]) -> Envelope:
        values: dict[str, str] = {}
        for name, raw in headers or ():
            try:
                values[name] = raw.decode() if isinstance(raw, bytes | bytearray) else str(raw)
            except UnicodeDecodeError as exc:
                raise EnvelopeError(f"header {name} is not UTF-8") from exc
        if values.get("ce_specversion") != SPEC_VERSION:
            raise EnvelopeError(f"ce_specversion must be {SPEC_VERSION}")
        missing = [header for header in _HEADERS.values() if header not in values]
        if missing:
            raise EnvelopeError(f"missing headers: {', '.join(missing)}")
        try:
            return cls(
                **{attribute: values[header] for attribute, header in _HEADERS.items()},
                traceparent=values.get("traceparent"),
                tracestate=values.get("tracestate"),
            )
        except ValidationError as exc:
            # Names the headers at fault and why, never their values (a key may be a member number).
            fields = "; ".join(
                f"{'.'.join(str(p) for p in error['loc'])}: {error['msg']}"
                for error in exc.errors(include_url=False, include_input=False, include_context=False)
            )
            raise EnvelopeError(f"invalid envelope: {fields}") from None
