"""Deterministic, streaming generation of what the legacy management system publishes.

`generate(spec, seed, tenant, today)` yields `(Envelope, Event)` pairs company by company, so
that the bench size (10 000 companies, 1 000 000 insured) runs in constant memory. The same
seed, spec, tenant and `today` give the same events with the same envelope ids, so that
publishing a set twice is deduplicated downstream.

Stream order is causal: every broker first, then per company its record, its broker
assignment, its contracts each followed by its guarantees and memberships (a contract's
terminations after its affiliations, then, where the size asks for them, the file of each household of
a health contract (contract, beneficiaries, preferences: legacy.households) and its reimbursements), and last the company's later changes (broker transfer, updated record).
Reimbursements are drawn from generators of their own (per household, and for their envelope ids),
so that asking for them changes no other event.
"""

from __future__ import annotations

import bisect
import functools
import itertools
import random
import unicodedata
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, TypeVar

from faker import Faker

from extranet_contracts.base import Event
from extranet_contracts.calendar import today_in_france
from extranet_contracts.envelope import Envelope
from extranet_contracts.households import Frequency, PaymentMode
from extranet_contracts.legacy import (
    BankDetails,
    BrokerPortfolioCompanyAssigned,
    BrokerPortfolioCompanyWithdrawn,
    BrokerRegistered,
    CollectiveContractSigned,
    CompanyContact,
    CompanyRegistered,
    Dependant,
    FamilySituation,
    GuaranteeAttached,
    InsuredGroupDetails,
    InsuredPerson,
    MemberAffiliated,
    MemberRadiated,
)
from extranet_contracts.types import Address, Category, Civility, DependantRole, InsuredGroup, Product
from legacy_simulator import numbers, refdata
from legacy_simulator.claims import household_payments
from legacy_simulator.contributions import contract_contributions
from legacy_simulator.households import household_file
from legacy_simulator.sizes import SizeSpec

SOURCE = "urn:extranet:legacy:promut2000"

T = TypeVar("T")

# Affiliation dates: spread over this many days before `today`...
AFFILIATION_WINDOW_DAYS = 3 * 365
# ...with these extra shares in the current month, the previous month and the 1st of next month.
AFFILIATION_CURRENT_MONTH = 0.02
AFFILIATION_PREVIOUS_MONTH = 0.02
AFFILIATION_NEXT_MONTH = 0.01
# Share of memberships that end, and the share of those ending in the current / previous month.
RADIATION_SHARE = 0.16
RADIATION_CURRENT_MONTH = 0.14
RADIATION_PREVIOUS_MONTH = 0.14
COMPANY_UPDATE_SHARE = 0.03


# --- small helpers -----------------------------------------------------------------------------


class Weighted:
    """Weighted random choice among fixed items, faster than `random.choices` in a hot loop."""

    def __init__(self, items: Sequence[T], weights: Sequence[float]) -> None:
        self.items = list(items)
        self._cumulative = list(itertools.accumulate(weights))
        self._total = self._cumulative[-1]

    def __call__(self, rng: random.Random) -> Any:
        return self.items[bisect.bisect_right(self._cumulative, rng.random() * self._total)]


def _pairs_weighted(pairs: Sequence[tuple[T, float]]) -> Weighted:
    return Weighted([item for item, _ in pairs], [weight for _, weight in pairs])


