"""`flask --app server labels`: print a label sheet from the command line, with progress."""
from __future__ import annotations

import click
from flask import Flask, current_app
from flask.cli import with_appcontext
from sqlalchemy import select

from qr_labels.layouts import LAYOUTS
from server.db import scope_session
from server.extensions import db
from server.models import ROOM_KINDS, Site
from server.services import labels
from server.services.errors import DomainError


@click.command("labels")
@with_appcontext
@click.option("--site", "site_code", required=True, help="site (school) code")
@click.option("--target", type=click.Choice(("room", "asset")), default="room", show_default=True)
@click.option("--building-id", type=int)
@click.option("--floor", type=int)
@click.option("--room-kind", type=click.Choice(ROOM_KINDS))
@click.option("--category", help="asset category")
@click.option("--id", "ids", type=int, multiple=True, help="a room or asset id; repeat for several")
@click.option("--unlabelled", is_flag=True, help="only rooms or assets whose label was never printed")
@click.option("--layout", type=click.Choice(tuple(LAYOUTS)), default="a4-3x8", show_default=True)
@click.option("--skip", type=int, default=0, help="positions already used on the first sheet")
@click.option("--offset-x", type=float, default=0.0, help="printer calibration, mm to the right")
@click.option("--offset-y", type=float, default=0.0, help="printer calibration, mm down")
@click.option("--cut-marks", is_flag=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True), required=True)
def labels_command(site_code: str, layout: str, skip: int, offset_x: float, offset_y: float, cut_marks: bool,
                   output: str, **selection):
    """Print labels for a site's rooms or assets to a PDF; missing labels are created."""
    site = db.session.scalar(select(Site).where(Site.code == site_code))
    if site is None:
        raise click.ClickException(f"no site with code {site_code!r}")
    scope_session(db.session, site.id)
    chosen = labels.Selection(**{**selection, "ids": tuple(selection["ids"])})
    settings = labels.PrintSettings(layout=layout, skip=skip, offset_mm=(offset_x, offset_y), cut_marks=cut_marks)
    total = labels.count(db.session, chosen)
    try:
        with click.progressbar(length=total, label=f"{total} labels") as bar:
            done = [0]

            def progress(printed: int, _pages: int) -> None:
                bar.update(printed - done[0])
                done[0] = printed

            sheet = labels.print_sheet(db.session, site, chosen, settings, current_app.config["PUBLIC_BASE_URL"],
                                       output, progress)
    except DomainError as exc:
        raise click.ClickException(exc.message) from exc
    click.echo(f"wrote {sheet.result.labels} labels on {sheet.result.pages} pages to {output}")


def init_app(app: Flask) -> None:
    app.cli.add_command(labels_command)
