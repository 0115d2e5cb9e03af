"""A faster validation of events read in bulk, accepting and refusing exactly what `model_validate_json` does.

Most of the time spent validating a legacy membership goes to three checks written in Python: the
NIR (`stdnum.fr.nir`), the IBAN (`stdnum.iban`) and the email address (pydantic's `EmailStr`, which
calls `email_validator`): about 60 of 70 µs. `validator_for(model)` builds, once per model, a
validator from the model's own core schema in which each of those checks is replaced by a short path
for the values that are obviously fine, computed as the original would, and the original check for
everything else:

- NIR: 15 ASCII digits whose key is right (what `stdnum.fr.nir.validate` returns unchanged);
- IBAN: upper-case letters and digits, mod-97 right, the country's BBAN structure from stdnum's own
  database, and no country-specific check in stdnum (what `stdnum.iban.validate` returns unchanged);
- email: a lower-case ASCII local part of at most 64 characters and a domain that the original check
  has already accepted unchanged in this process (it then returns the address unchanged).

A value outside those paths, and every refusal, goes through the original check, so a bad event
fails with the same `ValidationError`, the same locations and the same messages. Everything else of
the schema (types, patterns, lengths, `extra="forbid"`, model validators) is the model's own. Where
one of the paths cannot be set up as written here (another version of email-validator, a contract
type that no longer uses these checks), it is left out and the original check runs.

`plumbing/tests/test_bulk_validation.py` compares the two validators value by value.
"""

from __future__ import annotations

import contextlib
import functools
import inspect
import re
from collections.abc import Callable, Iterator
from typing import Any

import email_validator
import stdnum.fr.nir
import stdnum.iban
from pydantic._internal._config import ConfigWrapper  # what pydantic itself builds a model's validator with
from pydantic.networks import EmailStr
from pydantic_core import SchemaValidator

from extranet_contracts import Event
from extranet_contracts import types as contract_types
from extranet_plumbing.logging import get_logger

log = get_logger(__name__)

Check = Callable[[str], str]

# The email-validator release whose rules the email path was written from (validate_email, syntax.py).
EMAIL_VALIDATOR_VERSION = "2.4.0"
_KNOWN_DOMAINS_MAX = 10_000
_ABSENT = object()


def validator_for(model: type[Event]) -> Callable[[bytes | str], Event]:
    """`model.model_validate_json`, or the same validation with the short paths where the model has those checks."""
    return _validator_for(model)


@functools.cache
def _validator_for(model: type[Event]) -> Callable[[bytes | str], Event]:
    schema = model.__pydantic_core_schema__
    substitutes = _substitutes()
    replaced: list[str] = []
    rewritten = _rewrite(schema, substitutes, replaced)
    if not replaced:
        return model.model_validate_json
    try:
        with _built_from_schema(_models_in(rewritten)):
            validator = SchemaValidator(rewritten, ConfigWrapper(model.model_config, check=False).core_config(title=model.__name__))
    except Exception as exc:  # never worse than the model's own validation
        log.warning("bulk validation unavailable, the model validates alone", model=model.__name__, error=type(exc).__name__)
        return model.model_validate_json
    return validator.validate_json


@functools.cache
def _substitutes() -> dict[Any, Check]:
    """The original check functions (by identity) and their replacements."""
    found: dict[Any, Check] = {}
    for annotated, module, fast in ((contract_types.Nir, stdnum.fr.nir, _nir), (contract_types.Iban, stdnum.iban, _iban)):
        check = _stdnum_check(annotated, module)
        if check is not None and (module is not stdnum.iban or _iban_database_by_country()):
            found[check] = functools.partial(fast, check)
    if getattr(email_validator, "__version__", None) == EMAIL_VALIDATOR_VERSION:
        found[EmailStr._validate.__func__] = _Email(EmailStr._validate)
    else:
        log.warning("bulk validation checks email addresses the slow way", email_validator=getattr(email_validator, "__version__", None))
    return found


def _stdnum_check(annotated: Any, module: Any) -> Any:
    """The contract type's check, if it is still `_checked(module, ...)`: stdnum's `validate` of that module."""
    checks = [item.func for item in getattr(annotated, "__metadata__", ()) if hasattr(item, "func")]
    if len(checks) != 1:
        return None
    closure = inspect.getclosurevars(checks[0]).nonlocals
    return checks[0] if closure.get("validator") is module else None


def _nir(original: Check, value: str) -> str:
    # stdnum.fr.nir.validate: compact() leaves 15 ASCII digits as they are; the key is 97 - (first 13 digits mod 97)
    # (departments 2A and 2B, the only letters allowed, take the original path).
    if len(value) == 15 and value.isascii() and value.isdigit() and f"{97 - int(value[:13]) % 97:02d}" == value[13:]:
        return value
    return original(value)


