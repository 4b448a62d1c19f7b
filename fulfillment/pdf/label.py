"""The 100 × 150 mm thermal waybill label: carrier, waybill barcode and number, receiver, sender, the
order number and a gift note when the order carries a gift."""

from io import BytesIO

from reportlab.graphics.barcode.code128 import Code128
from reportlab.lib import colors
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from fulfillment.pdf.fonts import draw_text, wrap

LABEL_SIZE = (100 * mm, 150 * mm)


def _text(c: Canvas, x: float, y: float, text: str, size: float = 9, bold: bool = False):
    draw_text(c, x, y, text, size, bold)


def _wrap(text: str, size: float, width: float) -> list[str]:
    return wrap(text, size, width)


def labels_pdf(labels: list[dict]) -> bytes:
    """One page per label. Each dict: number, carrier, receiver{name, phone, address}, sender{...},
    order_number, gift_note, items (a short text), printed (times printed before)."""
    buffer = BytesIO()
    c = Canvas(buffer, pagesize=LABEL_SIZE)
    c.setTitle("Waybill labels")
    width, height = LABEL_SIZE
    for label in labels:
        left = 4 * mm
        _text(c, left, height - 10 * mm, label["carrier"], 14, bold=label["carrier"].isascii())
        if label.get("printed"):
            _text(c, width - 30 * mm, height - 10 * mm, f"REPRINT {label['printed']}", 8)
        c.line(0, height - 13 * mm, width, height - 13 * mm)
        Code128(label["number"], barHeight=20 * mm, barWidth=0.42 * mm, humanReadable=False).drawOn(
            c, left, height - 36 * mm
        )
        _text(c, left + 2 * mm, height - 41 * mm, label["number"], 14, bold=True)
        c.line(0, height - 44 * mm, width, height - 44 * mm)
        y = height - 50 * mm
        _text(c, left, y, "收 To", 9, bold=False)
        receiver = label["receiver"]
        _text(c, left + 12 * mm, y, f"{receiver['name']}  {receiver['phone']}", 12)
        for part in _wrap(receiver["address"], 11, width - left - 16 * mm)[:4]:
            y -= 5.5 * mm
            _text(c, left + 12 * mm, y, part, 11)
        y -= 4 * mm
        c.line(0, y, width, y)
        y -= 6 * mm
        sender = label["sender"]
        _text(c, left, y, "寄 From", 8)
        _text(c, left + 14 * mm, y, f"{sender['name']}  {sender['phone']}", 9)
        for part in _wrap(sender["address"], 8, width - left - 18 * mm)[:2]:
            y -= 4.5 * mm
            _text(c, left + 14 * mm, y, part, 8)
        y -= 3.5 * mm
        c.line(0, y, width, y)
        y -= 6 * mm
        _text(c, left, y, f"Order {label['order_number']}", 10, bold=True)
        for part in _wrap(label.get("items", ""), 8, width - 2 * left)[:3]:
            y -= 5 * mm
            _text(c, left, y, part, 8)
        if label.get("gift_note"):
            y -= 9 * mm
            c.setFillColor(colors.black)
            c.rect(left - 1 * mm, y - 2 * mm, width - 2 * left + 2 * mm, 7 * mm, stroke=0, fill=1)
            c.setFillColor(colors.white)
            _text(c, left + 1 * mm, y, _wrap(f"★ {label['gift_note']}", 10, width - 2 * left - 2 * mm)[0], 10)
            c.setFillColor(colors.black)
        c.showPage()
    c.save()
    return buffer.getvalue()
