"""Starting an activation does the same work whether or not the details match (issue 8, item 9): the
same repository calls, in the same order, the same hashing and a notification asked either way (then
withdrawn when nobody matched). Not a timing test: the calls are what the time is made of."""

from __future__ import annotations

from datetime import date

import pytest

from extranet_contracts.notifications import NotificationRequested
from identity.adapters.captcha import TEST_SOLUTION
from identity.domain.members import MemberOnFile
from identity.service_layer import activation

from .conftest import new_uow

REPOSITORIES = ("accounts", "members", "codes", "links", "sessions", "terms", "companies", "throttle", "mails", "decoys")


class Recorder:
    """A repository that records the name of every method called on it."""

    def __init__(self, name: str, inner, calls: list) -> None:
        self._name, self._inner, self._calls = name, inner, calls

    def __getattr__(self, attribute):
        value = getattr(self._inner, attribute)
        if not callable(value):
            return value

        async def recorded(*args, **kwargs):
            self._calls.append(f"{self._name}.{attribute}")
            return await value(*args, **kwargs)

        return recorded


def recording_uow():
    uow, calls = new_uow(), []
    for name in REPOSITORIES:
        setattr(uow, name, Recorder(name, getattr(uow, name), calls))
    uow.decoys._inner.uow = uow
    publish = uow.publish

    async def recorded_publish(event, **kwargs):
        calls.append(f"publish.{type(event).__name__}")
        return await publish(event, **kwargs)

    uow.publish = recorded_publish
    return uow, calls


LEA = dict(last_name="DURAND", first_name="Léa", birth_dates=[date(1985, 5, 12)])


@pytest.mark.parametrize(
    ("contact", "member_number", "birth_date", "on_file"),
    [
        ("lea.durand@orange.fr", "73000042", None, {"email": "lea.durand@orange.fr"}),
        ("06 09 26 78 12", None, date(1985, 5, 12), {"mobile_phone": "+33609267812"}),
    ],
)
async def test_matching_and_not_matching_details_do_the_same_work(tools, contact, member_number, birth_date, on_file):
    async def start(uow, given_number, given_birth_date):
        uow.members._inner.put(MemberOnFile("mbtp", "73000042", **LEA, **on_file))
        return await activation.start_member_activation(
            uow,
            tools,
            tenant="mbtp",
            contact=contact,
            member_number=given_number,
            birth_date=given_birth_date,
            captcha=TEST_SOLUTION,
            client_ip="203.0.113.7",
        )

    matching, matching_calls = recording_uow()
    await start(matching, member_number, birth_date)
    stranger, stranger_calls = recording_uow()
    await start(stranger, "73000099" if member_number else None, None if member_number else date(1990, 1, 1))

    assert matching_calls == stranger_calls
    assert "publish.NotificationRequested" in stranger_calls and "accounts.by_identifier" in stranger_calls
    assert [type(e) for e, _ in matching.published] == [NotificationRequested]
    assert stranger.published == [] and stranger.decoys._inner.withdrawn == 1  # asked, then withdrawn: nothing sent
    assert matching.commits == stranger.commits
