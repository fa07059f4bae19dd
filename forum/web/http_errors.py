"""Domain errors and HTTP errors → responses: JSON under /api/, a calm page elsewhere.

The one place where a use case's typed error (forum/errors.py) becomes an HTTP answer, for the
pages and the API alike (also for URLs no blueprint owns, hence app-wide handlers).
"""

from __future__ import annotations

from flask import Flask, jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from ..errors import ForumError

_HTTP_CODES = {
    400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
    405: "method_not_allowed", 409: "conflict", 413: "too_large", 415: "unsupported_media_type",
    422: "invalid", 429: "rate_limited",
}


def _wants_json() -> bool:
    return request.path.startswith("/api/")


def register(app: Flask) -> None:
    @app.errorhandler(ForumError)
    def forum_error(error: ForumError):
        if _wants_json():
            return jsonify(error.to_dict()), error.status
        return render_template("error.html", status=error.status, message=error.message), error.status

    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError):
        message = "This form expired or came from somewhere else. Please go back, reload and try again."
        return render_template("error.html", status=400, message=message), 400

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        status = error.code or 500
        if status == 429:
            message = "That's a lot of requests in a short time. Please wait a minute and try again."
        else:
            message = error.description or error.name
        if _wants_json():
            code = _HTTP_CODES.get(status, "error")
            return jsonify({"error": code, "message": message}), status
        return render_template("error.html", status=status, message=message), status
