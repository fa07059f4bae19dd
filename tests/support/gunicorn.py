"""Real gunicorn for tests and bench/: start it with gunicorn.conf.py, stop it cleanly."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def start_gunicorn(env: dict[str, str], log: Path, *extra: str,
                   root: Path = PROJECT_ROOT) -> subprocess.Popen:
    """`gunicorn -c gunicorn.conf.py wsgi:app` from the project root (or another copy of the
    project, for before/after benchmarks), output to ``log``."""
    with log.open("ab") as log_file:
        return subprocess.Popen(
            [str(Path(sys.executable).parent / "gunicorn"), "-c", "gunicorn.conf.py", *extra,
             "wsgi:app"],
            cwd=root, env=env, stdout=log_file, stderr=subprocess.STDOUT,
        )


def stop_gunicorn(server: subprocess.Popen, timeout: float = 30) -> None:
    """SIGTERM (a graceful stop), then SIGKILL if it has not stopped in ``timeout`` seconds."""
    server.terminate()
    try:
        server.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


def worker_pids(master: int) -> list[int]:
    out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(master)], capture_output=True,
                         text=True, check=False).stdout
    return [int(pid) for pid in out.split()]
