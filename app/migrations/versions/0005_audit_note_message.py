"""Audit notes as messages: ``audit_log.note_message`` keeps a note's catalogue id and parameters
(JSON, :meth:`gis.messages.Message.to_dict`) so that it is shown in the reader's language.

``note`` (English) and ``note_zh`` (Chinese) stay as the rendered texts (for older readers and
notes written before this revision, whose ``note_message`` is null). Adding a nullable column
needs no table rebuild on SQLite.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("audit_log") as batch:
        batch.add_column(
            sa.Column(
                "note_message",
                sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
                nullable=True,
                comment="the note as a message: {id, params} (null: plain text or none)",
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("audit_log") as batch:
        batch.drop_column("note_message")