@functools.lru_cache(maxsize=65_536)
def ascii_slug(text: str, sep: str = "") -> str:
    """'Lefèvre d'Arc' -> 'lefevredarc' (or with a separator between words)."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    words = ["".join(ch for ch in word if ch.isalnum()) for word in plain.replace("-", " ").split()]
    return sep.join(word for word in words if word)


def month_start(day: date) -> date:
    return day.replace(day=1)


def previous_month_start(day: date) -> date:
    return month_start(month_start(day) - timedelta(days=1))


def next_month_start(day: date) -> date:
    return month_start(month_start(day) + timedelta(days=32))


def months_before(day: date, months: int) -> date:
    """The first day of the month `months` months before `day`'s month."""
    index = day.year * 12 + day.month - 1 - months
    return date(index // 12, index % 12 + 1, 1)


def years_before(day: date, years: float) -> date:
    return date.fromordinal(day.toordinal() - int(years * 365.2425))


def uniform_date(rng: random.Random, low: date, high: date) -> date:
    if high <= low:
        return low
    return date.fromordinal(rng.randint(low.toordinal(), high.toordinal()))


def business_day(day: date, today: date) -> date:
    """The legacy back office records on working days: a weekend day moves to Monday (or Friday)."""
    weekday = day.weekday()
    if weekday < 5:
        return day
    monday = day + timedelta(days=7 - weekday)
    return monday if monday <= today else day - timedelta(days=weekday - 4)


def _unique(draw: Callable[[], str], tries: int) -> list[str]:
    return list(dict.fromkeys(draw() for _ in range(tries)))


class Pools:
    """French names and street names drawn once from a seeded Faker('fr_FR')."""

    def __init__(self, seed: int) -> None:
        fake = Faker("fr_FR")
        fake.seed_instance(seed)
        self.male_first_names = _unique(fake.first_name_male, 2_000)
        self.female_first_names = _unique(fake.first_name_female, 2_000)
        self.last_names = _unique(fake.last_name, 6_000)
        self.street_names = _unique(fake.street_name, 6_000)


@dataclass(frozen=True)
class Place:
    city: str
    postal_code: str
    department: str
    zone: str


PLACES = [Place(city, postal, insee[:2], refdata.landline_zone(insee[:2])) for city, postal, insee, _ in refdata.CITIES]
_PLACE_CHOICE = Weighted(range(len(PLACES)), [weight for *_, weight in refdata.CITIES])
# Birthplaces: the cities' INSEE codes (deduplicated), then the countries of birth abroad.
BIRTHPLACES = list(dict.fromkeys(insee for _, _, insee, _ in refdata.CITIES)) + [c for c, _ in refdata.COUNTRIES_OF_BIRTH]
_BIRTH_CITY = Weighted([BIRTHPLACES.index(insee) for _, _, insee, _ in refdata.CITIES], [weight for *_, weight in refdata.CITIES])
_BIRTH_ABROAD = Weighted([BIRTHPLACES.index(code) for code, _ in refdata.COUNTRIES_OF_BIRTH], [w for _, w in refdata.COUNTRIES_OF_BIRTH])
_BANK = Weighted([(code, bic) for code, bic, _ in refdata.BANKS], [w for *_, w in refdata.BANKS])
_EMAIL_DOMAIN = _pairs_weighted(refdata.MEMBER_EMAIL_DOMAINS)
_LEGAL_FORM = _pairs_weighted(refdata.LEGAL_FORMS)
_COMPANY_NAME = _pairs_weighted(refdata.COMPANY_NAME_PATTERNS)
_CONTRACT_SET = _pairs_weighted(refdata.CONTRACT_SETS)
_SINGLE_CONTRACT_SETS = _pairs_weighted([(s, w) for s, w in refdata.CONTRACT_SETS if len(s) == 1])
_REASON = _pairs_weighted(refdata.RADIATION_REASONS)
_COUPLE = Weighted([FamilySituation.MARRIED, FamilySituation.CIVIL_PARTNERSHIP, FamilySituation.COHABITING], [60, 25, 15])
_ALONE = Weighted([FamilySituation.SINGLE, FamilySituation.DIVORCED, FamilySituation.SEPARATED, FamilySituation.WIDOWED], [70, 18, 7, 5])
_PAYMENT_MODE = Weighted([PaymentMode.PAYROLL, PaymentMode.DIRECT_DEBIT, PaymentMode.CHEQUE, PaymentMode.TRANSFER], [70, 20, 7, 3])
_ADDRESS_LINE2 = ("Bâtiment {b}", "Appartement {n}", "Résidence Les {r}", "Escalier {n}", "Bâtiment {b}, appartement {n}")
_RESIDENCES = ("Lilas", "Tilleuls", "Pins", "Acacias", "Jardins", "Hauts de Seine", "Cèdres", "Mimosas")
_LIEUX_DITS = ("Lieu-dit Les Granges", "Lieu-dit La Croix", "Hameau du Moulin", "Lieu-dit Le Bourg", "Les Essarts")


# --- the generator -----------------------------------------------------------------------------


@dataclass
class _Member:
    """What a pending termination needs to know about its affiliation."""

    membership_id: str
    member_number: str
    effective_date: date
    recorded_on: date
    time: datetime
    group: InsuredGroup
    age: float


@dataclass(frozen=True)
class _Plan:
    sizes: list[int]
    broker_of: list[int | None]
    transfer_to: dict[int, int]
    first_company_code: int
    first_member_number: int
    first_contract: int


class _Generator:
    def __init__(self, spec: SizeSpec, seed: int, tenant: str, today: date, now: datetime | None) -> None:
        self.spec = spec
        self.seed = seed
        self.tenant = tenant
        self.today = today
        # Nothing is stamped after the end of `today`, nor after the moment of generation when
        # `today` is the current day.
        end_of_today = datetime.combine(today, time(23, 59, 59), tzinfo=UTC)
        now = now or datetime.now(UTC)
        self.not_after = min(end_of_today, now) if now.date() == today else end_of_today
        self.this_month = month_start(today)
        self.prev_month = previous_month_start(today)
        self.next_month = next_month_start(today)
        self.end_of_month = self.next_month - timedelta(days=1)
        self.ids = random.Random(f"{tenant}/{seed}/envelope-ids")
        self.claim_ids = random.Random(f"{tenant}/{seed}/claims-envelope-ids")
        self.household_ids = random.Random(f"{tenant}/{seed}/households-envelope-ids")
        self.contribution_ids = random.Random(f"{tenant}/{seed}/contributions-envelope-ids")
        self.claim_reference = random.Random(f"{seed}/claims").randrange(30_000_000, 40_000_000)
        self.pools = Pools(seed)
        self.nirs = numbers.NirAllocator(BIRTHPLACES)
        self._male = self.pools.male_first_names
        self._female = self.pools.female_first_names
        self._last = self.pools.last_names
        self._streets = self.pools.street_names
        self.mutuelles = refdata.UNION_MUTUELLES.get(tenant, ())

    def mutuelle_code(self, member_number: str) -> str | None:
        """The member's mutuelle within the tenant's union, if the tenant is one (drawn from the member
        number, so that the other draws, and the other tenants' streams, stay as they are)."""
        if not self.mutuelles:
            return None
        return self.mutuelles[int(member_number) % len(self.mutuelles)][1]

    # envelope ------------------------------------------------------------------------------

    def stamp(self, rng: random.Random, day: date, not_before: datetime | None = None) -> datetime:
        """`day` at an office hour (08:00-18:00 Paris, roughly 07:00-17:00 UTC)."""
        seconds = int(rng.random() * 36_000)
        moment = datetime(day.year, day.month, day.day, 7 + seconds // 3600, seconds // 60 % 60, seconds % 60, tzinfo=UTC)
        if not_before is not None and moment <= not_before:
            moment = not_before + timedelta(seconds=1 + seconds % 600)
        return min(moment, self.not_after)

    def wrap(self, event: Event, moment: datetime, ids: random.Random | None = None) -> tuple[Envelope, Event]:
        envelope = Envelope(
            id=uuid.UUID(int=(ids or self.ids).getrandbits(128), version=4),
            type=event.TYPE,
            version=event.VERSION,
            source=SOURCE,
            time=moment,
            tenant=self.tenant,
            key=event.key(),
        )
        return envelope, event

    # people and places ---------------------------------------------------------------------

    def first_name(self, rng: random.Random, male: bool) -> str:
        names = self._male if male else self._female
        return names[int(rng.random() * len(names))]

    def last_name(self, rng: random.Random) -> str:
        names = self._last
        u = rng.random()
        if u < 0.03:  # a double name
            return f"{names[int(u / 0.03 * len(names))]}-{names[int(rng.random() * len(names))]}"
        return names[int(rng.random() * len(names))]

    def street_line(self, rng: random.Random) -> str:
        u = rng.random()
        number = 1 + int(u / 0.8 * 180) if u < 0.8 else 181 + int((u - 0.8) / 0.2 * 220)
        streets = self._streets
        street = streets[int(rng.random() * len(streets))]
        return f"{number} bis {street}" if number % 25 == 7 else f"{number} {street}"

    def home_address(self, rng: random.Random, place: Place) -> Address:
        line2 = None
        if rng.random() < 0.15:
            line2 = rng.choice(_ADDRESS_LINE2).format(b=rng.choice("ABCDEFG"), n=rng.randint(1, 60), r=rng.choice(_RESIDENCES))
        locality = rng.choice(_LIEUX_DITS) if rng.random() < 0.03 else None
        return Address(line1=self.street_line(rng), line2=line2, locality=locality, postal_code=place.postal_code, city=place.city)

    def person(self, rng: random.Random, male: bool, birth_date: date, last_name: str) -> tuple[Civility, str, str, date, str]:
        place = _BIRTH_ABROAD(rng) if rng.random() < refdata.BORN_ABROAD_SHARE else _BIRTH_CITY(rng)
        nir = self.nirs.allocate(male, birth_date, place)
        civility = Civility.MR if male else Civility.MRS
        return civility, last_name, self.first_name(rng, male), birth_date, nir

    def personal_email(self, rng: random.Random, first: str, last: str, birth_date: date) -> str:
        f, ln = ascii_slug(first), ascii_slug(last)
        digits = rng.choice((f"{birth_date.year % 100:02d}", str(rng.randint(1, 99)), str(rng.randint(100, 9999))))
        local = rng.choice((f"{f}.{ln}{digits}", f"{f[0]}{ln}{digits}", f"{ln}.{f}{digits}", f"{f}{ln}{digits}", f"{f}_{ln}{digits}"))
        return f"{local}@{_EMAIL_DOMAIN(rng)}"

    # brokers -------------------------------------------------------------------------------

    def brokers(self) -> list[tuple[BrokerRegistered, date]]:
        rng = random.Random(f"{self.seed}/brokers")
        count = self.spec.brokers
        codes = sorted(rng.sample(range(10_000, 100_000), count))
        orias_numbers = rng.sample(range(7_000_000, 24_000_000), count)
        names: set[str] = set()
        result = []
        for code, orias in zip(codes, orias_numbers, strict=True):
            place = PLACES[_PLACE_CHOICE(rng)]
            for attempt in itertools.count():
                name = rng.choice(refdata.BROKER_NAME_PATTERNS).format(
                    last=rng.choice(self._last), last2=rng.choice(self._last), city=place.city,
                    geo=rng.choice(refdata.GEO_NAMES),
                )  # fmt: skip
                if attempt >= 20:
                    name = f"{name} {code % 1000:03d}"
                if name not in names:
                    break
            names.add(name)
            male = rng.random() < 0.6
            first, last = self.first_name(rng, male), rng.choice(self._last)
            domain = ascii_slug(name, "-") + ".fr"
            line2 = rng.choice((None, None, "2e étage", "Bureau 4", "Immeuble Le Central"))
            event = BrokerRegistered(
                broker_code=f"M{code:05d}",
                name=name,
                orias_number=f"{orias:08d}",
                contact_last_name=last,
                contact_first_name=first,
                email=f"{ascii_slug(first, '-')}.{ascii_slug(last, '-')}@{domain}",
                phone=numbers.landline(rng, place.zone),
                address=Address(line1=self.street_line(rng), line2=line2, postal_code=place.postal_code, city=place.city),
                revision=1,
            )
            result.append((event, uniform_date(rng, years_before(self.today, 25), years_before(self.today, 16))))
        return result

    # the plan: company sizes, brokers, numbering ----------------------------------------------

    def plan(self) -> _Plan:
        rng = random.Random(f"{self.seed}/plan")
        spec = self.spec
        sizes = company_sizes(rng, spec.companies, spec.insured)
        unassigned = set(rng.sample(range(spec.companies), spec.unassigned_companies))
        assigned = [i for i in range(spec.companies) if i not in unassigned]
        broker_of: list[int | None] = [None] * spec.companies
        transfer_to: dict[int, int] = {}
        if spec.brokers and assigned:
            order = assigned[:]
            rng.shuffle(order)
            weights = [rng.paretovariate(1.6) for _ in range(spec.brokers)]
            choose = Weighted(range(spec.brokers), weights)
            for position, company in enumerate(order):
                # Every broker gets at least one company, then the bigger brokers get more.
                broker_of[company] = position if position < spec.brokers else choose(rng)
            if spec.brokers >= 2:
                transfers = round(len(assigned) * spec.transfer_share)
                if spec.transfer_share and len(assigned) >= 20:
                    transfers = max(transfers, 1)  # so that the demo set has one
                for company in sorted(rng.sample(assigned, transfers)):
                    current = broker_of[company]
                    transfer_to[company] = rng.choice([b for b in range(spec.brokers) if b != current])
        return _Plan(
            sizes=sizes,
            broker_of=broker_of,
            transfer_to=transfer_to,
            first_company_code=rng.randrange(10_000_000, 40_000_000),
            first_member_number=rng.randrange(10_000_000, 30_000_000),
            first_contract=rng.randrange(100, 1_000),
        )

    # the stream ----------------------------------------------------------------------------

    def run(self) -> Iterator[tuple[Envelope, Event]]:
        brokers = self.brokers()
        broker_times: list[datetime] = []
        for event, registered_on in brokers:
            moment = self.stamp(random.Random(f"{self.seed}/broker-time/{event.broker_code}"), registered_on)
            broker_times.append(moment)
            yield self.wrap(event, moment)
        broker_codes = [event.broker_code for event, _ in brokers]
        plan = self.plan()
        self.company_code = plan.first_company_code
        self.member_number = plan.first_member_number
        self.membership_seq = 0
        self.contract_seq = plan.first_contract
        for index in range(self.spec.companies):
            broker = plan.broker_of[index]
            transfer = plan.transfer_to.get(index)
            yield from self.company(
                index,
                plan.sizes[index],
                broker_codes[broker] if broker is not None else None,
                broker_codes[transfer] if transfer is not None else None,
            )

    def company(self, index: int, size: int, broker: str | None, transfer_to: str | None) -> Iterator[tuple[Envelope, Event]]:
        rng = random.Random(f"{self.seed}/company/{index}")
        today = self.today
        self.company_code += rng.randint(1, 97)
        code = f"{self.company_code:08d}"

        # membership date: the 1st of a month, most companies for years, some recent clients
        if rng.random() < 0.8:
            membership_date = months_before(today, rng.randint(36, 180))
            if rng.random() < 0.35:
                membership_date = membership_date.replace(month=1)
        else:
            membership_date = months_before(today, rng.randint(2, 35))
        place = PLACES[_PLACE_CHOICE(rng)]
        legal_name, domain = self.legal_name(rng, place)
        siret = numbers.siret(rng)
        address = self.company_address(rng, place)
        contacts = self.contacts(rng, domain, place, rng.choice((1, 1, 2, 2, 2, 3)))
        company = CompanyRegistered(
            company_code=code,
            legal_name=legal_name,
            siret=siret,
            address=address,
            membership_date=membership_date,
            contacts=contacts,
            revision=1,
        )
        company_recorded = business_day(membership_date - timedelta(days=rng.randint(5, 40)), today)
        company_time = self.stamp(rng, company_recorded)
        yield self.wrap(company, company_time)

        if broker is not None:
            yield self.wrap(
                BrokerPortfolioCompanyAssigned(broker_code=broker, company_code=code, assigned_on=membership_date),
                self.stamp(rng, membership_date, company_time),
            )

        # contracts, their guarantees and their memberships
        contract_set = _CONTRACT_SET(rng) if size >= 5 else _SINGLE_CONTRACT_SETS(rng)
        shares = split(size, [share for *_, share in contract_set])
        last_start = self.prev_month
        for position, ((product, category, _), headcount) in enumerate(zip(contract_set, shares, strict=True)):
            if position == 0 or rng.random() < 0.7:
                effective = membership_date
            else:
                effective = uniform_date(rng, membership_date, last_start).replace(day=1)
            yield from self.contract(
                rng,
                code,
                Product(product),
                Category(category),
                effective,
                company_time,
                headcount,
                place,
                company_name=legal_name,
                domain=domain,
            )

        # later changes to the company: a broker transfer, an updated record
        if broker is not None and transfer_to is not None:
            earliest = months_before(membership_date, -12)
            if earliest < self.this_month:
                moved_on = uniform_date(rng, earliest, self.this_month).replace(day=1)
                withdrawn_on = moved_on - timedelta(days=1)
                withdrawn_time = self.stamp(rng, min(withdrawn_on, today), company_time)
                yield self.wrap(
                    BrokerPortfolioCompanyWithdrawn(broker_code=broker, company_code=code, withdrawn_on=withdrawn_on),
                    withdrawn_time,
                )
                yield self.wrap(
                    BrokerPortfolioCompanyAssigned(broker_code=transfer_to, company_code=code, assigned_on=moved_on),
                    self.stamp(rng, min(moved_on, today), withdrawn_time),
                )
        if rng.random() < COMPANY_UPDATE_SHARE:
            changed_on = uniform_date(rng, membership_date + timedelta(days=30), today)
            if rng.random() < 0.5:
                update = company.model_copy(update={"address": self.company_address(rng, place)})
            else:
                extra = self.contacts(rng, domain, place, 1)[0]
                extra = CompanyContact.model_validate(
                    {**extra.model_dump(), "primary": False, "role": rng.choice(refdata.CONTACT_ROLES_OTHER)}
                )
                update = company.model_copy(update={"contacts": [*contacts, extra]})
            update = CompanyRegistered.model_validate({**update.model_dump(), "revision": 2})
            yield self.wrap(update, self.stamp(rng, changed_on, company_time))

    def legal_name(self, rng: random.Random, place: Place) -> tuple[str, str]:
        last = rng.choice(self._last)
        initials = "".join(rng.choice("ABCDEGLMRST") for _ in range(rng.randint(2, 3))) + rng.choice(("BTP", "TP", "B"))
        name = _COMPANY_NAME(rng).format(
            geo=rng.choice(refdata.GEO_NAMES),
            generic=rng.choice(refdata.GENERIC_ACTIVITIES),
            activity=rng.choice(refdata.ACTIVITIES),
            last=last,
            initials=initials,
            form=_LEGAL_FORM(rng),
        )
        words = name.split()[:-1]  # without the legal form
        domain = ascii_slug(" ".join(words), "-") + rng.choice((".fr", ".fr", ".fr", ".com"))
        return name, domain

    def company_address(self, rng: random.Random, place: Place) -> Address:
        if rng.random() < 0.45:
            line2 = rng.choice(refdata.COMPANY_ADDRESS_PREFIXES).format(
                noun=rng.choice(refdata.COMPANY_ADDRESS_NOUNS),
                noun2=rng.choice(refdata.COMPANY_ADDRESS_NOUNS2),
                noun3=rng.choice(refdata.COMPANY_ADDRESS_NOUNS3),
            )
            return Address(line1=self.street_line(rng), line2=line2, postal_code=place.postal_code, city=place.city)
        return Address(line1=self.street_line(rng), postal_code=place.postal_code, city=place.city)

    def contacts(self, rng: random.Random, domain: str, place: Place, count: int) -> list[CompanyContact]:
        roles = [rng.choice(refdata.CONTACT_ROLES_PRIMARY), *rng.sample(refdata.CONTACT_ROLES_OTHER, count - 1)]
        contacts = []
        for position, role in enumerate(roles):
            male = rng.random() < (0.75 if position == 0 else 0.3)
            first, last = self.first_name(rng, male), rng.choice(self._last)
            email = f"{ascii_slug(first, '-')}.{ascii_slug(last, '-')}@{domain}" if rng.random() < 0.92 else None
            phone = numbers.mobile_phone(rng) if rng.random() < 0.4 else numbers.landline(rng, place.zone)
            contacts.append(CompanyContact(last_name=last, first_name=first, role=role, email=email, phone=phone, primary=position == 0))
        return contacts

    def contract(
        self,
        rng: random.Random,
        company_code: str,
        product: Product,
        category: Category,
        effective: date,
        company_time: datetime,
        headcount: int,
        place: Place,
        company_name: str | None = None,
        domain: str | None = None,
    ) -> Iterator[tuple[Envelope, Event]]:
        today = self.today
        self.contract_seq += rng.randint(1, 3)
        number = f"{'W1' if product is Product.HEALTH else 'W2'}-{self.contract_seq:06d}"
        groups = [InsuredGroup.ACTIVE, InsuredGroup.PORTABILITY]
        if product is Product.HEALTH and rng.random() < 0.45:
            groups += [InsuredGroup.EVIN, InsuredGroup.MAINTAINED]
        elif product is Product.PROVIDENT and rng.random() < 0.25:
            groups.append(InsuredGroup.MAINTAINED)
        contract = CollectiveContractSigned(
            contract_number=number,
            company_code=company_code,
            product=product,
            category=category,
            effective_date=effective,
            insured_groups=groups,
            group_details=self.group_details(number, groups, place, domain),
            revision=1,
        )
        contract_time = self.stamp(rng, min(effective - timedelta(days=rng.randint(0, 20)), today), company_time)
        yield self.wrap(contract, contract_time)

        guarantees = self.guarantees(rng, product, effective)
        for guarantee_code, name, start, end in guarantees:
            guarantee = GuaranteeAttached(
                contract_number=number, guarantee_code=guarantee_code, name=name, start_date=start, end_date=end, revision=1
            )
            yield self.wrap(guarantee, self.stamp(rng, min(start, today), contract_time))
        yield from self.contributions(number, company_code, groups, effective, headcount, contract_time)

        pending: list[_Member] = []
        reimbursed = product is Product.HEALTH and self.spec.reimbursements_per_member > 0
        households: list[MemberAffiliated] = []
        group_choice = Weighted(groups, [{"A": 92, "P": 5, "E": 2, "M": 1}[g.value] for g in groups])
        male_share = {Category.EXECUTIVES: 0.7, Category.NON_EXECUTIVES: 0.86}.get(category, 0.8)
        for _ in range(headcount):
            envelope, event, member = self.affiliation(
                rng, number, company_code, effective, group_choice(rng), male_share, place, contract_time
            )
            yield envelope, event
            if member is not None:
                pending.append(member)
            if reimbursed:
                households.append(event)
        pending.sort(key=lambda m: (m.recorded_on, m.membership_id))
        covered_until: dict[str, date] = {}
        for member in pending:
            envelope, radiation = self.radiation(rng, number, company_code, member)
            covered_until[radiation.membership_id] = radiation.effective_date
            yield envelope, radiation
        for household in households:
            yield from self.household_file(household, covered_until.get(household.membership_id), guarantees, company_name)
            yield from self.reimbursements(household, covered_until.get(household.membership_id), guarantees)

    def group_details(self, number: str, groups: list[InsuredGroup], place: Place, domain: str | None) -> list[InsuredGroupDetails]:
        """Where some insured groups are managed (« Votre groupe » : an address, contacts), from draws of their own (the
        rest of the portfolio is unchanged): most active groups have them, other groups less often, some none."""
        rng = random.Random(f"{self.seed}/groups/{number}")
        details = []
        for group in groups:
            if rng.random() >= (0.7 if group is InsuredGroup.ACTIVE else 0.35):
                continue
            address = self.company_address(rng, place) if rng.random() < 0.8 else None
            contacts = (
                self.contacts(rng, domain or f"{ascii_slug(number, '-')}.fr", place, rng.choice((1, 1, 2))) if rng.random() < 0.7 else []
            )
            contacts = [c.model_copy(update={"primary": False, "role": rng.choice(refdata.GROUP_CONTACT_ROLES)}) for c in contacts]
            if address is not None or contacts:
                details.append(InsuredGroupDetails(insured_group=group, address=address, contacts=contacts))
        return details

    def contributions(
        self, number: str, company_code: str, groups: list[InsuredGroup], effective: date, headcount: int, contract_time: datetime
    ) -> Iterator[tuple[Envelope, Event]]:
        """The contract's payers, schedules and payments (their own draws: the rest of the portfolio is unchanged)."""
        rng = random.Random(f"{self.seed}/contributions/{number}")
        for day, event in contract_contributions(
            rng,
            contract_number=number,
            company_code=company_code,
            groups=groups,
            effective=effective,
            headcount=headcount,
            today=self.today,
        ):
            yield self.wrap(event, self.stamp(rng, day, contract_time), ids=self.contribution_ids)

    def household_file(
        self,
        household: MemberAffiliated,
        covered_until: date | None,
        guarantees: list[tuple[str, str, date, date | None]],
        company_name: str | None,
    ) -> Iterator[tuple[Envelope, Event]]:
        """The household's contract, beneficiaries and preferences as the member portal shows them."""
        rng = random.Random(f"{self.seed}/households/{household.member_number}")
        for event in household_file(
            rng,
            affiliation=household,
            covered_until=covered_until,
            guarantees=guarantees,
            company_name=company_name,
            tenant=self.tenant,
            today=self.today,
        ):
            yield self.wrap(event, self.stamp(rng, min(household.recorded_on, self.today)), ids=self.household_ids)

    def reimbursements(
        self, household: MemberAffiliated, covered_until: date | None, guarantees: list[tuple[str, str, date, date | None]]
    ) -> Iterator[tuple[Envelope, Event]]:
        """What the mutuelle paid for a household's care over the last year, as it paid it."""
        rng = random.Random(f"{self.seed}/claims/{household.member_number}")

        def next_reference(draw: random.Random) -> str:
            self.claim_reference += draw.randint(1, 40)
            return f"{self.claim_reference:08d}"

        for payment in household_payments(
            rng,
            affiliation=household,
            covered_until=covered_until,
            guarantees=guarantees,
            today=self.today,
            per_member=self.spec.reimbursements_per_member,
            next_reference=next_reference,
            last_names=self._last,
            history_days=365 * self.spec.reimbursement_years,
        ):
            yield self.wrap(payment, self.stamp(rng, payment.paid_on), ids=self.claim_ids)

    def guarantees(self, rng: random.Random, product: Product, effective: date) -> list[tuple[str, str, date, date | None]]:
        if product is Product.HEALTH:
            base, options, extra = refdata.HEALTH_BASE, refdata.HEALTH_OPTIONS, rng.randint(1, 4)
        else:
            base, options, extra = refdata.PROVIDENT_BASE, refdata.PROVIDENT_OPTIONS, rng.randint(0, 3)
        result: list[tuple[str, str, date, date | None]] = []
        reform = date(2020, 1, 1)  # "100 % santé": health base guarantees were replaced that day
        for code, name in base:
            if product is Product.HEALTH and code == "SANTE-SOCLE" and effective < reform and extra < 4 and rng.random() < 0.4:
                result.append((code, name, effective, reform - timedelta(days=1)))
                result.append(("SANTE-SOCLE-2020", f"{name} 2020", reform, None))
                extra -= 1
            else:
                result.append((code, name, effective, None))
        latest_start = max(effective, self.this_month)
        for code, name in rng.sample(options, extra):
            start = effective if rng.random() < 0.6 else uniform_date(rng, effective, latest_start).replace(day=1)
            end = None
            if rng.random() < 0.2:
                if rng.random() < 0.7 and start < self.prev_month:
                    end = next_month_start(uniform_date(rng, start, self.prev_month)) - timedelta(days=1)
                else:
                    end = date(max(start.year, self.today.year), 12, 31)
            result.append((code, name, start, end))
        return result

    def affiliation_dates(self, rng: random.Random, contract_effective: date) -> tuple[date, date]:
        """(effective date, recorded date) of an affiliation to a contract effective at that date."""
        today = self.today
        low = max(contract_effective, today - timedelta(days=AFFILIATION_WINDOW_DAYS))
        u = rng.random()
        if u < AFFILIATION_CURRENT_MONTH:
            effective = uniform_date(rng, self.this_month, self.end_of_month)
        elif u < AFFILIATION_CURRENT_MONTH + AFFILIATION_PREVIOUS_MONTH:
            effective = uniform_date(rng, self.prev_month, self.this_month - timedelta(days=1))
        elif u < AFFILIATION_CURRENT_MONTH + AFFILIATION_PREVIOUS_MONTH + AFFILIATION_NEXT_MONTH:
            effective = self.next_month
        elif low == contract_effective and rng.random() < 0.3:
            effective = contract_effective  # the staff affiliated when the contract was signed
        else:
            effective = uniform_date(rng, low, today)
        effective = max(effective, contract_effective)
        if effective <= today:
            delay = int(rng.triangular(0, 45, 4))
            recorded = min(effective + timedelta(days=delay), today)
        else:  # recorded in advance
            recorded = max(today - timedelta(days=rng.randint(0, 15)), contract_effective)
        recorded = business_day(min(recorded, today), today)
        if effective <= today:
            recorded = max(recorded, effective)
        return effective, recorded

    def affiliation(
        self,
        rng: random.Random,
        contract_number: str,
        company_code: str,
        contract_effective: date,
        group: InsuredGroup,
        male_share: float,
        company_place: Place,
        contract_time: datetime,
    ) -> tuple[Envelope, MemberAffiliated, _Member | None]:
        today = self.today
        self.member_number += rng.randint(1, 7)
        self.membership_seq += 1
        member_number = f"{self.member_number:08d}"
        membership_id = f"ADH-{self.membership_seq:07d}"

        male = rng.random() < male_share
        age = rng.uniform(60, 85) if group is InsuredGroup.EVIN else rng.triangular(18, 65, 38)
        birth_date = years_before(today, age)
        last_name = self.last_name(rng)
        civility, last, first, birth, nir = self.person(rng, male, birth_date, last_name)
        primary = InsuredPerson(civility=civility, last_name=last.upper(), first_name=first, birth_date=birth, nir=nir)

        dependants: list[Dependant] = []
        if age >= 22 and rng.random() < 0.5:
            spouse_male = (not male) if rng.random() < 0.97 else male
            spouse_age = min(95.0, max(18.0, age + rng.gauss(0 if male == spouse_male else (-2 if male else 2), 4)))
            spouse_last = last_name if rng.random() < 0.65 else self.last_name(rng)
            c, sl, sf, sb, sn = self.person(rng, spouse_male, years_before(today, spouse_age), spouse_last)
            dependants.append(Dependant(civility=c, last_name=sl.upper(), first_name=sf, birth_date=sb, nir=sn, role=DependantRole.SPOUSE))
        if age >= 21:
            children = rng.choices((0, 1, 2, 3), (45, 20, 22, 13))[0]
            oldest = max(age - 20, 0.0)
            youngest = max(age - 45, 0.0)
            oldest = min(oldest, 25.0)
            if children and oldest > youngest:
                for child_age in sorted((rng.uniform(youngest, oldest) for _ in range(children)), reverse=True):
                    c, cl, cf, cb, cn = self.person(rng, rng.random() < 0.5, years_before(today, child_age), last_name)
                    dependants.append(
                        Dependant(civility=c, last_name=cl.upper(), first_name=cf, birth_date=cb, nir=cn, role=DependantRole.CHILD)
                    )

        place = company_place if rng.random() < 0.7 else PLACES[_PLACE_CHOICE(rng)]
        email = self.personal_email(rng, first, last_name, birth) if rng.random() < 0.85 else None
        mobile = numbers.mobile_phone(rng) if rng.random() < 0.88 else None
        bank = None
        if rng.random() < 0.9:
            bank_code, bic = _BANK(rng)
            bank = BankDetails(iban=numbers.french_iban(rng, bank_code), bic=bic, holder=f"{first} {last_name.upper()}")
        effective, recorded = self.affiliation_dates(rng, contract_effective)
        event = MemberAffiliated(
            membership_id=membership_id,
            member_number=member_number,
            mutuelle_code=self.mutuelle_code(member_number),
            contract_number=contract_number,
            company_code=company_code,
            insured_group=group,
            primary=primary,
            dependants=dependants,
            email=email,
            mobile_phone=mobile,
            address=self.home_address(rng, place),
            benefits_bank_details=bank,
            **self.member_details(membership_id, dependants),
            effective_date=effective,
            recorded_on=recorded,
            revision=1,
        )
        moment = self.stamp(rng, recorded, contract_time)
        envelope = self.wrap(event, moment)[0]
        member = None
        if effective < self.this_month and rng.random() < RADIATION_SHARE:
            member = _Member(membership_id, member_number, effective, recorded, moment, group, age)
        return envelope, event, member

    def member_details(self, membership_id: str, dependants: list[Dependant]) -> dict[str, Any]:
        """The employee's family situation and how its share of the contributions is paid, from draws of their own (the
        rest of the portfolio is unchanged): a spouse covered makes a couple."""
        rng = random.Random(f"{self.seed}/member-details/{membership_id}")
        couple = any(d.role is DependantRole.SPOUSE for d in dependants)
        situation = _COUPLE(rng) if couple else _ALONE(rng)
        mode = _PAYMENT_MODE(rng)
        frequency = Frequency.YEARLY if mode is PaymentMode.CHEQUE and rng.random() < 0.6 else Frequency.MONTHLY
        return {"family_situation": situation, "payment_mode": mode, "payment_frequency": frequency}

    def radiation(self, rng: random.Random, contract_number: str, company_code: str, member: _Member) -> tuple[Envelope, MemberRadiated]:
        today = self.today
        low = member.effective_date + timedelta(days=1)
        u = rng.random()
        if u < RADIATION_CURRENT_MONTH:
            effective = uniform_date(rng, max(low, self.this_month), self.end_of_month)
        elif u < RADIATION_CURRENT_MONTH + RADIATION_PREVIOUS_MONTH and low < self.this_month:
            effective = uniform_date(rng, max(low, self.prev_month), self.this_month - timedelta(days=1))
        else:
            effective = uniform_date(rng, min(low + timedelta(days=30), self.prev_month), self.prev_month - timedelta(days=1))
            effective = max(effective, low)
            if rng.random() < 0.5:  # many terminations take effect at the end of a month
                month_end = next_month_start(effective) - timedelta(days=1)
                effective = month_end if month_end <= self.end_of_month else effective
        if effective <= today:
            recorded = min(effective + timedelta(days=int(rng.triangular(0, 30, 3))), today)
        else:  # notice given in advance
            recorded = today - timedelta(days=rng.randint(0, 10))
        recorded = max(business_day(min(recorded, today), today), member.recorded_on)

        if member.group is InsuredGroup.PORTABILITY and rng.random() < 0.9:
            reason = "FIN PORTABILITE"
        elif member.age >= 60 and rng.random() < 0.6:
            reason = "RETRAITE"
        else:
            reason = _REASON(rng)
            if reason == "RETRAITE" and member.age < 55:
                reason = "DEMISSION"
        event = MemberRadiated(
            membership_id=member.membership_id,
            member_number=member.member_number,
            contract_number=contract_number,
            company_code=company_code,
            effective_date=effective,
            reason=reason,
            recorded_on=recorded,
            revision=2,
        )
        return self.wrap(event, self.stamp(rng, recorded, member.time))


# --- plan helpers ------------------------------------------------------------------------------


def split(total: int, shares: Sequence[float]) -> list[int]:
    """`total` split along `shares` (largest remainder), each part >= 1 when the total allows."""
    parts = len(shares)
    if total >= parts:
        base, rest = [1] * parts, total - parts
    else:
        base, rest = [0] * parts, total
    weight = sum(shares)
    exact = [rest * share / weight for share in shares]
    counts = [int(x) for x in exact]
    left = rest - sum(counts)
    for i in sorted(range(parts), key=lambda i: exact[i] - counts[i], reverse=True)[:left]:
        counts[i] += 1
    return [b + c for b, c in zip(base, counts, strict=True)]


def company_sizes(rng: random.Random, companies: int, insured: int) -> list[int]:
    """Headcounts of the companies: lognormal (many small firms, a few large ones), summing to `insured`."""
    if not companies:
        return []
    return split(insured, [rng.lognormvariate(0, 1.2) for _ in range(companies)])


# --- public API --------------------------------------------------------------------------------


def generate(spec: SizeSpec, seed: int, tenant: str, today: date, *, now: datetime | None = None) -> Iterator[tuple[Envelope, Event]]:
    """The events of a simulated portfolio, in causal order, as (envelope, event) pairs.

    `now` (default: the current time) only matters when `today` is the current day: events
    recorded today are never stamped later than `now`.
    """
    Envelope(type="x", version=1, source=SOURCE, tenant=tenant, key="x")  # fail fast on a bad tenant
    return _Generator(spec, seed, tenant, today, now).run()


def broker_codes(spec: SizeSpec, seed: int, today: date | None = None) -> list[str]:
    """The broker codes `generate` emits for this spec and seed (they do not depend on `today`)."""
    generator = _Generator(spec, seed, "any", today or today_in_france(), None)
    return [event.broker_code for event, _ in generator.brokers()]
