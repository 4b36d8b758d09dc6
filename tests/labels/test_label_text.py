"""Chinese text renders as real glyphs, fits its box and is never cut short; QR strength follows size."""

import io

import pytest
import zxingcpp
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas

from qr_labels.fonts import FontMissingError, cjk_font, find_cjk_font
from qr_labels.layouts import LAYOUTS
from qr_labels.qr import error_correction_for
from qr_labels.render import Box, qr_box
from qr_labels.sheet import rasterise
from qr_labels.text import fit_text

LONG_NAMES = [
    "主食库",
    "教学楼A座三楼东侧男卫生间热水器及配套电气线路检修口",
    "Science Building 实验楼 化学实验室 Chemistry Laboratory 3",
    "Supercalifragilisticexpialidocious-Equipment-Room-0001",
    "学" * 300,
]


@pytest.mark.parametrize("name", LONG_NAMES, ids=range(len(LONG_NAMES)))
@pytest.mark.parametrize("box", [(30.0, 20.0), (12.0, 14.0), (90.0, 15.0)], ids=str)
def test_names_fit_their_box_and_keep_every_character(name, box):
    fitted = fit_text(name, cjk_font(), *box, max_pt=11)
    assert all(stringWidth(line, cjk_font(), fitted.size) <= box[0] * mm for line in fitted.lines)
    assert fitted.height <= box[1] * mm
    assert "".join(fitted.lines).replace(" ", "") == name.replace(" ", "")


def test_short_names_keep_the_largest_size():
    assert fit_text("主食库", cjk_font(), 30, 20, max_pt=11).size == 11


def _glyph_images(text: str, dpi: float = 150):
    """Each character drawn large in the CJK font, rasterised, one image per character."""
    cell = 20
    out = io.BytesIO()
    canvas = Canvas(out, pagesize=(cell * len(text) * mm, cell * mm))
    canvas.setFont(cjk_font(), 40)
    for i, ch in enumerate(text):
        canvas.drawString((i * cell + 3) * mm, 5 * mm, ch)
    canvas.save()
    page = rasterise(out.getvalue(), 0, dpi)
    width = page.width / len(text)
    return [page.crop((round(i * width), 0, round((i + 1) * width), page.height)) for i in range(len(text))]


def _dark(image) -> set[tuple[int, int]]:
    return {(x, y) for x in range(image.width) for y in range(image.height) if image.getpixel((x, y)) < 128}


def test_chinese_renders_as_real_glyphs_not_boxes():
    # U+E000 is a private-use code point the font lacks: it shows the font's .notdef glyph.
    xun, jian, missing = (_dark(image) for image in _glyph_images("巡检\ue000"))
    assert len(xun) > 200 and len(jian) > 200
    # Two different characters drawn as the same box (or nothing) would overlap almost entirely.
    assert len(xun ^ jian) > len(xun | jian) / 2
    assert len(xun ^ missing) > len(xun | missing) / 2


def test_missing_font_is_reported_with_how_to_install_it(monkeypatch, tmp_path):
    monkeypatch.setenv("XUNJIAN_CJK_FONT", str(tmp_path / "absent.ttf"))
    with pytest.raises(FontMissingError, match="fonts-wqy-microhei"):
        find_cjk_font()


def test_error_correction_weakens_only_when_the_modules_would_get_too_small():
    payload = "https://xunjian.a-rather-long-school-domain.example.edu.cn/q/R00000B"
    assert error_correction_for(payload, 46) == "H"
    assert error_correction_for(payload, 24) in {"Q", "M"}
    assert error_correction_for(payload, 12) == "L"


def test_a_door_sign_still_scans_with_a_smudge_across_it(labels):
    """Door signs are big enough for level H, which recovers from a tenth of the symbol lost."""
    layout = LAYOUTS["a4-2x4-door"]
    dpi = 150
    image = rasterise(labels.pdf(layout, labels.items(1)), 0, dpi)
    square = qr_box(layout, Box(*layout.cell(0), *layout.label))
    scale = dpi / 25.4
    smudge = (square.x + square.w * 0.45, square.y + square.h * 0.25, square.w * 0.15, square.h * 0.5)
    image.paste(
        0, [round(v * scale) for v in (smudge[0], smudge[1], smudge[0] + smudge[2], smudge[1] + smudge[3])]
    )
    found = zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode)
    assert [barcode.text for barcode in found] == [labels.payload(labels.items(1)[0])]
