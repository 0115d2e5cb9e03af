"""Which channel a request goes out on."""

from __future__ import annotations

from collections.abc import Collection, Sequence

from extranet_contracts.notifications import Channel


def choose_channel(
    allowed: Sequence[Channel],
    preferred: Channel | None,
    *,
    reachable: Collection[Channel],
    supported: Collection[Channel],
) -> Channel | None:
    """The person's preferred channel if the request allows it, the template has it and the person can
    receive it; else the first allowed channel that the template has and the person can receive.

    `reachable`: the channels the recipient has a usable address for (an email address; a mobile
    number). `supported`: the channels the template has a version for."""
    usable = [channel for channel in allowed if channel in supported and channel in reachable]
    if preferred is not None and preferred in usable:
        return preferred
    return usable[0] if usable else None
