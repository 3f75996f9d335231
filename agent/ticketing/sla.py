"""Whether a ticket kept its service-level deadlines: one rule for the engine, the CLI and the reports.

The service standard (docs/service-standard.md section 3) sets two deadlines per ticket:

- respond by ``due_response``: met when the ticket was acknowledged *or resolved* at or
  before it. A problem that recovered (or was fixed) before anyone acknowledged it was
  answered in time; reporting it as a breach would tell the customer the opposite of what
  happened.
- resolve by ``due_resolve``: met when it was resolved at or before it.

A deadline that has not come yet and has not been met is ``pending``; one that has passed
unmet is ``breached`` whether or not the engine has noticed yet. Pure functions, no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

Outcome = Literal["met", "breached", "pending"]
Overall = Literal["met", "breached", "open"]


@dataclass(frozen=True, slots=True)
class SlaStatus:
    response: Outcome
    resolve: Outcome

    @property
    def overall(self) -> Overall:
        """breached when either deadline was missed, met when both were kept, else open."""
        if "breached" in (self.response, self.resolve):
            return "breached"
        return "met" if self.response == self.resolve == "met" else "open"


def responded_at(acknowledged_at: datetime | None, resolved_at: datetime | None) -> datetime | None:
    """The first answer to the ticket: an acknowledgement or the resolution, whichever came first."""
    answers = [t for t in (acknowledged_at, resolved_at) if t is not None]
    return min(answers) if answers else None


def deadline(done_at: datetime | None, due: datetime | None, now: datetime) -> Outcome:
    """``due`` None: a ticket without that deadline (a backend that reported none) cannot miss it."""
    if due is None:
        return "met" if done_at is not None else "pending"
    if done_at is not None:
        return "met" if done_at <= due else "breached"
    return "breached" if now > due else "pending"


def sla_status(*, due_response: datetime | None, due_resolve: datetime | None, acknowledged_at: datetime | None,
               resolved_at: datetime | None, now: datetime) -> SlaStatus:
    return SlaStatus(response=deadline(responded_at(acknowledged_at, resolved_at), due_response, now),
                     resolve=deadline(resolved_at, due_resolve, now))
