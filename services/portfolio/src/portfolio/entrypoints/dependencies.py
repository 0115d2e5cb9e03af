"""What the portfolio service's routes depend on besides plumbing's: placeholders bound in bootstrap."""

# No `from __future__ import annotations`: FastAPI must resolve the Annotated aliases.
from collections.abc import Callable
from datetime import date
from typing import Annotated

from fastapi import Depends

from extranet_plumbing.dependencies import Placeholder, unit_of_work
from extranet_plumbing.read_cache import ReadModelCache
from portfolio.service_layer.unit_of_work import PortfolioUnitOfWork

Clock = Callable[[], date]


clock = Placeholder("clock")  # -> Clock
# The read routes' answers, kept while the read model has not changed (bootstrap's ReadModelCache).
answers = Placeholder("answers")  # -> ReadModelCache


Today = Annotated[Clock, Depends(clock)]
Answers = Annotated[ReadModelCache, Depends(answers)]
UoW = Annotated[PortfolioUnitOfWork, Depends(unit_of_work)]
