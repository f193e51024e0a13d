"""A small JSON client over :mod:`urllib` for the GitHub and GitLab REST APIs.

Redirects are not followed with the token: GitHub answers an artifact download with a 302
to a signed storage URL, and sending the API token there is both a leak and a 400 from the
storage service. :meth:`ApiClient.download` follows one redirect without credentials.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

TIMEOUT_SECONDS = 30


class ApiError(Exception):
    """An API call that did not succeed: the method, URL and status, never the token."""

    def __init__(self, method: str, url: str, status: int | None, detail: str) -> None:
        self.status = status
        where = f"HTTP {status}" if status is not None else "no answer"
        super().__init__(f"{method} {url}: {where}: {detail}")


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


@dataclass(frozen=True)
class ApiClient:
    base_url: str
    headers: Mapping[str, str] = field(default_factory=dict)

    def _url(self, path: str) -> str:
        return path if "://" in path else self.base_url.rstrip("/") + path

    def _open(
        self,
        method: str,
        url: str,
        body: bytes | None,
        headers: Mapping[str, str],
        shown: str | None = None,
    ) -> tuple[int, Mapping[str, str], bytes]:
        """One request; errors name ``shown`` instead of ``url`` when given (a signed URL
        is a credential)."""
        shown = shown or url
        request = urllib.request.Request(url, data=body, method=method, headers=dict(headers))
        opener = urllib.request.build_opener(_NoRedirect)
        try:
            with opener.open(request, timeout=TIMEOUT_SECONDS) as response:
                return response.status, dict(response.headers), response.read()
        except urllib.error.HTTPError as exc:
            if 300 <= exc.code < 400:
                return exc.code, dict(exc.headers), b""
            detail = exc.read().decode("utf-8", "replace")[:300]
            raise ApiError(method, shown, exc.code, detail) from None
        except (urllib.error.URLError, OSError) as exc:
            raise ApiError(method, shown, None, str(exc)) from None

    def request(self, method: str, path: str, payload: Any = None) -> Any:
        """Call the API and decode its JSON answer (None when it has no body)."""
        body = None if payload is None else json.dumps(payload).encode("utf-8")
        headers = dict(self.headers)
        if body is not None:
            headers["Content-Type"] = "application/json"
        url = self._url(path)
        status, _, data = self._open(method, url, body, headers)
        if status >= 300:
            raise ApiError(method, url, status, "unexpected redirect")
        return json.loads(data) if data.strip() else None

    def download(self, path: str) -> bytes:
        """The bytes at ``path``; a redirect is followed once, without the API's headers."""
        url = self._url(path)
        status, headers, data = self._open("GET", url, None, self.headers)
        if 300 <= status < 400:
            location = headers.get("Location") or headers.get("location")
            if not location:
                raise ApiError("GET", url, status, "redirect without a Location")
            shown = f"the storage URL {url} redirects to"
            status, _, data = self._open("GET", location, None, {}, shown)
            if status >= 300:
                raise ApiError("GET", shown, status, "a second redirect")
        return data
