"""A download through the gateway waits for a file its service writes whole before the first byte (an
export of tens of thousands of rows, issue 12): longer than an answer's read timeout, the file still
arrives whole; a file cut by its service is still a broken download."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import pytest

CSV = "\ufeffContrat collectif;Nom et prénom\r\n".encode() + b"W1-000123;DURAND L\xc3\xa9a\r\n" * 2000
EXPORT = "/api/employer/exports/employees?start=2026-01-01&end=2026-02-28&format=csv"


@contextlib.asynccontextmanager
async def slow_export(delay: float, cut: bool = False) -> AsyncIterator[str]:
    """Portfolio as a loopback server: the export's headers at once, its body after `delay` (or half of it, then closed)."""

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            await reader.readuntil(b"\r\n\r\n")
            writer.write(
                b"HTTP/1.1 200 OK\r\ncontent-type: text/csv; charset=utf-8\r\ncontent-disposition: attachment; filename=salaries.csv\r\n"
                + f"content-length: {len(CSV)}\r\n\r\n".encode()
            )
            await writer.drain()
            await asyncio.sleep(delay)
            writer.write(CSV[: len(CSV) // 2] if cut else CSV)
            await writer.drain()
        finally:
            writer.close()

    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    async with server:
        host, port = server.sockets[0].getsockname()[:2]
        yield f"http://{host}:{port}"


@pytest.fixture
def correspondent(keys) -> dict[str, str]:
    token = keys.token("correspondent", scope={"company_code": "12345678", "contracts": "all", "primary": True})
    return {"authorization": f"Bearer {token}"}


async def test_a_file_written_longer_than_the_answer_timeout_arrives_whole(gateway, correspondent):
    async with slow_export(delay=1.0) as url, gateway(portfolio_url=url, upstream_timeout_seconds=0.3) as client:
        answer = await client.get(EXPORT, headers=correspondent)
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/csv")
    assert answer.content == CSV


async def test_a_file_cut_by_its_service_is_not_given_as_whole(gateway, correspondent):
    async with slow_export(delay=0.1, cut=True) as url, gateway(portfolio_url=url, upstream_timeout_seconds=0.3) as client:
        with pytest.raises(Exception):  # noqa: B017 - the stream ends in error, whichever httpx raises
            answer = await client.get(EXPORT, headers=correspondent)
            assert len(answer.content) == len(CSV)
