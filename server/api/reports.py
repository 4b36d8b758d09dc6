"""Reports as JSON and as CSV/XLSX downloads (numbers from server.services.reports)."""
from __future__ import annotations

from flask import Response

from server.api import inspection_schemas as s
from server.api.jsonio import Blueprint
from server.auth import current_site_id, token_required
from server.extensions import db
from server.services import exports, reports

blp = Blueprint("reports", __name__, url_prefix="/api/v1/reports", description="Reports (通报, 评比, 合规, 覆盖)")

CONTENT_TYPES = {"csv": "text/csv; charset=utf-8",
                 "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


def download(name: str, report: dict, fmt: str, table: str | None) -> Response:
    """A report as a file: XLSX with a sheet per table, or one table as CSV."""
    all_tables = exports.tables(name, report)
    if fmt == "xlsx":
        body = exports.to_xlsx(all_tables)
    else:
        chosen = next((t for t in all_tables if t.name == table), all_tables[0])
        body = exports.to_csv(chosen)
    response = Response(body, content_type=CONTENT_TYPES[fmt])
    response.headers["Content-Disposition"] = f'attachment; filename="{name}.{fmt}"'
    return response


def _report_views(name: str, args_schema, result_schema, summary: str) -> None:
    endpoint = name.replace("-", "_")

    def show(args):
        return reports.run(db.session, current_site_id(), name, args)

    def export(export_args, args):
        return download(name, reports.run(db.session, current_site_id(), name, args),
                        export_args["format"], export_args.get("table"))

    show.__name__, show.__doc__ = endpoint, summary
    export.__name__, export.__doc__ = f"{endpoint}_export", f"{summary} As CSV or XLSX."
    blp.route(f"/{name}", methods=["GET"])(token_required("admin", "inspector")(
        blp.arguments(args_schema, location="query")(blp.response(200, result_schema)(show))))
    blp.route(f"/{name}/export", methods=["GET"])(token_required("admin", "inspector")(
        blp.arguments(s.ExportArgsSchema, location="query")(
            blp.arguments(args_schema, location="query")(export))))


for _name, _args, _result, _summary in (
    ("daily-notice", s.DayArgsSchema, s.DailyNoticeSchema, "每日通报: every dorm room's score of the day."),
    ("weekly-ranking", s.DayArgsSchema, s.WeeklyRankingSchema, "每周评比: the week holding `day`, ranked."),
    ("canteen", s.PeriodArgsSchema, s.CanteenComplianceSchema, "Canteen compliance over a period."),
    ("coverage", s.CoverageArgsSchema, s.CoverageSchema, "Who checked what; rooms not checked for N days."),
):
    _report_views(_name, _args, _result, _summary)
