"""SQLite databases run in write-ahead-log mode, every commit on disk, writers wait their turn."""

from __future__ import annotations

from sqlalchemy import text

from forum.extensions import SQLITE_BUSY_SECONDS, db


def test_a_sqlite_file_is_in_write_ahead_log_mode_with_full_sync_and_a_patient_writer(app):
    with db.engine.connect() as connection:
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert connection.execute(text("PRAGMA synchronous")).scalar() == 2  # FULL
        assert connection.execute(text("PRAGMA busy_timeout")).scalar() == SQLITE_BUSY_SECONDS * 1000