_IBAN_SHAPE = re.compile(r"[A-Z]{2}[0-9]{2}[A-Z0-9]{1,30}")
_BASE36_DIGITS = str.maketrans({chr(code): str(code - ord("A") + 10) for code in range(ord("A"), ord("Z") + 1)})


def _iban(original: Check, value: str) -> str:
    # stdnum.iban.validate: compact() leaves upper-case letters and digits as they are; mod 97 of the rearranged number
    # (letters as 10..35) must be 1; the country's entry gives the BBAN structure; a country module checks more.
    if _IBAN_SHAPE.fullmatch(value):
        structure = _bban_structure(value[:2])
        if structure is not None and structure.match(value[4:]) and int((value[4:] + value[:4]).translate(_BASE36_DIGITS)) % 97 == 1:
            return value
    return original(value)


def _iban_database_by_country() -> bool:
    """Whether stdnum's IBAN database is keyed by the 2-letter country alone (then a number's first component
    is its country's entry, as `_bban_structure` assumes)."""
    try:
        return all(prefix[0] == 2 for prefix in stdnum.iban._ibandb.prefixes) and callable(stdnum.iban._struct_to_re)
    except (AttributeError, TypeError, IndexError):
        return False


@functools.cache
def _bban_structure(country: str) -> re.Pattern[str] | None:
    if stdnum.iban._get_cc_module(country) is not None:
        return None  # stdnum checks more for this country: the original path
    (part, properties), *_ = stdnum.iban._ibandb.info(country)
    if part != country or not properties:
        return None  # an unknown country: the original path refuses it
    return stdnum.iban._struct_to_re(properties.get("bban", ""))


_SIMPLE_EMAIL = re.compile(r"[a-z0-9_+-]+(?:\.[a-z0-9_+-]+)*@(?P<domain>[a-z0-9-]+(?:\.[a-z0-9-]+)+)")


class _Email:
    """pydantic's EmailStr check (email-validator 2.4, deliverability not checked). For `local@domain` with a
    lower-case dot-atom local part of at most 64 characters and a lower-case ASCII domain without Punycode, the
    verdict depends on the domain alone (split at the only @, the local part passes the dot-atom rule as it is, the
    address is ASCII so no normalisation) and on the length (254 at most): once the original check has accepted
    such an address unchanged, another with the same domain is accepted unchanged."""

    def __init__(self, original: Check) -> None:
        self._original = original
        self._domains: set[tuple[str, bool, bool]] = set()

    def __call__(self, value: str) -> str:
        match = _SIMPLE_EMAIL.fullmatch(value)
        simple = match is not None and len(value) <= 254 and match.start("domain") <= 65 and "xn--" not in match["domain"]
        if simple:
            key = (match["domain"], email_validator.TEST_ENVIRONMENT, email_validator.GLOBALLY_DELIVERABLE)
            if key in self._domains:
                return value
        result = self._original(value)
        if simple and result == value and len(self._domains) < _KNOWN_DOMAINS_MAX:
            self._domains.add(key)
        return result


def _rewrite(node: Any, substitutes: dict[Any, Check], replaced: list[str]) -> Any:
    """A copy of a core schema with the substituted check functions."""
    if isinstance(node, list):
        return [_rewrite(item, substitutes, replaced) for item in node]
    if not isinstance(node, dict):
        return node
    copy = {key: _rewrite(value, substitutes, replaced) for key, value in node.items()}
    if node.get("type") == "function-after" and node.get("function", {}).get("type") == "no-info":
        function = node["function"]["function"]
        substitute = substitutes.get(getattr(function, "__func__", function))
        if substitute is not None:
            copy["function"] = {**node["function"], "function": substitute}
            replaced.append(getattr(function, "__qualname__", repr(function)))
    return copy


def _models_in(node: Any, found: set[type] | None = None) -> set[type]:
    found = set() if found is None else found
    if isinstance(node, dict):
        if node.get("type") == "model":
            found.add(node["cls"])
        for value in node.values():
            _models_in(value, found)
    elif isinstance(node, list):
        for item in node:
            _models_in(item, found)
    return found


@contextlib.contextmanager
def _built_from_schema(models: set[type]) -> Iterator[None]:
    """pydantic-core reuses a complete model's own validator for its schema (its checks, not ours): while the new
    validator is built, the models it contains are marked incomplete, then as they were."""
    saved = {model: model.__dict__.get("__pydantic_complete__", _ABSENT) for model in models}
    try:
        for model in models:
            type.__setattr__(model, "__pydantic_complete__", False)
        yield
    finally:
        for model, value in saved.items():
            if value is _ABSENT:
                type.__delattr__(model, "__pydantic_complete__")
            else:
                type.__setattr__(model, "__pydantic_complete__", value)
