"""French formats of the portals' pages, the password rules they show, and how a request finds its site."""

from datetime import UTC, date, datetime
from decimal import Decimal

from portals.formats import (
    french_amount,
    french_date,
    french_datetime,
    french_number,
    markdown_light,
    month_label,
    parse_french_date,
    previous_months,
)
from portals.identity_rules import password_rules
from portals.tenancy import Sites


def test_dates_months_and_numbers_are_written_the_french_way():
    assert french_date(date(2019, 11, 21)) == "21/11/2019"
    assert french_date("2026-03-04") == "04/03/2026"
    # 23:30 UTC on 31 December is already 1 January in Paris
    assert french_date(datetime(2025, 12, 31, 23, 30, tzinfo=UTC)) == "01/01/2026"
    assert french_datetime(datetime(2026, 7, 14, 12, 5, tzinfo=UTC)) == "le 14/07/2026 à 14 h 05"
    assert month_label("2026-08") == "août 2026"
    assert french_number(1234567) == "1\u202f234\u202f567"
    assert french_amount(Decimal("1234.5")) == "1\u202f234,50\u00a0€"
    assert previous_months("2026-01", 3) == ["2026-01", "2025-12", "2025-11"]
    assert parse_french_date("12/05/1985") == date(1985, 5, 12) == parse_french_date(" 12.05.1985 ")
    assert parse_french_date("1985-05-12") is None and parse_french_date("31/02/2000") is None and parse_french_date("12/05/85") is None


def test_the_terms_markdown_is_escaped_and_structured():
    html = markdown_light("# Titre\n\nUn <b>texte</b>\nsur deux lignes.\n\n- un\n- deux\n")
    assert html == "<h2>Titre</h2>\n<p>Un &lt;b&gt;texte&lt;/b&gt; sur deux lignes.</p>\n<ul>\n<li>un</li>\n<li>deux</li>\n</ul>"


def test_the_password_rules_are_the_tenants():
    broker = password_rules("mbtp", "broker")
    assert broker[0] == "10 caractères au minimum"
    assert "au moins 1 caractère spécial parmi ~@_/+!?-:" in broker and "pas de caractère avec accent" in broker
    member = password_rules("mbtp", "member")
    assert any("3 des 4 catégories" in rule for rule in member) and "pas de caractère avec accent" not in member
    assert password_rules("mgen", "employer")[0] == "12 caractères au minimum"


def test_a_request_finds_its_portal_by_address_or_by_path():
    sites = Sites()
    by_host = sites.site("courtier.mutuelle-mbtp.com", "/accueil")
    assert (by_host.tenant, by_host.portal, by_host.base_path) == ("mbtp", "broker", "")
    by_path = sites.site("127.0.0.1:8010", "/mgen/entreprise/correspondants")
    assert (by_path.tenant, by_path.portal, by_path.base_path, by_path.title) == (
        "mgen",
        "employer",
        "/mgen/entreprise",
        "Espace entreprise",
    )
    on_a_path = sites.site("mutuelle-marseille.com", "/espace-adherent/connexion")
    assert (on_a_path.tenant, on_a_path.portal, on_a_path.base_path) == ("marseille", "member", "/espace-adherent")
    assert sites.site("127.0.0.1:8010", "/inconnue/courtier/") is None
    assert sites.site("127.0.0.1:8010", "/health/ready") is None
    assert by_host.look.colour == "#1d3f8f" and by_host.contact_email == "courtage@mutuelle-mbtp.com"
