"""Reimbursements (décomptes) of a household, as the legacy system pays them: French acts at their usual
tariffs, the social security's part (base, rate, flat-rate contribution withheld) and the mutuelle's part
under the guarantee of the contract that applies, paid to the member or, in tiers payant, to the
health professional.

Drawn from a random generator of the household's own, so that adding reimbursements changes no other
event of the stream. Amounts are Decimals rounded half up to the cent, as the legacy print shows them.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from extranet_contracts.claims import Beneficiary, BeneficiaryRole, CarePathway, Payee, ReimbursedAct, ReimbursementPaid
from extranet_contracts.legacy import MemberAffiliated

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
# The history a member finds online: the paperless option shows a year of statements. The bench set asks
# for more (`SizeSpec.reimbursement_years`); the mean number of payments is per year of cover.
HISTORY_DAYS = 365
YEAR_DAYS = 365
# Participation forfaitaire (consultations, biology) and franchise médicale (per box, per paramedical act),
# withheld by the social security from adults' reimbursements since 2024.
FLAT_CONTRIBUTION = Decimal("2.00")
FRANCHISE = Decimal("1.00")
GENERAL_PRACTITIONER = Decimal("30.00")

Guarantee = tuple[str, str, date, date | None]  # code, name, start, end (as GuaranteeAttached)


def money(value: Decimal | float | str) -> Decimal:
    return Decimal(str(value)).quantize(CENT, rounding=ROUND_HALF_UP)


def percent(base: Decimal, rate: Decimal) -> Decimal:
    return money(base * rate / 100)


@dataclass(frozen=True)
class Person:
    role: BeneficiaryRole
    last_name: str
    first_name: str
    birth_date: date

    def adult_on(self, day: date) -> bool:
        return (day.year - self.birth_date.year - ((day.month, day.day) < (self.birth_date.month, self.birth_date.day))) >= 18

    @property
    def beneficiary(self) -> Beneficiary:
        return Beneficiary(role=self.role, last_name=self.last_name, first_name=self.first_name, birth_date=self.birth_date)


@dataclass(frozen=True)
class Line:
    """One act before the mutuelle's part: what it cost and what the social security paid."""

    nature: str
    quantity: Decimal
    expense: Decimal
    base: Decimal
    rate: Decimal
    deductible_per_unit: Decimal = ZERO
    pathway: CarePathway | None = None
    forfait_share: Decimal = Decimal(1)  # of the guarantee's forfait, where the care has one (optics)


@dataclass(frozen=True)
class Care:
    """A kind of care: how its acts are drawn, the guarantee option that improves it, who is paid in
    tiers payant and how likely that is, and the mutuelle's rate under the base guarantee and the option
    (percent of the base; a forfait in euros where `forfait`)."""

    name: str
    weight: float
    lines: Callable[[random.Random, Person, date], list[Line]]
    professional: str
    third_party_share: float
    base_rate: Decimal
    option_code: str | None = None
    option_rate: Decimal | None = None
    forfait: bool = False


def _pathway(rng: random.Random, direct_access: bool = False) -> CarePathway:
    u = rng.random()
    if u < 0.08:
        return CarePathway.OUTSIDE
    if u < 0.14:
        return CarePathway.EMERGENCY
    if direct_access and u < 0.35:
        return CarePathway.DIRECT_ACCESS
    return CarePathway.COORDINATED


def _consultation(base: Decimal, nature: str, *, overcharged: float, direct_access: bool = False):
    """A consultation at the social security's tariff, or above it (dépassement d'honoraires) for a share of them."""

    def lines(rng: random.Random, person: Person, day: date) -> list[Line]:
        pathway = _pathway(rng, direct_access)
        rate = Decimal("30.00") if pathway is CarePathway.OUTSIDE else Decimal("70.00")
        expense = money(base + rng.choice((5, 10, 15, 20, 30, 40))) if rng.random() < overcharged else base
        return [Line(nature, Decimal("1.00"), expense, base, rate, FLAT_CONTRIBUTION, pathway)]

    return lines


def _pharmacy(rate: int, nature: str):
    def lines(rng: random.Random, person: Person, day: date) -> list[Line]:
        boxes = rng.choice((1, 1, 2, 2, 3, 4))
        unit = money(rng.uniform(1.8, 14.5))
        total = money(unit * boxes)
        return [Line(nature, Decimal(boxes), total, total, Decimal(rate), FRANCHISE)]

    return lines


def _biology(rng: random.Random, person: Person, day: date) -> list[Line]:
    total = money(rng.uniform(12, 65))
    return [Line("Analyses de biologie médicale", Decimal("1.00"), total, total, Decimal("60.00"), FLAT_CONTRIBUTION)]


def _physiotherapy(rng: random.Random, person: Person, day: date) -> list[Line]:
    sessions = rng.randint(1, 10)
    total = money(Decimal("17.20") * sessions)
    return [Line("Séance de kinésithérapie", Decimal(sessions), total, total, Decimal("60.00"), FRANCHISE)]


