"""Keeping ``visit_slots`` in step with what decides them.

The definitions live in ``fieldapp.stats.visit_rate``; this module writes them down as rows:

- **Which slots exist** depends on the assignment (dates, cadence, holder, unit), on the firm's
  closing day and on the project's stage history. Any change to those regenerates the slots of
  the assignments concerned (``refresh_assignments``).
- **What a slot holds** (countable and pending visits, the last countable visit) depends on the
  target's visits. A visit filed, reviewed, superseded or deleted recounts the slots of its
  target that contain its capture time (``recount``), from the visits table itself, so a count
  can never drift from the visits it summarises.
- **How far ahead**: calendar slots are written up to ``slot_horizon.through`` (the end of a
  quarter). A report for a later period first moves the horizon on; the cron job
  ``flask slots extend`` does it ahead of time so no report waits.

Both kinds of change are picked up from the ORM session at flush (``after_flush``) by the hooks
``install`` puts on the application's session at start (``create_app``, beside the audit
recorder), so every write path, present and future, keeps the rows right without remembering
to. Writes that bypass
the ORM (bulk COPY imports) call ``rebuild`` afterwards. On PostgreSQL a transaction-scoped
advisory lock per target orders a visit's recount against a concurrent regeneration of the same
target's slots, so neither can miss the other's committed rows.

The parts: ``generation`` (which rows exist), ``recount`` (what they hold), ``hooks`` (the ORM
flush hooks).
"""

from fieldapp.stats.slots.generation import (
    CALENDAR,
    extend,
    horizon,
    quarter_end,
    rebuild,
    refresh_assignments,
    slot_rows,
)
from fieldapp.stats.slots.hooks import install
from fieldapp.stats.slots.recount import recount, recount_at

__all__ = ["CALENDAR", "extend", "horizon", "install", "quarter_end", "rebuild", "recount",
           "recount_at", "refresh_assignments", "slot_rows"]
