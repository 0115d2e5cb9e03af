"""Password rules, checked server-side: the tenants' policies (as the user guides state them), and
what NIST SP 800-63B asks besides: no common or breached password (an offline list shipped with the
service, `identity/passwords/`), even with digits or signs around it, and nothing of the person in
it (identifier, last or first name, birth date)."""

from __future__ import annotations

import functools
import gzip
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

COMMON_PASSWORDS = Path(__file__).parent.parent / "passwords" / "common.txt.gz"
COMMON = "Ce mot de passe est trop courant ou figure parmi des mots de passe divulgués : choisissez-en un autre."
PERSONAL = "Le mot de passe ne doit contenir ni votre identifiant, ni votre nom ou prénom, ni votre date de naissance."
# What attackers add around a word: digits and signs before or after it, and these substitutions.
_AROUND = re.compile(r"^[^a-z]+|[^a-z]+$")
_LEET = str.maketrans({"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a", "$": "s", "!": "i"})
_SEPARATORS = re.compile(r"[\s./_-]")

CATEGORIES = ("upper", "lower", "digit", "special")
_LABELS = {"upper": "1 majuscule", "lower": "1 minuscule", "digit": "1 chiffre", "special": "1 caractère spécial"}


@dataclass(frozen=True)
class PasswordPolicy:
    """`required` categories must all be present; at least `min_categories` of the four overall."""

    min_length: int = 10
    max_length: int = 128
    specials: str = "~@_/+!?-:"
    required: tuple[str, ...] = ("upper", "lower", "digit", "special")
    min_categories: int = 4
    refuse_accents: bool = True

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> PasswordPolicy:
        return cls(**{k: tuple(v) if k == "required" else v for k, v in config.items()})

    def _category(self, char: str) -> str | None:
        if char in self.specials:
            return "special"
        if char.isdigit():
            return "digit"
        if char.isupper():
            return "upper"
        if char.islower():
            return "lower"
        return None

    def violations(self, password: str) -> list[str]:
        """What is wrong with `password`, in French as the portal shows it; empty when it is fine."""
        problems = []
        if len(password) < self.min_length:
            problems.append(f"au moins {self.min_length} caractères")
        if len(password) > self.max_length:
            problems.append(f"au plus {self.max_length} caractères")
        present = {self._category(c) for c in password} - {None}
        for category in self.required:
            if category not in present:
                label = _LABELS[category] + (f" parmi {self.specials}" if category == "special" else "")
                problems.append(f"au moins {label}")
        if len(present) < self.min_categories and len(self.required) < self.min_categories:
            problems.append(f"au moins {self.min_categories} des 4 catégories (majuscules, minuscules, chiffres, caractères spéciaux)")
        if self.refuse_accents and not password.isascii():
            problems.append("aucun caractère accentué")
        return problems


def fold(text: str) -> str:
    """Lower case without accents: how passwords are compared with the list and with the person's data."""
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()


@functools.cache
def common_passwords() -> frozenset[str]:
    """The shipped list (see `identity/passwords/LICENSES.md` for where it comes from)."""
    with gzip.open(COMMON_PASSWORDS, "rt", encoding="ascii") as lines:
        return frozenset(line.rstrip("\n") for line in lines)


def variants(password: str) -> set[str]:
    """The password as an attacker's list would hold it: folded, without digits and signs around, de-leeted."""
    folded = fold(password)
    core = _AROUND.sub("", folded)
    found = {folded, core, core.translate(_LEET), folded.translate(_LEET)}
    return {v for v in found if v}


def is_common(password: str) -> bool:
    """True for a common or breached password, or one of its usual variants (`Password1!`, `motdepasse1!`)."""
    listed = common_passwords()
    return any(v in listed for v in variants(password))


@dataclass(frozen=True)
class PersonalData:
    """What a password must not contain: the account's identifiers, the person's names, birth dates."""

    identifiers: tuple[str, ...] = ()
    names: tuple[str, ...] = ()
    birth_dates: tuple[date, ...] = field(default_factory=tuple)

    @classmethod
    def of(cls, identifiers: Iterable[str | None] = (), names: Iterable[str | None] = (), birth_dates: Iterable[date] = ()) -> PersonalData:
        return cls(tuple(i for i in identifiers if i), tuple(n for n in names if n), tuple(birth_dates))

    def words(self) -> set[str]:
        """Identifiers whole; names word by word (3 letters or more: "Léa", not "Le")."""
        found = {fold(i).strip() for i in self.identifiers if len(i.strip()) >= 3}
        for name in self.names:
            found |= {w for w in re.split(r"[^a-z]+", fold(name)) if len(w) >= 3}
        return found

    def dates(self) -> set[str]:
        """Birth dates in their common written forms, without separators."""
        forms = set()
        for d in self.birth_dates:
            dd, mm, yyyy, yy = f"{d.day:02d}", f"{d.month:02d}", f"{d.year:04d}", f"{d.year % 100:02d}"
            forms |= {dd + mm + yyyy, yyyy + mm + dd, dd + mm + yy, mm + dd + yyyy, yy + mm + dd}
        return forms

    def found_in(self, password: str) -> bool:
        folded = fold(password)
        if any(word in folded or word in folded.translate(_LEET) for word in self.words()):
            return True
        compact = _SEPARATORS.sub("", folded)
        return any(form in compact for form in self.dates())


def breaches(password: str, personal: PersonalData | None = None) -> list[str]:
    """The NIST rules `password` breaks, as French sentences naming them; empty when it is fine."""
    problems = []
    if is_common(password):
        problems.append(COMMON)
    if personal is not None and personal.found_in(password):
        problems.append(PERSONAL)
    return problems
