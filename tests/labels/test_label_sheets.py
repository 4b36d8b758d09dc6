"""Printed sheets: every QR scans to its item, sits where the layout says, pages stream."""

import io

import pypdfium2
import pytest
from PIL import Image

from qr_labels.layouts import LAYOUTS
from qr_labels.qr import QUIET_ZONE, qr_modules
from qr_labels.render import Box, qr_box
from qr_labels.sheet import rasterise, render_calibration, render_sheet

TOLERANCE_MM = 0.2


def expected_symbol(layout, position, payload, offset=(0.0, 0.0)):
    """Top-left and bottom-right (mm) of the dark symbol of the label at `position`."""
    x, y = layout.cell(position)
    square = qr_box(layout, Box(x + offset[0], y + offset[1], *layout.label))
    module = square.w / (len(qr_modules(payload, square.w)) + 2 * QUIET_ZONE)
    quiet = QUIET_ZONE * module
    return (square.x + quiet, square.y + quiet), (square.x + square.w - quiet, square.y + square.h - quiet)


def assert_near(found, expected):
    assert found[0] == pytest.approx(expected[0], abs=TOLERANCE_MM)
    assert found[1] == pytest.approx(expected[1], abs=TOLERANCE_MM)


@pytest.mark.parametrize("dpi", [300, 150])
@pytest.mark.parametrize("layout", LAYOUTS.values(), ids=LAYOUTS.keys())
def test_every_label_scans_to_its_item_where_the_layout_puts_it(labels, layout, dpi):
    items = labels.items(layout.per_page)
    found = {
        text: (top_left, bottom_right)
        for text, top_left, bottom_right in labels.decode(labels.pdf(layout, items), dpi)
    }

    assert set(found) == {labels.payload(item) for item in items}
    for position, item in enumerate(items):
        top_left, bottom_right = expected_symbol(layout, position, labels.payload(item))
        assert_near(found[labels.payload(item)][0], top_left)
        assert_near(found[labels.payload(item)][1], bottom_right)


def test_skipped_positions_stay_blank_and_the_offset_moves_every_label(labels):
    layout = LAYOUTS["a4-21-l7160"]
    items = labels.items(4)
    offset = (1.5, -0.8)
    found = labels.decode(labels.pdf(layout, items, skip=5, offset_mm=offset), 300)

    assert len(found) == 4
    by_text = {text: top_left for text, top_left, _ in found}
    for position, item in enumerate(items, start=5):
        assert_near(
            by_text[labels.payload(item)], expected_symbol(layout, position, labels.payload(item), offset)[0]
        )


def test_pages_stream_from_an_iterator_with_progress(labels):
    layout = LAYOUTS["a4-3x8"]
    pulled = []
    progress = []

    def items():
        for item in labels.items(50):
            pulled.append(item)
            yield item

    out = io.BytesIO()
    result = render_sheet(
        items(), layout, out, labels.options(), lambda n, pages: progress.append((n, pages, len(pulled)))
    )

    assert (result.labels, result.pages) == (50, 3)
    # A page is finished before the items of the next one beyond its first have been asked for.
    assert progress == [(24, 1, 25), (48, 2, 49), (50, 3, 50)]
    assert len(pypdfium2.PdfDocument(out.getvalue())) == 3


def test_qr_codes_are_vector_rectangles_not_images(labels):
    pdf = pypdfium2.PdfDocument(labels.pdf(LAYOUTS["a4-3x8"], labels.items(3)))
    kinds = {obj.type for obj in pdf[0].get_objects()}
    assert pypdfium2.raw.FPDF_PAGEOBJ_IMAGE not in kinds
    assert pypdfium2.raw.FPDF_PAGEOBJ_PATH in kinds


def _ink(image: Image.Image, box_mm, dpi: float) -> int:
    """Dark pixels inside a box (x, y, w, h in mm)."""
    scale = dpi / 25.4
    x, y, w, h = box_mm
    crop = image.crop((round(x * scale), round(y * scale), round((x + w) * scale), round((y + h) * scale)))
    return sum(crop.point(lambda value: value < 128 and 255).histogram()[255:])


def test_long_names_never_spill_outside_their_label(labels):
    layout = LAYOUTS["a4-21-l7160"]  # 2.5 mm gaps between columns: any spill would land there
    image = rasterise(labels.pdf(layout, labels.items(layout.per_page)), 0, 150)
    for col in range(layout.grid[0] - 1):
        gap_x = layout.margin[0] + col * layout.pitch[0] + layout.label[0]
        gap = (gap_x + 0.3, 0, layout.pitch[0] - layout.label[0] - 0.6, layout.page[1])
        assert _ink(image, gap, 150) == 0
    right_margin = layout.margin[0] + 2 * layout.pitch[0] + layout.label[0] + 0.3
    assert _ink(image, (right_margin, 0, layout.page[0] - right_margin, layout.page[1]), 150) == 0


def test_cut_marks_continue_the_label_edges_only_when_asked(labels):
    layout = LAYOUTS["a4-21-l7160"]
    x, y = layout.cell(0)
    above_corner = (x - 0.3, y - 2.5, 0.6, 1.0)
    with_marks = rasterise(labels.pdf(layout, labels.items(1), cut_marks=True), 0, 300)
    without = rasterise(labels.pdf(layout, labels.items(1)), 0, 300)
    assert _ink(with_marks, above_corner, 300) > 0
    assert _ink(without, above_corner, 300) == 0


def test_calibration_sheet_centres_crosshairs_on_the_shifted_labels():
    layout = LAYOUTS["a4-3x8"]
    offset = (1.0, -0.5)
    pdf = io.BytesIO()
    render_calibration(layout, pdf, offset)
    dpi = 300
    image = rasterise(pdf.getvalue(), 0, dpi)
    x, y = layout.cell(4)
    centre = (x + offset[0] + layout.label[0] / 2, y + offset[1] + layout.label[1] / 2)
    # The crosshair's vertical stroke is the darkest column in a strip just below the centre.
    strip = (centre[0] - 2, centre[1] + 1.5, 4, 1)
    scale = dpi / 25.4
    crop = image.crop(
        [round(v * scale) for v in (strip[0], strip[1], strip[0] + strip[2], strip[1] + strip[3])]
    )
    columns = [sum(255 - crop.getpixel((cx, cy)) for cy in range(crop.height)) for cx in range(crop.width)]
    found_x = strip[0] + (columns.index(max(columns)) + 0.5) / scale
    assert found_x == pytest.approx(centre[0], abs=TOLERANCE_MM)


def test_skip_must_leave_room_on_the_sheet(labels):
    with pytest.raises(ValueError, match="skip"):
        labels.pdf(LAYOUTS["a4-3x8"], labels.items(1), skip=24)
