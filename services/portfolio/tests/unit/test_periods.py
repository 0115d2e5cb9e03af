"""The dashboard's months: current and previous, across a year boundary, labelled in French."""

from datetime import date

from portfolio.domain.periods import Month


def test_previous_month_crosses_the_year():
    january = Month.of(date(2027, 1, 15))
    assert january.previous() == Month(2026, 12)
    assert (january.label, january.previous().label) == ("Janvier", "Décembre")


def test_month_bounds_follow_the_calendar():
    assert Month(2028, 2).last_day == date(2028, 2, 29)
    assert Month(2026, 11).first_day == date(2026, 11, 1) and Month(2026, 11).last_day == date(2026, 11, 30)
    assert Month(2026, 8).label == "Août" and Month(2026, 8).key == "2026-08"
