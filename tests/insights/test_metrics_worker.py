"""`hero365 worker --metrics-port`: a real worker process (its LiveKit server unreachable, which is what this
machine has) serves Prometheus metrics from its job processes' files and the health routes the Kubernetes
probes use."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=2) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, ""


def test_worker_serves_metrics_and_health_routes(tmp_path: Path) -> None:
    health, port, closed = _free_port(), _free_port(), _free_port()
    env = {**os.environ, "LIVEKIT_URL": f"ws://127.0.0.1:{closed}", "LIVEKIT_API_KEY": "test",
           "LIVEKIT_API_SECRET": "test-secret-" + "x" * 32, "DATABASE_URL": f"sqlite:///{tmp_path}/w.db"}
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    hero365 = Path(sys.executable).with_name("hero365")
    proc = subprocess.Popen([str(hero365), "worker", "--kind", "personal", "--port", str(health), "--metrics-port",
                             str(port), "--metrics-dir", str(tmp_path / "metrics")],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
    try:
        status, deadline = 0, time.monotonic() + 60
        while status != 200 and time.monotonic() < deadline:
            assert proc.poll() is None, proc.stderr.read().decode()[-2000:] if proc.stderr else "worker exited"
            try:
                status, text = _get(f"http://127.0.0.1:{port}/metrics")
            except OSError:
                time.sleep(0.2)
        assert status == 200
        list(text_string_to_metric_families(text))  # the exposition parses (LiveKit's and every job process's)
        # job processes and the worker write into the folder given (multiprocess mode) for the exporter to merge
        assert (tmp_path / "metrics").is_dir()
        assert os.environ.get("PROMETHEUS_MULTIPROC_DIR") is None  # the test's own process is untouched
        assert _get(f"http://127.0.0.1:{health}/worker")[0] == 200  # liveness probe
        assert _get(f"http://127.0.0.1:{health}/")[0] in (200, 503)  # readiness: 503 once LiveKit is given up on
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=10)
