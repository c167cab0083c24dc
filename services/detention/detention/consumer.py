"""Detention's worker process: the outbox relay, the event consumers and the timed jobs
(capacity refresh when blocks expire, legal-clock alerts).

    python -m detention.consumer

SIGTERM/SIGINT stop it cleanly.
"""

from __future__ import annotations

from detention import bootstrap, clocks, handlers, occupancy, repository, stay_events
from detention.bootstrap import Deps
from detention.config import SERVICE, load_settings
from passage import metrics
from passage.bus.consumer import INBOX_INDEXES, EventConsumer, Subscription
from passage.bus.outbox import OutboxRelay
from passage.config import Settings
from passage.logs import configure_logging
from passage.worker import ServiceWorker

CAPACITY_REFRESH_SECONDS = 60.0
DEADLINE_SCAN_SECONDS = 300.0


def subscriptions(deps: Deps) -> list[Subscription]:
    """Readmission outcomes set a planned release or close the stay; a confirmed voluntary departure
    closes it. Each handler writes with the consumer's session (one transaction with the inbox)."""
    store, clock = deps.stay_store, deps.clock
    readmitted = stay_events.close_stay(
        store, clock, deps.rules_for, "readmitted", "transferred_at"
    )
    departed = stay_events.close_stay(
        store, clock, deps.rules_for, "voluntary_return", "departed_at"
    )
    return [
        Subscription(
            "detention.readmission_outcomes",
            {
                "readmission.request.accepted.v1": stay_events.plan_release(
                    store, clock, "transfer_due_on"
                ),
                "readmission.request.deemed_accepted.v1": stay_events.plan_release(
                    store, clock, "transfer_due_on"
                ),
                "readmission.request.deemed_acceptance_reversed.v1": stay_events.reverse_deemed_acceptance(
                    store, clock
                ),
                "readmission.transfer.scheduled.v1": stay_events.plan_release(
                    store, clock, "scheduled_for"
                ),
                "readmission.transfer.completed.v1": readmitted,
            },
        ),
        Subscription(
            "detention.voluntary_return_departures",
            {"voluntary_return.departure.confirmed.v1": departed},
        ),
    ]


def build_worker(settings: Settings, deps: Deps | None = None) -> ServiceWorker:
    deps = deps or bootstrap.build(settings)
    relay = OutboxRelay(deps.mongo, deps.publisher, repository.OUTBOX_COLLECTIONS)
    subs = subscriptions(deps)
    consumer = (
        EventConsumer(settings.broker_url, deps.topology, deps.mongo, deps.publisher, subs)
        if subs
        else None
    )
    rolled: set[str] = set()  # the daily documents this worker already made sure of
    jobs = {
        "capacity_refresh": (
            CAPACITY_REFRESH_SECONDS,
            lambda: handlers.refresh_capacities(deps.repository, deps.clock()),
        ),
        "occupancy_roll": (CAPACITY_REFRESH_SECONDS, lambda: roll_today(deps, rolled)),
        "deadline_alerts": (
            DEADLINE_SCAN_SECONDS,
            lambda: stay_events.emit_deadlines(deps.stay_store, deps.clock(), deps.rules_for),
        ),
        "capacity_gauges": (CAPACITY_REFRESH_SECONDS, lambda: capacity_gauges(deps)),
    }
    return ServiceWorker(
        deps.mongo, [*repository.indexes(), *INBOX_INDEXES], relay, consumer, jobs, deps=deps
    )


def roll_today(deps: Deps, known: set[str] | None = None) -> int:
    """Today's daily occupancy document for every unit (see ``occupancy.roll_day``)."""
    now = deps.clock()
    return occupancy.roll_day(
        deps.mongo, clocks.local_day(now, deps.rules_for(now.date()).time_zone).isoformat(), known
    )


def capacity_gauges(deps: Deps) -> int:
    """Places and people held per unit, for the operators' dashboards (one read of the units)."""
    units = deps.mongo.collection(repository.UNITS).find(
        {}, {"centre_id": 1, "capacity": 1, "occupancy": 1}
    )
    count = 0
    for unit in units:
        labels = (str(unit.get("centre_id", "")), str(unit["_id"]))
        metrics.unit_capacity.labels(*labels).set(float(unit.get("capacity") or 0))
        metrics.unit_occupancy.labels(*labels).set(float(unit.get("occupancy") or 0))
        count += 1
    return count


def main() -> None:
    settings = load_settings()
    configure_logging(f"{SERVICE}-worker", settings.log_level)
    build_worker(settings).run()


if __name__ == "__main__":
    main()
