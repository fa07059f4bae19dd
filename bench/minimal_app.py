"""The yardstick for bench/thread_page_rps.py: the smallest Flask app, one route answering "ok".

Served by gunicorn (`minimal_app:app`) beside the forum so both are measured on the same
machine in the same run; running this file on its own does nothing.
"""

from flask import Flask

app = Flask(__name__)


@app.get("/")
def ok() -> str:
    return "ok"
