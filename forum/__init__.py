"""nocontact-forum: a peer-support forum for people going No Contact."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def create_app(config: dict[str, Any] | None = None) -> Flask:
    app = Flask(
        __name__,
        instance_path=str((config or {}).get("INSTANCE_PATH", PROJECT_ROOT / "instance")),
        instance_relative_config=True,
        template_folder=str(PROJECT_ROOT / "templates"),
    )
    register_config(app, config or {})
    register_proxies(app)
    register_input_boundary(app)
    register_after_response(app)
    register_extensions(app)
    register_pages(app)
    register_api(app)
    register_cli(app)
    return app


def register_config(app: Flask, overrides: dict[str, Any]) -> None:
    from .config import load_config

    app.config.update(load_config(Path(app.instance_path)))
    app.config.update(overrides)


def register_proxies(app: Flask) -> None:
    """Behind FORUM_TRUSTED_PROXIES proxies, believe their X-Forwarded-For/-Proto/-Host, so
    rate limits see each visitor's own address (not the proxy's) and links use https."""
    hops = app.config.get("TRUSTED_PROXIES", 0)
    if hops:
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)


def register_after_response(app: Flask) -> None:
    from . import after_response

    after_response.register(app)


def register_input_boundary(app: Flask) -> None:
    from . import boundary

    boundary.register(app)


def register_extensions(app: Flask) -> None:
    from .extensions import csrf, db, limiter, migrate, use_write_ahead_log

    db.init_app(app)
    use_write_ahead_log(app)
    migrate.init_app(app, db, directory=str(PROJECT_ROOT / "migrations"))
    csrf.init_app(app)
    limiter.init_app(app)


def register_pages(app: Flask) -> None:
    """Page blueprints, error pages (JSON under /api/), template filters, security headers."""
    from . import web

    web.register(app)


def register_api(app: Flask) -> None:
    from . import api

    api.register(app)


def register_cli(app: Flask) -> None:
    from .cli import register

    register(app)
