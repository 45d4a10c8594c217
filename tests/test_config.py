import ast
import re

import pytest
from flask import Flask

from conference import ROOT, config, create_app
from conference.extensions import db


def test_embedded_default_needs_no_settings(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for name in config.ENVIRONMENT:
        monkeypatch.delenv(name, raising=False)

    app = create_app()

    with app.app_context():
        assert db.engine.url.database == str(ROOT / "instance" / "conference.db")
    assert len(app.config["SECRET_KEY"]) >= 32
    assert app.config["MAIL_SERVER"] is None


def test_development_secret_is_generated_once_and_kept(tmp_path):
    first = config._instance_secret(tmp_path)
    second = config._instance_secret(tmp_path)

    assert first == second
    assert len(first) >= 32
    assert (tmp_path / "secret_key").stat().st_mode & 0o777 == 0o600


@pytest.mark.parametrize("secret", [None, "", "dev", "change-me", "short-but-not-default"])
def test_production_refuses_to_start_without_a_real_secret(secret):
    settings = {"APP_ENV": "production", "SECRET_KEY": secret}

    with pytest.raises(config.ConfigError, match="SECRET_KEY"):
        config.check_production(settings)


def test_production_secures_cookies(monkeypatch):
    monkeypatch.setenv("APP_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "x" * 48)
    monkeypatch.setenv("DATABASE_URL", "sqlite://")

    app = create_app()

    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["PREFERRED_URL_SCHEME"] == "https"


def test_production_without_secret_fails_with_the_reason(monkeypatch):
    monkeypatch.setenv("APP_ENV", "production")
    monkeypatch.delenv("SECRET_KEY", raising=False)

    with pytest.raises(config.ConfigError, match="token_urlsafe"):
        create_app()


def test_environment_names_are_parsed():
    values = config.from_environ(
        {
            "DATABASE_URL": "postgres://u:p@db:5432/conf",
            "MAIL_PORT": "2525",
            "MAIL_USE_TLS": "false",
            "BASE_URL": "https://forsyria.example",
            "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379/0",
            "FLASK_CACHE_DEFAULT_TIMEOUT": "60",
            "UNRELATED": "ignored",
        }
    )

    assert values == {
        "SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://u:p@db:5432/conf",
        "MAIL_PORT": 2525,
        "MAIL_USE_TLS": False,
        "BASE_URL": "https://forsyria.example",
        "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379/0",
        "CACHE_DEFAULT_TIMEOUT": 60,
    }


def test_a_malformed_setting_is_named():
    with pytest.raises(config.ConfigError, match="MAIL_PORT='abc'"):
        config.from_environ({"MAIL_PORT": "abc"})


def test_precedence_env_over_instance_file_over_defaults(tmp_path, monkeypatch):
    instance = tmp_path / "instance"
    instance.mkdir()
    (instance / "config.py").write_text(
        'BASE_URL = "https://from-file.example"\nMAIL_PORT = 2500\n'
    )
    monkeypatch.setenv("MAIL_PORT", "2600")
    monkeypatch.delenv("BASE_URL", raising=False)

    from flask import Flask

    app = Flask("probe", instance_path=str(instance), instance_relative_config=True)
    config.load(app)

    assert app.config["BASE_URL"] == "https://from-file.example"
    assert app.config["MAIL_PORT"] == 2600


# ---------------------------------------------------------------------------------------
# Every setting has its default in one place: ``config.Defaults``


def _config_reads():
    """Each read of a setting in the app's code: (file, line, key, the call or subscript).

    A read is ``<...>config["KEY"]`` or ``<...>config.get("KEY", ...)``, on anything whose
    name ends in ``config`` (``app.config``, ``current_app.config``, a local ``config``).
    """

    def is_config(node):
        name = node.attr if isinstance(node, ast.Attribute) else getattr(node, "id", "")
        return name.endswith("config")

    def key_of(node):
        return (
            node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None
        )

    for path in sorted((ROOT / "conference").rglob("*.py")):
        tree = ast.parse(path.read_text(), filename=str(path))
        parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
        for node in ast.walk(tree):
            if isinstance(node, ast.Subscript) and is_config(node.value):
                key = key_of(node.slice)
            elif (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "get"
                and is_config(node.func.value)
                and node.args
            ):
                key = key_of(node.args[0])
            else:
                continue
            if key is not None and key.isupper():
                yield path.relative_to(ROOT).as_posix(), node.lineno, key, node, parents


def test_no_setting_is_read_with_an_inline_default():
    """``config.get("X", 30)`` or ``config.get("X") or 30`` would hide a second default."""
    found = []
    for path, line, key, node, parents in _config_reads():
        if not isinstance(node, ast.Call):
            continue
        parent = parents.get(node)
        with_default = len(node.args) > 1 or node.keywords
        or_default = isinstance(parent, ast.BoolOp) and isinstance(parent.op, ast.Or)
        if with_default or (or_default and parent.values[0] is node):
            found.append(f"{path}:{line} {key}")
    assert found == []


def test_every_setting_the_app_reads_has_a_default():
    flask_defaults = set(Flask.default_config)
    missing = sorted(
        {
            f"{path}: {key}"
            for path, _line, key, _node, _parents in _config_reads()
            if not hasattr(config.Defaults, key) and key not in flask_defaults
        }
    )
    assert missing == []


def _strings(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, (list, tuple, set, frozenset)):
        for item in value:
            yield from _strings(item)


def test_every_endpoint_the_settings_name_exists(app):
    """An endpoint that does not exist (a feature renamed or gone) is never named."""
    named = {
        value
        for name in dir(config.Defaults)
        if name.isupper()
        for value in _strings(getattr(config.Defaults, name))
        if re.fullmatch(r"[a-z_]+\.[a-z_]+", value)
    }
    assert named, "STAFF_HOME names endpoints"
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    assert sorted(named - endpoints) == []
