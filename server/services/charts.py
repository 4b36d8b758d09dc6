"""Chart geometry for the report pages. Only numbers here: the console's Jinja macros draw the SVG, so
every label goes through autoescaping and no script or CDN is needed (the CSP allows neither)."""
from __future__ import annotations

from dataclasses import dataclass

BAR_HEIGHT = 18
BAR_GAP = 6
LABEL_WIDTH = 140
VALUE_WIDTH = 50


@dataclass(frozen=True)
class Bar:
    label: str
    value: float | None
    y: float
    width: float


@dataclass(frozen=True)
class BarChart:
    width: int
    height: int
    plot_x: int
    plot_width: int
    bar_height: int
    bars: list[Bar]


def bar_chart(rows: list[tuple[str, float | None]], top: float = 100.0, width: int = 640) -> BarChart:
    """Horizontal bars, one per row, scaled so `top` fills the plot (larger values are clipped)."""
    plot_width = width - LABEL_WIDTH - VALUE_WIDTH
    bars = [Bar(label, value, i * (BAR_HEIGHT + BAR_GAP),
                0 if value is None or top <= 0 else plot_width * min(max(value, 0), top) / top)
            for i, (label, value) in enumerate(rows)]
    height = max(1, len(rows)) * (BAR_HEIGHT + BAR_GAP)
    return BarChart(width, height, LABEL_WIDTH, plot_width, BAR_HEIGHT, bars)


@dataclass(frozen=True)
class LinePoint:
    label: str
    value: float
    x: float
    y: float


@dataclass(frozen=True)
class LineChart:
    width: int
    height: int
    points: list[LinePoint]
    polyline: str
    gridlines: list[tuple[float, float]]  # (y, value)


def line_chart(rows: list[tuple[str, float | None]], top: float = 100.0, width: int = 640,
               height: int = 200, margin: int = 30) -> LineChart:
    """A line over evenly spaced labels (days); rows without a value are skipped."""
    known = [(label, value) for label, value in rows if value is not None]
    step = (width - 2 * margin) / max(1, len(known) - 1)

    def y_of(value: float) -> float:
        return round(height - margin - (height - 2 * margin) * min(max(value, 0), top) / top, 1)

    points = [LinePoint(label, value, round(margin + i * step, 1), y_of(value)) for i, (label, value) in
              enumerate(known)]
    grid = [(y_of(v), v) for v in (0, top / 2, top)]
    return LineChart(width, height, points, " ".join(f"{p.x},{p.y}" for p in points), grid)
