"""A fake GitHub / GitLab REST API on localhost (``http.server`` in a thread) that records
every request, so tests can assert what the CI script asked for: no network."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Request:
    method: str
    path: str
    headers: dict[str, str]
    body: Any


@dataclass
class Answer:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)

    @classmethod
    def json(cls, data: Any, status: int = 200) -> Answer:
        return cls(status, json.dumps(data).encode(), {"Content-Type": "application/json"})


Route = Callable[[Request], Answer]


@dataclass
class FakeApi:
    url: str
    routes: dict[tuple[str, str], Route]
    requests: list[Request] = field(default_factory=list)

    def made(self, method: str, path_start: str) -> list[Request]:
        return [r for r in self.requests if r.method == method and r.path.startswith(path_start)]


@contextmanager
def fake_api(routes: dict[tuple[str, str], Route]) -> Iterator[FakeApi]:
    """Serve ``routes`` keyed by (method, path without the query); anything else is 404."""
    recorded: list[Request] = []

    class Handler(BaseHTTPRequestHandler):
        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            body = json.loads(raw) if raw else None
            headers = {name.lower(): value for name, value in self.headers.items()}
            request = Request(self.command, self.path, headers, body)  # names lower-cased
            recorded.append(request)
            route = routes.get((self.command, self.path.split("?", 1)[0]))
            answer = route(request) if route else Answer.json({"message": "Not Found"}, 404)
            self.send_response(answer.status)
            for name, value in answer.headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(answer.body)))
            self.end_headers()
            self.wfile.write(answer.body)

        do_GET = do_POST = do_PATCH = do_PUT = _serve

        def log_message(self, *args: Any) -> None:  # quiet
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield FakeApi(f"http://127.0.0.1:{server.server_address[1]}", routes, recorded)
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
