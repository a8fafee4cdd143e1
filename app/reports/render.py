"""HTML templates (Jinja2) to PDF (WeasyPrint): the shared page frame of every report.

Every report extends ``templates/base.html``: A4, the zone's name, the document's title and
its date in the header, page numbers in the footer, and the data's status (illustrative or
not) stated on the first page. Texts come from the message catalogue (``report.po``).
"""

from __future__ import annotations

import base64
import math
from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from app.i18n import render, text

TEMPLATES = Path(__file__).resolve().parent / "templates"


@cache
def _env() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["num"] = number
    return env


def number(value: Any, digits: int = 1) -> str:
    """Return ``value`` rounded for people (``digits`` decimals, thousands separated); "—" for
    a missing value."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    if isinstance(value, bool):
        return str(value)
    try:
        return f"{float(value):,.{digits}f}"
    except (TypeError, ValueError):
        return str(value)


def png_uri(png: bytes) -> str:
    """Return a PNG as a ``data:`` URI (the PDF carries its figures; nothing is fetched)."""
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def html(template: str, lang: str, **context: Any) -> str:
    """Return the HTML of ``template`` in ``lang``: ``t(id, **params)`` gives a catalogue text
    and ``r(message)`` renders a domain message in the template."""
    tpl = _env().get_template(template)
    return tpl.render(
        lang=lang,
        t=lambda id, **p: text(id, lang, **p),
        r=lambda m: render(m, lang),
        **context,
    )


def pdf(template: str, lang: str, **context: Any) -> bytes:
    """Return the PDF (bytes) of ``template`` rendered in ``lang`` with ``context``."""
    from weasyprint import HTML  # loads Pango: imported only when a PDF is made

    doc = html(template, lang, **context)
    out = HTML(string=doc, base_url=str(TEMPLATES)).write_pdf()
    assert out is not None
    return bytes(out)
