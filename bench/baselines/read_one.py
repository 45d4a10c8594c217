"""Floor: a minimal Flask + Flask-SQLAlchemy app whose GET reads one row by a token's hash.

What every page with a private link or a signed-in user does at the least: one indexed
read of the database, a small template with the row's fields escaped. Its ratio to
"hello" in the same run is the most any such page can reach on this machine.
``BASELINE_DATABASE_URL`` picks the database, as for ``insert.py``; the table and its one
row are made by ``python read_one.py``.
"""

import hashlib
import os

import sqlalchemy as sa
from flask import Flask, abort, render_template_string
from flask_sqlalchemy import SQLAlchemy

app = Flask(__name__)
app.config["SQLALCHEMY_DATABASE_URI"] = os.environ["BASELINE_DATABASE_URL"]
db = SQLAlchemy(app)

TOKEN = "bench-floor-token"
PAGE = """<!doctype html>
<html lang="ar" dir="rtl"><title>{{ person.full_name }}</title>
<h1>{{ person.full_name }}</h1>
<dl><dt>Email</dt><dd>{{ person.email }}</dd><dt>City</dt><dd>{{ person.city }}</dd></dl>"""


class Person(db.Model):
    id = sa.Column(sa.Integer, primary_key=True)
    token_hash = sa.Column(sa.String(64), unique=True, nullable=False)
    full_name = sa.Column(sa.String(200), nullable=False)
    email = sa.Column(sa.String(254), nullable=False)
    city = sa.Column(sa.String(100))


def _hash(token):
    return hashlib.sha256(token.encode()).hexdigest()


@app.get("/people/<token>")
def person_page(token):
    person = db.session.scalar(sa.select(Person).filter_by(token_hash=_hash(token)))
    if person is None:
        abort(404)
    return render_template_string(PAGE, person=person)


if __name__ == "__main__":
    with app.app_context():
        db.drop_all()
        db.create_all()
        db.session.add(
            Person(
                token_hash=_hash(TOKEN),
                full_name="لينا حداد",
                email="lina@example.org",
                city="Dearborn",
            )
        )
        db.session.commit()
