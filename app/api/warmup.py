"""Warm-up at worker start: build what the first requests would otherwise build.

Every server process keeps the served zone's measuring context (DEMs read, slope computed, road
network noded: :func:`app.api.scores.zone_context`) and the zone's rules and admission state
for the current data version (:mod:`app.api.zone_memo`); each is built on first use, which made
the first check, hillshade tile or parcel after a restart take seconds. When
``Settings.warm_on_start`` (``PARKSITE_WARM_ON_START``, on by default) the app's lifespan starts
:class:`WarmUp` in a background thread: the server accepts requests at once, and a request that
needs a value while the warm-up builds it waits for that build and shares it (the caches' own
locks: one build at a time per process and key), so nothing is built twice.

The warm-up is the list :data:`STEPS` of named steps run in order; a step is a function of the
app's :class:`~app.api.deps.ApiState` returning what it built (a small JSON-ready dict) or None.
A step that fails is logged and the next one runs; the worker serves anyway, building lazily
what the warm-up could not. ``GET /api/v1/health`` reports :meth:`WarmUp.report`.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from app.api.deps import ApiState

__all__ = ["STEPS", "WarmStep", "WarmUp", "warm_zone_context", "warm_zone_memo"]

log = logging.getLogger("parksite.api.warmup")

StepStatus = Literal["pending", "running", "done", "failed", "skipped"]


def warm_zone_context(state: ApiState) -> dict[str, Any]:
    """Build the served zone's measuring context (what checks, land bases and terrain tiles use);
    return ``{"zone": id}``."""
    from app.api.scores import zone_context
    from app.api.store import served_zone

    with state.factory() as session:
        zone = served_zone(session, state.settings)
        zone_context(session, zone.id)
        return {"zone": zone.id}


def warm_zone_memo(state: ApiState) -> dict[str, Any]:
    """Keep the served zone's id, rules and admission state (scored table, capacity ledger) for
    the current data version, as checks, parcel details and vector tiles ask for them; return
    ``{"zone": id, "data_version": v}``."""
    from app.api.zone_memo import admission_state, rules_of, served_zone_id

    with state.factory() as session:
        zone_id = served_zone_id(state, session)
        rules_of(state, session, zone_id)
        admission_state(state, session, zone_id)
        return {"zone": zone_id, "data_version": state.versions.get(session)}


@dataclass(frozen=True)
class WarmStep:
    """A named warm-up step: ``run(state)`` builds something and returns what (or None)."""

    name: str
    run: Callable[[ApiState], dict[str, Any] | None]


#: The warm-up's steps, in order (a step added here runs in every worker that warms up).
STEPS: tuple[WarmStep, ...] = (
    WarmStep("zone_context", warm_zone_context),
    WarmStep("zone_memo", warm_zone_memo),
)


@dataclass
class _StepState:
    name: str
    status: StepStatus = "pending"
    seconds: float | None = None
    built: dict[str, Any] | None = None
    error: str | None = None


@dataclass
class WarmUp:
    """The warm-up of one server process: :meth:`start` runs ``steps`` (default: :data:`STEPS`
    as it is when the app is made) in a daemon thread, :meth:`report` says how far it got.
    ``enabled`` False: nothing runs, the report says so."""

    state: ApiState
    steps: Sequence[WarmStep] | None = None
    enabled: bool = True
    _steps: list[_StepState] = field(init=False)
    _lock: threading.Lock = field(init=False, default_factory=threading.Lock)
    _done: threading.Event = field(init=False, default_factory=threading.Event)
    _stop: threading.Event = field(init=False, default_factory=threading.Event)
    _thread: threading.Thread | None = field(init=False, default=None)
    _started: float | None = field(init=False, default=None)
    _seconds: float | None = field(init=False, default=None)

    def __post_init__(self) -> None:
        if self.steps is None:
            self.steps = STEPS
        self._steps = [_StepState(s.name) for s in self.steps]
        if not self.enabled:
            self._done.set()

    def start(self) -> None:
        """Start the warm-up thread (once; nothing when disabled). Returns at once."""
        if not self.enabled or self._thread is not None:
            return
        self._started = time.perf_counter()
        self._thread = threading.Thread(target=self.run, name="parksite-warmup", daemon=True)
        self._thread.start()

    def run(self) -> None:
        """Run the steps in order in this thread; a failing step is logged, never raised."""
        t0 = time.perf_counter()
        if self._started is None:
            self._started = t0
        try:
            for step, st in zip(self.steps or (), self._steps, strict=True):
                if self._stop.is_set():
                    with self._lock:
                        st.status = "skipped"
                    continue
                with self._lock:
                    st.status = "running"
                s0 = time.perf_counter()
                try:
                    built = step.run(self.state)
                except Exception as exc:  # never let a warm-up take the worker down
                    with self._lock:
                        st.status, st.seconds = "failed", time.perf_counter() - s0
                        st.error = f"{type(exc).__name__}: {exc}"[:500]
                    log.warning(
                        "warm-up step %s failed after %.1f s (built on first use instead): %s",
                        step.name,
                        st.seconds,
                        st.error,
                        exc_info=not _is_domain_error(exc),
                    )
                    continue
                with self._lock:
                    st.status, st.seconds, st.built = "done", time.perf_counter() - s0, built
        finally:
            with self._lock:
                self._seconds = time.perf_counter() - t0
            self._done.set()
        self._log_result()

    def _log_result(self) -> None:
        steps = ", ".join(
            f"{s.name} {s.seconds:.1f} s" if s.status == "done" else f"{s.name} {s.status}"
            for s in self._steps
        )
        if self.warm:
            log.info("worker %d warm in %.1f s: %s", os.getpid(), self._seconds or 0.0, steps)
        else:
            log.warning("worker %d not warm after %.1f s: %s", os.getpid(), self._seconds or 0.0, steps)

    @property
    def warm(self) -> bool:
        """Return whether every step is done (False while running, when disabled or a step failed)."""
        with self._lock:
            return self.enabled and all(s.status == "done" for s in self._steps)

    def wait(self, timeout: float | None = None) -> bool:
        """Wait until the warm-up has ended (or ``timeout`` s); return whether it has."""
        return self._done.wait(timeout)

    def stop(self, timeout: float = 15.0) -> None:
        """Let no further step start and wait up to ``timeout`` s for the one running (at shutdown,
        before the engine is disposed of)."""
        self._stop.set()
        thread = self._thread
        if thread is not None and thread.is_alive():
            thread.join(timeout)
            if thread.is_alive():
                log.warning("warm-up still running after %.0f s at shutdown", timeout)

    def report(self) -> dict[str, Any]:
        """Return ``{"enabled", "state" (off | running | done), "warm", "seconds", "steps":
        [{name, status, seconds, built, error}]}``; seconds are wall-clock seconds."""
        with self._lock:
            if not self.enabled:
                phase = "off"
            elif self._done.is_set():
                phase = "done"
            else:
                phase = "running" if self._thread is not None else "pending"
            seconds = self._seconds
            if seconds is None and self._started is not None:
                seconds = time.perf_counter() - self._started
            steps = [
                {
                    "name": s.name,
                    "status": s.status,
                    "seconds": None if s.seconds is None else round(s.seconds, 3),
                    "built": s.built,
                    "error": s.error,
                }
                for s in self._steps
            ]
            warm = self.enabled and all(s.status == "done" for s in self._steps)
        return {
            "enabled": self.enabled,
            "state": phase,
            "warm": warm,
            "seconds": None if seconds is None else round(seconds, 3),
            "steps": steps,
        }


def _is_domain_error(exc: Exception) -> bool:
    """A domain error (no zone, no DEM file, not scored) says what is wrong in its message; any
    other exception is logged with its traceback."""
    from gis.errors import ParksiteError

    return isinstance(exc, ParksiteError)
