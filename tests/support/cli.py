"""Running the app's command line the way an operator does."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from forum import PROJECT_ROOT


def flask_command(database_url: str, *args: str, stdin: str | None = None,
                  instance: Path | None = None) -> subprocess.CompletedProcess:
    """Run `flask --app wsgi ARGS` the way an operator would, against DATABASE_URL."""
    env = {
        **os.environ,
        "FORUM_DATABASE_URL": database_url,
        "FORUM_SECRET_KEY": "migration-test-secret",
        "FORUM_MODERATION_SCREENING": "off",
        "FORUM_ENV": "development",
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
    }
    return subprocess.run(
        [sys.executable, "-m", "flask", "--app", "wsgi", *args],
        cwd=PROJECT_ROOT, env=env, input=stdin, capture_output=True, text=True, timeout=300,
        check=False,
    )
