"""`identity-admin`: operator commands of the identity service.

    identity-admin create-broker-login --tenant mbtp --broker-code M12345
The password is read from EXTRANET_NEW_PASSWORD, or asked for on the terminal; it must meet the
tenant's broker password policy. (Until broker activation by email exists.)
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import os
import sys

from extranet_plumbing.db import create_pool, migrate
from identity.adapters.credentials import save_broker_password
from identity.adapters.security import hash_password
from identity.bootstrap import MIGRATIONS
from identity.domain.passwords import MBTP_BROKER
from identity.settings import IdentitySettings


async def create_broker_login(settings: IdentitySettings, tenant: str, broker_code: str, password: str) -> None:
    pool = await create_pool(settings.database_url.get_secret_value(), settings.db_schema, max_size=1)
    try:
        await migrate(pool, settings.db_schema, MIGRATIONS)
        async with pool.acquire() as conn:
            await save_broker_password(conn, tenant, broker_code, await hash_password(password))
    finally:
        await pool.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="identity-admin", description="Operator commands of the identity service.")
    commands = parser.add_subparsers(dest="command", required=True)
    create = commands.add_parser("create-broker-login", help="set a broker's password")
    create.add_argument("--tenant", required=True)
    create.add_argument("--broker-code", required=True)
    args = parser.parse_args(argv)

    broker_code = args.broker_code.strip().upper()
    if not broker_code.startswith("M") or len(broker_code) != 6 or not broker_code[1:].isdigit():
        parser.error("the broker code is M followed by 5 digits")
    password = os.environ.get("EXTRANET_NEW_PASSWORD") or getpass.getpass("Mot de passe : ")
    problems = MBTP_BROKER.violations(password)
    if problems:
        print("Mot de passe refusé : " + ", ".join(problems), file=sys.stderr)
        return 2
    asyncio.run(create_broker_login(IdentitySettings(), args.tenant, broker_code, password))
    print(f"broker login ready: {args.tenant}/{broker_code}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
