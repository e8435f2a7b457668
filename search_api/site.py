"""Where the site is: the path it is served under behind a proxy (``serve --root-path``), and
a request's path within it, which the app's own rules (routes, privacy headers, limits) go by.

uvicorn puts the root path before every request's path (the ASGI ``path`` is the full one,
``root_path`` its prefix); the site's own links are made under it.
"""

from __future__ import annotations

from starlette.types import Scope


def route_path(scope: Scope) -> str:
    """The request's path within the site: "/a/x" for "/search/a/x" under "/search"."""
    path: str = scope["path"]
    root = scope.get("root_path", "")
    if root and (path == root or path.startswith(root + "/")):
        return path[len(root) :] or "/"
    return path


def site_link(scope: Scope, path: str) -> str:
    """A link to ``path`` (``/…``) of the site, under its root path."""
    return scope.get("root_path", "") + path
