"""Reading a school's ledger spreadsheet (CSV or XLSX) into rows, and guessing which column is which.

No database here: this turns bytes into cells. Checking the cells is server.services.ledger_import.
"""
from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Iterator
from pathlib import Path

from openpyxl import load_workbook

FORMATS = ("csv", "xlsx")
# The ledger fields a column can fill, in the order the mapping step shows them.
FIELDS = ("tag", "name", "category", "spec", "quantity", "unit_price", "purchase_date", "department",
          "location", "custodian")
REQUIRED_FIELDS = ("tag", "name")

# Headers seen in schools' ledgers (and their English exports), compared after normalising.
HEADER_SYNONYMS = {
    "tag": ("资产编号", "资产编码", "编号", "财产编号", "资产条码", "tag", "asset tag", "asset no", "asset number",
            "asset id", "asset code"),
    "name": ("资产名称", "名称", "财产名称", "品名", "name", "asset name", "item"),
    "category": ("资产类别", "类别", "分类", "资产分类", "category", "class", "type"),
    "spec": ("规格型号", "规格", "型号", "spec", "specification", "model"),
    "quantity": ("数量", "qty", "quantity", "count"),
    "unit_price": ("单价", "单价(元)", "单价（元）", "价格", "unit price", "price"),
    "purchase_date": ("购置日期", "购买日期", "购入日期", "入帐日期", "入账日期", "purchase date", "acquired",
                      "date acquired", "date"),
    "department": ("使用部门", "使用单位", "部门", "department", "dept"),
    "location": ("存放地点", "存放位置", "位置", "地点", "location", "room", "place"),
    "custodian": ("保管人", "责任人", "使用人", "custodian", "keeper", "responsible"),
}
_SPACES = re.compile(r"[\s\u3000]+")
_LOOKUP = {_SPACES.sub(" ", h).strip().lower(): field for field, names in HEADER_SYNONYMS.items() for h in names}


class LedgerFileError(ValueError):
    """The file itself cannot be read as a ledger; `code` names why for the user."""

    def __init__(self, code: str, detail: str = ""):
        super().__init__(f"{code}: {detail}" if detail else code)
        self.code = code
        self.detail = detail


def sniff_format(filename: str, head: bytes) -> str:
    """csv or xlsx, from the extension and the first bytes; anything else is refused."""
    ext = Path(filename).suffix.lower().lstrip(".")
    if ext == "xlsx" and head.startswith(b"PK\x03\x04"):
        return "xlsx"
    if ext == "csv" and b"\x00" not in head:
        return "csv"
    raise LedgerFileError("unsupported_type", ext)


def guess_mapping(headers: list[str]) -> list[str | None]:
    """For each column the field its header names, each field used at most once."""
    taken: set[str] = set()
    mapping: list[str | None] = []
    for header in headers:
        field = _LOOKUP.get(_SPACES.sub(" ", str(header or "")).strip().lower())
        mapping.append(field if field and field not in taken else None)
        if field:
            taken.add(field)
    return mapping


def read_rows(path: Path, file_format: str) -> Iterator[tuple[int, list]]:
    """(spreadsheet row number, cells) for every row, header included; blank rows skipped."""
    rows = _xlsx_rows(path) if file_format == "xlsx" else _csv_rows(path)
    for number, cells in rows:
        if any(c not in (None, "") and str(c).strip() for c in cells):
            yield number, list(cells)


def count_rows(path: Path, file_format: str) -> int:
    """Rows below the header; cheap enough to run before the real read, so progress has a total."""
    if file_format == "xlsx":
        try:
            with zipfile.ZipFile(path) as zf:
                sheet = zf.read(_first_sheet_name(zf)).decode("utf-8", "replace")
        except (zipfile.BadZipFile, KeyError) as exc:
            raise LedgerFileError("unreadable", str(exc)) from exc
        return max(0, sheet.count("<row ") - 1)
    return max(0, sum(1 for _ in _csv_rows(path)) - 1)


def _first_sheet_name(zf: zipfile.ZipFile) -> str:
    sheets = sorted(n for n in zf.namelist() if re.fullmatch(r"xl/worksheets/sheet\d+\.xml", n))
    if not sheets:
        raise KeyError("no worksheet")
    return sheets[0]


def _xlsx_rows(path: Path) -> Iterator[tuple[int, tuple]]:
    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds on a damaged file
        raise LedgerFileError("unreadable", type(exc).__name__) from exc
    try:
        sheet = workbook.worksheets[0]
        yield from enumerate(sheet.iter_rows(values_only=True), start=1)
    finally:
        workbook.close()


def _csv_rows(path: Path) -> Iterator[tuple[int, list[str]]]:
    text = _decode(path.read_bytes())
    yield from enumerate(csv.reader(io.StringIO(text, newline="")), start=1)


def _decode(raw: bytes) -> str:
    """UTF-8 (with or without BOM), else GB18030: what Excel on a Chinese Windows saves as CSV."""
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise LedgerFileError("bad_encoding")
