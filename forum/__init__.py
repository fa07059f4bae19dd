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
    register_input_boundary(app)
    register_extensions(app)
    register_blueprints(app)
    register_error_handlers(app)
    register_template_helpers(app)
    register_security_headers(app)
    register_cli(app)
    return app


def register_config(app: Flask, overrides: dict[str, Any]) -> None:
    from .config import load_config

    instance_path = Path(app.instance_path)
    app.config.update(load_config(instance_path))
    app.config.update(overrides)


def register_input_boundary(app: Flask) -> None:
    from .boundary import register

    register(app)


def register_extensions(app: Flask) -> None:
    from .auth import configure_login
    from .extensions import csrf, db, limiter, migrate

    db.init_app(app)
    migrate.init_app(app, db, directory=str(PROJECT_ROOT / "migrations"))
    csrf.init_app(app)
    limiter.init_app(app)
    configure_login(app)


def register_blueprints(app: Flask) -> None:
    from . import api
    from .account import bp as account_bp
    from .auth import bp as auth_bp
    from .board import bp as board_bp
    from .digest_views import bp as digest_bp
    from .unsubscribe import bp as unsubscribe_bp

    for blueprint in (auth_bp, board_bp, account_bp, unsubscribe_bp, digest_bp):
        app.register_blueprint(blueprint)
    api.register(app)
    # The moderation area: /mod, members' notices.
    from .moderator import bp as moderator_bp
    from .notices import bp as notices_bp

    for blueprint in (moderator_bp, notices_bp):
        app.register_blueprint(blueprint)


def register_error_handlers(app: Flask) -> None:
    from .errorpages import register

    register(app)


def register_template_helpers(app: Flask) -> None:
    from .templating import register

    register(app)


def register_security_headers(app: Flask) -> None:
    from .templating import add_security_headers

    app.after_request(add_security_headers)


def register_cli(app: Flask) -> None:
    from .cli import register

    register(app)
