"""The identity service's unit of work: its transaction and the repositories that work in it."""

from __future__ import annotations

import asyncpg

from extranet_plumbing.uow import UnitOfWork
from identity.adapters.accounts import Accounts
from identity.adapters.companies import CompanyContracts
from identity.adapters.credentials import ActionTokens, Codes, Sessions
from identity.adapters.decoys import Decoys
from identity.adapters.mails import SentMails
from identity.adapters.members import MembersOnFile
from identity.adapters.terms import TermsAcceptances
from identity.adapters.throttle import Throttle


class IdentityUnitOfWork(UnitOfWork):
    accounts: Accounts
    members: MembersOnFile
    codes: Codes
    links: ActionTokens
    sessions: Sessions
    terms: TermsAcceptances
    companies: CompanyContracts
    throttle: Throttle
    mails: SentMails
    decoys: Decoys

    def _bind(self, conn: asyncpg.Connection) -> None:
        self.accounts = Accounts(conn)
        self.members = MembersOnFile(conn)
        self.codes = Codes(conn)
        self.links = ActionTokens(conn)
        self.sessions = Sessions(conn)
        self.terms = TermsAcceptances(conn)
        self.companies = CompanyContracts(conn)
        self.throttle = Throttle(conn)
        self.mails = SentMails(conn)
        self.decoys = Decoys(conn)
