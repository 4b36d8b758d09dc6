"""A `labels` fixture: render label sheets and read them back the way a printer and a phone would."""

import io

import pytest
import zxingcpp

from qr_labels.codes import make_code, payload_url
from qr_labels.render import LabelItem
from qr_labels.sheet import SheetOptions, rasterise, render_sheet

MM_PER_INCH = 25.4
# Short, long, mixed-script and very long names: the ones that break naive layouts.
NAMES = (
    "主食库",
    "学生宿舍3号楼 2层 201室",
    "Science Building 实验楼 化学实验室 Chemistry Lab 3",
    "灭火器 MFZ/ABC4 干粉",
    "教学楼A座三楼东侧男卫生间热水器及配套电气线路检修口",
    "餐具消毒间",
)


class LabelBench:
    base_url = "https://xj.example.edu.cn"
    school = "某某市第一实验中学后勤处"

    def items(self, count: int, kind: str = "room") -> list[LabelItem]:
        return [LabelItem(make_code(kind, serial), NAMES[serial % len(NAMES)]) for serial in range(count)]

    def payload(self, item: LabelItem) -> str:
        return payload_url(self.base_url, item.code)

    def options(self, **overrides) -> SheetOptions:
        return SheetOptions(base_url=self.base_url, school=self.school, **overrides)

    def pdf(self, layout, items, **overrides) -> bytes:
        out = io.BytesIO()
        render_sheet(iter(items), layout, out, self.options(**overrides))
        return out.getvalue()

    def decode(self, pdf: bytes, dpi: float, page_index: int = 0):
        """Every QR code a scanner finds on the page: (text, top-left mm, bottom-right mm)."""
        image = rasterise(pdf, page_index, dpi)
        found = zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode)
        to_mm = MM_PER_INCH / dpi
        return [
            (
                barcode.text,
                (barcode.position.top_left.x * to_mm, barcode.position.top_left.y * to_mm),
                (barcode.position.bottom_right.x * to_mm, barcode.position.bottom_right.y * to_mm),
            )
            for barcode in found
        ]


@pytest.fixture
def labels() -> LabelBench:
    return LabelBench()
