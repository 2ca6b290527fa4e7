"""Request-body limits, counted on the stream before any route parses a byte.

:class:`BodyLimit` is plain ASGI middleware. A declared ``Content-Length``
above the route's limit is answered 413 unread; otherwise every chunk
received is counted, and the request is cut off with a 413 as soon as the
count passes the limit, so a body sent chunked (no ``Content-Length``) cannot
spool more than the limit into memory or a temporary file. The limit is
``upload_max_bytes`` plus 1 MiB of form overhead for the routes that take an
upload (:data:`UPLOAD_ROUTES`), and ``form_max_bytes`` for every other route
(logging in, actions, admin forms), which anyone can reach before the CSRF or
session check answers.
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from pipeline.errors import HehuError

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
AsgiApp = Callable[[Scope, Receive, Send], Awaitable[None]]

#: Paths whose form carries a file: the closing (销号) form's after-photo.
UPLOAD_ROUTES = (re.compile(r"/issues/[^/]+/close"), re.compile(r"/field/[^/]+"))
#: Room for the multipart boundaries and the other fields of an upload form.
FORM_OVERHEAD_BYTES = 1024 * 1024


class BodyTooLargeError(HehuError, ValueError):
    """A request body passed its route's limit (answered 413 by :class:`BodyLimit`)."""


class BodyLimit:
    """ASGI middleware refusing request bodies above their route's limit (see module doc)."""

    def __init__(self, app: AsgiApp, *, form_max_bytes: int, upload_max_bytes: int) -> None:
        self.app = app
        self.form_max_bytes = form_max_bytes
        self.upload_limit = upload_max_bytes + FORM_OVERHEAD_BYTES

    def limit_for(self, path: str) -> int:
        """Bytes a request to ``path`` may carry."""
        if any(route.fullmatch(path) for route in UPLOAD_ROUTES):
            return self.upload_limit
        return self.form_max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope["path"])
        declared = _content_length(scope)
        if declared is not None and declared > limit:
            await _refuse(send, limit)
            return
        received = 0
        over = started = False

        async def counted() -> Message:
            nonlocal received, over
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    over = True
                    raise BodyTooLargeError(f"request body above {limit} bytes")
            return message

        async def guarded(message: Message) -> None:
            nonlocal started
            if over:  # whatever the app makes of the cut-off body, the answer is 413
                return
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted, guarded)
        except Exception:
            if not over:
                raise
        if over and not started:
            await _refuse(send, limit)


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            text = value.decode("latin-1").strip()
            return int(text) if text.isdigit() else None
    return None


async def _refuse(send: Send, limit: int) -> None:
    body = json.dumps({"error": f"request body above {limit} bytes"}).encode("utf-8")
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode("ascii")),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
