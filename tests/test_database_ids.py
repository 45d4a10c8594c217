"""Ids in URLs that no row can have are answered 404, whatever their size.

PostgreSQL refuses to compare an ``integer`` column with a number beyond its range (and
SQLite's driver with one beyond 64 bits), which used to surface as a 500. Every route
with an ``<int:...>`` variable is walked, so routes added later are checked too.
"""

import re

import pytest
from werkzeug.routing import IntegerConverter

from conference.access import PUBLIC, Role, access_of
from conference.accounts import services as accounts

from .conftest import STAFF_PASSWORD

TOO_BIG = [2**31, 9999999999999999999, 10**40]
VARIABLE = re.compile(r"<(?:[^<>:]+:)?([^<>]+)>")


def signed_in(app, role):
    client = app.test_client()
    response = client.post(
        "/manage/login", data={"email": f"{role.value}@ids.example", "password": STAFF_PASSWORD}
    )
    assert response.status_code == 302
    return client


def id_rules(app):
    return [
        rule
        for rule in app.url_map.iter_rules()
        if any(isinstance(c, IntegerConverter) for c in rule._converters.values())
    ]


def test_ids_beyond_the_columns_range_are_not_found(app):
    for role in Role:
        accounts.create_user(f"{role.value}@ids.example", role=role, password=STAFF_PASSWORD)
    clients = {}
    rules = id_rules(app)
    assert len(rules) > 10  # the walk finds the back office's pages
    problems = []

    for rule in rules:
        access = access_of(app.view_functions[rule.endpoint])
        role = None if access == PUBLIC else sorted(access, key=lambda r: r.value)[0]
        if role not in clients:
            clients[role] = app.test_client() if role is None else signed_in(app, role)
        client = clients[role]
        for number in TOO_BIG:
            path = path_with(rule, number)
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                status = client.open(path, method=method).status_code
                if status != 404:
                    problems.append(f"{method} {path}: {status}")

    assert problems == []


def path_with(rule, number):
    """``rule``'s path with ``number`` for each id and a plausible value for the rest."""

    def fill(match):
        converter = rule._converters[match[1]]
        return str(number) if isinstance(converter, IntegerConverter) else "en"

    return VARIABLE.sub(fill, rule.rule)


@pytest.mark.parametrize(
    "page", ["/manage/attendees?after={}", "/manage/outbox?before={}", "/manage/audit?before={}"]
)
def test_page_markers_beyond_the_range_show_the_first_page(app, conference, page):
    accounts.create_user("admin@ids.example", role=Role.admin, password=STAFF_PASSWORD)
    client = signed_in(app, Role.admin)

    for number in TOO_BIG:
        assert client.get(page.format(number)).status_code == 200
