"""The language of the command line: ``--lang zh|en`` (default zh), for messages and errors.

``parksite --lang en …`` sets it for every command; commands that print domain messages also
take their own ``--lang``. :func:`error_line` renders a domain error in it (what is wrong and
what to do, with where: the file, layer or field).
"""

from __future__ import annotations

import typer

from app.i18n import DEFAULT_LANG, LANGS, render, text
from gis.errors import ParksiteError

#: Help text of the ``--lang`` options.
LANG_HELP = "zh or en: the language of the messages printed (default zh)"

_state = {"lang": DEFAULT_LANG}


def set_lang(lang: str) -> str:
    """Make ``lang`` the language of this command line run and return it; BadParameter if unknown."""
    if lang not in LANGS:
        raise typer.BadParameter(text("cli.bad_lang", DEFAULT_LANG, langs=list(LANGS)))
    _state["lang"] = lang
    return lang


def current() -> str:
    """Return the language of this command line run (zh unless ``--lang`` said otherwise)."""
    return _state["lang"]


def error_line(exc: ParksiteError, lang: str | None = None) -> str:
    """Return a domain error as one line for the terminal, in ``lang`` (default: :func:`current`).

    An error without a catalogue message keeps its own (English) text, where and hint."""
    lang = lang or current()
    if exc.msg is None:
        return text("cli.error", lang, message=str(exc))
    message = render(exc.msg, lang)
    if exc.where:
        return text("cli.error_where", lang, where=exc.where, message=message)
    return text("cli.error", lang, message=message)
