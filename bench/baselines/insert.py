"""Baseline: a minimal Flask + Flask-SQLAlchemy app whose POST inserts one row.

``BASELINE_DATABASE_URL`` picks the database (a SQLite file or PostgreSQL), as the
product's ``DATABASE_URL`` does; the table is created by ``python insert.py``. On SQLite
it gets the product's settings (WAL, ``synchronous = NORMAL``, a busy timeout), so the
ratio compares the work each app does, not two ways of flushing to disk.
"""

import os
from datetime import UTC, datetime

import sqlalchemy as sa
from flask import Flask, request
from flask_sqlalchemy import SQLAlchemy

app = Flask(__name__)
app.config["SQLALCHEMY_DATABASE_URI"] = os.environ["BASELINE_DATABASE_URL"]
db = SQLAlchemy(app)


def _sqlite_settings(dbapi_connection, _record):
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA busy_timeout = 30000")
    cursor.execute("PRAGMA synchronous = NORMAL")
    cursor.close()


with app.app_context():
    if db.engine.dialect.name == "sqlite":
        sa.event.listen(db.engine, "connect", _sqlite_settings)


class Item(db.Model):
    id = sa.Column(sa.Integer, primary_key=True)
    name = sa.Column(sa.String(200), nullable=False)
    created_at = sa.Column(sa.DateTime, nullable=False)


@app.post("/items")
def add_item():
    db.session.add(Item(name=request.form.get("name", ""), created_at=datetime.now(UTC)))
    db.session.commit()
    return "", 201


if __name__ == "__main__":
    with app.app_context():
        db.drop_all()
        db.create_all()
        if db.engine.dialect.name == "sqlite":  # a lasting setting of the file
            with db.engine.connect() as connection:
                connection.exec_driver_sql("PRAGMA journal_mode=WAL")
