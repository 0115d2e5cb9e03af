"""What the claims service's routes depend on besides plumbing's: placeholders bound in bootstrap."""

# No `from __future__ import annotations`: FastAPI must resolve the Annotated aliases.
from collections.abc import Callable
from datetime import datetime
from typing import Annotated

from fastapi import Depends

from claims.adapters.content import TenantContent
from claims.service_layer.unit_of_work import ClaimsUnitOfWork
from extranet_plumbing.dependencies import Placeholder, unit_of_work
from extranet_plumbing.read_cache import ReadModelCache

Clock = Callable[[], datetime]


clock = Placeholder("clock")  # -> Clock
content = Placeholder("content")  # -> TenantContent
# The read routes' answers, kept while the read model has not changed (bootstrap's ReadModelCache).
answers = Placeholder("answers")  # -> ReadModelCache


Now = Annotated[Clock, Depends(clock)]
Content = Annotated[TenantContent, Depends(content)]
Answers = Annotated[ReadModelCache, Depends(answers)]
UoW = Annotated[ClaimsUnitOfWork, Depends(unit_of_work)]
