"""Timed-job runs are counted by outcome; event labels stay few (type without version)."""

from __future__ import annotations

import threading

from prometheus_client import REGISTRY

from passage.metrics import event_type
from passage.worker import every


def _runs(job: str, outcome: str) -> float:
    return (
        REGISTRY.get_sample_value("passage_clock_runs_total", {"job": job, "outcome": outcome})
        or 0.0
    )


def test_every_run_of_a_timed_job_is_counted_ok_or_failed() -> None:
    stop, calls = threading.Event(), []

    def flaky() -> None:
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("database away")
        if len(calls) >= 3:
            stop.set()

    before_ok, before_failed = _runs("probe_job", "ok"), _runs("probe_job", "failed")
    every(0.0, flaky, "probe_job")(stop)
    assert (_runs("probe_job", "ok") - before_ok, _runs("probe_job", "failed") - before_failed) == (
        2,
        1,
    )


def test_event_labels_drop_the_version_and_keep_other_names() -> None:
    assert event_type("detention.stay.opened.v1") == "detention.stay.opened"
    assert event_type("readmission.detention_location") == "readmission.detention_location"
