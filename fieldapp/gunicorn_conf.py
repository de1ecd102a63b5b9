"""gunicorn settings for production: ``gunicorn -c python:fieldapp.gunicorn_conf wsgi:app``.

The app is built once, before forking (``preload_app``): a worker that crashes is replaced by a
fork in milliseconds instead of spending ~2.5 s of CPU importing and building the app again,
which halved capacity for that long on a two-worker host. Each worker then drops the database
connections it inherited (the parent's pool must never be shared across processes) and opens
its own on first use.
"""

import os

bind = os.environ.get("FIELDAPP_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("FIELDAPP_WORKERS", "4"))
preload_app = True
# The longest request line (method, path and query) gunicorn accepts, in bytes; a longer one is
# gunicorn's own 414 (a short HTML page) before the app sees it. List filters fit in far less.
limit_request_line = 8190


def post_fork(server, worker):
    """Forget the inherited connections without closing them (they are the parent's)."""
    from fieldapp.extensions import db

    app = server.app.wsgi()
    with app.app_context():
        for engine in db.engines.values():
            engine.dispose(close=False)
