"""Messages as ids and parameters: what domain code returns and raises instead of text.

Code in ``gis/`` and ``scoring/`` never writes user-facing sentences itself. It returns or raises
a :class:`Message` (a catalogue id such as ``"rule.investment_intensity.fail"`` and the values to
fill in); the edge (CLI, API, web, exports, reports) renders it in the user's language with
:func:`app.i18n.render`. The catalogues are ``app/locale/<lang>/*.po``.

Parameters are plain values (numbers, strings), other :class:`Message` objects (rendered first,
in the same language) or lists of them (joined with the language's list separator).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Message:
    """A catalogue id and the parameters its text needs."""

    id: str
    params: Mapping[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """Return ``{"id", "params"}`` with nested messages as dicts (JSON-ready)."""
        return {"id": self.id, "params": {k: _plain(v) for k, v in self.params.items()}}


def msg(id: str, **params: Any) -> Message:
    """Return a :class:`Message` (shorthand: ``msg("rule.cluster.fail", cluster=name)``)."""
    return Message(id, params)


def _plain(v: Any) -> Any:
    if isinstance(v, Message):
        return v.to_dict()
    if isinstance(v, list | tuple):
        return [_plain(x) for x in v]
    return v
