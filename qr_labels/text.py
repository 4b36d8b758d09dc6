"""Fit a text into a box: wrap, then shrink until it fits, so a name is never clipped."""

import re
from dataclasses import dataclass

from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import getAscentDescent, stringWidth

LEADING = 1.15
SHRINK = 0.92
# Han, kana and full-width punctuation may break anywhere; Latin words and numbers stay whole.
TOKENS = re.compile(
    r"[\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef]|[^\s\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef]+|\s+"
)


@dataclass(frozen=True)
class FittedText:
    lines: tuple[str, ...]
    size: float  # points
    ascent: float  # points above the first baseline
    leading: float  # points from one baseline to the next

    @property
    def height(self) -> float:
        """Points from the top of the first line to the bottom of the last."""
        return self.ascent + (len(self.lines) - 1) * self.leading + self.descent

    @property
    def descent(self) -> float:
        return self.size * LEADING - self.ascent


def _break_long(token: str, font: str, size: float, width: float) -> list[str]:
    pieces = [""]
    for ch in token:
        if pieces[-1] and stringWidth(pieces[-1] + ch, font, size) > width:
            pieces.append("")
        pieces[-1] += ch
    return pieces


def wrap(text: str, font: str, size: float, width: float, max_lines: int | None = None) -> list[str]:
    """Greedy line breaking at `size` points into lines no wider than `width` points."""
    lines = [""]
    for token in TOKENS.findall(" ".join(text.split())):
        candidate = lines[-1] + token
        if stringWidth(candidate, font, size) <= width:
            lines[-1] = candidate
        elif token.isspace():
            lines.append("")
        elif stringWidth(token, font, size) <= width:
            lines.append(token)
        else:
            first, *rest = _break_long(token, font, size, width - stringWidth(lines[-1], font, size))
            lines[-1] += first
            lines.extend(_break_long("".join(rest), font, size, width) if rest else [])
        if max_lines and len([line for line in lines if line]) > max_lines:
            break
    return [line.strip() for line in lines if line.strip()]


def fit_text(
    text: str, font: str, width_mm: float, height_mm: float, max_pt: float, max_lines: int | None = None
) -> FittedText:
    """Largest size up to `max_pt` at which `text` wraps into the box (and into `max_lines`)."""
    width, height = width_mm * mm, height_mm * mm
    size = max_pt
    while True:
        lines = wrap(text, font, size, width, max_lines)
        ascent, _descent = getAscentDescent(font, size)
        fitted = FittedText(tuple(lines), size, ascent, size * LEADING)
        fits_lines = max_lines is None or len(lines) <= max_lines
        widths_ok = all(stringWidth(line, font, size) <= width for line in lines)
        if fits_lines and widths_ok and fitted.height <= height:
            return fitted
        size *= SHRINK
