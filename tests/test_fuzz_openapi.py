"""Schemathesis fuzzes the whole OpenAPI document against the app (in-process, WSGI) on both
databases, once per role (each role of the demo, and anonymous), with every check the
installed version offers: no 5xx, statuses, content types, headers and bodies as documented,
invalid data refused, valid data accepted.

Bounded for CI: one app and one demo database per backend for the module, a few examples per
operation (``FIELDAPP_FUZZ_EXAMPLES``, default 3). The fuzzed roles log in as throwaway copies
of the demo accounts, reset before each role's run; the operations that would end or change
the fuzzing account's own session or password (log-out, password change) are left out, so no
run can lock the next one out or change a demo account's password.
"""

import os
import secrets
import shutil
import uuid
from datetime import timedelta

import pytest
import schemathesis
from conftest import _truncate_all
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis.generation.modes import GenerationMode
from sqlalchemy import select

from fieldapp import create_app
from fieldapp.auth.passwords import hash_password
from fieldapp.auth.tokens import encode_access
from fieldapp.demo import load_demo
from fieldapp.extensions import db
from models import AuthSession, User, utcnow

ROLES = ("admin", "manager", "commissioner", "butler", "handler", "firm", "anonymous")
EXAMPLES = int(os.environ.get("FIELDAPP_FUZZ_EXAMPLES", "3"))
# The fuzzing account's own session and password: leaving them in would let one case log the
# run out (every later case a 401) or replace the password.
EXCLUDED = ("/api/v1/auth/logout", "/api/v1/me/password")
# Every check stays on. Data valid by the schema may still break a domain rule no schema can
# state (a USCC's check character, one root in the org tree, a capture time in the future):
# that is a 422 naming the field, so it counts as an acceptable answer to valid data.
CONFIG = schemathesis.config.SchemathesisConfig.from_dict({"checks": {
    "positive_data_acceptance": {"expected-statuses": [
        "2xx", "401", "403", "404", "409", "422", "429"]}}})


@pytest.fixture(scope="module")
def fuzz_app(backend, request, tmp_path_factory):
    """One app over one demo database per backend for the whole module."""
    if backend == "sqlite":
        path = tmp_path_factory.mktemp("fuzz") / "fuzz.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        url = f"sqlite:///{path}"
    else:
        url = request.getfixturevalue("postgres_url")
        _truncate_all(url)
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "fuzz-secret-" + "x" * 32,
                      "REDIS_URL": "", "TESTING": True,
                      "PHOTO_DIR": str(tmp_path_factory.mktemp("photos")),
                      # Failed log-ins are part of fuzzing; the limits are tested elsewhere.
                      "LOGIN_FAILURES_PER_ACCOUNT": "100000 per minute",
                      "LOGIN_FAILURES_PER_ADDRESS": "100000 per minute"})
    with app.app_context():
        load_demo()
        unusable = hash_password(secrets.token_urlsafe(24))
        for role in ROLES[:-1]:
            demo = db.session.scalar(select(User).where(User.username == role))
            db.session.add(User(username=f"fuzz_{role}", display_name=f"Fuzz {role}",
                                password_hash=unusable, roles_csv=demo.roles_csv,
                                org_unit_id=demo.org_unit_id, firm_id=demo.firm_id,
                                service_team_id=demo.service_team_id,
                                department_id=demo.department_id))
        db.session.commit()
        yield app
        db.session.remove()
        db.engine.dispose()


def _bearer(app, role: str) -> dict:
    """Reset the role's throwaway account (a previous run may have changed it) and open a
    session for it, without spending a password hash."""
    if role == "anonymous":
        return {}
    with app.app_context():
        demo = db.session.scalar(select(User).where(User.username == role))
        user = db.session.scalar(select(User).where(User.username == f"fuzz_{role}"))
        user.is_active, user.password_must_change = True, False
        user.roles_csv, user.org_unit_id = demo.roles_csv, demo.org_unit_id
        user.firm_id = demo.firm_id
        session = AuthSession(id=str(uuid.uuid4()), user_id=user.id, refresh_hash="",
                              created_at=utcnow(), expires_at=utcnow() + timedelta(hours=1))
        db.session.add(session)
        db.session.commit()
        token = encode_access(user.id, session.id, utcnow(), 3600, app.config["SECRET_KEY"])
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture(scope="module")
def api_schema(fuzz_app):
    # The document's ``default`` response (any error, as problem+json) stays for clients, but
    # with it every status conforms: the fuzzer reads the document without it, so a status an
    # operation answers but does not list fails the run.
    raw = fuzz_app.test_client().get("/api/openapi.json").get_json()
    for operations in raw["paths"].values():
        for operation in operations.values():
            if isinstance(operation, dict):
                operation.get("responses", {}).pop("default", None)
    schema = schemathesis.openapi.from_dict(raw, config=CONFIG)
    schema.app = fuzz_app
    for path in EXCLUDED:
        schema = schema.exclude(path=path)
    return schema


def _fuzz_operation(operation, mode, headers) -> str | None:
    """Run one operation's examples in one generation mode; the failure report, if any.

    (Schemathesis's pytest integration for lazily loaded schemas does not run under pytest 9,
    so the cases come from its Python API, one hypothesis run per operation and mode.)
    """

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck), phases=[Phase.generate, Phase.shrink])
    def run(case):
        case.call_and_validate(headers=headers)

    try:
        run()
    except Unsatisfiable:
        if mode is GenerationMode.NEGATIVE:
            return None  # an operation taking no input (DELETE /auth/session) has no bad input
        raise
    except (Exception, BaseExceptionGroup) as exc:  # every failing operation, not the first
        details = [str(e) for e in getattr(exc, "exceptions", ())]
        return "\n".join([f"{operation.label} ({mode}): {exc}", *details])
    return None


@pytest.mark.parametrize("role", ROLES)
def test_the_api_keeps_its_documented_promises(fuzz_app, api_schema, role):
    headers = _bearer(fuzz_app, role)
    failures = []
    for result in api_schema.get_all_operations():
        operation = result.ok()
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            failure = _fuzz_operation(operation, mode, headers)
            if failure:
                failures.append(failure)
    assert not failures, "\n\n".join(failures)
