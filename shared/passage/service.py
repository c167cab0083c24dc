"""The one service skeleton: a :class:`ServiceSpec` says what a service is made of, and
:func:`create_app` / :func:`build_worker` / :func:`run_worker` build its two processes from it.

Every service has the same shape (DESIGN §7): ``domain`` (rules, no framework), ``handlers``
(commands), ``event_handlers`` (what it does when another service's event arrives), ``timers``
(clock jobs), ``adapters`` (storage, bus), ``web`` (blueprints, schemas, its error table) and a
composition root, ``service.py``, that declares the spec. ``app.py`` and ``worker.py`` are two
lines each on top of this module, so the processes of all services start, log, check readiness,
create indexes and stop the same way.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Generic, Protocol, TypeVar

from passage.errors import ErrorTable

if TYPE_CHECKING:
    from flask import Flask
    from flask_smorest import Blueprint

    from passage.bus.consumer import Subscription
    from passage.bus.publisher import Publisher
    from passage.bus.topology import Topology
    from passage.config import Settings
    from passage.mongo import Index, Mongo
    from passage.worker import ServiceWorker


class CoreDeps(Protocol):
    """What every service's dependencies carry, whatever else they hold."""

    @property
    def settings(self) -> Settings: ...
    @property
    def mongo(self) -> Mongo: ...
    @property
    def topology(self) -> Topology: ...
    @property
    def publisher(self) -> Publisher: ...


D = TypeVar("D", bound=CoreDeps)

#: Seconds the worker's relay leaves a document its change stream reported to the writer's own
#: prompt relay before looking itself (``passage.bus.outbox``).
STREAM_GRACE = 1.0

#: A timed job: run every ``seconds``; the callable does one round and returns what it did.
Job = tuple[float, Callable[[], object]]


def _no_subscriptions(_deps: object) -> list[Subscription]:
    return []


def _no_jobs(_deps: object) -> dict[str, Job]:
    return {}


@dataclass(frozen=True)
class ServiceSpec(Generic[D]):
    """Everything the skeleton needs to know about one service.

    ``import_name`` is the module Flask takes its root path from (a module, not the package: the
    editable install makes the package a namespace package). ``extension`` is the key under which
    the web layer finds the dependencies (``current_app.extensions[extension]``).
    """

    name: str
    import_name: str
    title: str
    description: str
    extension: str
    load_settings: Callable[[], Settings]
    build_deps: Callable[[Settings], D]
    blueprints: Sequence[Blueprint]
    indexes: Callable[[], list[Index]]
    errors: ErrorTable = field(default_factory=dict)
    outbox_collections: Sequence[str] = ()
    subscriptions: Callable[[D], list[Subscription]] = _no_subscriptions
    jobs: Callable[[D], Mapping[str, Job]] = _no_jobs


def create_app(
    spec: ServiceSpec[D], settings: Settings | None = None, deps: D | None = None
) -> Flask:
    """The service's API app; ``deps`` lets tests hand in their own adapters (clock, rules)."""
    from passage.logs import configure_logging
    from passage.problems import register_error_table
    from passage.web import build_app, ensure_indexes_before_first_request

    settings = settings or (deps.settings if deps is not None else spec.load_settings())
    configure_logging(spec.name, settings.log_level)
    deps = deps if deps is not None else spec.build_deps(settings)
    app, smorest = build_app(
        spec.import_name,
        title=spec.title,
        description=spec.description,
        max_body_bytes=settings.max_body_bytes,
        internal_secret=settings.internal_token_secret,
        readiness={"mongo": deps.mongo.ping, "broker": deps.publisher.ping},
        idempotency=deps.mongo,
    )
    app.extensions[spec.extension] = deps
    for blueprint in spec.blueprints:
        smorest.register_blueprint(blueprint)
    register_error_table(app, spec.errors)
    ensure_indexes_before_first_request(app, deps.mongo, spec.indexes())
    if spec.outbox_collections:
        _relay_after_each_request(app, spec, deps, settings.relay_after_commit)
    return app


def _relay_after_each_request(app: Flask, spec: ServiceSpec[D], deps: D, prompt: bool) -> None:
    """When each request ends, this process's :class:`~passage.bus.outbox.PromptRelay` publishes
    the events it committed (when ``prompt``); either way the request's announcements end with it,
    so none leaks into the next request on the same thread. A request that failed committed
    nothing: its relay's look finds nothing, which is cheaper than telling the two apart."""
    from passage.bus import outbox

    relay = (
        outbox.PromptRelay(
            outbox.OutboxRelay(deps.mongo, deps.publisher, list(spec.outbox_collections))
        )
        if prompt
        else None
    )

    @app.teardown_request
    def publish_what_was_committed(_exc: BaseException | None) -> None:
        announced, committed = outbox.take_announced(), outbox.take_committed()
        if relay is not None and announced:
            relay.notify(announced, committed)


def build_worker(
    spec: ServiceSpec[D], settings: Settings | None = None, deps: D | None = None
) -> ServiceWorker:
    """The service's worker: outbox relay, event consumer (if it subscribes) and timed jobs."""
    from passage.bus.consumer import INBOX_INDEXES, EventConsumer
    from passage.bus.outbox import OutboxRelay
    from passage.worker import ServiceWorker

    settings = settings or (deps.settings if deps is not None else spec.load_settings())
    deps = deps if deps is not None else spec.build_deps(settings)
    # With prompt relays in the API processes, the stream's news can wait: they settle first.
    grace = STREAM_GRACE if settings.relay_after_commit else 0.0
    relay = OutboxRelay(
        deps.mongo, deps.publisher, list(spec.outbox_collections), stream_grace=grace
    )
    subscriptions = spec.subscriptions(deps)
    consumer = (
        EventConsumer(settings.broker_url, deps.topology, deps.mongo, deps.publisher, subscriptions)
        if subscriptions
        else None
    )
    indexes = {(i.collection, i.name): i for i in [*spec.indexes(), *INBOX_INDEXES]}
    return ServiceWorker(
        deps.mongo, list(indexes.values()), relay, consumer, dict(spec.jobs(deps)), deps=deps
    )


def run_worker(spec: ServiceSpec[D]) -> None:
    """The worker process's main: logs, builds and runs until SIGTERM/SIGINT."""
    from passage.logs import configure_logging

    settings = spec.load_settings()
    configure_logging(f"{spec.name}-worker", settings.log_level)
    build_worker(spec, settings).run()
