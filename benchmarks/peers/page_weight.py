"""The real weight of an HTML report that loads its scripts and styles from CDNs.

A report's file size is not what it costs to display: Great Expectations' Data Docs page is
small because bootstrap, jquery, vega and font-awesome come from CDNs at view time, while our
scorecard (and deepchecks' and Evidently's reports) inline what they need. To compare like
with like (issue 8: ours at least 10x smaller than the smallest peer report), this module
sizes each external ``<script src>`` and ``<link rel="stylesheet" href>`` the page names.

The CDNs are out of reach here, but every file they serve for these URLs is a file of an npm
package, and the npm registry is reachable: each URL is mapped to ``package@version/path``
(CDN range resolved to the newest matching release, as the CDN does), the package tarball is
downloaded once (cached under ``benchmarks/.venvs/npm-cache/``, git-ignored) and the file's
size is read from it in memory. Standard library only, so it runs in any of our venvs.

The result is a **lower bound**: images (the logo) are not on npm and are listed as
unresolved; web fonts a stylesheet declares are sized separately (``fonts_bytes``, the woff2
file of each ``@font-face``) and not added to the total, because a browser fetches a font only
when the page draws a glyph in it; sizes are of the files as stored (uncompressed, like our
page's), with a gzip size alongside for what a CDN would transfer.

    .venv/bin/python benchmarks/peers/page_weight.py PAGE.html [--json]
"""

from __future__ import annotations

import argparse
import gzip
import io
import json
import posixpath
import re
import sys
import tarfile
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import asdict, dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

REGISTRY = "https://registry.npmjs.org"
CACHE_DIR = Path(__file__).resolve().parent.parent / ".venvs" / "npm-cache"
TIMEOUT_S = 60.0

# cdnjs library name -> (npm package, prefix of the file inside the npm package). cdnjs copies
# each library's build output; these are the packages and folders it copies from.
CDNJS: dict[str, tuple[str, str]] = {
    "font-awesome": ("@fortawesome/fontawesome-free", ""),
    "popper.js": ("popper.js", "dist/"),
    "bootstrap-datepicker": ("bootstrap-datepicker", "dist/"),
    "jquery": ("jquery", "dist/"),
    "twitter-bootstrap": ("bootstrap", "dist/"),
}

_VERSION = re.compile(r"^(\d+)\.(\d+)\.(\d+)$")  # releases only: prereleases never match a range
_CSS_URL = re.compile(r"""url\(\s*['"]?([^'")]+?)['"]?\s*\)""")
_FONT_FACE = re.compile(r"@font-face\s*{([^}]*)}", re.IGNORECASE)


class Unresolved(Exception):
    """A URL whose file cannot be sized; the message says why."""


class RegistryUnreachable(Unresolved):
    """The npm registry did not answer: the machine is offline, not the URL unknown."""


@dataclass
class Asset:
    """One external script or stylesheet of the page, and what it weighs."""

    url: str
    kind: str
    package: str | None = None
    version: str | None = None
    path: str | None = None
    bytes: int | None = None
    gzip_bytes: int | None = None
    fonts: dict[str, int] = field(default_factory=dict)
    unresolved: str | None = None


class _Links(HTMLParser):
    """Collects the external URLs a browser fetches to render the page: scripts, stylesheets
    and images (the latter only to list them as not counted)."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[tuple[str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k: v or "" for k, v in attrs}
        if tag == "script" and values.get("src"):
            self._add("script", values["src"])
        elif tag == "link" and "stylesheet" in values.get("rel", "").lower().split():
            self._add("stylesheet", values.get("href", ""))
        elif tag == "img" and values.get("src"):
            self._add("image", values["src"])

    def _add(self, kind: str, url: str) -> None:
        if url.startswith(("http://", "https://", "//")):
            self.found.append((kind, "https:" + url if url.startswith("//") else url))


def external_assets(html: str) -> list[tuple[str, str]]:
    """``(kind, url)`` of every external script, stylesheet and image, in page order; plain
    ``<a href>`` links are not loads and are left out."""
    parser = _Links()
    parser.feed(html)
    return parser.found


def _split_package(spec: str) -> tuple[str, str, str | None]:
    """``pkg@range/path`` or ``@scope/pkg@range/path`` -> (name, range, path or None)."""
    parts = spec.strip("/").split("/")
    count = 2 if parts[0].startswith("@") else 1
    head, rest = "/".join(parts[:count]), parts[count:]
    name, _, version = head.rpartition("@") if head.count("@") > (count - 1) else (head, "", "")
    return name, version, "/".join(rest) or None


def map_url(url: str) -> tuple[str, str, str | None]:
    """CDN URL -> (npm package, version or range, path in the package or None for the
    package's default file); raises :class:`Unresolved` for hosts that do not serve npm."""
    parsed = urllib.parse.urlsplit(url)
    host, path = parsed.netloc.lower(), urllib.parse.unquote(parsed.path)
    if host == "unpkg.com":
        return _split_package(path)
    if host in {"cdn.jsdelivr.net", "fastly.jsdelivr.net"} and path.startswith("/npm/"):
        return _split_package(path[len("/npm/") :])
    if host.endswith("bootstrapcdn.com"):
        match = re.fullmatch(r"/bootstrap/([^/]+)/(.+)", path)
        if match:
            return "bootstrap", match[1], "dist/" + match[2]
    if host == "code.jquery.com":
        match = re.fullmatch(r"/jquery-(\d+\.\d+\.\d+)((?:\.slim)?(?:\.min)?)\.js", path)
        if match:
            return "jquery", match[1], f"dist/jquery{match[2]}.js"
    if host == "cdnjs.cloudflare.com":
        match = re.fullmatch(r"/ajax/libs/([^/]+)/([^/]+)/(.+)", path)
        if match and match[1] in CDNJS:
            package, prefix = CDNJS[match[1]]
            if match[1] == "font-awesome" and match[2].startswith("4."):
                package = "font-awesome"  # the 4.x line was published under the old name
            return package, match[2], prefix + match[3]
        if match:
            raise Unresolved(f"cdnjs library {match[1]!r} is not in the explicit table")
    raise Unresolved(f"host {host} does not serve npm packages")


def _fetch(url: str, headers: dict[str, str] | None = None) -> bytes:
    """GET from the registry; a 404 is an unknown name, anything else network is offline."""
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_S) as response:
            data: bytes = response.read()
            return data
    except urllib.error.HTTPError as error:
        raise Unresolved(f"registry answered {error.code} for {url}") from error
    except (urllib.error.URLError, OSError) as error:
        raise RegistryUnreachable(f"registry unreachable ({error})") from error


