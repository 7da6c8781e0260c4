"""The store's tables (SQLAlchemy Core), one schema for SQLite and PostgreSQL.

The journal is the truth: every applied command with its time and events, so replaying it rebuilds the
engine and re-rendering it gives the frames clients got. Every other table is derived from the journal's
events in the same transaction, for queries (RESYNC, reports, exports) that must not scan the journal.
Sessions are the exception: the gateway writes them on its own, they are not commands and are never replayed.

Money is integer cents (BigInteger), times integer epoch microseconds, quantities integers. Migrations in
``migrations/versions`` create exactly these tables; a test compares the two.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    PrimaryKeyConstraint,
    Table,
    Text,
)

# SQLite only gives an autoincrementing rowid alias to a column declared exactly INTEGER PRIMARY KEY;
# PostgreSQL needs BIGINT for ids that may pass 2^31 over a long-lived database.
Id = BigInteger().with_variant(Integer(), "sqlite")

# Fixed constraint names so Alembic migrations and autogenerate comparisons agree on both backends.
metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "pk": "pk_%(table_name)s",
    }
)

# One row (id = 1): the tournament this database was created from (canonical JSON and its SHA-256, GAME.md
# §10.4) and the schema revision it was created with.
meta = Table(
    "meta",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("tournament_json", Text, nullable=False),
    Column("tournament_hash", Text, nullable=False),
    Column("created_at", BigInteger, nullable=False),
    Column("schema_version", Text, nullable=False),
    CheckConstraint("id = 1", name="single_row"),
)

teams = Table(
    "teams",
    metadata,
    Column("name", Text, primary_key=True),
    Column("token_hash", Text, nullable=False, unique=True),
    Column("species", Text),
    Column("admin", Boolean, nullable=False),
    Column("members", Text, nullable=False),
    Column("initial_balance", BigInteger, nullable=False),
    Column("initial_inventory", JSON, nullable=False),
    Column("created_seq", BigInteger, nullable=False),  # 0 for the tournament file's teams
)

# One row per applied command; `command` and `events` are msgpack of the tagged Structs (store.codec).
journal = Table(
    "journal",
    metadata,
    Column("seq", Id, primary_key=True, autoincrement=False),
    Column("time", BigInteger, nullable=False),
    Column("command", LargeBinary, nullable=False),
    Column("events", LargeBinary, nullable=False),
)

# Which teams got team-scope frames from a command: RESYNC by lastSeq is a range scan of this primary key.
journal_team = Table(
    "journal_team",
    metadata,
    Column("team", Text, nullable=False),
    Column("seq", BigInteger, nullable=False),
    PrimaryKeyConstraint("team", "seq"),
)

orders = Table(
    "orders",
    metadata,
    Column("team", Text, nullable=False),
    Column("cl_ord_id", Text, nullable=False),
    Column("seq", BigInteger, nullable=False),  # the command that created it: priority, OrderSummary.seq
    Column("side", Text, nullable=False),
    Column("mode", Text, nullable=False),
    Column("product", Text, nullable=False),
    Column("qty", BigInteger, nullable=False),
    Column("price", BigInteger),  # None for MARKET
    Column("filled", BigInteger, nullable=False),
    Column("status", Text, nullable=False),  # PENDING PARTIALLY_FILLED FILLED CANCELLED REJECTED
    Column("reason", Text),  # cancel reason (USER, EXPIRED, ...) or the rejection text
    Column("message", Text, nullable=False),
    Column("created_at", BigInteger, nullable=False),
    Column("updated_at", BigInteger, nullable=False),
    Column("expires_at", BigInteger),
    Column("origin", Text, nullable=False),  # USER ADMIN OFFER
    PrimaryKeyConstraint("team", "cl_ord_id"),  # clOrdID is unique per team for all time
    Index(None, "team", "seq"),  # a team's orders, newest first (team activity)
    Index(None, "updated_at", "seq"),  # REQUEST_HISTORICAL_ORDERS: newest updatedAt first
)

# `n` is the fill's position within its command, so (seq, n) is execution order.
fills = Table(
    "fills",
    metadata,
    Column("seq", BigInteger, nullable=False),
    Column("n", Integer, nullable=False),
    Column("fill_id", Text, nullable=False, unique=True),
    Column("product", Text, nullable=False),
    Column("qty", BigInteger, nullable=False),
    Column("price", BigInteger, nullable=False),
    Column("buy_team", Text, nullable=False),
    Column("buy_cl", Text, nullable=False),
    Column("buy_msg", Text, nullable=False),
    Column("buy_remaining", BigInteger, nullable=False),
    Column("buy_total", BigInteger, nullable=False),
    Column("sell_team", Text, nullable=False),
    Column("sell_cl", Text, nullable=False),  # "" when the house sells
    Column("sell_msg", Text, nullable=False),
    Column("sell_remaining", BigInteger, nullable=False),
    Column("sell_total", BigInteger, nullable=False),
    Column("aggressor", Text, nullable=False),
    Column("source", Text, nullable=False),  # BOOK OFFER HOUSE
    Column("executed_at", BigInteger, nullable=False),
    PrimaryKeyConstraint("seq", "n"),
    Index(None, "buy_team", "seq"),
    Index(None, "sell_team", "seq"),
    Index(None, "executed_at"),
)

ledger = Table(
    "ledger",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("seq", BigInteger, nullable=False),  # 0 for the tournament file's INITIAL rows
    Column("team", Text, nullable=False),
    Column("asset", Text, nullable=False),  # CASH or a product code
    Column("delta", BigInteger, nullable=False),
    Column("balance_after", BigInteger, nullable=False),
    Column("reason", Text, nullable=False),
    Column("reference", Text, nullable=False),
    Column("time", BigInteger, nullable=False),
    Index(None, "time"),
)

# Current totals per (team, asset): the last balance_after of the ledger, upserted once per batch.
accounts = Table(
    "accounts",
    metadata,
    Column("team", Text, nullable=False),
    Column("asset", Text, nullable=False),
    Column("total", BigInteger, nullable=False),
    Column("seq", BigInteger, nullable=False),  # last command that changed it
    PrimaryKeyConstraint("team", "asset"),
)

offers = Table(
    "offers",
    metadata,
    Column("offer_id", Text, primary_key=True),
    Column("seq", BigInteger, nullable=False),
    Column("buyer", Text, nullable=False),
    Column("buy_cl", Text, nullable=False),
    Column("product", Text, nullable=False),
    Column("qty", BigInteger, nullable=False),
    Column("max_price", BigInteger, nullable=False),
    Column("expires_at", BigInteger, nullable=False),
    Column("ttl_ms", BigInteger, nullable=False),
    Column("recipients", JSON, nullable=False),
    Column("team_only", Boolean, nullable=False),
    Column("created_at", BigInteger, nullable=False),
)

productions = Table(
    "productions",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("seq", BigInteger, nullable=False),
    Column("team", Text, nullable=False),
    Column("product", Text, nullable=False),
    Column("qty", BigInteger, nullable=False),
    Column("inputs", JSON, nullable=False),
    Column("time", BigInteger, nullable=False),
    Index(None, "team", "seq"),
)

# Engine exports (msgpack); recovery starts from the newest and replays the journal after it.
snapshots = Table(
    "snapshots",
    metadata,
    Column("seq", Id, primary_key=True, autoincrement=False),
    Column("created_at", BigInteger, nullable=False),
    Column("data", LargeBinary, nullable=False),
)

sessions = Table(
    "sessions",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("team", Text, nullable=False),
    Column("remote_addr", Text, nullable=False),
    Column("user_agent", Text),
    Column("client_type", Text, nullable=False),
    Column("connected_at", BigInteger, nullable=False),
    Column("disconnected_at", BigInteger),
    Column("last_activity", BigInteger, nullable=False),
    Index(None, "connected_at"),
)
