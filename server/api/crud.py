"""One declaration gives a school-scoped list/create/read/update/delete resource."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from flask.views import MethodView

from server.api.jsonio import Blueprint
from server.api.schemas import page_schema
from server.auth import current_site_id, token_required
from server.extensions import db
from server.services import catalog


@dataclass
class Resource:
    name: str
    path: str
    model: type
    schema: type
    args_schema: type
    equal_filters: tuple[str, ...] = ()
    search: tuple[str, ...] = ("name",)
    read_roles: tuple[str, ...] = ()
    write_roles: tuple[str, ...] = ("admin",)
    order_by: str = "id"
    create: Callable | None = None
    update: Callable | None = None
    extra: dict = field(default_factory=dict)


def register(blp: Blueprint, res: Resource) -> None:
    create = res.create or (lambda data: catalog.create(db.session, res.model, current_site_id(), data))
    update = res.update or (lambda obj, data: catalog.update(db.session, obj, data))

    class Collection(MethodView):
        @token_required(*res.read_roles)
        @blp.arguments(res.args_schema, location="query")
        @blp.response(200, page_schema(res.schema, f"{res.model.__name__}Page"))
        def get(self, args):
            stmt = catalog.filtered(res.model, args, res.equal_filters, res.search, res.order_by)
            return catalog.page(db.session, stmt, args["page"], args["per_page"])

        @token_required(*res.write_roles)
        @blp.arguments(res.schema)
        @blp.response(201, res.schema)
        def post(self, data):
            obj = create(data)
            db.session.commit()
            return obj

    class Item(MethodView):
        @token_required(*res.read_roles)
        @blp.response(200, res.schema)
        def get(self, obj_id):
            return catalog.get(db.session, res.model, obj_id)

        @token_required(*res.write_roles)
        @blp.arguments(res.schema(partial=True))
        @blp.response(200, res.schema)
        def patch(self, data, obj_id):
            obj = update(catalog.get(db.session, res.model, obj_id), data)
            db.session.commit()
            return obj

        @token_required(*res.write_roles)
        @blp.response(204)
        def delete(self, obj_id):
            catalog.delete(db.session, catalog.get(db.session, res.model, obj_id))
            db.session.commit()

    for view, suffix in ((Collection, ""), (Item, "/<int:obj_id>")):
        view.__doc__ = f"{res.name.capitalize()} of the caller's school."
        blp.add_url_rule(res.path + suffix, endpoint=f"{res.name}{'_item' if suffix else ''}", view_func=view)
