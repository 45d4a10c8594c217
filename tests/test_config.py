import pytest

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
