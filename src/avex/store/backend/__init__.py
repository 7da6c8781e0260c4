"""Opening a database: SQLite files and PostgreSQL URLs behind one SQLAlchemy engine."""
