"""The data benchmarks' plumbing: each figure runs in a fresh Python process.

A worker runs as ``data.py worker NAME JSON`` and prints one line of JSON on standard
output; ``run_worker`` starts it with the app's production settings and reads that line.
Progress goes to standard error.
"""

import importlib.util
import json
import os
import resource
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = Path(__file__).with_name("data.py")  # its `worker` command runs one worker
SENDER = "For Syria <noreply@example.org>"


def log(message):
    print(f"  [data] {message}", file=sys.stderr, flush=True)


def database_kind(database_url):
    return "sqlite" if database_url.startswith("sqlite") else "postgresql"


def make_workdir(workdir, name):
    base = Path(workdir) if workdir else Path(tempfile.mkdtemp(prefix="forsyria-data-"))
    path = base / "data" / name
    path.mkdir(parents=True, exist_ok=True)
    return path


def profile_path(profile, name):
    if not profile:
        return None
    Path(profile).mkdir(parents=True, exist_ok=True)
    return str(Path(profile) / f"{name}.prof")


def app_env(database_url, extra=None):
    """Production settings, as ``bench/servers.py`` gives the app under test."""
    return {
        **os.environ,
        "APP_ENV": "production",
        "SECRET_KEY": "bench-" + "s" * 60,
        "DATABASE_URL": database_url,
        "BASE_URL": "https://forsyria.example.org",
        "MAIL_DEFAULT_SENDER": SENDER,
        "LOG_LEVEL": "WARNING",
        "LOG_FORMAT": "text",
        "TWO_FACTOR_REQUIRED": "false",
        **(extra or {}),
    }


def run_worker(name, database_url, *, extra_env=None, **arguments):
    """Run worker ``name`` in a fresh Python process; return what it printed (a dict)."""
    result = subprocess.run(
        [sys.executable, str(SCRIPT), "worker", name, json.dumps(arguments)],
        cwd=ROOT,
        env=app_env(database_url, extra_env),
        stdout=subprocess.PIPE,
        text=True,
        check=False,
    )
    if result.returncode:
        raise RuntimeError(f"bench/data.py worker {name} failed ({result.returncode})")
    return json.loads(result.stdout.strip().splitlines()[-1])


def peak_mib():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def create_app():
    if importlib.util.find_spec("conference") is None:  # not installed in this Python
        sys.path.insert(0, str(ROOT))
    from conference import create_app as create

    return create()


def profiled(path, function):
    if not path:
        return function()
    import cProfile

    profiler = cProfile.Profile()
    try:
        return profiler.runcall(function)
    finally:
        profiler.dump_stats(path)
