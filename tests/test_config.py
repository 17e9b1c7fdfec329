"""Settings from the environment, the instance secret key, and production safety."""

from __future__ import annotations

import os
import stat

import pytest

from exchange.config import ConfigurationError, load_config, normalize_database_url


def test_secret_key_generated_once_and_kept(tmp_path, monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    first = load_config(str(tmp_path))["SECRET_KEY"]
    second = load_config(str(tmp_path))["SECRET_KEY"]
    assert first == second and len(first) == 64
    key_file = tmp_path / "secret_key"
    assert stat.S_IMODE(os.stat(key_file).st_mode) == 0o600


def test_production_refuses_to_start_without_secret_key(tmp_path, monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.setenv("EXCHANGE_ENV", "production")
    with pytest.raises(ConfigurationError, match="SECRET_KEY"):
        load_config(str(tmp_path))
    assert not (tmp_path / "secret_key").exists()
    monkeypatch.setenv("SECRET_KEY", "from-the-environment")
    config = load_config(str(tmp_path))
    assert config["SECRET_KEY"] == "from-the-environment"
    assert config["SESSION_COOKIE_SECURE"] is True


def test_environment_settings_are_honoured(tmp_path, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgresql://user@db.example/exchange")
    monkeypatch.setenv("SEARCH_INDEX_DIR", "/srv/index")
    monkeypatch.setenv("UPLOAD_DIR", "/srv/uploads")
    monkeypatch.setenv("SECRET_KEY", "k")
    config = load_config(str(tmp_path))
    assert config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://user@db.example/exchange"
    assert (config["SEARCH_INDEX_DIR"], config["UPLOAD_DIR"]) == ("/srv/index", "/srv/uploads")


def test_defaults_live_under_instance(tmp_path, monkeypatch):
    for name in ("DATABASE_URL", "SEARCH_INDEX_DIR", "UPLOAD_DIR"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("SECRET_KEY", "k")
    config = load_config(str(tmp_path))
    assert config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path / 'exchange.db'}"
    assert config["SEARCH_INDEX_DIR"] == str(tmp_path / "search-index")
    assert config["UPLOAD_DIR"] == str(tmp_path / "uploads")


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("postgres://u@h/d", "postgresql+psycopg://u@h/d"),
        ("postgresql://u@h/d", "postgresql+psycopg://u@h/d"),
        ("postgresql+psycopg://u@h/d", "postgresql+psycopg://u@h/d"),
        ("sqlite:///x.db", "sqlite:///x.db"),
    ],
)
def test_database_url_normalization(given, expected):
    assert normalize_database_url(given) == expected


def test_no_secret_constant_in_code():
    from pathlib import Path

    source = (Path(__file__).parent.parent / "exchange" / "config.py").read_text()
    assert 'SECRET_KEY": "' not in source


def test_the_exchange_day_follows_its_time_zone(tmp_path):
    """At 02:00 UTC on 2 Jan it is still 1 Jan in New York: date rules read that day."""
    from datetime import UTC, date, datetime

    import time_machine

    from exchange import create_app
    from exchange.config import ConfigurationError
    from exchange.database import today

    base = {"TESTING": True, "SECRET_KEY": "x", "DATABASE_URL": f"sqlite:///{tmp_path}/t.db"}
    with time_machine.travel(datetime(2027, 1, 2, 2, 0, tzinfo=UTC), tick=False):
        with create_app({**base, "EXCHANGE_TIMEZONE": "America/New_York"}).app_context():
            assert today() == date(2027, 1, 1)
        with create_app(base).app_context():
            assert today() == date(2027, 1, 2)
    import pytest

    with pytest.raises(ConfigurationError, match="EXCHANGE_TIMEZONE"):
        create_app({**base, "EXCHANGE_TIMEZONE": "Mars/Olympus"})
