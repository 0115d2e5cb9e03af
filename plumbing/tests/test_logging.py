"""Log lines are JSON, carry trace ids, and never contain personal data."""

from __future__ import annotations

import json
import logging

from opentelemetry import trace

from extranet_plumbing.logging import get_logger
from extranet_plumbing.redaction import REDACTED, redact
from extranet_plumbing.testing import logging_configured
from extranet_plumbing.tracing import configure_tracing

NIR = "185057800608491"  # a valid NIR (key 91)
IBAN = "FR7630006000011234567890189"


def test_values_under_sensitive_names_are_removed_whole():
    cleaned = redact(
        {
            "password": "S3cret!pass",
            "otp": "482913",
            "code": "123456",
            "nir": NIR,
            "iban": IBAN,
            "email": "jeanne@example.fr",
            "mobile_phone": "0612345678",
            "birth_date": "1985-05-12",
            "broker_code": "M12345",
            "company_code": "12345678",
        }
    )
    assert cleaned["broker_code"] == "M12345" and cleaned["company_code"] == "12345678"
    for key in ("password", "otp", "code", "nir", "iban", "email", "mobile_phone", "birth_date"):
        assert cleaned[key] == REDACTED, key


def test_personal_data_inside_free_text_is_masked():
    text = f"member 1 85 05 78 006 084 91 paid from {IBAN} / FR76 3000 6000 0112 3456 7890 189, mail jeanne.dupont@orange.fr, tel +33 6 12 34 56 78 or 06.12.34.56.78; nir {NIR}"
    cleaned = redact(text)
    for secret in (NIR, "1 85 05 78 006 084 91", IBAN, "FR76 3000", "jeanne.dupont@orange.fr", "+33 6 12 34 56 78", "06.12.34.56.78"):
        assert secret not in cleaned, secret
    assert "member" in cleaned and "paid from" in cleaned


def test_nested_structures_and_exceptions_are_redacted(capsys):
    with logging_configured():
        log = get_logger("test")
        try:
            raise ValueError(f"bad IBAN {IBAN} for jeanne@example.fr")
        except ValueError:
            log.exception("activation failed", member={"email": "jeanne@example.fr", "number": "73000001"}, tries=[{"password": "x"}])
    line = capsys.readouterr().out.strip().splitlines()[-1]
    record = json.loads(line)
    assert IBAN not in line and "jeanne@example.fr" not in line and '"x"' not in line
    assert record["member"]["number"] == "73000001"
    assert record["event"] == "activation failed" and record["level"] == "error"
    assert "ValueError" in record["exception"]


def test_log_lines_inside_a_span_carry_its_trace_and_span_ids(capsys):
    configure_tracing("test")
    with logging_configured(), trace.get_tracer("test").start_as_current_span("work") as span:
        get_logger("test").info("inside")
        logging.getLogger("stdlib").warning("from the standard library, mail: a.b@c.fr")
    lines = [json.loads(line) for line in capsys.readouterr().out.strip().splitlines()[-2:]]
    context = span.get_span_context()
    for record in lines:
        assert record["trace_id"] == format(context.trace_id, "032x")
        assert record["span_id"] == format(context.span_id, "016x")
    assert "a.b@c.fr" not in lines[1]["event"]
