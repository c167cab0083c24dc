"""Printable documents (the official forms, case summaries) as PDF, in one plain layout: a title,
then sections of labelled fields. Names in Azerbaijani, Cyrillic or any Latin script print as
written: a subset of DejaVu Sans (free licence, fonts/README.md) ships inside this package,
so no machine needs system fonts. Rendering is pure (no I/O besides reading the font).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from importlib import resources
from typing import Any

from fpdf import FPDF

FONT = "DejaVu"
MEDIA_TYPE = "application/pdf"
Row = tuple[str, Any]


@dataclass(frozen=True)
class Section:
    heading: str
    rows: Sequence[Row] = field(default_factory=tuple)


@dataclass(frozen=True)
class Document:
    title: str
    subtitle: str
    sections: Sequence[Section]
    footer: str = ""


def text(value: Any) -> str:
    """A field's value as printed: dates ISO, lists joined, booleans yes/no, nothing as a dash."""
    if value is None or value == "" or value == []:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return "; ".join(text(v) for v in value)
    if isinstance(value, dict):
        return ", ".join(
            f"{k.replace('_', ' ')}: {text(v)}" for k, v in value.items() if v not in (None, "", [])
        )
    return str(value)


def _pdf(doc: Document) -> FPDF:
    pdf = FPDF(format="A4")
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.set_title(doc.title)
    pdf.set_creator("Passage")
    with resources.as_file(resources.files("passage") / "fonts" / "DejaVuSans-subset.ttf") as font:
        pdf.add_font(FONT, "", str(font))
    pdf.add_page()
    return pdf


def render(doc: Document) -> bytes:
    """The document as PDF bytes."""
    pdf = _pdf(doc)
    pdf.set_font(FONT, size=15)
    pdf.multi_cell(0, 8, doc.title, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FONT, size=9)
    pdf.multi_cell(0, 5, doc.subtitle, new_x="LMARGIN", new_y="NEXT")
    for section in doc.sections:
        _section(pdf, section.heading, section.rows)
    if doc.footer:
        pdf.ln(4)
        pdf.set_font(FONT, size=7)
        pdf.multi_cell(0, 4, doc.footer, new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def _section(pdf: FPDF, heading: str, rows: Iterable[Row]) -> None:
    pdf.ln(3)
    pdf.set_font(FONT, size=11)
    pdf.set_fill_color(230, 230, 230)
    pdf.multi_cell(0, 7, heading, fill=True, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FONT, size=9)
    width = pdf.w - pdf.l_margin - pdf.r_margin
    for label, value in rows:
        y = pdf.get_y()
        pdf.multi_cell(width * 0.35, 5, label, new_x="RIGHT", new_y="TOP")
        pdf.multi_cell(width * 0.65, 5, text(value), new_x="LMARGIN", new_y="NEXT")
        pdf.set_y(max(pdf.get_y(), y + 5))
