"""Development launcher: the whole Passage stack on one machine (``python -m devstack``).

Not part of any service and imported by none: tests and benchmarks use :class:`Stack`.
"""

from devstack.stack import Stack, StackError

__all__ = ["Stack", "StackError"]
