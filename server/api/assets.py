"""Asset ledger and stocktake API: lifecycle events, room registers, stocktakes, their live
progress and reconciliation, and approval."""
from __future__ import annotations

from flask.views import MethodView
from sqlalchemy import select

from server.api import asset_schemas as s
from server.api.jsonio import Blueprint
from server.auth import current_site_id, current_user, token_required
from server.extensions import db
from server.models import Asset, Stocktake
from server.services import catalog, lifecycle, stocktakes
from server.services.reconcile import BUCKETS

blp = Blueprint("assets", __name__, url_prefix="/api/v1", description="Asset ledger and stocktakes (盘点)")


@blp.route("/assets/<int:asset_id>/events")
class AssetEvents(MethodView):
    @token_required("admin", "auditor")
    @blp.response(200, s.AssetEventSchema(many=True))
    def get(self, asset_id):
        """An asset's history, oldest first."""
        return lifecycle.history(db.session, asset_id)

    @token_required("admin")
    @blp.arguments(s.AssetEventSchema)
    @blp.response(201, s.AssetEventSchema)
    def post(self, data, asset_id):
        """Record a lifecycle step (验收入帐, 领用, 借用, 归还, 送修, 修复, 调拨, 报废)."""
        asset = catalog.get(db.session, Asset, asset_id)
        event = lifecycle.record(db.session, asset, current_user(), lifecycle.EventInput(**data))
        db.session.commit()
        return event


@blp.route("/rooms/<int:room_id>/register")
@token_required("admin", "auditor")
@blp.response(200, s.RoomRegisterSchema)
def room_register(room_id):
    """班级财产清单: what the book says is in a room, and who is responsible."""
    room, assets = lifecycle.room_register(db.session, room_id)
    return {"room": room, "assets": assets}


@blp.route("/stocktakes")
class Stocktakes(MethodView):
    @token_required("admin", "auditor")
    @blp.response(200, s.StocktakeSchema(many=True))
    def get(self):
        """Stocktakes of the school, newest first."""
        return db.session.scalars(select(Stocktake).order_by(Stocktake.opened_at.desc(), Stocktake.id.desc()))

    @token_required("admin")
    @blp.arguments(s.StocktakeSchema)
    @blp.response(201, s.StocktakeSchema)
    def post(self, data):
        """Open a stocktake; empty scope lists mean the whole school."""
        stocktake = stocktakes.open_stocktake(db.session, current_site_id(), current_user(), **data)
        db.session.commit()
        return stocktake


@blp.route("/stocktakes/<int:stocktake_id>")
@token_required("admin", "auditor")
@blp.response(200, s.StocktakeSchema)
def stocktake(stocktake_id):
    """One stocktake."""
    return stocktakes.get(db.session, stocktake_id)


def reconciliation_body(stocktake_id: int) -> dict:
    stocktake = stocktakes.get(db.session, stocktake_id)
    found = stocktakes.result(db.session, stocktake)
    return {"stocktake": stocktake, "scan_count": stocktakes.scan_count(db.session, stocktake_id),
            "totals": found.totals(), "buckets": {name: found.bucket(name) for name in BUCKETS}}


@blp.route("/stocktakes/<int:stocktake_id>/reconciliation")
@token_required("admin", "auditor")
@blp.response(200, s.ReconciliationSchema)
def reconciliation(stocktake_id):
    """Findings in five buckets: in place, elsewhere, missing (盘亏), not on the book (盘盈), damaged."""
    return reconciliation_body(stocktake_id)


@blp.route("/stocktakes/<int:stocktake_id>/progress")
@token_required("admin", "auditor")
@blp.response(200, s.ProgressSchema)
def progress(stocktake_id):
    """Live progress: expected, found and seen, per room and per building."""
    found = stocktakes.result(db.session, stocktakes.get(db.session, stocktake_id))
    rooms, buildings = stocktakes.live_progress(db.session, found)
    return {"rooms": rooms, "buildings": buildings}


@blp.route("/stocktakes/<int:stocktake_id>/approve", methods=["POST"])
@token_required("admin")
@blp.arguments(s.ApproveSchema)
@blp.response(200, s.StocktakeSchema)
def approve(data, stocktake_id):
    """Apply the reviewed results to the book and close the stocktake."""
    stocktake = stocktakes.get(db.session, stocktake_id)
    stocktakes.approve(db.session, stocktake, current_user(), data.get("scan_count"))
    db.session.commit()
    return stocktake
