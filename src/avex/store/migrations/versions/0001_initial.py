"""The initial schema: journal, query tables, snapshots and sessions.

A frozen copy of avex.store.schema at revision 0001 (migrations must not change when the schema module
does); tests/unit/test_store.py checks that the migrated database matches the schema module.

Revision ID: 0001
Revises:
Create Date: 2025-01-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "meta",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("tournament_json", sa.Text(), nullable=False),
        sa.Column("tournament_hash", sa.Text(), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("schema_version", sa.Text(), nullable=False),
        sa.CheckConstraint("id = 1", name="ck_meta_single_row"),
        sa.PrimaryKeyConstraint("id", name="pk_meta"),
    )
    op.create_table(
        "teams",
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("token_hash", sa.Text(), nullable=False),
        sa.Column("species", sa.Text(), nullable=True),
        sa.Column("admin", sa.Boolean(), nullable=False),
        sa.Column("members", sa.Text(), nullable=False),
        sa.Column("initial_balance", sa.BigInteger(), nullable=False),
        sa.Column("initial_inventory", sa.JSON(), nullable=False),
        sa.Column("created_seq", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("name", name="pk_teams"),
        sa.UniqueConstraint("token_hash", name="uq_teams_token_hash"),
    )
    op.create_table(
        "journal",
        sa.Column("seq", _ID, autoincrement=False, nullable=False),
        sa.Column("time", sa.BigInteger(), nullable=False),
        sa.Column("command", sa.LargeBinary(), nullable=False),
        sa.Column("events", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("seq", name="pk_journal"),
    )
    op.create_table(
        "journal_team",
        sa.Column("team", sa.Text(), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("team", "seq", name="pk_journal_team"),
    )
    op.create_table(
        "orders",
        sa.Column("team", sa.Text(), nullable=False),
        sa.Column("cl_ord_id", sa.Text(), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("side", sa.Text(), nullable=False),
        sa.Column("mode", sa.Text(), nullable=False),
        sa.Column("product", sa.Text(), nullable=False),
        sa.Column("qty", sa.BigInteger(), nullable=False),
        sa.Column("price", sa.BigInteger(), nullable=True),
        sa.Column("filled", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", sa.BigInteger(), nullable=False),
        sa.Column("expires_at", sa.BigInteger(), nullable=True),
        sa.Column("origin", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("team", "cl_ord_id", name="pk_orders"),
    )
    op.create_index("ix_orders_team_seq", "orders", ["team", "seq"])
    op.create_index("ix_orders_updated_at_seq", "orders", ["updated_at", "seq"])
    op.create_table(
        "fills",
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.Column("fill_id", sa.Text(), nullable=False),
        sa.Column("product", sa.Text(), nullable=False),
        sa.Column("qty", sa.BigInteger(), nullable=False),
        sa.Column("price", sa.BigInteger(), nullable=False),
        sa.Column("buy_team", sa.Text(), nullable=False),
        sa.Column("buy_cl", sa.Text(), nullable=False),
        sa.Column("buy_msg", sa.Text(), nullable=False),
        sa.Column("buy_remaining", sa.BigInteger(), nullable=False),
        sa.Column("buy_total", sa.BigInteger(), nullable=False),
        sa.Column("sell_team", sa.Text(), nullable=False),
        sa.Column("sell_cl", sa.Text(), nullable=False),
        sa.Column("sell_msg", sa.Text(), nullable=False),
        sa.Column("sell_remaining", sa.BigInteger(), nullable=False),
        sa.Column("sell_total", sa.BigInteger(), nullable=False),
        sa.Column("aggressor", sa.Text(), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("executed_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("seq", "n", name="pk_fills"),
        sa.UniqueConstraint("fill_id", name="uq_fills_fill_id"),
    )
    op.create_index("ix_fills_buy_team_seq", "fills", ["buy_team", "seq"])
    op.create_index("ix_fills_sell_team_seq", "fills", ["sell_team", "seq"])
    op.create_index("ix_fills_executed_at", "fills", ["executed_at"])
    op.create_table(
        "ledger",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("team", sa.Text(), nullable=False),
        sa.Column("asset", sa.Text(), nullable=False),
        sa.Column("delta", sa.BigInteger(), nullable=False),
        sa.Column("balance_after", sa.BigInteger(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("reference", sa.Text(), nullable=False),
        sa.Column("time", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_ledger"),
    )
    op.create_index("ix_ledger_time", "ledger", ["time"])
    op.create_table(
        "accounts",
        sa.Column("team", sa.Text(), nullable=False),
        sa.Column("asset", sa.Text(), nullable=False),
        sa.Column("total", sa.BigInteger(), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("team", "asset", name="pk_accounts"),
    )
    op.create_table(
        "offers",
        sa.Column("offer_id", sa.Text(), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("buyer", sa.Text(), nullable=False),
        sa.Column("buy_cl", sa.Text(), nullable=False),
        sa.Column("product", sa.Text(), nullable=False),
        sa.Column("qty", sa.BigInteger(), nullable=False),
        sa.Column("max_price", sa.BigInteger(), nullable=False),
        sa.Column("expires_at", sa.BigInteger(), nullable=False),
        sa.Column("ttl_ms", sa.BigInteger(), nullable=False),
        sa.Column("recipients", sa.JSON(), nullable=False),
        sa.Column("team_only", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("offer_id", name="pk_offers"),
    )
    op.create_table(
        "productions",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("team", sa.Text(), nullable=False),
        sa.Column("product", sa.Text(), nullable=False),
        sa.Column("qty", sa.BigInteger(), nullable=False),
        sa.Column("inputs", sa.JSON(), nullable=False),
        sa.Column("time", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_productions"),
    )
    op.create_index("ix_productions_team_seq", "productions", ["team", "seq"])
    op.create_table(
        "snapshots",
        sa.Column("seq", _ID, autoincrement=False, nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("seq", name="pk_snapshots"),
    )
    op.create_table(
        "sessions",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("team", sa.Text(), nullable=False),
        sa.Column("remote_addr", sa.Text(), nullable=False),
        sa.Column("user_agent", sa.Text(), nullable=True),
        sa.Column("client_type", sa.Text(), nullable=False),
        sa.Column("connected_at", sa.BigInteger(), nullable=False),
        sa.Column("disconnected_at", sa.BigInteger(), nullable=True),
        sa.Column("last_activity", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_sessions"),
    )
    op.create_index("ix_sessions_connected_at", "sessions", ["connected_at"])


def downgrade() -> None:
    for table in (
        "sessions", "snapshots", "productions", "offers", "accounts", "ledger", "fills", "orders",
        "journal_team", "journal", "teams", "meta",
    ):
        op.drop_table(table)
