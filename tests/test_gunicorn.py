"""The production server command: the app is loaded before forking and each worker gets its
own database connections, so a crashed worker is replaced at once and serves correctly."""

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(url):
    try:
        with urllib.request.urlopen(url, timeout=2) as resp:
            return resp.status
    except OSError:
        return None


def wait_until(predicate, seconds):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return False


def workers_of(master_pid: int) -> set[int]:
    out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(master_pid)], capture_output=True,
                         text=True).stdout
    return {int(p) for p in out.split()}


@pytest.fixture
def server(database_url, tmp_path):
    port = free_port()
    env = {**os.environ, "FIELDAPP_DATABASE_URL": database_url,
           "FIELDAPP_SECRET_KEY": "test-secret-" + "x" * 32, "FIELDAPP_REDIS_URL": "",
           "FIELDAPP_WORKERS": "2", "FIELDAPP_BIND": f"127.0.0.1:{port}"}
    url = f"http://127.0.0.1:{port}"
    with open(tmp_path / "gunicorn.log", "w") as log:
        proc = subprocess.Popen([sys.executable, "-m", "gunicorn", "-c",
                                 "python:fieldapp.gunicorn_conf", "wsgi:app"],
                                env=env, stdout=log, stderr=log)
        try:
            assert wait_until(lambda: get(f"{url}/readyz") == 200, 60), \
                (tmp_path / "gunicorn.log").read_text()
            yield proc, url
        finally:
            proc.terminate()
            proc.wait(timeout=30)


def test_a_killed_worker_is_replaced_and_every_worker_reads_the_database(server):
    proc, url = server
    assert wait_until(lambda: len(workers_of(proc.pid)) == 2, 30)
    # Many requests spread over both workers: each must have its own working connection.
    assert all(get(f"{url}/readyz") == 200 for _ in range(20))
    victim = min(workers_of(proc.pid))
    os.kill(victim, signal.SIGKILL)
    assert wait_until(lambda: victim not in workers_of(proc.pid)
                      and len(workers_of(proc.pid)) == 2, 30)
    assert all(get(f"{url}/readyz") == 200 for _ in range(20))


def answer(url):
    """``(status, content type)`` of a GET, errors included."""
    try:
        with urllib.request.urlopen(url, timeout=5) as resp:
            return resp.status, resp.headers.get_content_type()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers.get_content_type()


def test_a_request_line_over_the_limit_is_the_servers_and_below_it_the_apps_problem(server):
    # Issue 14, item 7: the production server refuses a request line longer than
    # limit_request_line itself (its own small HTML page, before the app); anything shorter
    # reaches the app, which answers problem+json like every other error.
    from fieldapp import gunicorn_conf

    _, url = server
    path = "/api/v1/firms?q="
    room = gunicorn_conf.limit_request_line - len(f"GET {path} HTTP/1.1")
    assert answer(f"{url}{path}{'a' * room}") == (401, "application/problem+json")
    assert answer(f"{url}{path}{'a' * (room + 1)}") == (414, "text/html")
