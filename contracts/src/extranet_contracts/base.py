"""Base class of every event model: its type name, version, stream and partition key."""

from __future__ import annotations

from typing import ClassVar

from pydantic import BaseModel, ConfigDict


class Event(BaseModel):
    """A fact that happened, as carried on Kafka.

    `TYPE` and `VERSION` identify the schema; `STREAM` is the topic's base name (one topic per
    stream of facts); `key()` is the aggregate identifier used as the Kafka key so that the
    events of one aggregate keep their order.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)

    TYPE: ClassVar[str]
    VERSION: ClassVar[int] = 1
    STREAM: ClassVar[str]

    def key(self) -> str:  # pragma: no cover - every concrete event overrides it
        raise NotImplementedError
