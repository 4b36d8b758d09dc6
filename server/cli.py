"""Commands under `flask --app server`; each is a thin shell over a service function."""
from __future__ import annotations

import sys

import click
from flask import Flask, current_app
from flask.cli import with_appcontext
from sqlalchemy import select

from server.extensions import db
from server.models import ROLES, Site
from server.services import accounts, demo, templates
from server.services.errors import DomainError
from sync import feed


@click.command("create-user")
@with_appcontext
@click.argument("username")
@click.option("--site", "site_code", required=True, help="site (school) code")
@click.option("--role", "roles", multiple=True, required=True, type=click.Choice(ROLES))
@click.option("--display-name", default=None)
def create_user_command(username: str, site_code: str, roles: tuple[str, ...], display_name: str | None):
    """Create a user; the password is read from standard input."""
    site = db.session.scalar(select(Site).where(Site.code == site_code))
    if site is None:
        raise click.ClickException(f"no site with code {site_code!r}")
    password = sys.stdin.readline().rstrip("\n")
    try:
        user = accounts.create_user(db.session, site, username, password, list(roles), display_name=display_name,
                                    hash_method=current_app.config["PASSWORD_HASH_METHOD"])
    except DomainError as exc:
        raise click.ClickException(f"{exc.message}: {exc.details}") from exc
    db.session.commit()
    click.echo(f"created {user.username} ({', '.join(user.roles)}) in {site.name}")


@click.command("create-site")
@with_appcontext
@click.argument("code")
@click.argument("name")
def create_site_command(code: str, name: str):
    """Create a school (site) with the built-in checklists."""
    site = Site(code=code, name=name)
    db.session.add(site)
    db.session.flush()
    templates.install_builtin(db.session, site.id)
    db.session.commit()
    click.echo(f"created site {code}")


@click.command("install-templates")
@with_appcontext
@click.option("--site", "site_code", default=None, help="only this site (default: every site)")
def install_templates_command(site_code: str | None):
    """Install the built-in checklists into schools that lack them; safe to run again."""
    stmt = select(Site).order_by(Site.code)
    if site_code:
        stmt = stmt.where(Site.code == site_code)
    for site in db.session.scalars(stmt):
        installed = templates.install_builtin(db.session, site.id)
        click.echo(f"{site.code}: {len(installed)} checklists installed")
    db.session.commit()


@click.command("seed-demo")
@with_appcontext
def seed_demo_command():
    """Build the two demo schools (demo1, demo2) with a week of history; idempotent."""
    schools = demo.seed_demo(db.session, current_app.config["PASSWORD_HASH_METHOD"])
    db.session.commit()
    for school in schools:
        click.echo(f"seeded {school.site.code}: {len(school.rooms)} rooms, {len(school.users)} users")
    if not schools:
        click.echo("demo schools already there")


@click.command("prune-tombstones")
@with_appcontext
@click.option("--keep", default=10000, show_default=True,
              help="tombstones to keep per school; phones whose cursor is older must pull from scratch")
def prune_tombstones_command(keep: int):
    """Forget old deletions so the change feed stays small."""
    total = 0
    for site in db.session.scalars(select(Site)):
        total += feed.prune_tombstones(db.session, site.id, keep)
    db.session.commit()
    click.echo(f"forgot {total} tombstone(s)")


def init_app(app: Flask) -> None:
    for command in (create_user_command, create_site_command, seed_demo_command, install_templates_command,
                    prune_tombstones_command):
        app.cli.add_command(command)
