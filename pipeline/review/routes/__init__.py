"""One router per area of the app; :data:`ROUTERS` is what :func:`create_app` mounts."""

from __future__ import annotations

from pipeline.review.routes import (
    admin,
    api,
    auth,
    exports,
    field,
    issues,
    maps,
    media,
    process,
    queue,
    stats,
)

ROUTERS = (
    auth.router,
    queue.router,
    issues.router,
    api.router,
    media.router,
    maps.router,
    field.router,
    exports.router,
    process.router,
    admin.router,
    stats.router,
)