def _release(version: str) -> tuple[int, int, int] | None:
    match = _VERSION.match(version)
    return (int(match[1]), int(match[2]), int(match[3])) if match else None


def resolve_version(package: str, spec: str, metadata: dict[str, Any] | None = None) -> str:
    """The version a CDN serves for ``spec``: exact versions as given; a dist-tag or no
    version -> that tag; ``5``, ``5.1``, ``5.x``, ``^5.1.0``, ``~5.1.0`` -> the newest
    matching release (jsDelivr and unpkg resolve ranges the same way)."""
    if _release(spec):
        return spec
    if metadata is None:
        quoted = package.replace("/", "%2F")
        metadata = json.loads(
            _fetch(f"{REGISTRY}/{quoted}", {"Accept": "application/vnd.npm.install-v1+json"})
        )
    tags: dict[str, str] = metadata.get("dist-tags", {})
    if spec in ("", "latest") or spec in tags:
        return tags[spec or "latest"]
    operator, bare = (spec[0], spec[1:]) if spec[0] in "^~" else ("", spec)
    fields = [p for p in bare.split(".") if p not in ("x", "X", "*", "")]
    if not all(p.isdigit() for p in fields) or len(fields) > 3:
        raise Unresolved(f"range {spec!r} is not one this script resolves")
    wanted = tuple(int(p) for p in fields)
    if operator == "^":
        prefix, floor = wanted[:1], wanted  # same major
    elif operator == "~":
        prefix, floor = wanted[:2], wanted  # same major.minor
    else:
        prefix, floor = wanted, ()
    matches = [
        (release, version)
        for version in metadata.get("versions", {})
        if (release := _release(version)) and release[: len(prefix)] == prefix and release >= floor
    ]
    if not matches:
        raise Unresolved(f"no release of {package} matches {spec!r}")
    return max(matches)[1]


def _tarball(package: str, version: str, cache_dir: Path) -> bytes:
    """The package tarball, from the cache or the registry (its standard tarball URL)."""
    path = cache_dir / f"{package.replace('/', '__')}-{version}.tgz"
    if path.is_file():
        return path.read_bytes()
    base = package.rsplit("/", 1)[-1]
    data = _fetch(f"{REGISTRY}/{package}/-/{base}-{version}.tgz")
    cache_dir.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".part")
    partial.write_bytes(data)
    partial.replace(path)
    return data


class _Package:
    """An npm tarball opened in memory: files by their path inside the package."""

    def __init__(self, data: bytes) -> None:
        self._data = data
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
            # Entries sit under one top folder, usually ``package/``; paths are relative to it.
            self.files = {
                member.name.split("/", 1)[1]: member
                for member in tar.getmembers()
                if member.isfile() and "/" in member.name
            }

    def read(self, path: str) -> bytes:
        with tarfile.open(fileobj=io.BytesIO(self._data), mode="r:gz") as tar:
            handle = tar.extractfile(self.files[path])
            return handle.read() if handle else b""

    def default_file(self, fields: tuple[str, ...]) -> str:
        """The file a CDN serves for a bare package URL: the first of ``fields`` in
        package.json that names a file (``browser`` may be a map, which is skipped)."""
        manifest = json.loads(self.read("package.json"))
        for name in fields:
            value = manifest.get(name)
            if isinstance(value, str) and value:
                path = posixpath.normpath(value)
                for candidate in (path, path + ".js"):
                    if candidate in self.files:
                        return candidate
        raise Unresolved(f"package.json names no file in {', '.join(fields)}")


