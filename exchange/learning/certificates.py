"""The PDF certificate of a completion (fpdf2, with the DejaVu Serif font bundled here so
every name and the ™ of the AMA statement print on any machine)."""

from __future__ import annotations

from pathlib import Path

from fpdf import FPDF
from sqlalchemy import select

from exchange import vocab
from exchange.catalog.models import ModuleVersion
from exchange.catalog.presenters import module_page_data
from exchange.extensions import db
from exchange.learning.models import Completion
from exchange.templating import format_amount

FONTS = Path(__file__).resolve().parent / "fonts"


def certificate_lines(completion: Completion) -> dict:
    """What the certificate says, as text (the PDF lays it out; tests read it). Statements
    come from the module version the learner completed, as that version read."""
    snapshot = db.session.scalar(
        select(ModuleVersion.data).where(
            ModuleVersion.module_id == completion.module_id,
            ModuleVersion.version == completion.module_version,
        )
    ) or module_page_data(completion.module)
    claimed = {c.credit_type for c in completion.credits}
    credits = [
        f"{format_amount(c.amount)} {vocab.CREDIT_TYPES[c.credit_type]}" for c in completion.credits
    ]
    designations = [
        d["statement"] for d in snapshot.get("designations", []) if d["credit_type"] in claimed
    ]
    return {
        "heading": "Certificate of Completion" if credits else "Certificate of Participation",
        "learner": completion.learner_name,
        "module": completion.module_title,
        "date": f"{completion.completed_on.day} {completion.completed_on:%B %Y}",
        "credits": credits,
        "designations": designations,
        "provider": completion.provider.name,
        "accreditation": snapshot.get("accreditation_statement", ""),
        "number": completion.certificate_number,
        "minutes": completion.minutes_spent,
        "version": completion.module_version,
    }


def certificate_pdf(completion: Completion) -> bytes:
    lines = certificate_lines(completion)
    pdf = FPDF(orientation="landscape", format="letter")
    pdf.set_title(f"{lines['heading']}: {lines['module']}")
    pdf.set_author(lines["provider"])
    pdf.set_creator("CME Exchange")
    pdf.add_font("Serif", "", str(FONTS / "DejaVuSerif.ttf"))
    pdf.add_font("Serif", "B", str(FONTS / "DejaVuSerif-Bold.ttf"))
    pdf.set_auto_page_break(auto=True, margin=12)
    pdf.add_page()
    pdf.set_draw_color(30, 64, 120)
    pdf.set_line_width(1.2)
    pdf.rect(8, 8, pdf.w - 16, pdf.h - 16)
    pdf.set_y(22)
    width = pdf.w - 2 * pdf.l_margin

    def centered(text: str, size: float, style: str = "", gap: float = 2) -> None:
        pdf.set_font("Serif", style, size)
        pdf.multi_cell(width, size * 0.5, text, align="C", new_x="LMARGIN", new_y="NEXT")
        pdf.ln(gap)

    centered(lines["provider"], 13, "B", 6)
    centered(lines["heading"], 26, "B", 6)
    centered("This certifies that", 12)
    centered(lines["learner"], 22, "B", 4)
    centered("completed the activity", 12)
    centered(f"“{lines['module']}”", 15, "B", 2)
    centered(
        f"on {lines['date']} (version {lines['version']}, {lines['minutes']} minutes attested)",
        11,
        "",
        5,
    )
    if lines["credits"]:
        centered("and was awarded " + "; ".join(lines["credits"]) + ".", 13, "B", 5)
    else:
        centered("No credit was claimed: this certifies participation.", 12, "", 5)
    for statement in lines["designations"]:
        centered(statement, 9, "", 1)
    pdf.ln(2)
    centered(lines["accreditation"], 9, "", 4)
    centered(f"Certificate number {lines['number']}", 10, "B", 0)
    return bytes(pdf.output())