def _scaling(rng: random.Random, person: Person, day: date) -> list[Line]:
    fee = Decimal("28.92")
    return [Line("Détartrage", Decimal("1.00"), fee, fee, Decimal("60.00"))]


def _crown(rng: random.Random, person: Person, day: date) -> list[Line]:
    expense = money(rng.choice((420, 480, 530, 560, 600, 650)))
    return [Line("Couronne dentaire céramo-métallique", Decimal("1.00"), expense, Decimal("120.00"), Decimal("60.00"))]


def _glasses(rng: random.Random, person: Person, day: date) -> list[Line]:
    frame = money(rng.choice((89, 119, 149, 179, 219)))
    lenses = money(rng.choice((70, 95, 120, 160, 210)) * 2)
    return [
        Line("Monture (équipement à tarif libre)", Decimal("1.00"), frame, Decimal("0.05"), Decimal("60.00"), forfait_share=Decimal("0.4")),
        Line(
            "Verres correcteurs (équipement à tarif libre)",
            Decimal("2.00"),
            lenses,
            Decimal("0.06"),
            Decimal("60.00"),
            forfait_share=Decimal("0.6"),
        ),
    ]


def _glasses_100_percent(rng: random.Random, person: Person, day: date) -> list[Line]:
    price = Decimal("105.00")
    return [Line("Équipement optique 100 % Santé", Decimal("1.00"), price, price, Decimal("60.00"))]


def _hospital(rng: random.Random, person: Person, day: date) -> list[Line]:
    days = rng.randint(1, 6)
    stay = money(rng.uniform(450, 2400))
    return [
        Line("Frais de séjour hospitalier", Decimal("1.00"), stay, stay, Decimal("80.00")),
        Line("Forfait journalier hospitalier", Decimal(days), money(Decimal("20.00") * days), ZERO, ZERO),
    ]


CARES: Sequence[Care] = (
    Care("gp", 30, _consultation(GENERAL_PRACTITIONER, "Consultation médecin généraliste", overcharged=0.05), "doctor", 0.1, Decimal(30)),
    Care(
        "specialist",
        10,
        _consultation(Decimal("31.50"), "Consultation médecin spécialiste", overcharged=0.5, direct_access=True),
        "doctor",
        0.1,
        Decimal(30),
        "RENFORT-1",
        Decimal(80),
    ),
    Care("pharmacy65", 22, _pharmacy(65, "Pharmacie remboursée à 65 %"), "pharmacy", 0.9, Decimal(35)),
    Care("pharmacy30", 6, _pharmacy(30, "Pharmacie remboursée à 30 %"), "pharmacy", 0.9, Decimal(70)),
    Care("biology", 10, _biology, "laboratory", 0.8, Decimal(40)),
    Care("physiotherapy", 5, _physiotherapy, "physiotherapist", 0.3, Decimal(40)),
    Care("scaling", 5, _scaling, "dentist", 0.2, Decimal(40)),
    Care("crown", 2, _crown, "dentist", 0.5, Decimal(65), "OPT-DENTAIRE", Decimal(240)),
    Care("glasses", 3, _glasses, "optician", 0.7, Decimal(100), "OPT-OPTIQUE", Decimal(200), forfait=True),
    Care("glasses100", 1, _glasses_100_percent, "optician", 0.9, Decimal(40)),
    Care("hospital", 1.5, _hospital, "hospital", 0.95, Decimal(20)),
)
_CARE_WEIGHTS = [care.weight for care in CARES]
_PHARMACIES = ("Pharmacie du Centre", "Pharmacie de la Mairie", "Pharmacie de la Gare", "Grande Pharmacie", "Pharmacie des Halles")


def of_city(city: str) -> str:
    """'de Lyon', "d'Angers", 'du Havre', 'des Sables-d'Olonne'."""
    for article, contracted in (("Le ", "du "), ("Les ", "des "), ("La ", "de la "), ("L'", "de l'")):
        if city.startswith(article):
            return contracted + city[len(article) :]
    return f"d'{city}" if city[:1] in "AEIOUYÂÉÈÊÎÔH" else f"de {city}"


def professional_name(rng: random.Random, kind: str, last_names: Sequence[str], city: str) -> str:
    last = last_names[int(rng.random() * len(last_names))]
    return {
        "doctor": f"Dr {last}",
        "pharmacy": f"{rng.choice(_PHARMACIES)} ({city})",
        "laboratory": f"Laboratoire de biologie médicale {of_city(city)}",
        "physiotherapist": f"Cabinet de kinésithérapie {last}",
        "dentist": f"Cabinet dentaire {last}",
        "optician": f"Optique {last}",
        "hospital": f"Centre hospitalier {of_city(city)}",
    }[kind]


def masked(iban: str) -> str:
    """The IBAN as a statement prints it: country and check digits, then only its last four characters."""
    return iban[:4] + "*" * (len(iban) - 8) + iban[-4:]


