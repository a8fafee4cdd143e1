"""The web's part of the message catalogue, served to the pages as JSON (``GET /i18n/{lang}.json``).

The pages' texts live in the same gettext catalogue as every other message
(``app/locale/<lang>/web.po`` for the interface, ``common.po`` for texts every layer shares; see
:mod:`app.i18n`). The browser asks for one language at a time and gets ``{id: text}`` with the
same ``{name}`` placeholders; ``static/js/i18n.js`` fills them.
"""

from __future__ import annotations

import hashlib
import json
from functools import cache
from typing import Final

from babel.messages.pofile import read_po

from app.i18n import LANGS, LOCALE_DIR, catalog

#: The catalogue files (``<domain>.po``) whose messages the pages render themselves.
WEB_DOMAINS: Final = ("common", "web")


def domain_ids(lang: str, domain: str) -> list[str]:
    """Return the message ids of ``app/locale/<lang>/<domain>.po`` in file order (none if absent)."""
    path = LOCALE_DIR / lang / f"{domain}.po"
    if not path.is_file():
        return []
    with path.open("rb") as f:
        return [str(m.id) for m in read_po(f) if m.id]


@cache
def web_catalog(lang: str) -> dict[str, str]:
    """Return ``{id: text}`` of the messages the pages use, in ``lang`` (sorted by id).

    Raises ValueError for a language that is not in :data:`app.i18n.LANGS`.
    """
    full = catalog(lang)
    return {k: full[k] for k in sorted({i for d in WEB_DOMAINS for i in domain_ids(lang, d)})}


@cache
def web_catalog_json(lang: str) -> tuple[bytes, str]:
    """Return the web catalogue of ``lang`` as UTF-8 JSON bytes and its (quoted, strong) ETag."""
    body = json.dumps(web_catalog(lang), ensure_ascii=False, sort_keys=True, indent=0).encode("utf-8")
    return body, '"' + hashlib.sha256(body).hexdigest()[:20] + '"'


def catalogue_digest() -> bytes:
    """Return the bytes of every language's web catalogue (for the pages' asset version)."""
    return b"".join(web_catalog_json(lang)[0] for lang in LANGS)
