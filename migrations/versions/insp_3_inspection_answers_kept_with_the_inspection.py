"""inspections: each item's judgement kept with the inspection (inspection.answers, JSON) instead of one
inspection_answer row per item

An inspection is written once and read whole; its ~11 answer rows cost a push more than the inspection
itself (on PostgreSQL mostly each row's foreign-key check). Existing answers are moved over in the
inspection's item order, with only the values each has, as checklists.Judged.stored writes them.

Revision ID: insp_3
Revises: sync_3
Create Date: 2026-11-26 11:10:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'insp_3'
down_revision = 'sync_3'
branch_labels = None
depends_on = None

BATCH = 2000
VALUES = ('points', 'value', 'text', 'note')

inspection = sa.table('inspection', sa.column('id', sa.Integer), sa.column('answers', sa.JSON))
answer_row = sa.table(
    'inspection_answer', sa.column('id', sa.Integer), sa.column('inspection_id', sa.Integer),
    sa.column('item_key', sa.String), sa.column('outcome', sa.String), sa.column('deduction', sa.Float),
    sa.column('points', sa.Float), sa.column('value', sa.Float), sa.column('text', sa.Text),
    sa.column('note', sa.Text), sa.column('photos', sa.JSON))


def _kept(row) -> dict:
    kept = {'key': row.item_key, 'outcome': row.outcome}
    if row.deduction:
        kept['deduction'] = row.deduction
    for name in VALUES:
        if getattr(row, name) is not None:
            kept[name] = getattr(row, name)
    if row.photos:
        kept['photos'] = row.photos
    return kept


def _move_rows_into_documents(conn) -> None:
    rows = conn.execute(sa.select(answer_row).order_by(answer_row.c.inspection_id, answer_row.c.id))
    update = inspection.update().where(inspection.c.id == sa.bindparam('b_id')).values(answers=sa.bindparam('b_answers'))
    pending: dict[int, list] = {}
    for row in rows:
        if row.inspection_id not in pending and len(pending) >= BATCH:
            conn.execute(update, [{'b_id': i, 'b_answers': a} for i, a in pending.items()])
            pending = {}
        pending.setdefault(row.inspection_id, []).append(_kept(row))
    if pending:
        conn.execute(update, [{'b_id': i, 'b_answers': a} for i, a in pending.items()])


# Plain ALTER TABLE, not batch mode: on SQLite batch mode copies the inspection table and drops the
# old one, and with foreign keys on that drop deletes (or is refused for) every row that refers to it.
def upgrade():
    op.add_column('inspection', sa.Column('answers', sa.JSON(), server_default=sa.text("'[]'"), nullable=False))
    _move_rows_into_documents(op.get_bind())
    with op.batch_alter_table('inspection_answer', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_inspection_answer_inspection_id'))
    op.drop_table('inspection_answer')


def downgrade():
    op.create_table('inspection_answer',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('inspection_id', sa.Integer(), nullable=False),
    sa.Column('item_key', sa.String(length=64), nullable=False),
    sa.Column('outcome', sa.String(length=8), nullable=True),
    sa.Column('deduction', sa.Float(), nullable=False),
    sa.Column('points', sa.Float(), nullable=True),
    sa.Column('value', sa.Float(), nullable=True),
    sa.Column('text', sa.Text(), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('photos', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['inspection_id'], ['inspection.id'], name=op.f('fk_inspection_answer_inspection_id_inspection'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_inspection_answer'))
    )
    with op.batch_alter_table('inspection_answer', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_inspection_answer_inspection_id'), ['inspection_id'], unique=False)
    conn = op.get_bind()
    rows = []
    for inspection_id, answers in conn.execute(sa.select(inspection.c.id, inspection.c.answers).order_by(inspection.c.id)):
        rows += [{'inspection_id': inspection_id, 'item_key': a['key'], 'outcome': a.get('outcome'),
                  'deduction': a.get('deduction', 0.0), 'photos': a.get('photos', []),
                  **{name: a.get(name) for name in VALUES}} for a in answers]
        if len(rows) >= BATCH:
            conn.execute(answer_row.insert(), rows)
            rows = []
    if rows:
        conn.execute(answer_row.insert(), rows)
    op.drop_column('inspection', 'answers')
