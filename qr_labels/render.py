"""Draw one label's content into its box on a reportlab canvas."""

from dataclasses import dataclass

from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth

from .fonts import CODE_FONT, cjk_font
from .layouts import Layout
from .qr import draw_qr, qr_modules
from .text import FittedText, fit_text

SCAN_HINT = "扫码检查"
SCHOOL_PT = 6.0
DOOR_SCHOOL_PT = 9.0
DOOR_HINT_PT = 18.0
GAP_MM = 1.0


@dataclass(frozen=True)
class LabelItem:
    code: str
    name: str


@dataclass(frozen=True)
class Box:
    """A rectangle in mm from the page's top left."""

    x: float
    y: float
    w: float
    h: float


class Page:
    """A canvas seen in mm from the top-left corner, as layouts are written."""

    def __init__(self, canvas, height_mm: float):
        self.canvas = canvas
        self.height_mm = height_mm

    def top_pt(self, y_mm: float) -> float:
        return (self.height_mm - y_mm) * mm

    def text(self, fitted: FittedText, font: str, box: Box, centred: bool = False) -> None:
        """Draw fitted lines from the top of `box`, left-aligned or centred."""
        self.canvas.setFont(font, fitted.size)
        baseline = self.top_pt(box.y) - fitted.ascent
        for line in fitted.lines:
            x = (box.x + box.w / 2) * mm - stringWidth(line, font, fitted.size) / 2 if centred else box.x * mm
            self.canvas.drawString(x, baseline, line)
            baseline -= fitted.leading

    def fitted(self, text: str, font: str, box: Box, max_pt: float, max_lines=None, centred=False):
        """Fit `text` into `box` and draw it; return the height used in mm."""
        fitted = fit_text(text, font, box.w, box.h, max_pt, max_lines)
        self.text(fitted, font, box, centred)
        return fitted.height / mm

    def qr(self, payload: str, x_mm: float, y_mm: float, side_mm: float) -> None:
        draw_qr(self.canvas, qr_modules(payload, side_mm), x_mm * mm, self.top_pt(y_mm), side_mm * mm)


def _school_height(school: str, max_pt: float) -> float:
    return (max_pt * 1.15 / mm) if school else 0.0


def qr_box(layout: Layout, box: Box) -> Box:
    """Where the QR square (quiet zone included) goes in a label at `box`."""
    side = layout.qr_mm
    if layout.style == "door":
        return Box(box.x + layout.padding, box.y + box.h - layout.padding - side, side, side)
    inset = (box.h - side) / 2
    return Box(box.x + inset, box.y + inset, side, side)


def draw_side_label(page: Page, layout: Layout, box: Box, item: LabelItem, payload: str, school: str):
    """QR on the left; code, name and school stacked on the right."""
    square = qr_box(layout, box)
    page.qr(payload, square.x, square.y, square.w)
    left = square.x + square.w
    column = Box(
        left, box.y + layout.padding, box.x + box.w - layout.padding - left, box.h - 2 * layout.padding
    )
    code_h = page.fitted(
        item.code, CODE_FONT, Box(column.x, column.y, column.w, column.h / 3), layout.code_pt, 1
    )
    school_h = _school_height(school, SCHOOL_PT)
    if school:
        page.fitted(
            school,
            cjk_font(),
            Box(column.x, column.y + column.h - school_h, column.w, school_h),
            SCHOOL_PT,
            1,
        )
    name_top = column.y + code_h + GAP_MM
    name_h = column.y + column.h - school_h - GAP_MM - name_top
    page.fitted(item.name, cjk_font(), Box(column.x, name_top, column.w, name_h), layout.name_pt)


def draw_door_label(page: Page, layout: Layout, box: Box, item: LabelItem, payload: str, school: str):
    """Room name across the top; QR bottom left; scan hint, code and school bottom right."""
    pad = layout.padding
    inner = Box(box.x + pad, box.y + pad, box.w - 2 * pad, box.h - 2 * pad)
    square = qr_box(layout, box)
    qr_top = square.y
    page.fitted(
        item.name, cjk_font(), Box(inner.x, inner.y, inner.w, qr_top - inner.y), layout.name_pt, centred=True
    )
    page.qr(payload, square.x, square.y, square.w)
    column = Box(
        inner.x + layout.qr_mm, qr_top + layout.qr_mm * 0.2, inner.w - layout.qr_mm, layout.qr_mm * 0.8
    )
    hint_h = page.fitted(
        SCAN_HINT, cjk_font(), Box(column.x, column.y, column.w, column.h / 3), DOOR_HINT_PT, 1, True
    )
    code_box = Box(column.x, column.y + hint_h + 2 * GAP_MM, column.w, column.h / 4)
    page.fitted(item.code, CODE_FONT, code_box, layout.code_pt, 1, centred=True)
    if school:
        school_h = _school_height(school, DOOR_SCHOOL_PT) * 2
        school_box = Box(column.x, column.y + column.h - school_h, column.w, school_h)
        page.fitted(school, cjk_font(), school_box, DOOR_SCHOOL_PT, 2, centred=True)


STYLES = {"side": draw_side_label, "door": draw_door_label}
