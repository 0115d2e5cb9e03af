"""Sealed values: only the recipient's private key opens them, only for the message they were sealed for."""

from __future__ import annotations

import pytest

from extranet_plumbing.sealing import Opener, Sealer, SealError, new_key_pair


def test_the_recipient_opens_what_was_sealed_for_it_and_nobody_else_does():
    private, public = new_key_pair()
    other_private, _ = new_key_pair()
    sealed = Sealer(public).seal({"code": "123456"}, context="member_activation_code|member:73000042")
    assert "123456" not in sealed
    assert Opener(private).open(sealed, context="member_activation_code|member:73000042") == {"code": "123456"}
    with pytest.raises(SealError):
        Opener(other_private).open(sealed, context="member_activation_code|member:73000042")
    with pytest.raises(SealError):  # moved to another person's message
        Opener(private).open(sealed, context="member_activation_code|member:73000099")
    with pytest.raises(SealError):  # altered
        Opener(private).open(
            sealed[:-2] + ("A" if sealed[-2] != "A" else "B") + sealed[-1], context="member_activation_code|member:73000042"
        )


def test_two_seals_of_the_same_values_differ():
    _, public = new_key_pair()
    sealer = Sealer(public)
    assert sealer.seal({"code": "1"}, context="x") != sealer.seal({"code": "1"}, context="x")
