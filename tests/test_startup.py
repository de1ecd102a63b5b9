"""What the app refuses at start-up: a missing SpatiaLite, unsafe production settings."""

import pytest
from sqlalchemy import select

from fieldapp import config, create_app
from fieldapp.auth.passwords import DEMO_ACCOUNTS, hash_password
from fieldapp.extensions import db
from fieldapp.startup import UnsafeProduction
from models import User
from models.database import SpatialExtensionMissing


def test_missing_spatialite_fails_at_start_up_naming_the_package(tmp_path, monkeypatch):
    monkeypatch.setenv("SPATIALITE_LIBRARY_PATH", str(tmp_path / "no_such_mod_spatialite"))
    with pytest.raises(SpatialExtensionMissing, match="apt-get install libsqlite3-mod-spatialite"):
        create_app({"DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}"})


def test_production_refuses_the_default_secret_key(app_config):
    app_config.update(ENV="production", SECRET_KEY=config.DEFAULT_SECRET_KEY)
    with pytest.raises(UnsafeProduction, match="FIELDAPP_SECRET_KEY"):
        create_app(app_config)


def test_production_refuses_to_start_while_a_demo_account_keeps_its_demo_password(
        app, app_config, world):
    user = world.user("manager", ["manager"], world.city)
    user.password_hash = hash_password(DEMO_ACCOUNTS["manager"])
    db.session.commit()
    with pytest.raises(UnsafeProduction, match="manager"):
        create_app({**app_config, "ENV": "production"})


def test_production_starts_once_demo_passwords_are_changed(app, app_config, world):
    world.user("manager", ["manager"], world.city)  # a non-demo password
    prod = create_app({**app_config, "ENV": "production"})
    with prod.app_context():
        assert db.session.scalar(select(User.username)) == "manager"
        db.engine.dispose()


def test_settings_come_from_fieldapp_environment_variables(monkeypatch, tmp_path):
    monkeypatch.setenv("FIELDAPP_ACCESS_TOKEN_TTL", "120")
    monkeypatch.setenv("FIELDAPP_REDIS_URL", "redis://127.0.0.1:6379/3")
    settings = config.load(str(tmp_path))
    assert settings["ACCESS_TOKEN_TTL"] == 120
    assert settings["REDIS_URL"] == "redis://127.0.0.1:6379/3"


def test_a_malformed_numeric_setting_is_refused_with_its_name(monkeypatch, tmp_path):
    monkeypatch.setenv("FIELDAPP_MAX_BODY_BYTES", "lots")
    with pytest.raises(ValueError, match="FIELDAPP_MAX_BODY_BYTES"):
        config.load(str(tmp_path))


def test_without_a_database_url_the_default_is_spatialite_in_the_instance_folder(
        monkeypatch, tmp_path):
    monkeypatch.delenv("FIELDAPP_DATABASE_URL", raising=False)
    settings = config.load(str(tmp_path / "instance"))
    assert settings["DATABASE_URL"] == f"sqlite:///{tmp_path / 'instance' / 'fieldapp.db'}"
    assert (tmp_path / "instance").is_dir()
