"""A font that draws Chinese: a TrueType CJK font found by fontconfig if there is one (reportlab cannot
embed the CFF-outlined Noto CJK .ttc of Debian's fonts-noto-cjk), otherwise the built-in Adobe-GB1 CID
font STSong-Light, which every PDF viewer (and poppler's pdftoppm) maps to an installed Chinese font."""

import functools
import logging
import shutil
import subprocess

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfbase.ttfonts import TTFError, TTFont

logger = logging.getLogger(__name__)
FALLBACK = "STSong-Light"
LATIN = "Helvetica"
LATIN_BOLD = "Helvetica-Bold"


def _fontconfig_candidates() -> list[str]:
    fc_list = shutil.which("fc-list")
    if not fc_list:
        return []
    try:
        listed = subprocess.run(  # noqa: S603
            [fc_list, ":lang=zh", "file"], capture_output=True, text=True, timeout=5, check=False
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return []
    files = [line.split(":", 1)[0].strip() for line in listed.splitlines() if line.strip()]
    # TrueType outlines first; .otf / CFF .ttc files are refused by reportlab and tried last.
    return sorted(set(files), key=lambda path: ("opentype" in path, "Bold" in path, path))


@functools.cache
def cjk_font() -> str:
    for path in _fontconfig_candidates():
        try:
            pdfmetrics.registerFont(TTFont("OrderHubCJK", path, subfontIndex=0))
        except (TTFError, OSError, ValueError) as exc:
            logger.debug("CJK font %s not usable by reportlab: %s", path, exc)
            continue
        return "OrderHubCJK"
    pdfmetrics.registerFont(UnicodeCIDFont(FALLBACK))
    return FALLBACK


def draw_text(canvas, x: float, y: float, text: str, size: float = 9, bold: bool = False) -> float:
    """Draws text in runs: ASCII in Helvetica (searchable in any viewer), the rest in the CJK font.
    Returns the x where the text ended."""
    import itertools

    for is_ascii, run in itertools.groupby(text, key=str.isascii):
        chunk = "".join(run)
        font = (LATIN_BOLD if bold else LATIN) if is_ascii else cjk_font()
        canvas.setFont(font, size)
        canvas.drawString(x, y, chunk)
        x += pdfmetrics.stringWidth(chunk, font, size)
    return x


def text_width(text: str, size: float, bold: bool = False) -> float:
    import itertools

    width = 0.0
    for is_ascii, run in itertools.groupby(text, key=str.isascii):
        font = (LATIN_BOLD if bold else LATIN) if is_ascii else cjk_font()
        width += pdfmetrics.stringWidth("".join(run), font, size)
    return width


def wrap(text: str, size: float, width: float) -> list[str]:
    """Lines of `text` no wider than `width` points (broken between characters; CJK has no spaces)."""
    lines, current = [], ""
    for char in text:
        if current and text_width(current + char, size) > width:
            lines.append(current)
            current = char.lstrip()
        else:
            current += char
    return [*lines, current] if current or not lines else lines
