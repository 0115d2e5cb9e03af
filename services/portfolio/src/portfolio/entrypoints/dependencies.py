"""What the portfolio service's routes depend on besides plumbing's: placeholders bound in bootstrap."""

# No `from __future__ import annotations`: FastAPI must resolve the Annotated aliases.
from collections.abc import Callable
from datetime import date
from typing import Annotated

from fastapi import Depends

from extranet_plumbing.dependencies import Placeholder, unit_of_work
from portfolio.service_layer.unit_of_work import PortfolioUnitOfWork

Clock = Callable[[], date]


clock = Placeholder("clock")  # -> Clock


Today = Annotated[Clock, Depends(clock)]
UoW = Annotated[PortfolioUnitOfWork, Depends(unit_of_work)]