def _fonts(css: str, css_path: str, package: _Package) -> dict[str, int]:
    """The woff2 file of each ``@font-face`` in the stylesheet (the format a current browser
    picks first), by path in the package: fetched only if the page uses that font."""
    fonts: dict[str, int] = {}
    for block in _FONT_FACE.findall(css):
        for found in _CSS_URL.findall(block):
            ref = found.split("?")[0].split("#")[0]
            if ref.endswith(".woff2") and not ref.startswith(("data:", "http")):
                path = posixpath.normpath(posixpath.join(posixpath.dirname(css_path), ref))
                if path in package.files:
                    fonts[path] = package.files[path].size
                break
    return fonts


def size_asset(kind: str, url: str, cache_dir: Path = CACHE_DIR) -> Asset:
    """Map one URL to its npm file and size it; the reason lands in ``unresolved`` if not."""
    asset = Asset(url=url, kind=kind)
    try:
        if kind == "image":
            raise Unresolved("image, not an npm file: not sized")
        asset.package, spec, asset.path = map_url(url)
        asset.version = resolve_version(asset.package, spec)
        package = _Package(_tarball(asset.package, asset.version, cache_dir))
        if asset.path is None:
            host = urllib.parse.urlsplit(url).netloc
            order = ("unpkg", "browser", "main") if host == "unpkg.com" else ("jsdelivr",)
            asset.path = package.default_file((*order, "browser", "main"))
        if asset.path not in package.files:
            raise Unresolved(f"{asset.path} is not in {asset.package}@{asset.version}")
        data = package.read(asset.path)
        asset.bytes, asset.gzip_bytes = len(data), len(gzip.compress(data, 9, mtime=0))
        if kind == "stylesheet":
            asset.fonts = _fonts(data.decode("utf-8", "replace"), asset.path, package)
    except Unresolved as error:
        asset.unresolved = str(error)
    except (tarfile.TarError, json.JSONDecodeError, KeyError) as error:
        asset.unresolved = f"unreadable package: {error!r}"
    return asset


def measure(page: Path | str, cache_dir: Path = CACHE_DIR) -> dict[str, Any]:
    """Page plus what it loads: per URL its bytes or ``"unresolved: why"``, and the totals.

    ``offline`` is true when the registry could not be reached for some URL (then those URLs
    are unresolved, and the total says less than usual); ``total_bytes`` is the page's own
    bytes plus the resolved assets: a lower bound of what the browser loads to show it."""
    text = Path(page).read_text(encoding="utf-8")
    assets = [size_asset(kind, url, cache_dir) for kind, url in external_assets(text)]
    page_bytes = len(text.encode("utf-8"))
    assets_bytes = sum(a.bytes or 0 for a in assets)
    fonts = {f"{a.package}@{a.version}/{p}": n for a in assets for p, n in a.fonts.items()}
    return {
        "page_bytes": page_bytes,
        "page_gzip_bytes": len(gzip.compress(text.encode("utf-8"), 9, mtime=0)),
        "files": {
            a.url: a.bytes if a.bytes is not None else f"unresolved: {a.unresolved}" for a in assets
        },
        "assets": [asdict(a) for a in assets],
        "assets_bytes": assets_bytes,
        "assets_gzip_bytes": sum(a.gzip_bytes or 0 for a in assets),
        "resolved": sum(a.bytes is not None for a in assets),
        "unresolved": sum(a.bytes is None for a in assets),
        "offline": any((a.unresolved or "").startswith("registry unreachable") for a in assets),
        "fonts_bytes": sum(fonts.values()),
        "fonts": fonts,
        "total_bytes": page_bytes + assets_bytes,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("page", type=Path)
    parser.add_argument("--json", action="store_true", help="print the whole result as JSON")
    args = parser.parse_args()
    result = measure(args.page)
    if args.json:
        print(json.dumps(result, indent=2))
        return
    for asset in result["assets"]:
        where = f"{asset['package']}@{asset['version']}/{asset['path']}"
        size = (f"{asset['bytes'] / 1024:8.1f} KiB (gzip {asset['gzip_bytes'] / 1024:.1f})"
                if asset["bytes"] is not None else f"unresolved: {asset['unresolved']}")  # fmt: skip
        print(f"{asset['url']}\n    -> {where if asset['package'] else '-'}: {size}")
    print(f"page {result['page_bytes'] / 1024:.1f} KiB + {result['resolved']} files "
          f"{result['assets_bytes'] / 1024:.1f} KiB = {result['total_bytes'] / 1024:.1f} KiB "
          f"(lower bound; {result['unresolved']} unresolved; gzip "
          f"{(result['page_gzip_bytes'] + result['assets_gzip_bytes']) / 1024:.1f} KiB); web "
          f"fonts the stylesheets declare, not counted: {result['fonts_bytes'] / 1024:.1f} KiB")  # fmt: skip


if __name__ == "__main__":
    sys.exit(main())
