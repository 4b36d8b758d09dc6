"""Compose label sheets: stream items onto pages, calibration sheets and PNG previews."""

import io
import os
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from itertools import islice

import pypdfium2
from PIL import Image
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfdoc import PDFArray, PDFDictionary, PDFName, PDFStream
from reportlab.pdfgen.canvas import Canvas

from .codes import payload_url
from .fonts import CODE_FONT, cjk_font
from .layouts import Layout
from .render import STYLES, Box, LabelItem, Page

CUT_MARK_MM = 3.0
CUT_MARK_CLEAR_MM = 0.5
HAIRLINE_PT = 0.25
OUTLINE_GREY = 0.75


@dataclass(frozen=True)
class SheetOptions:
    base_url: str
    school: str = ""
    skip: int = 0  # positions already used on the first sheet
    offset_mm: tuple[float, float] = (0.0, 0.0)  # printer calibration: +x moves right, +y down
    cut_marks: bool = False
    outlines: bool = False  # grey label outlines, for previews on screen


@dataclass(frozen=True)
class SheetResult:
    labels: int
    pages: int


Progress = Callable[[int, int], None]


class CompactCanvas(Canvas):
    """A Canvas that deflates each page's content as soon as the page is finished.

    reportlab keeps every page's operators as text until save(); for thousands of labels that is
    hundreds of MB. Compressed at once, a page holds a tenth of that.
    """

    def showPage(self):  # noqa: N802 - overrides reportlab's name
        super().showPage()
        page = self._doc.Pages.pages[-1]
        flate = PDFDictionary({"Filter": PDFArray([PDFName("FlateDecode")])})
        page.Contents = PDFStream(flate, zlib.compress(page.stream.encode("utf8")))
        page.stream = None


def _new_canvas(out, layout: Layout) -> Canvas:
    # reportlab takes a str path or a binary file, not a Path.
    out = os.fspath(out) if isinstance(out, os.PathLike) else out
    # invariant=1 keeps the file free of timestamps, so the same labels give the same bytes.
    return CompactCanvas(out, pagesize=(layout.page[0] * mm, layout.page[1] * mm), invariant=1)


def _label_box(layout: Layout, position: int, offset: tuple[float, float]) -> Box:
    x, y = layout.cell(position)
    return Box(x + offset[0], y + offset[1], *layout.label)


def _draw_outline(page: Page, box: Box) -> None:
    page.canvas.setStrokeGray(OUTLINE_GREY)
    page.canvas.setLineWidth(HAIRLINE_PT)
    page.canvas.rect(box.x * mm, page.top_pt(box.y + box.h), box.w * mm, box.h * mm, stroke=1, fill=0)
    page.canvas.setStrokeGray(0)


def _draw_cut_marks(page: Page, box: Box) -> None:
    """Short strokes that continue each edge outward from the corners: they lie on the cut lines."""
    canvas = page.canvas
    canvas.setLineWidth(HAIRLINE_PT)
    near, far = CUT_MARK_CLEAR_MM, CUT_MARK_CLEAR_MM + CUT_MARK_MM
    for x in (box.x, box.x + box.w):
        for y, outward in ((box.y, -1), (box.y + box.h, 1)):
            canvas.line(x * mm, page.top_pt(y + outward * near), x * mm, page.top_pt(y + outward * far))
    for y in (box.y, box.y + box.h):
        for x, outward in ((box.x, -1), (box.x + box.w, 1)):
            canvas.line((x + outward * near) * mm, page.top_pt(y), (x + outward * far) * mm, page.top_pt(y))


def render_sheet(
    items: Iterable[LabelItem],
    layout: Layout,
    out,
    options: SheetOptions,
    progress: Progress | None = None,
) -> SheetResult:
    """Write a PDF of `items` to `out` (path or binary file), a page at a time; return counts.

    `progress(labels, pages)` is called after every finished page.
    """
    if not 0 <= options.skip < layout.per_page:
        raise ValueError(f"skip must be between 0 and {layout.per_page - 1}")
    draw_label = STYLES[layout.style]
    canvas = _new_canvas(out, layout)
    page = Page(canvas, layout.page[1])
    labels, pages, position = 0, 0, options.skip
    for item in items:
        if position == layout.per_page:
            canvas.showPage()
            pages, position = pages + 1, 0
            if progress:
                progress(labels, pages)
        box = _label_box(layout, position, options.offset_mm)
        if options.outlines:
            _draw_outline(page, _label_box(layout, position, (0.0, 0.0)))
        draw_label(page, layout, box, item, payload_url(options.base_url, item.code), options.school)
        if options.cut_marks:
            _draw_cut_marks(page, box)
        labels, position = labels + 1, position + 1
    canvas.showPage()
    pages += 1
    if progress:
        progress(labels, pages)
    canvas.save()
    return SheetResult(labels=labels, pages=pages)


