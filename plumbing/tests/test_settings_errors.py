"""A process whose configuration holds a value it refuses stops at once with status 2, naming the variable and why,
never the value: a password or key put in the wrong variable must not reach the logs (pydantic's own error quotes it)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from extranet_plumbing.settings import InvalidSettings, ServiceSettings, read_settings

SECRET = "Pa55-word-in-the-wrong-place"


def test_a_refused_value_names_the_variable_and_not_the_value(monkeypatch, capsys):
    monkeypatch.setenv("EXTRANET_HTTP_PORT", SECRET)
    monkeypatch.setenv("EXTRANET_LOG_FORMAT", SECRET)
    with pytest.raises(InvalidSettings) as raised:
        read_settings(ServiceSettings)
    assert raised.value.code == 2
    printed = capsys.readouterr().err
    assert "EXTRANET_HTTP_PORT: Input should be a valid integer" in printed
    assert "EXTRANET_LOG_FORMAT: Input should be 'json' or 'console'" in printed
    assert SECRET not in printed and SECRET not in raised.value.message


def test_a_list_that_is_not_json_names_the_field_and_not_the_value(monkeypatch, capsys):
    monkeypatch.setenv("EXTRANET_TRUSTED_PROXIES", SECRET)
    with pytest.raises(InvalidSettings):
        read_settings(ServiceSettings)
    printed = capsys.readouterr().err
    assert 'field "trusted_proxies"' in printed and SECRET not in printed


def test_good_settings_are_read_as_usual(monkeypatch):
    monkeypatch.setenv("EXTRANET_HTTP_PORT", "8123")
    assert read_settings(ServiceSettings).http_port == 8123


def test_a_service_process_stops_with_status_2_and_no_value_on_its_output():
    environment = {**os.environ, "EXTRANET_HTTP_PORT": SECRET}
    done = subprocess.run(
        [sys.executable, "-c", "from portfolio.entrypoints.main import main; main()"],
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert "EXTRANET_HTTP_PORT" in done.stderr
    assert SECRET not in done.stderr + done.stdout
    assert "Traceback" not in done.stderr
