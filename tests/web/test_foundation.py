"""The shared web pieces in a real browser: the API docs offline, the session across tabs."""

from sqlalchemy import func, select

from models import AuthSession
from tests.web.browser import shot


def block_other_origins(page, base):
    """Abort every request that leaves the live server; return the list of those tried."""
    tried = []

    def route(route):
        if route.request.url.startswith(base):
            route.continue_()
        else:
            tried.append(route.request.url)
            route.abort()

    page.route("**/*", route)
    return tried


def test_api_docs_render_from_vendored_files_with_no_other_origin_reached(page, live_server):
    tried = block_other_origins(page, live_server.url)
    page.goto(f"{live_server.url}/api/docs")
    page.get_by_text("/api/v1/auth/token").first.wait_for()
    assert tried == []
    assert page.console_errors == []  # a CSP violation would be logged here


LOG_IN = """async ([user, password]) => {
    const session = await import("/web/static/session.js");
    await session.logIn(user, password);
    return session.isLoggedIn();
}"""

REFRESH_AND_CALL = """async () => {
    const session = await import("/web/static/session.js");
    const { api } = await import("/web/static/api.js");
    await session.refresh();
    const me = await api("/me");
    return me.username;
}"""


def test_two_tabs_refreshing_at_once_keep_the_session(context, live_server):
    first = context.new_page()
    first.goto(f"{live_server.url}/api/docs")
    assert first.evaluate(LOG_IN, ["commissioner", "fieldapp-commissioner"]) is True
    second = context.new_page()
    second.goto(f"{live_server.url}/api/docs")
    # Both tabs start a refresh in the same moment; the lock makes the second wait and use
    # the rotated cookie, so neither replays a used refresh token.
    first.evaluate("() => { window.__r = import('/web/static/session.js')"
                   ".then(s => s.refresh()).then(() => 'ok', e => e.kind); }")
    result = second.evaluate(REFRESH_AND_CALL)
    assert result == "commissioner"
    assert first.evaluate("() => window.__r") == "ok"
    assert first.evaluate(REFRESH_AND_CALL) == "commissioner"
    with live_server.db() as session:
        assert session.scalar(select(func.count()).select_from(AuthSession).where(
            AuthSession.revoked_at.is_(None))) >= 1
        assert session.scalar(select(func.count()).select_from(AuthSession).where(
            AuthSession.revoked_at.is_not(None))) == 0


def test_api_client_explains_problems_in_chinese(page, live_server):
    page.goto(f"{live_server.url}/api/docs")
    page.evaluate(LOG_IN, ["commissioner", "fieldapp-commissioner"])
    explained = page.evaluate("""async () => {
        const { api } = await import("/web/static/api.js");
        try { await api("/firms/999999999"); } catch (e) { return [e.status, e.explain()]; }
    }""")
    assert explained == [404, "未找到该记录。"]
    shot(page, "api-docs")
