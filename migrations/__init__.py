"""Alembic migrations shared by SQLite/SpatiaLite and PostgreSQL/PostGIS."""
