"""Messages as ids and parameters: what domain code returns and raises instead of text.

Code in ``gis/`` and ``scoring/`` never writes user-facing sentences itself. It returns or raises
a :class:`Message` (a catalogue id such as ``"rule.investment_intensity.fail"`` and the values to
fill in); the edge (CLI, API, web, exports, reports) renders it in the user's language with
:func:`app.i18n.render`. The catalogues are ``app/locale/<lang>/*.po``.

Parameters are plain values (numbers, strings), other :class:`Message` objects (rendered first,
in the same language), :class:`Name` objects (a name the data gives in each language, such as a
cluster's ``name`` / ``name_en``), lists of them (joined with the language's list separator:
"、" or ", ") or :class:`Joined` items (joined with a separator named by kind: list, semicolon,
line).

Messages are stored as JSON (:meth:`Message.to_dict`, :func:`from_dict`): audit notes and job
progress keep the id and parameters and are rendered when they are read.
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

    def __hash__(self) -> int:
        return hash((self.id, _frozen(self.params)))


@dataclass(frozen=True)
class Name:
    """A name or short text the data gives in each language (a zone file's ``name`` and
    ``name_en``). Either may be a :class:`Message` standing in where the data has no text in that
    language (e.g. the plan's Chinese 发展导向 with a catalogue text for English)."""

    zh: str | Message | Joined
    en: str | Message | Joined

    def get(self, lang: str) -> str | Message | Joined:
        """Return the value for ``lang`` (Chinese for any language but English)."""
        return self.en if lang == "en" else self.zh

    def to_dict(self) -> dict[str, Any]:
        """Return ``{"zh", "en"}`` (JSON-ready)."""
        return {"zh": _plain(self.zh), "en": _plain(self.en)}


#: The separators a :class:`Joined` may ask for (the texts are per language, in ``app.i18n``).
SEPARATORS: frozenset[str] = frozenset({"list", "semicolon", "sentence", "line"})


@dataclass(frozen=True)
class Joined:
    """Items joined in a sentence with a separator kind: ``list`` ("、" / ", "), ``semicolon``
    ("；" / "; "), ``sentence`` ("。" / ". ") or ``line`` (a new line)."""

    items: tuple[Any, ...]
    sep: str = "list"

    def __post_init__(self) -> None:
        if self.sep not in SEPARATORS:
            raise ValueError(f"unknown separator kind {self.sep!r}: use one of {sorted(SEPARATORS)}")

    def to_dict(self) -> dict[str, Any]:
        """Return ``{"join", "items"}`` (JSON-ready)."""
        return {"join": self.sep, "items": [_plain(x) for x in self.items]}


def joined(items: Any, sep: str = "list") -> Joined:
    """Return :class:`Joined` ``items`` (any iterable) with separator kind ``sep``."""
    return Joined(tuple(items), sep)


def msg(id: str, /, **params: Any) -> Message:
    """Return a :class:`Message` (shorthand: ``msg("rule.cluster.fail", cluster=name)``)."""
    return Message(id, params)


def replace_text(value: Any, old: str, new: str) -> Any:
    """Return ``value`` (a message, name, joined items, text or list) with ``old`` replaced by
    ``new`` in every text it holds (e.g. a server path by the name of the uploaded file)."""
    if isinstance(value, str):
        return value.replace(old, new)
    if isinstance(value, Message):
        return Message(value.id, {k: replace_text(v, old, new) for k, v in value.params.items()})
    if isinstance(value, Name):
        return Name(replace_text(value.zh, old, new), replace_text(value.en, old, new))
    if isinstance(value, Joined):
        return Joined(tuple(replace_text(x, old, new) for x in value.items), value.sep)
    if isinstance(value, list | tuple):
        return type(value)(replace_text(x, old, new) for x in value)
    return value


def from_dict(data: Any) -> Any:
    """Return the message, name or value stored by :meth:`Message.to_dict` / :meth:`Name.to_dict`.

    A dict with exactly the keys ``id`` and ``params`` is a :class:`Message`, one with exactly
    ``zh`` and ``en`` a :class:`Name`, one with ``join`` and ``items`` a :class:`Joined`; lists are rebuilt item by item; anything else is returned
    as it is."""
    if isinstance(data, Mapping):
        keys = set(data)
        if keys == {"id", "params"} and isinstance(data["id"], str):
            params = data["params"] or {}
            return Message(data["id"], {str(k): from_dict(v) for k, v in params.items()})
        if keys == {"zh", "en"}:
            return Name(from_dict(data["zh"]), from_dict(data["en"]))
        if keys == {"join", "items"}:
            return Joined(tuple(from_dict(x) for x in data["items"]), str(data["join"]))
        return {k: from_dict(v) for k, v in data.items()}
    if isinstance(data, list):
        return [from_dict(x) for x in data]
    return data


def plain(value: Any) -> Any:
    """Return ``value`` as JSON data: messages, names and joined items as their dicts (see
    :func:`from_dict`), inside lists and dicts too; other values unchanged."""
    if isinstance(value, Mapping):
        return {k: plain(v) for k, v in value.items()}
    return _plain(value)


def _frozen(v: Any) -> Any:
    """Return ``v`` hashable: mappings and lists as sorted tuples (messages hash themselves)."""
    if isinstance(v, Mapping):
        return tuple(sorted((str(k), _frozen(x)) for k, x in v.items()))
    if isinstance(v, list | tuple):
        return tuple(_frozen(x) for x in v)
    return v


def _plain(v: Any) -> Any:
    if isinstance(v, Message | Name | Joined):
        return v.to_dict()
    if isinstance(v, list | tuple):
        return [plain(x) for x in v]
    return v
