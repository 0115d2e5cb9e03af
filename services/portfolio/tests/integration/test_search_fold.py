"""The consumer folds a membership's names in Python (`portfolio.domain.search`) and the searches fold what people
type in SQL (`fold()`): both must give the same text, or a search misses the row."""

from __future__ import annotations

import asyncpg
import pytest

from portfolio.bootstrap import bootstrap
from portfolio.domain.search import _ACCENTED, fold, name_key
from portfolio.settings import PortfolioSettings

NAMES = [
    "Élodie",
    "DUPONT-MARTIN",
    "d'Ornano",
    "N’Guessan",
    "Cœur  de   Lion",
    "ŒDIPE Æsa",
    "Hélène\tMarie\n",
    "  Zoë ",
    "Łukasz Żółć",
    "Ğül Ωmega ẞtraße",  # letters outside the translated list: left as they are, whatever the database's locale
    "İsmail",
    "Jean\u00a0Pierre",  # a no-break space is not ASCII white space
    "",
    _ACCENTED,
    _ACCENTED.upper(),
    "ABCDEFGHIJKLMNOPQRSTUVWXYZ abcdefghijklmnopqrstuvwxyz 0123456789 .,;:!?()",
]


@pytest.fixture
async def database(service_env, infra):
    service = bootstrap(PortfolioSettings(**service_env))
    async with service.running():
        yield service.pool
    conn = await asyncpg.connect(infra.database_url)
    try:
        await conn.execute(f"DROP SCHEMA {service.schema} CASCADE")
    finally:
        await conn.close()


async def test_python_fold_gives_what_sql_fold_gives(database):
    for name in NAMES:
        assert fold(name) == await database.fetchval("SELECT fold($1)", name), repr(name)
    assert fold(None) is None and await database.fetchval("SELECT fold(NULL)") is None


async def test_the_search_name_is_folded_last_and_first_names_as_sql_would(database):
    for last, first in [("Élodie", "N’Guessan"), (None, "Zoë"), ("DUPONT", None), (None, None), ("Cœur ", " Lion")]:
        expected = await database.fetchval("SELECT fold(coalesce($1, '') || ' ' || coalesce($2, ''))", last, first)
        assert name_key(last, first) == expected, (last, first)


def test_fold_examples():
    assert fold("Élodie DUPONT-Martin") == "elodie dupont martin"
    assert fold("d'Œuvray") == "d oeuvray"
    assert name_key("Lefèvre", "Zoë") == "lefevre zoe"
