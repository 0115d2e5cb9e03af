"""How much to generate: named presets and custom counts."""

from __future__ import annotations

from dataclasses import dataclass, replace


@dataclass(frozen=True)
class SizeSpec:
    """Counts of the generated portfolio.

    `insured` counts primary insured people (one membership each); dependants come on top.
    `unassigned_share` is the share of companies that no broker manages.
    `transfer_share` is the share of brokered companies moved from one broker to another
    (a `BrokerPortfolioCompanyWithdrawn` followed by a new assignment).
    `reimbursements_per_member` is the mean number of reimbursements (`ReimbursementPaid`) a member of
    a health contract received in a year, dependants adding to it; 0 publishes none.
    `reimbursement_years` is how far back the reimbursements go (the bench set's 10 M acts cover 3 years).
    """

    name: str
    brokers: int
    companies: int
    insured: int
    unassigned_share: float = 0.05
    transfer_share: float = 0.01
    reimbursements_per_member: float = 0.0
    reimbursement_years: int = 1

    def __post_init__(self) -> None:
        if self.brokers < 0 or self.companies < 0 or self.insured < 0:
            raise ValueError("counts must be >= 0")
        if self.insured and not self.companies:
            raise ValueError("insured people need at least one company")
        if not 0 <= self.unassigned_share <= 1 or not 0 <= self.transfer_share <= 1:
            raise ValueError("shares must be between 0 and 1")
        if not 0 <= self.reimbursements_per_member <= 100:
            raise ValueError("reimbursements per member must be between 0 and 100")
        if not 1 <= self.reimbursement_years <= 3:
            raise ValueError("reimbursement years must be between 1 and 3 (the affiliations of the last 3 years)")

    @classmethod
    def preset(cls, name: str, *, brokers: int | None = None, companies: int | None = None, insured: int | None = None) -> SizeSpec:
        """A named preset, with optional counts overriding it (the name becomes `custom`)."""
        try:
            spec = PRESETS[name]
        except KeyError:
            raise ValueError(f"unknown size {name!r}; choose among {', '.join(PRESETS)}") from None
        overrides = {
            field: value for field, value in (("brokers", brokers), ("companies", companies), ("insured", insured)) if value is not None
        }
        if not overrides:
            return spec
        return replace(spec, name="custom", **overrides)

    def with_acts(self, acts: int, years: int = 3) -> SizeSpec:
        """The same portfolio with about `acts` reimbursed acts over the last `years` (payments of one or
        two acts, for the members of health contracts: `ACTS_PER_INSURED_YEAR` of them per primary insured,
        a year and a reimbursement a member; measured on this generator with 50,000 insured, within a few percent)."""
        if acts < 0 or not self.insured or years not in ACTS_PER_INSURED_YEAR:
            raise ValueError("acts must be >= 0, for a set with insured people, over 1 to 3 years")
        rate = acts / (ACTS_PER_INSURED_YEAR[years] * years * self.insured)
        return replace(self, reimbursements_per_member=rate, reimbursement_years=years)

    @property
    def unassigned_companies(self) -> int:
        if not self.brokers:
            return self.companies
        return round(self.companies * self.unassigned_share)


PRESETS: dict[str, SizeSpec] = {
    "small": SizeSpec("small", brokers=2, companies=6, insured=60, unassigned_share=0.0, transfer_share=0.0),
    "demo": SizeSpec("demo", brokers=3, companies=30, insured=1_000, reimbursements_per_member=4.0),
    "bench": SizeSpec("bench", brokers=60, companies=10_000, insured=1_000_000),
}

# Acts generated per primary insured person and year of history, at one reimbursement a member and year:
# members of health contracts only, dependants adding to it, cover that started or ended within the years.
ACTS_PER_INSURED_YEAR: dict[int, float] = {1: 1.2045, 2: 0.9797, 3: 0.7371}
