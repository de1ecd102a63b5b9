"""What the OpenAPI document says about errors: one problem+json component, referenced from
every operation with the statuses it can really answer.

Clients generated from the document (openapi-generator, TypeScript types for the mini
program) must be able to parse every error the API sends, so the document describes the
RFC 9457 body once and each operation lists its error statuses by rule:

- every operation: 503 (database unavailable, with ``Retry-After``) and ``default``;
- behind log-in: 401 (no or bad token), 403 (role, assignment or a one-time password to
  change), 404 (an id in the path or body outside the caller's scope);
- an id in the path: 404;
- a JSON body: 400 (malformed), 413 (too large), 415 (not JSON), 422 (invalid fields);
- query arguments: 422;
- every write: 409 (a conflict with stored rows, or a concurrent change);
- beyond the rules (``EXTRA``): the log-ins, the refreshes and the look-ups without log-in
  answer 401, 403 (the cookie endpoints' cross-site guard), 404 (a wrong tracking number or
  check code) and 429 (with ``Retry-After``) where they limit failures.
"""

import re
from http import HTTPStatus

from marshmallow import INCLUDE, Schema, fields

PROBLEM_CONTENT_TYPE = "application/problem+json"
WRITES = {"post", "put", "patch", "delete"}
# Beyond the rules: log-ins and refreshes refuse credentials without being behind log-in; the
# cookie endpoints refuse cross-site calls (403); the tracking look-up answers a wrong number
# or code with 404; the log-ins, the password change and the look-ups without log-in count
# failures (429).
EXTRA = {("/api/v1/auth/token", "post"): [401, 429], ("/api/v1/auth/refresh", "post"): [401],
         ("/api/v1/auth/session", "post"): [401, 403, 429],
         ("/api/v1/auth/session", "delete"): [403],
         ("/api/v1/auth/session/refresh", "post"): [401, 403],
         ("/api/v1/me/password", "post"): [429],
         ("/api/v1/track", "post"): [404, 429], ("/api/v1/credentials/verify", "post"): [429]}
_PATH_ARG = re.compile(r"<(?:[^:<>]+:)?([^<>]+)>")


class ProblemSchema(Schema):
    """An error, as RFC 9457 problem details. Some problems add members (``visit_id`` of a
    client_id conflict, ``existing_firm_id`` of a duplicate USCC)."""

    class Meta:
        unknown = INCLUDE  # documented as open: problems may carry extra members

    type = fields.String(required=True, metadata={
        "description": "a URI naming the kind of problem, e.g. …/problems/validation"})
    title = fields.String(required=True, metadata={"description": "the HTTP status phrase"})
    status = fields.Integer(required=True, metadata={"description": "the HTTP status code"})
    detail = fields.String(required=True, metadata={"description": "what went wrong, for people"})
    errors = fields.Dict(keys=fields.String(), values=fields.List(fields.String()), metadata={
        "description": "invalid fields (422): field path (position.lat, issues.0.title) → "
                       "messages"})
    request_id = fields.String(metadata={"description": "the X-Request-ID of the request"})


def _spec_path(rule: str) -> str:
    return _PATH_ARG.sub(r"{\1}", rule)


def _statuses(path: str, method: str, operation: dict, protected: bool) -> list[int]:
    statuses = [503]
    if protected:
        statuses += [401, 403, 404]  # 404 also for an id in the body outside one's scope
    if "{" in path:
        statuses.append(404)
    content = operation.get("requestBody", {}).get("content", {})
    if "application/json" in content:
        statuses += [400, 413, 415, 422]
    elif content:
        statuses += [413, 415, 422]
    if any(p.get("in") == "query" for p in operation.get("parameters", [])):
        statuses.append(422)
    if method in WRITES:
        statuses.append(409)
    statuses += EXTRA.get((path, method), [])
    return sorted(set(statuses))


def document_errors(api, app) -> None:
    """Reference the problem response from every operation of ``api``'s document for each
    status it can answer, and mark the operations behind log-in with the bearer scheme."""
    protected = {}
    for rule in app.url_map.iter_rules():
        view = app.view_functions.get(rule.endpoint)
        for method in rule.methods or ():
            protected[(_spec_path(rule.rule), method.lower())] = bool(
                getattr(view, "login_required", False))
    for path, operations in api.spec._paths.items():  # apispec keeps no public accessor
        for method, operation in operations.items():
            if method not in {"get", "post", "put", "patch", "delete"}:
                continue
            is_protected = protected.get((path, method), False)
            responses = operation.setdefault("responses", {})
            for status in _statuses(path, method, operation, is_protected):
                if str(status) not in responses:
                    responses[str(status)] = api.spec.components.get_ref(
                        "response", HTTPStatus(status).name)
            if is_protected:
                operation.setdefault("security", [{"bearerAuth": []}])