def _active(guarantees: Sequence[Guarantee], code: str | None, day: date) -> tuple[str, str] | None:
    for guarantee_code, name, start, end in guarantees:
        if (guarantee_code == code or (code is None and guarantee_code.startswith("SANTE-SOCLE"))) and start <= day:
            if end is None or day <= end:
                return guarantee_code, name
    return None


def _act(line: Line, care: Care, person: Person, day: date, guarantees: Sequence[Guarantee]) -> ReimbursedAct | None:
    base_guarantee = _active(guarantees, None, day)
    if base_guarantee is None:
        return None
    option = _active(guarantees, care.option_code, day) if care.option_code else None
    (code, name), rate = (option, care.option_rate) if option and care.option_rate is not None else (base_guarantee, care.base_rate)
    mandatory = percent(line.base, line.rate)
    deductible = min(line.deductible_per_unit * line.quantity, mandatory) if person.adult_on(day) else ZERO
    if line.base == ZERO and line.rate == ZERO:  # not reimbursed by the social security: the mutuelle's forfait per day
        mutuelle_base, mutuelle_rate, wanted = line.expense, Decimal(100), line.expense
    elif care.forfait:  # `rate` is the guarantee's forfait in euros for the whole equipment, shared among its lines
        forfait = money(rate * line.forfait_share)
        mutuelle_base, mutuelle_rate, wanted = forfait, Decimal(100), forfait
    else:
        mutuelle_base, mutuelle_rate, wanted = line.base, rate, percent(line.base, rate)
    # The mutuelle never pays more than the expense left after the social security (nor its deductible).
    mutuelle = max(ZERO, min(wanted, line.expense - mandatory))
    return ReimbursedAct(
        beneficiary=person.beneficiary,
        nature=line.nature,
        act_date=day,
        quantity=line.quantity,
        expense=line.expense,
        mandatory_base=line.base,
        mandatory_rate=line.rate,
        mandatory_amount=mandatory - deductible,
        mandatory_deductible=deductible,
        mutuelle_base=mutuelle_base,
        mutuelle_rate=mutuelle_rate,
        mutuelle_amount=mutuelle,
        care_pathway=line.pathway,
        guarantee_code=code,
        guarantee_name=name,
    )


def _poisson(rng: random.Random, mean: float) -> int:
    limit, k, product = math.exp(-mean), 0, rng.random()
    while product > limit:
        k += 1
        product *= rng.random()
    return k


def _working_day(day: date) -> date:
    return day + timedelta(days=(7 - day.weekday()) % 7) if day.weekday() >= 5 else day


def household_payments(
    rng: random.Random,
    *,
    affiliation: MemberAffiliated,
    covered_until: date | None,
    guarantees: Sequence[Guarantee],
    today: date,
    per_member: float,
    next_reference: Callable[[random.Random], str],
    last_names: Sequence[str],
    history_days: int = HISTORY_DAYS,
) -> Iterator[ReimbursementPaid]:
    """The payments of one household over the last `history_days` of its cover (a year unless told), in the
    order they were paid."""
    start = max(affiliation.effective_date, today - timedelta(days=history_days))
    end = min(covered_until or today, today)
    if end <= start:
        return
    people = [
        Person(BeneficiaryRole.PRIMARY, affiliation.primary.last_name, affiliation.primary.first_name, affiliation.primary.birth_date)
    ]
    people += [Person(BeneficiaryRole(d.role.value), d.last_name, d.first_name, d.birth_date) for d in affiliation.dependants]
    mean = per_member * (1 + 0.6 * len(affiliation.dependants)) * (end - start).days / YEAR_DAYS
    iban = affiliation.benefits_bank_details.iban if affiliation.benefits_bank_details else None
    city = affiliation.address.city
    drawn = []
    for _ in range(_poisson(rng, mean)):
        day = start + timedelta(days=int(rng.random() * ((end - start).days + 1)))
        care = rng.choices(CARES, _CARE_WEIGHTS)[0]
        person = people[0] if rng.random() < 0.55 else rng.choice(people)
        professional = professional_name(rng, care.professional, last_names, city) if rng.random() < care.third_party_share else None
        received = _working_day(day + timedelta(days=rng.randint(2, 12)))  # the social security's flow takes days
        paid = _working_day(received + timedelta(days=rng.randint(0, 4)))
        drawn.append((day, received, paid, care, person, professional, care.lines(rng, person, day)))
    drawn.sort(key=lambda d: (d[2], d[0]))
    for day, received, paid, care, person, professional, lines in drawn:
        if paid > today:
            continue  # not paid yet
        acts = [act for line in lines if (act := _act(line, care, person, day, guarantees))]
        if not acts:
            continue
        yield ReimbursementPaid(
            reference=next_reference(rng),
            member_number=affiliation.member_number,
            received_on=received,
            paid_on=paid,
            amount=sum((act.mutuelle_amount for act in acts), ZERO),
            payee=Payee.PROFESSIONAL if professional else Payee.MEMBER,
            professional_name=professional,
            masked_iban=masked(iban) if iban and not professional else None,
            acts=acts,
            revision=1,
        )
