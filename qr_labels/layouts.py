"""Label sheets as data, in millimetres; adding a layout is adding an entry to LAYOUTS."""

from dataclasses import dataclass

A4 = (210.0, 297.0)


@dataclass(frozen=True)
class Layout:
    """A sheet of identical labels in a grid; all lengths in mm, measured from the page's top left."""

    key: str
    title: str
    page: tuple[float, float]
    grid: tuple[int, int]  # columns, rows
    label: tuple[float, float]  # width, height
    margin: tuple[float, float]  # left, top: where the first label's top-left corner sits
    pitch: tuple[float, float]  # from one label's corner to the next one's: size plus gap
    qr_mm: float  # side of the QR square, quiet zone included
    style: str = "side"  # "side": QR left, text right; "door": name on top, QR and hint below
    padding: float = 2.0
    name_pt: float = 11.0  # largest size for the name; long names shrink from here
    code_pt: float = 10.0

    def __post_init__(self):
        for axis in (0, 1):
            if self.pitch[axis] < self.label[axis]:
                raise ValueError(f"{self.key}: pitch smaller than the label")
            last_edge = self.margin[axis] + (self.grid[axis] - 1) * self.pitch[axis] + self.label[axis]
            if last_edge > self.page[axis] + 1e-6:
                raise ValueError(f"{self.key}: labels run off the page")
        if self.qr_mm > min(self.label):
            raise ValueError(f"{self.key}: QR larger than the label")

    @property
    def per_page(self) -> int:
        return self.grid[0] * self.grid[1]

    def cell(self, position: int) -> tuple[float, float]:
        """Top-left corner of the label at `position` (0-based, row by row) on the page."""
        row, col = divmod(position, self.grid[0])
        return (self.margin[0] + col * self.pitch[0], self.margin[1] + row * self.pitch[1])


LAYOUTS = {
    layout.key: layout
    for layout in (
        Layout(
            key="a4-3x8",
            title="A4 3×8 (70×37 mm)",
            page=A4,
            grid=(3, 8),
            label=(70.0, 37.0),
            margin=(0.0, 0.5),
            pitch=(70.0, 37.0),
            qr_mm=35.0,
        ),
        # Avery L7160 and its many clones: 21 per sheet with 2.5 mm gaps between columns.
        Layout(
            key="a4-21-l7160",
            title="A4 21 枚 L7160 (63.5×38.1 mm)",
            page=A4,
            grid=(3, 7),
            label=(63.5, 38.1),
            margin=(7.2, 15.15),
            pitch=(66.0, 38.1),
            qr_mm=34.0,
        ),
        Layout(
            key="a4-4x10-tags",
            title="A4 4×10 资产小标签 (45.7×25.4 mm)",
            page=A4,
            grid=(4, 10),
            label=(45.7, 25.4),
            margin=(9.7, 21.5),
            pitch=(48.3, 25.4),
            qr_mm=24.0,
            padding=1.5,
            name_pt=8.0,
            code_pt=7.5,
        ),
        # Door signs (Avery L7165 geometry): big name, QR and a hint that tells people to scan.
        Layout(
            key="a4-2x4-door",
            title="A4 2×4 门牌 (99.1×67.7 mm)",
            page=A4,
            grid=(2, 4),
            label=(99.1, 67.7),
            margin=(4.65, 13.1),
            pitch=(101.6, 67.7),
            qr_mm=46.0,
            style="door",
            padding=3.0,
            name_pt=22.0,
            code_pt=11.0,
        ),
        Layout(
            key="thermal-50x30",
            title="热敏 50×30 mm",
            page=(50.0, 30.0),
            grid=(1, 1),
            label=(50.0, 30.0),
            margin=(0.0, 0.0),
            pitch=(50.0, 30.0),
            qr_mm=28.0,
            padding=1.5,
            name_pt=9.0,
            code_pt=8.0,
        ),
        Layout(
            key="thermal-40x30",
            title="热敏 40×30 mm",
            page=(40.0, 30.0),
            grid=(1, 1),
            label=(40.0, 30.0),
            margin=(0.0, 0.0),
            pitch=(40.0, 30.0),
            qr_mm=23.0,
            padding=1.5,
            name_pt=8.0,
            code_pt=7.0,
        ),
    )
}
