"""Ledger import through the console: mapping, dry run with every bad row, all-or-nothing, idempotent."""
from __future__ import annotations

import io
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from server import jobs
from server.extensions import db
from server.models import Asset, AssetEvent, LedgerImport
from server.services import ledger_import
from server.services.errors import Conflict
from tests.assets.conftest import FIXTURES, csrf_token, xlsx_bytes

HEADERS = ["资产编号", "资产名称", "资产类别", "规格型号", "数量", "单价", "购置日期", "使用部门", "存放地点", "保管人"]
CLEAN_ROWS = [
    ["示范中学固定资产登记表"],  # a title row above the headers, as school ledgers have
    HEADERS,
    ["A001", "交互式一体机", "多媒体设备", "86寸", 1, 12800, datetime(2021, 3, 5), "教务处", "教101", "张老师"],
    [1002, "投影仪", "多媒体设备", "3LCD", 1.0, "4200.00", "2021/3/5", "教务处", "教学楼 教102", "李老师"],
    ["A003", "文件柜", "办公家具", "钢制", 2, 650, "2020年9月1日", "总务处", "行政楼 储藏室", "王主任"],
    ["A004", "干粉灭火器", None, "MFZ/ABC4", 4, "85", "20230501", "总务处", "操场", None],
]


def upload(console, name: str, data: bytes):
    page = console.get("/admin/ledger/imports").get_data(as_text=True)
    return console.post("/admin/ledger/imports", data={"csrf_token": csrf_token(page),
                                                        "file": (io.BytesIO(data), name)},
                        content_type="multipart/form-data")


def check(console, import_id: int, mapping: list[str] | None = None) -> dict:
    """Submit the column mapping (as guessed unless given), run the dry run, return the job status."""
    page = console.get(f"/admin/ledger/imports/{import_id}").get_data(as_text=True)
    form = {"csrf_token": csrf_token(page)}
    form.update({f"col{i}": m or "" for i, m in enumerate(mapping or [])})
    if mapping is None:
        with console.application.app_context():
            guessed = db.session.get(LedgerImport, import_id).mapping
        form.update({f"col{i}": m or "" for i, m in enumerate(guessed)})
    assert console.post(f"/admin/ledger/imports/{import_id}/check", data=form).status_code == 302
    jobs.wait_all()
    return console.get(f"/admin/ledger/imports/{import_id}/status.json").get_json()


def apply(console, import_id: int) -> dict:
    page = console.get(f"/admin/ledger/imports/{import_id}").get_data(as_text=True)
    console.post(f"/admin/ledger/imports/{import_id}/apply", data={"csrf_token": csrf_token(page)})
    jobs.wait_all()
    return console.get(f"/admin/ledger/imports/{import_id}/status.json").get_json()


def import_id_of(resp) -> int:
    assert resp.status_code == 302, resp.get_data(as_text=True)
    return int(resp.headers["Location"].rstrip("/").rsplit("/", 1)[1])


def bad_rows(app, import_id: int) -> list[tuple]:
    with app.app_context():
        job = db.session.get(LedgerImport, import_id)
        return [(b["row"], e["field"], e["code"]) for b in job.bad_rows for e in b["errors"]]


def asset_count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(Asset.id)))


def test_a_messy_ledger_lists_every_bad_row_and_imports_nothing(app, console):
    job_id = import_id_of(upload(console, "台账.csv", (FIXTURES / "messy_ledger.csv").read_bytes()))
    status = check(console, job_id)
    assert bad_rows(app, job_id) == [
        (4, "name", "required"),
        (5, "quantity", "bad_quantity"),
        (5, "purchase_date", "bad_date"),
        (6, "tag", "duplicate_tag"),
        (7, "location", "unknown_room"),
        (8, "location", "ambiguous_room"),
        (9, "tag", "required"),
        (11, "purchase_date", "bad_date"),
        (12, "quantity", "bad_quantity"),
        (12, "unit_price", "bad_price"),
    ]
    assert status["summary"] == {"rows": 11, "bad": 8, "create": 3, "update": 0, "unchanged": 0}
    html = console.get(f"/admin/ledger/imports/{job_id}").get_data(as_text=True)
    assert "资产编号与第 2 行重复" in html and "找不到这个存放地点" in html and "«图书馆»" in html
    # Asking for the import anyway changes nothing: all or nothing.
    assert apply(console, job_id)["state"] == "checked"
    assert asset_count(app) == 0


def test_the_clean_ledger_imports_and_again_changes_nothing(app, console, school):
    data = xlsx_bytes(CLEAN_ROWS)
    first = import_id_of(upload(console, "ledger.xlsx", data))
    assert check(console, first)["summary"] == {"rows": 4, "bad": 0, "create": 4, "update": 0, "unchanged": 0}
    assert asset_count(app) == 0  # a dry run writes nothing
    assert apply(console, first)["state"] == "imported"
    with app.app_context():
        assets = {a.tag: a for a in db.session.scalars(select(Asset))}
        assert set(assets) == {"A001", "1002", "A003", "A004"}
        assert assets["1002"].unit_price == Decimal("4200.00") and assets["1002"].room_id == school.room("教学楼 教102")
        assert assets["A003"].purchase_date.isoformat() == "2020-09-01" and assets["A003"].quantity == 2
        assert assets["A004"].category == "未分类"
        versions = {tag: a.version for tag, a in assets.items()}
        assert db.session.scalar(select(func.count(AssetEvent.id)).where(AssetEvent.kind == "imported")) == 4

    again = import_id_of(upload(console, "ledger.xlsx", data))
    assert check(console, again)["summary"]["unchanged"] == 4
    assert apply(console, again)["summary"] == {"rows": 4, "bad": 0, "create": 0, "update": 0, "unchanged": 4}
    with app.app_context():
        assert {a.tag: a.version for a in db.session.scalars(select(Asset))} == versions
        assert db.session.scalar(select(func.count(AssetEvent.id))) == 4


