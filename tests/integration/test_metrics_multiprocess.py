"""One scrape of /metrics counts the requests of every gunicorn worker, not only the one
answering."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests

from passage.testing import free_port, wait_for

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
SERIES = re.compile(r"^passage_http_requests_total\{([^}]*)\} ([0-9.e+]+)$", re.M)


@pytest.fixture
def two_workers(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """The probe app under gunicorn with two workers sharing a multiprocess metrics directory."""
    port = free_port()
    metrics_dir = tmp_path / "metrics"
    env = {
        **os.environ,
        "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir),
        "WEB_CONCURRENCY": "2",
        "PASSAGE_THREADS": "2",
    }
    log = open(tmp_path / "gunicorn.log", "wb")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "-c",
            str(ROOT / "gateway" / "gunicorn.conf.py"),
            "--bind",
            f"127.0.0.1:{port}",
            "--pythonpath",
            str(HERE),
            "metrics_app:create_app()",
        ],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for(
            lambda: _up(base) or proc.poll() is not None, timeout=60, message="gunicorn to answer"
        )
        assert proc.poll() is None, (tmp_path / "gunicorn.log").read_text()[-2000:]
        yield base, metrics_dir
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        log.close()


def _up(base: str) -> bool:
    try:
        return requests.get(f"{base}/healthz", timeout=2).status_code == 200
    except requests.RequestException:
        return False


def _get_pid(url: str) -> int:
    with (
        requests.Session() as session
    ):  # a fresh connection each time, so either worker may take it
        response = session.get(url, timeout=10, headers={"Connection": "close"})
    assert response.status_code == 200
    return int(response.json()["pid"])


def _counted(text: str, route: str) -> float:
    return sum(
        float(value)
        for labels, value in SERIES.findall(text)
        if f'route="{route}"' in labels and 'status="200"' in labels
    )


def test_a_scrape_sums_the_requests_of_both_workers(two_workers: tuple[str, Path]) -> None:
    base, metrics_dir = two_workers
    sent, pids = 0, set()
    with ThreadPoolExecutor(max_workers=8) as pool:
        while len(pids) < 2 or sent < 40:
            assert sent < 2000, "every request went to one worker; the test cannot show the sum"
            pids.update(pool.map(_get_pid, [f"{base}/things/t-{sent + i}" for i in range(20)]))
            sent += 20
    assert len(pids) == 2
    assert any(metrics_dir.iterdir()), "no per-process metric files were written"
    for _ in range(6):  # whichever worker answers the scrape, it reports every worker's count
        scrape = requests.get(f"{base}/metrics", timeout=10)
        assert scrape.status_code == 200
        assert _counted(scrape.text, "/things/<thing_id>") == sent
        assert "t-1" not in scrape.text  # raw paths (with their ids) are never labels
