"""What a portal shows of the tenant's identity rules, read from the tenant registry's `identity`
section (identity enforces them): the password policy of the portal's kind of account, whether the
login asks for the email too, and which ways of first connection the member portal offers."""

from __future__ import annotations

from functools import cache

from extranet_plumbing.tenants import tenant

KIND_OF_PORTAL = {"member": "member", "broker": "broker", "employer": "correspondent", "backoffice": "operator"}
CATEGORY_NAMES = {"upper": "1 majuscule", "lower": "1 minuscule", "digit": "1 chiffre", "special": "1 caractère spécial"}


def _identity(tenant_code: str) -> dict:
    return tenant(tenant_code).section("identity")


def login_requires_email(tenant_code: str, portal: str) -> bool:
    """Unions of mutuelles (Solimut): the member logs in with the mutuelle's number, the email and the password."""
    return portal == "member" and bool(_identity(tenant_code).get("login_requires_email"))


def member_activation_paths(tenant_code: str) -> frozenset[str]:
    return frozenset(_identity(tenant_code).get("member_activation", []))


@cache
def password_rules(tenant_code: str, portal: str) -> tuple[str, ...]:
    policies = _identity(tenant_code).get("password", {})
    policy = policies.get(KIND_OF_PORTAL[portal]) or policies.get("broker") or {}
    rules = [f"{policy.get('min_length', 10)} caractères au minimum"]
    required = policy.get("required", [])
    categories = policy.get("min_categories", 0)
    if categories and categories < 4:
        rules.append(f"au moins {categories} des 4 catégories : majuscules, minuscules, chiffres, caractères spéciaux")
    for name in required:
        text = CATEGORY_NAMES[name]
        if name == "special" and policy.get("specials"):
            text += f" parmi {policy['specials']}"
        rules.append(f"au moins {text}")
    if categories == 4:
        rules += [f"au moins {CATEGORY_NAMES[name]}" for name in ("upper", "lower", "digit", "special") if name not in required]
    if policy.get("refuse_accents"):
        rules.append("pas de caractère avec accent")
    return tuple(rules)
