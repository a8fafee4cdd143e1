"""``/health``: the answering server process is alive, and whether its warm-up is done.

Answered without the database and without a user (a load balancer or ``parksite serve``'s
operator asks it): what it shows is which process answered, and the warm-up's steps
(:meth:`app.api.warmup.WarmUp.report`: names, seconds, the zone id and data version built).
"""

from __future__ import annotations

import os

from fastapi import APIRouter

from app.api.deps import StateDep
from app.api.models import HealthResponse

router = APIRouter(tags=["health"])


@router.get(
    "/health",
    response_model=HealthResponse,
    summary="Is this server process up, and warm (zone context and admission state built)?",
)
async def get_health(state: StateDep) -> HealthResponse:
    """Return ``{status: ok, pid, warm, warm_up: {enabled, state, warm, seconds, steps}}``; with
    several workers each answers for itself (``pid``). On the event loop: it answers even while
    every thread of the pool waits for a build."""
    report = state.warmup.report()
    return HealthResponse(status="ok", pid=os.getpid(), warm=report["warm"], warm_up=report)
