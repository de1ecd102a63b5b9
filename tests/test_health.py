"""Liveness, readiness and the API documentation."""


def test_healthz_answers_without_touching_the_database(client):
    resp = client.get("/healthz")
    assert resp.status_code == 200
    assert resp.get_json() == {"status": "ok"}


def test_readyz_reports_the_database_and_its_spatial_extension(client, backend):
    resp = client.get("/readyz")
    assert resp.status_code == 200
    body = resp.get_json()
    assert body["database"] == backend
    assert body["spatial"].split()[0] == {"sqlite": "spatialite", "postgresql": "postgis"}[backend]


def test_openapi_document_lists_the_v1_endpoints_with_bearer_auth(client):
    spec = client.get("/api/openapi.json").get_json()
    assert spec["openapi"].startswith("3.")
    assert {"/api/v1/auth/token", "/api/v1/me", "/api/v1/users", "/api/v1/org-units",
            "/api/v1/audit-events"} <= set(spec["paths"])
    assert spec["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"


def test_interactive_docs_page_is_served(client):
    resp = client.get("/api/docs")
    assert resp.status_code == 200
    assert b"swagger" in resp.data.lower()
