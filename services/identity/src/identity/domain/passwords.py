"""Password policies of the tenants (rules as the user guides state them)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PasswordPolicy:
    min_length: int = 10
    specials: str = "~@_/+!?-:"
    require_upper: bool = True
    require_lower: bool = True
    require_digit: bool = True
    require_special: bool = True
    refuse_accents: bool = True

    def violations(self, password: str) -> list[str]:
        """What is wrong with `password`, in French as the portal shows it; empty when it is fine."""
        problems = []
        if len(password) < self.min_length:
            problems.append(f"au moins {self.min_length} caractères")
        if self.require_upper and not any(c.isupper() for c in password):
            problems.append("au moins 1 majuscule")
        if self.require_lower and not any(c.islower() for c in password):
            problems.append("au moins 1 minuscule")
        if self.require_digit and not any(c.isdigit() for c in password):
            problems.append("au moins 1 chiffre")
        if self.require_special and not any(c in self.specials for c in password):
            problems.append(f"au moins 1 caractère spécial parmi {self.specials}")
        if self.refuse_accents and not password.isascii():
            problems.append("aucun caractère accentué")
        return problems


# MBTP broker portal (guide 000): 10 characters, upper, lower, digit, special, no accent.
MBTP_BROKER = PasswordPolicy()
