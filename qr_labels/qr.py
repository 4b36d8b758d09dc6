"""QR symbols as vector rectangles, with error correction as strong as the printed size allows."""

from functools import cache

import qrcode
from qrcode.constants import ERROR_CORRECT_H, ERROR_CORRECT_L, ERROR_CORRECT_M, ERROR_CORRECT_Q

QUIET_ZONE = 4  # modules of white around the symbol, as ISO/IEC 18004 requires
# Below this module size phone cameras start to struggle at arm's length, so a small label trades
# error correction (damage tolerance) for bigger modules.
MIN_MODULE_MM = 0.5
STRENGTH_ORDER = (ERROR_CORRECT_H, ERROR_CORRECT_Q, ERROR_CORRECT_M, ERROR_CORRECT_L)
EC_NAMES = {ERROR_CORRECT_L: "L", ERROR_CORRECT_M: "M", ERROR_CORRECT_Q: "Q", ERROR_CORRECT_H: "H"}
# Choosing the mask automatically builds the symbol eight times; decoders read any mask.
FIXED_MASK = 2


def _symbol(payload: str, error_correction: int, version: int | None = None) -> qrcode.QRCode:
    symbol = qrcode.QRCode(
        version=version, error_correction=error_correction, border=0, mask_pattern=FIXED_MASK
    )
    symbol.add_data(payload)
    symbol.make(fit=version is None)
    return symbol


@cache
def _choice(payload_bytes: int, side_mm: float) -> tuple[int, int]:
    """(error correction, version) for payloads of this length in a square of `side_mm`."""
    # Payload URLs always contain a lower-case "/q/", so qrcode uses byte mode and the version
    # depends on the length alone.
    sample = "x" * payload_bytes
    for level in STRENGTH_ORDER:
        version = _symbol(sample, level).version
        modules = 17 + 4 * version + 2 * QUIET_ZONE
        if side_mm / modules >= MIN_MODULE_MM or level == ERROR_CORRECT_L:
            return level, version
    raise AssertionError("unreachable: the weakest level is always accepted")


def error_correction_for(payload: str, side_mm: float) -> str:
    """Name (L/M/Q/H) of the level a payload gets in a square of `side_mm`."""
    return EC_NAMES[_choice(len(payload.encode()), side_mm)[0]]


def qr_modules(payload: str, side_mm: float) -> list[list[bool]]:
    """The dark/light module matrix, quiet zone excluded."""
    level, version = _choice(len(payload.encode()), side_mm)
    return _symbol(payload, level, version).modules


def draw_qr(canvas, modules: list[list[bool]], x: float, top: float, side: float) -> None:
    """Draw the symbol in the square at (x, top) in PDF points, leaving the quiet zone white."""
    count = len(modules)
    module = side / (count + 2 * QUIET_ZONE)
    canvas.saveState()
    # Work in module units from the symbol's top-left corner, y downwards: whole numbers only,
    # which keeps the page content small and exact.
    canvas.transform(module, 0, 0, -module, x + QUIET_ZONE * module, top - QUIET_ZONE * module)
    canvas.drawPath(ModuleRuns(modules), stroke=0, fill=1)
    canvas.restoreState()


class ModuleRuns:
    """The dark modules as one path for Canvas.drawPath: a rectangle per horizontal run of them (fewer
    operators than one per module, and no anti-aliasing seams between neighbours). Written here as
    the PDF operators reportlab's path.rect writes for whole numbers ("x y w h re"), at once: rect
    formats each number on its own, a quarter of rendering a sheet of labels."""

    def __init__(self, modules: list[list[bool]]):
        self._code = " ".join(f"{start} {row} {width} 1 re" for row, start, width in _runs(modules))

    def getCode(self) -> str:  # noqa: N802 (reportlab's name)
        return self._code


def _runs(modules: list[list[bool]]):
    """(row, first column, length) of each horizontal run of dark modules."""
    for row_index, row in enumerate(modules):
        start = None
        for col, dark in enumerate([*row, False]):
            if dark and start is None:
                start = col
            elif not dark and start is not None:
                yield row_index, start, col - start
                start = None
