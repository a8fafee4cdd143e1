"""The message catalogue: one per language, rendered at the edge (CLI, API, web, exports).

Catalogues are gettext PO files under ``app/locale/<lang>/`` (read with Babel, no compile step).
A language's catalogue is every ``*.po`` file of its folder taken together (split by layer only
to keep files short: ``web.po`` for the map's interface, the others for domain messages); an id
is unique within a language. Ids are keys such as ``rule.investment_intensity.fail``; texts use
``{name}`` placeholders filled with :meth:`str.format`.

Languages: ``zh`` (default) and ``en``. :func:`negotiate` picks one from an ``Accept-Language``
header or a ``--lang`` option.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from babel.messages.pofile import read_po

from gis.messages import Joined, Message, Name

LANGS: tuple[str, ...] = ("zh", "en")
DEFAULT_LANG = "zh"
LOCALE_DIR = Path(__file__).resolve().parent / "locale"
#: How each language joins a list of items in a sentence.
LIST_SEP: dict[str, str] = {"zh": "、", "en": ", "}
#: The separators of :class:`gis.messages.Joined` per kind and language.
SEPARATORS: dict[str, dict[str, str]] = {
    "list": LIST_SEP,
    "semicolon": {"zh": "；", "en": "; "},
    "sentence": {"zh": "。", "en": ". "},
    "line": {"zh": "\n", "en": "\n"},
}


class MissingMessageError(KeyError):
    """A message id is not in the catalogue of a language (a defect: tests walk every id)."""


@cache
def catalog(lang: str) -> dict[str, str]:
    """Return the catalogue of ``lang`` as ``{id: text}`` (every ``*.po`` under its folder)."""
    if lang not in LANGS:
        raise ValueError(f"unknown language {lang!r}: use one of {', '.join(LANGS)}")
    out: dict[str, str] = {}
    for path in sorted((LOCALE_DIR / lang).glob("*.po")):
        with path.open("rb") as f:
            cat = read_po(f, locale=lang if lang != "zh" else "zh_Hans_CN")
        for m in cat:
            if not m.id:
                continue
            key = str(m.id)
            if key in out:
                raise ValueError(f"{path}: message id {key!r} is defined twice in the {lang} catalogue")
            out[key] = str(m.string or "")
    return out


def negotiate(accept: str | None) -> str:
    """Return the language for an ``Accept-Language`` header or a ``--lang`` value (``zh`` default)."""
    if not accept:
        return DEFAULT_LANG
    best, best_q = DEFAULT_LANG, -1.0
    for part in accept.split(","):
        tag, _, q = part.strip().partition(";q=")
        base = tag.strip().lower().split("-")[0]
        try:
            weight = float(q) if q else 1.0
        except ValueError:
            weight = 0.0
        if base in LANGS and weight > best_q:
            best, best_q = base, weight
    return best


def text(id: str, lang: str = DEFAULT_LANG, /, **params: Any) -> str:
    """Return the text of message ``id`` in ``lang`` with its placeholders filled."""
    return render(Message(id, params), lang)


def render(message: Message | Name | Joined | str | None, lang: str = DEFAULT_LANG) -> str:
    """Return ``message`` in ``lang``; nested messages and lists in its parameters are rendered too.

    A :class:`Name` gives its text in ``lang``; a plain string is returned as it is (data such as
    a parcel id or a file name); None gives "".
    """
    if message is None:
        return ""
    if isinstance(message, str):
        return message
    if isinstance(message, Name):
        return render(message.get(lang), lang)
    if isinstance(message, Joined):
        return SEPARATORS[message.sep][lang].join(str(_value(x, lang)) for x in message.items)
    try:
        template = catalog(lang)[message.id]
    except KeyError:
        raise MissingMessageError(f"message id {message.id!r} is not in the {lang} catalogue") from None
    return template.format(**{k: _value(v, lang) for k, v in message.params.items()})


def render_value(value: Any, lang: str = DEFAULT_LANG) -> Any:
    """Return a data value for people reading ``lang``: messages and names rendered, lists and
    dicts rendered item by item (kept as lists and dicts), anything else unchanged (numbers stay
    numbers). Used on the JSON the domain returns (e.g. a check's ``to_dict()``)."""
    if isinstance(value, Message | Name | Joined):
        return render(value, lang)
    if isinstance(value, list | tuple):
        return [render_value(x, lang) for x in value]
    if isinstance(value, dict):
        return {k: render_value(v, lang) for k, v in value.items()}
    return value


def _value(v: Any, lang: str) -> Any:
    if isinstance(v, Message | Name | Joined):
        return render(v, lang)
    if isinstance(v, list | tuple):
        return LIST_SEP[lang].join(str(_value(x, lang)) for x in v)
    return v