def rasterise(pdf: bytes, page_index: int = 0, dpi: float = 150) -> Image.Image:
    """One page of a PDF as a greyscale image at `dpi`."""
    document = pypdfium2.PdfDocument(pdf)
    try:
        bitmap = document[page_index].render(scale=dpi / 72, grayscale=True)
        return bitmap.to_pil().convert("L")
    finally:
        document.close()


def preview_png(items: Iterable[LabelItem], layout: Layout, options: SheetOptions, dpi: float = 100) -> bytes:
    """PNG of the first page as it will print, with the label outlines drawn in grey."""
    pdf = io.BytesIO()
    first_page = islice(items, layout.per_page - options.skip)
    render_sheet(first_page, layout, pdf, replace(options, outlines=True))
    png = io.BytesIO()
    rasterise(pdf.getvalue(), 0, dpi).save(png, format="PNG", optimize=False)
    return png.getvalue()


CALIBRATION_RANGE_MM = 4
CALIBRATION_HELP = (
    "按实际尺寸 (100%) 打印在标签纸上。读出标签左边、上边的切边落在刻度上的数值，加到当前偏移量。",
    "Print at actual size (100%) on the label stock. Read where each label's left and top cut edges "
    "cross the scales and add those numbers to the current offset.",
)


def _draw_scale(page: Page, x: float, y: float, horizontal: bool) -> None:
    """Ticks every 0.5 mm across an edge at (x, y), numbered every 2 mm; + is right or down."""
    canvas = page.canvas
    canvas.setFont(CODE_FONT, 5)
    for half_mm in range(-2 * CALIBRATION_RANGE_MM, 2 * CALIBRATION_RANGE_MM + 1):
        t = half_mm / 2
        length = 1.0 if half_mm % 2 else (3.0 if half_mm % 4 == 0 else 2.0)
        numbered = half_mm % 4 == 0
        if horizontal:
            canvas.line((x + t) * mm, page.top_pt(y - length / 2), (x + t) * mm, page.top_pt(y + length / 2))
            if numbered:
                canvas.drawCentredString((x + t) * mm, page.top_pt(y + 3.5), f"{t:+.0f}")
        else:
            canvas.line((x - length / 2) * mm, page.top_pt(y + t), (x + length / 2) * mm, page.top_pt(y + t))
            if numbered:
                canvas.drawString((x + 2) * mm, page.top_pt(y + t + 0.6), f"{t:+.0f}")


def _draw_crosshair(page: Page, box: Box) -> None:
    cx, cy = box.x + box.w / 2, box.y + box.h / 2
    page.canvas.line((cx - 3) * mm, page.top_pt(cy), (cx + 3) * mm, page.top_pt(cy))
    page.canvas.line(cx * mm, page.top_pt(cy - 3), cx * mm, page.top_pt(cy + 3))


def render_calibration(layout: Layout, out, offset_mm: tuple[float, float] = (0.0, 0.0)) -> None:
    """A page with every label's outline, centre and edge scales, printed with the current offset."""
    canvas = _new_canvas(out, layout)
    page = Page(canvas, layout.page[1])
    canvas.setLineWidth(HAIRLINE_PT)
    for position in range(layout.per_page):
        box = _label_box(layout, position, offset_mm)
        _draw_outline(page, box)
        _draw_crosshair(page, box)
        _draw_scale(page, box.x, box.y + box.h / 2, horizontal=True)
        _draw_scale(page, box.x + box.w / 2, box.y, horizontal=False)
    first = _label_box(layout, 0, offset_mm)
    notes = (
        f"{layout.title}  当前偏移 offset x={offset_mm[0]:+.1f} mm, y={offset_mm[1]:+.1f} mm",
        *CALIBRATION_HELP,
    )
    help_box = Box(first.x + 4, first.y + 5, first.w - 8, first.h / 2 - 9)
    page.fitted("\n".join(notes), cjk_font(), help_box, 6)
    canvas.showPage()
    canvas.save()
