"""`identity-admin`: operator commands of the identity service.

    identity-admin create-broker-login --tenant mbtp --broker-code M12345
    identity-admin create-operator --tenant mbtp --identifier jdupont --email j.dupont@mutuelle-mbtp.com
    identity-admin create-correspondent-login --tenant mbtp --company-code 12345678
The password is read from EXTRANET_NEW_PASSWORD, or asked for on the terminal; it must meet the
tenant's policy for that kind of account.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import os
import re
import sys
from datetime import UTC, datetime

from extranet_plumbing.db import create_pool, migrate
from extranet_plumbing.settings import read_settings
from identity.adapters.security import hash_password
from identity.bootstrap import MIGRATIONS
from identity.domain.passwords import PersonalData, breaches
from identity.domain.tenants import tenant as tenant_config
from identity.service_layer.unit_of_work import IdentityUnitOfWork
from identity.settings import IdentitySettings


async def set_login(
    settings: IdentitySettings,
    *,
    tenant: str,
    kind: str,
    identifier: str,
    password: str,
    email: str | None = None,
    scope: dict | None = None,
) -> None:
    pool = await create_pool(settings.database_url.get_secret_value(), settings.db_schema, max_size=1)
    try:
        await migrate(pool, settings.db_schema, MIGRATIONS)
        async with IdentityUnitOfWork(pool, settings) as uow:
            account = await uow.accounts.by_identifier(tenant, kind, identifier, for_update=True)
            if account is None:
                account = await uow.accounts.add(tenant=tenant, kind=kind, identifier=identifier, email=email, scope=scope or {})
            if account is None:  # created meanwhile (the legacy intake registering the same broker): take that one
                account = await uow.accounts.by_identifier(tenant, kind, identifier, for_update=True)
            await uow.accounts.update(
                account,
                password_hash=await hash_password(password),
                status="active",
                activated_at=datetime.now(UTC),
                failed_logins=0,
                locked_until=None,
                **({"email": email} if email else {}),
            )
            await uow.commit()
    finally:
        await pool.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="identity-admin", description="Operator commands of the identity service.")
    commands = parser.add_subparsers(dest="command", required=True)
    broker = commands.add_parser("create-broker-login", help="set a broker's password (the account becomes active)")
    broker.add_argument("--tenant", required=True)
    broker.add_argument("--broker-code", required=True)
    correspondent = commands.add_parser(
        "create-correspondent-login", help="set the password of a company's primary correspondent (C + company code; all its contracts)"
    )
    correspondent.add_argument("--tenant", required=True)
    correspondent.add_argument("--company-code", required=True)
    operator = commands.add_parser("create-operator", help="create a back-office operator account")
    operator.add_argument("--tenant", required=True)
    operator.add_argument("--identifier", required=True)
    operator.add_argument("--email", required=True)
    args = parser.parse_args(argv)

    config = tenant_config(args.tenant)
    if args.command == "create-broker-login":
        kind, identifier, email, scope = "broker", args.broker_code.strip().upper(), None, None
        if not config.broker_identifier.match(identifier):
            parser.error("the broker code is M followed by 5 digits")
        scope = {"broker_code": identifier}
    elif args.command == "create-correspondent-login":
        company = args.company_code.strip()
        if not re.fullmatch(r"[0-9]{8}", company):
            parser.error("the company code is 8 digits")
        kind, identifier, email = "correspondent", f"C{company}", None
        scope = {"company_code": company, "contracts": "all", "primary": True}
    else:
        kind, identifier, email, scope = "operator", args.identifier.strip(), args.email.strip(), {"operator": True}
        if not re.fullmatch(r"[a-z0-9._-]{3,40}", identifier):
            parser.error("operator identifiers are 3 to 40 lower-case letters, digits, dots, dashes")
    settings = read_settings(IdentitySettings)  # a configuration it refuses stops the command before a password is typed
    password = os.environ.get("EXTRANET_NEW_PASSWORD") or getpass.getpass("Mot de passe : ")
    problems = config.password_policy("broker" if kind == "operator" else kind).violations(password)
    problems += breaches(password, PersonalData.of([identifier, (email or "").partition("@")[0]]))
    if problems:
        print("Mot de passe refusé : " + ", ".join(problems), file=sys.stderr)
        return 2
    asyncio.run(set_login(settings, tenant=args.tenant, kind=kind, identifier=identifier, password=password, email=email, scope=scope))
    print(f"{kind} login ready: {args.tenant}/{identifier}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
