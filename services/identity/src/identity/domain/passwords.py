"""Password policies of the tenants (rules as the user guides state them), checked server-side."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

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