def test_a_changed_row_updates_the_asset_bumps_its_version_and_leaves_a_trail(app, console, school):
    import_id = import_id_of(upload(console, "ledger.xlsx", xlsx_bytes(CLEAN_ROWS)))
    check(console, import_id)
    apply(console, import_id)
    changed = [row[:] for row in CLEAN_ROWS]
    changed[2][5], changed[2][8] = 11800, "教102"
    import_id = import_id_of(upload(console, "ledger-v2.xlsx", xlsx_bytes(changed)))
    check(console, import_id)
    assert apply(console, import_id)["summary"] == {"rows": 4, "bad": 0, "create": 0, "update": 1, "unchanged": 3}
    with app.app_context():
        asset = db.session.scalar(select(Asset).where(Asset.tag == "A001"))
        assert asset.version == 2 and asset.room_id == school.room("教学楼 教102")
        event = db.session.scalar(select(AssetEvent).where(AssetEvent.kind == "import_update"))
        assert event.asset_id == asset.id and event.import_id == import_id
        assert event.details["unit_price"] == ["12800.00", "11800.00"]
        assert (event.from_room_id, event.to_room_id) == (school.room("教学楼 教101"), school.room("教学楼 教102"))


def test_english_headers_and_a_remapped_column(app, console, school):
    rows = [["Asset tag", "Name", "Qty", "Location", "Notes"], ["T-1", "Desk", 2, "教101", "old"]]
    import_id = import_id_of(upload(console, "en.csv", "\n".join(",".join(map(str, r)) for r in rows).encode()))
    with app.app_context():
        assert db.session.get(LedgerImport, import_id).mapping == ["tag", "name", "quantity", "location", None]
    check(console, import_id, ["tag", "name", "quantity", "location", "spec"])
    assert apply(console, import_id)["state"] == "imported"
    with app.app_context():
        asset = db.session.scalar(select(Asset))
        assert (asset.tag, asset.quantity, asset.spec) == ("T-1", 2, "old")


def test_a_gbk_csv_from_excel_is_read(app, console, school):
    text = "资产编号,资产名称,存放地点\r\nG1,课桌,教101\r\n"
    import_id = import_id_of(upload(console, "excel.csv", text.encode("gb18030")))
    assert check(console, import_id)["summary"]["create"] == 1


def test_uploads_are_bounded_in_type_and_size(app, console):
    resp = upload(console, "ledger.pdf", b"%PDF-1.4 not a ledger")
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/admin/ledger/imports")
    assert "csv" in console.get("/admin/ledger/imports").get_data(as_text=True)
    resp = upload(console, "fake.xlsx", b"this is not a zip file at all")
    assert resp.headers["Location"].endswith("/admin/ledger/imports")
    app.config["LEDGER_MAX_BYTES"] = 100
    try:
        resp = upload(console, "big.csv", b"a,b\n" * 100)
        assert resp.headers["Location"].endswith("/admin/ledger/imports")
    finally:
        app.config["LEDGER_MAX_BYTES"] = 10 * 1024 * 1024
    with app.app_context():
        assert db.session.scalar(select(func.count(LedgerImport.id))) == 0


def test_a_mapping_without_tag_or_name_is_refused(app, console):
    import_id = import_id_of(upload(console, "台账.csv", (FIXTURES / "messy_ledger.csv").read_bytes()))
    check(console, import_id, [""] * 9)
    with app.app_context():
        assert db.session.get(LedgerImport, import_id).state == "uploaded"


def test_the_cli_checks_and_imports_with_progress(app, school, tmp_path):
    path = tmp_path / "ledger.xlsx"
    path.write_bytes(xlsx_bytes(CLEAN_ROWS))
    runner = app.test_cli_runner()
    dry = runner.invoke(args=["import-ledger", str(path), "--site", "s1"])
    assert dry.exit_code == 0, dry.output
    assert "checked" in dry.output and "'create': 4" in dry.output and asset_count(app) == 0
    done = runner.invoke(args=["import-ledger", str(path), "--site", "s1", "--apply"])
    assert done.exit_code == 0 and "imported" in done.output and asset_count(app) == 4
    bad = runner.invoke(args=["import-ledger", str(FIXTURES / "messy_ledger.csv"), "--site", "s1", "--apply"])
    assert bad.exit_code == 1 and "row 7: location: unknown_room 图书馆" in bad.output


def test_a_run_that_died_with_its_process_can_start_again(app, console):
    job_id = import_id_of(upload(console, "台账.csv", (FIXTURES / "messy_ledger.csv").read_bytes()))
    with app.app_context():
        job = db.session.get(LedgerImport, job_id)
        ledger_import.start(job, apply=False, now=datetime(2026, 11, 25, 9, 0, tzinfo=UTC))
        with pytest.raises(Conflict):
            ledger_import.start(job, apply=False, now=datetime(2026, 11, 25, 9, 10, tzinfo=UTC))
        ledger_import.start(job, apply=True, now=datetime(2026, 11, 25, 9, 45, tzinfo=UTC))
        assert (job.state, job.applying) == ("reading", True)
