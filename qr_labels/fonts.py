"""The CJK font: found on the machine (scripts/setup.sh installs it) or a clear error saying so."""

import os
from functools import cache
from pathlib import Path

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

CJK_FONT = "WenQuanYiMicroHei"
# reportlab needs TrueType outlines; Noto CJK's CFF outlines are refused, WenQuanYi's are fine.
FONT_ENV = "XUNJIAN_CJK_FONT"
FONT_CANDIDATES = (
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/wqy-microhei/wqy-microhei.ttc",
    "/usr/local/share/fonts/wqy-microhei.ttc",
)
# Latin-only text (the code) uses a PDF base font: always available, nothing to embed.
CODE_FONT = "Helvetica-Bold"


class FontMissingError(RuntimeError):
    pass


def find_cjk_font() -> Path:
    """Path of a TrueType CJK font: $XUNJIAN_CJK_FONT or the Debian fonts-wqy-microhei file."""
    configured = os.environ.get(FONT_ENV)
    candidates = (configured,) if configured else FONT_CANDIDATES
    for candidate in candidates:
        if Path(candidate).is_file():
            return Path(candidate)
    raise FontMissingError(
        f"CJK font missing: looked for {', '.join(candidates)}. Install it with "
        f"`apt-get install fonts-wqy-microhei` (or run scripts/setup.sh), or set {FONT_ENV} "
        "to a TrueType (not CFF/OTF) CJK font file."
    )


@cache
def cjk_font() -> str:
    """Register the CJK font with reportlab once and return its name."""
    pdfmetrics.registerFont(TTFont(CJK_FONT, str(find_cjk_font()), subfontIndex=0))
    return CJK_FONT
