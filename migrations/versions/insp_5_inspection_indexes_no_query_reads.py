"""inspection indexes no query reads: by inspector and by checklist version gone; by asset only for checks of an asset

Every pushed inspection wrote a page to each of them. No query looks inspections up by inspector or by
checklist version (reports join from the inspection to those), and most inspections are of a room, so
the asset index held mostly NULLs. A push of 500 checklists: 1.9 % fewer of the app's instructions on
SQLite (bench/app_instructions.py). Deleting a user scans the inspections, as it already scanned the
uuid ledger (sync_record.user_id has no index); deleting an asset is still answered by the index.

Revision ID: insp_5
Revises: insp_4
Create Date: 2026-11-27 12:30:00

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = 'insp_5'
down_revision = 'insp_4'
branch_labels = None
depends_on = None

OF_AN_ASSET = sa.text("asset_id IS NOT NULL")


def upgrade():
    op.drop_index("ix_inspection_inspector_id", table_name="inspection")
    op.drop_index("ix_inspection_template_version_id", table_name="inspection")
    op.drop_index("ix_inspection_asset_id", table_name="inspection")
    op.create_index("ix_inspection_asset_id", "inspection", ["asset_id"],
                    sqlite_where=OF_AN_ASSET, postgresql_where=OF_AN_ASSET)


def downgrade():
    op.drop_index("ix_inspection_asset_id", table_name="inspection")
    op.create_index("ix_inspection_asset_id", "inspection", ["asset_id"])
    op.create_index("ix_inspection_template_version_id", "inspection", ["template_version_id"])
    op.create_index("ix_inspection_inspector_id", "inspection", ["inspector_id"])
