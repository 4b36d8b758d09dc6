"""Wires the asset ledger and stocktakes into the app: API, console, CLI, what phones pull and push,
and the demo history."""
from __future__ import annotations

from datetime import date
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import with_appcontext
from sqlalchemy import select

from server.api import asset_schemas
from server.extensions import csrf, db
from server.models import Site, Stocktake
from server.services import asset_records, demo, ledger_import
from server.services.errors import DomainError
from server.services.ledger_file import FIELDS
from sync import handlers
from sync.feed import register_pull_type

AUDITING_ROLES = ("auditor", "admin")


def import_dir() -> Path:
    """Uploaded ledgers live under the instance folder, by names the server chose."""
    return Path(current_app.config.get("LEDGER_IMPORT_DIR") or Path(current_app.instance_path) / "ledger_imports")


def register_sync_types() -> None:
    register_pull_type("stocktake", Stocktake, asset_schemas.StocktakeSchema())
    handlers.register(handlers.RecordHandler(
        type="stocktake_scan", schema=asset_schemas.ScanRecordSchema, apply=asset_records.apply_scan,
        roles=AUDITING_ROLES))
    handlers.register(handlers.RecordHandler(
        type="asset_update", schema=asset_schemas.AssetUpdateRecordSchema, apply=asset_records.apply_update,
        roles=AUDITING_ROLES, force_apply=asset_records.force_update, photos=lambda data: []))


def _parse_mapping(pairs: tuple[str, ...], headers: list[str], guessed: list) -> list:
    mapping = list(guessed)
    for pair in pairs:
        header, _, field = pair.partition("=")
        if header not in headers or (field and field not in FIELDS):
            raise click.BadParameter(f"{pair!r}: use HEADER=FIELD, fields: {', '.join(FIELDS)}")
        mapping[headers.index(header)] = field or None
    return mapping


@click.command("import-ledger")
@with_appcontext
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--site", "site_code", required=True, help="site (school) code")
@click.option("--map", "pairs", multiple=True, help="HEADER=FIELD to override a guessed column; HEADER= ignores it")
@click.option("--apply", is_flag=True, help="import; without it, only a dry run that lists bad rows")
def import_ledger_command(path: Path, site_code: str, pairs: tuple[str, ...], apply: bool):
    """Check (and with --apply import) a ledger spreadsheet, showing progress."""
    site = db.session.scalar(select(Site).where(Site.code == site_code))
    if site is None:
        raise click.ClickException(f"no site with code {site_code!r}")
    try:
        job = ledger_import.create_import(db.session, site.id, None, path.name, path.read_bytes(), import_dir(),
                                          current_app.config["LEDGER_MAX_BYTES"])
        ledger_import.set_mapping(job, _parse_mapping(pairs, job.headers, job.mapping))
        ledger_import.start(job, apply=apply)
    except DomainError as exc:
        raise click.ClickException(f"{exc.message}: {exc.details}") from exc
    db.session.commit()
    click.echo("columns: " + ", ".join(f"{h} → {m or '-'}" for h, m in zip(job.headers, job.mapping, strict=True)))
    with click.progressbar(length=1, label="reading") as bar:
        def progress(done: int, total: int) -> None:
            bar.length = max(total, 1)
            bar.update(done - bar.pos)
        job = ledger_import.run_job(db.session, site.id, job.id, import_dir(), today=date.today(),
                                    on_progress=progress)
    _report(job)


def _report(job) -> None:
    for bad in job.bad_rows:
        problems = "; ".join(f"{e['field']}: {e['code']} {e.get('value') or ''}".strip() for e in bad["errors"])
        click.echo(f"row {bad['row']}: {problems}")
    click.echo(f"{job.state}: {job.summary}" + (f" ({job.message})" if job.message else ""))
    if job.state == "failed" or job.bad_rows:
        raise SystemExit(1)


def init_app(app: Flask, api) -> None:
    from server.api import assets as assets_api
    from server.console import asset_ledger as assets_console
    from server.services import asset_demo

    app.config.setdefault("LEDGER_MAX_BYTES", 10 * 1024 * 1024)
    csrf.exempt(assets_api.blp)  # bearer-token API: no cookies, so no CSRF to defend against
    api.register_blueprint(assets_api.blp)
    register_sync_types()
    assets_console.init_app(app)
    app.cli.add_command(import_ledger_command)
    demo.register_seeder(asset_demo.seed_history)

