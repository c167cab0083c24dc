"""Event envelope and the registry of event types, versions and their JSON Schemas."""

from passage.events.envelope import Envelope, new_event
from passage.events.registry import EventInvalid, registry, validate_event

__all__ = ["Envelope", "EventInvalid", "new_event", "registry", "validate_event"]
