"""gateway.kept's rules with a stand-in route: what is kept, what never is, and the bounds. (Through the real
gateway and services: tests/system/test_kept_answers.py.)"""

from __future__ import annotations

import httpx
import pytest

from extranet_plumbing.auth import InvalidToken
from gateway.kept import KeptAnswers, relayed, upstream_answered


class Follower:
    def __init__(self) -> None:
        self.current = "v1"

    def servable(self, version: str) -> bool:
        return version == self.current


class Verifier:
    def verify(self, token: str) -> str:
        if token == "expired":
            raise InvalidToken("expired")
        return token  # who asks: here, the token itself


class Revocations:
    def __init__(self) -> None:
        self.revoked: set[str] = set()

    def is_revoked(self, who: str) -> bool:
        return who in self.revoked


class Gateway:
    verifier = Verifier()

    def __init__(self) -> None:
        self.revocations = Revocations()


class Route:
    """Answers as a gateway route would, after `calls` upstream answers (the last one relayed, or `altered`)."""

    def __init__(self) -> None:
        self.asked = 0
        self.calls = 1
        self.status = 200
        self.altered = False
        self.version: str | None = "v1"

    async def __call__(self, scope, receive, send) -> None:
        self.asked += 1
        if scope["method"] == "POST":
            await receive()
        body = f'{{"answer": {self.asked}, "path": "{scope["path"]}"}}'.encode()
        for _ in range(self.calls):
            upstream_answered("portfolio", {"X-Read-Model-Version": self.version} if self.version else {})
            relayed(body)
        sent = body + b" " if self.altered else body
        await send({"type": "http.response.start", "status": self.status, "headers": [(b"content-type", b"application/json")]})
        await send({"type": "http.response.body", "body": sent})


@pytest.fixture
def route():
    return Route()


def client(route, gateway: Gateway | None = None, **bounds) -> tuple[httpx.AsyncClient, Follower, KeptAnswers]:
    follower = Follower()
    kept = KeptAnswers(route, service=gateway or Gateway(), followers={"portfolio": follower}, **bounds)
    return httpx.AsyncClient(transport=httpx.ASGITransport(kept), base_url="http://gateway"), follower, kept


AUTH = {"authorization": "Bearer token-1"}


async def test_an_answer_is_kept_for_its_token_path_and_query_while_its_version_is_current(route):
    http, follower, _ = client(route)
    first = await http.get("/api/x?page=1", headers=AUTH)
    assert (await http.get("/api/x?page=1", headers=AUTH)).content == first.content and route.asked == 1
    await http.get("/api/x?page=2", headers=AUTH)
    await http.get("/api/x?page=1", headers={"authorization": "Bearer token-2"})
    await http.get("/api/x?page=1")  # no token: never kept
    await http.get("/api/x?page=1")
    assert route.asked == 5
    follower.current = route.version = "v2"  # the read model changed
    assert (await http.get("/api/x?page=1", headers=AUTH)).json()["answer"] == 6
    assert (await http.get("/api/x?page=1", headers=AUTH)).json()["answer"] == 6 and route.asked == 6  # kept at v2


async def test_an_expired_or_revoked_token_is_never_answered_from_what_is_kept(route):
    gateway = Gateway()
    http, _, kept = client(route, gateway)
    expired = {"authorization": "Bearer expired"}
    await http.get("/api/x", headers=expired)
    await http.get("/api/x", headers=expired)
    assert route.asked == 2  # given to the route each time, which refuses it (the stand-in answers)
    await http.get("/api/x", headers=AUTH)
    await http.get("/api/x", headers=AUTH)
    assert route.asked == 3
    gateway.revocations.revoked.add("token-1")  # the session ended
    await http.get("/api/x", headers=AUTH)
    assert route.asked == 4


@pytest.mark.parametrize(
    "change",
    [
        {"calls": 2},  # the route combined two answers
        {"calls": 0},  # nothing asked upstream
        {"altered": True},  # the route answered something else than the relayed body
        {"status": 404},
        {"version": None},  # not an answer of a read model
    ],
)
async def test_what_is_never_kept(route, change):
    for name, value in change.items():
        setattr(route, name, value)
    http, _, kept = client(route)
    await http.get("/api/x", headers=AUTH)
    await http.get("/api/x", headers=AUTH)
    assert route.asked == 2 and len(kept) == 0


async def test_a_search_posted_is_kept_by_its_body(route):
    http, _, _ = client(route)
    await http.post("/api/search", json={"nir": "1"}, headers=AUTH)
    await http.post("/api/search", json={"nir": "1"}, headers=AUTH)
    assert route.asked == 1
    await http.post("/api/search", json={"nir": "2"}, headers=AUTH)
    await http.post("/api/search", content=b"nir=1", headers={**AUTH, "content-type": "application/x-www-form-urlencoded"})
    assert route.asked == 3


async def test_the_answers_kept_are_bounded_in_number_and_bytes(route):
    http, _, kept = client(route, max_entries=3)
    for page in range(5):
        await http.get(f"/api/x?page={page}", headers=AUTH)
    assert len(kept) == 3
    await http.get("/api/x?page=0", headers=AUTH)  # the oldest went first
    assert route.asked == 6
    http, _, kept = client(Route(), max_bytes=70)  # each body is 30 bytes
    for page in range(5):
        await http.get(f"/api/x?page={page}", headers=AUTH)
    assert len(kept) == 2
    http, _, kept = client(Route(), max_body=10)
    await http.get("/api/x", headers=AUTH)
    assert len(kept) == 0
