"""Reports as tables, written to CSV and XLSX with the same numbers the JSON answer carries.

Text that a spreadsheet would run as a formula (=, +, -, @ first) is written with a leading
apostrophe: a room name typed by someone must never become a formula on the admin's computer.
"""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import datetime

from openpyxl import Workbook

from server.models import TEMPLATE_CATEGORIES

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@dataclass
class Table:
    name: str  # sheet name (short, unique per report)
    headers: list[str]
    rows: list[list]


def _cell(value):
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    if isinstance(value, datetime):
        return value.isoformat(timespec="minutes")
    if isinstance(value, list):
        return "; ".join(str(v) for v in value)
    return value


def _daily_tables(r: dict) -> list[Table]:
    scores = Table("每日通报 scores", ["楼栋 Building", "楼层 Floor", "宿舍 Room", "班级 Class", "得分 Score",
                                   "扣分项 Deductions", "检查人 Inspector"],
                   [[s["building"], s["floor"], s["room"], s["class_name"], s["score"],
                     "; ".join(f"{d['text']} -{d['points']:g}" for d in s["deductions"]), s["inspector"]]
                    for s in r["scores"]])
    unchecked = Table("未检查 unchecked", ["楼栋 Building", "楼层 Floor", "宿舍 Room", "班级 Class"],
                      [[u["building"], u["floor"], u["room"], u["class_name"]] for u in r["unchecked"]])
    return [scores, unchecked]


def _weekly_tables(r: dict) -> list[Table]:
    headers = ["名次 Rank", "名称 Name", "平均分 Average", "检查次数 Checks", "宿舍数 Rooms", "上周 Last week",
               "变化 Change"]
    return [Table(f"{level} ranking", headers,
                  [[x["rank"], x["name"], x["average"], x["checks"], x["rooms"], x["last_week"], x["change"]]
                   for x in rows]) for level, rows in r["levels"].items()]


def _canteen_tables(r: dict) -> list[Table]:
    headers = ["检查次数 Checks", "检查项次 Evaluated", "不合格 Failed", "合格率% Pass rate"]

    def rows(entries, *labels):
        return [[*(e[label] for label in labels), e["checks"], e["evaluated"], e["failed"], e["pass_rate"]]
                for e in entries]

    return [Table("zones", ["功能区 Zone", *headers], rows(r["zones"], "name")),
            Table("items", ["检查表 Checklist", "检查项 Item", *headers], rows(r["items"], "family", "name")),
            Table("days", ["日期 Day", *headers], rows(r["days"], "day")),
            Table("overdue", ["整改 Action", "场所 Room", "期限 Deadline", "状态 Status"],
                  [[a["title"], a["room"], a["deadline"], a["status"]] for a in r["actions"]["overdue_list"]])]


def _coverage_tables(r: dict) -> list[Table]:
    categories = TEMPLATE_CATEGORIES
    people = Table("inspectors", ["检查人 Inspector", "检查次数 Checks", "天数 Days", "场所数 Rooms", "每周 Per week",
                                  *categories],
                   [[p["name"], p["checks"], p["days"], p["rooms"], p["per_week"],
                     *(p["by_category"][c] for c in categories)] for p in r["inspectors"]])
    stale = Table("stale rooms", ["场所 Room", "类型 Kind", "楼栋 Building", "最近检查 Last check", "天数 Days since"],
                  [[s["room"], s["kind"], s["building"], s["last_day"], s["days_since"]] for s in r["stale_rooms"]])
    return [people, stale]


_TABLES = {"daily-notice": _daily_tables, "weekly-ranking": _weekly_tables, "canteen": _canteen_tables,
           "coverage": _coverage_tables}


def tables(name: str, report: dict) -> list[Table]:
    return _TABLES[name](report)


def to_csv(table: Table) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(table.headers)
    writer.writerows([[_cell(v) for v in row] for row in table.rows])
    return out.getvalue().encode("utf-8-sig")  # the BOM makes Excel read the Chinese as UTF-8


def to_xlsx(all_tables: list[Table]) -> bytes:
    book = Workbook(write_only=True)
    for table in all_tables:
        sheet = book.create_sheet(table.name[:31])
        sheet.append(table.headers)
        for row in table.rows:
            sheet.append([_cell(v) for v in row])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
