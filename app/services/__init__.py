"""Use cases shared by GraphQL resolvers, the report endpoint, jobs and background loops.

The transaction rule, followed everywhere:
- A **building block** takes the caller's `AsyncSession`, reads and writes through it, may flush,
  and never commits or rolls back (e.g. `checks.create_check`, `run_state.decide`).
- A **use case** owns its transactions: it is given a session factory (or a session it opened
  itself for that purpose, as the report batcher and the sweeps do), commits what it decided, and
  only then acts on it: announces decisions, enqueues follow-up jobs, publishes nudges. It never
  holds a transaction open across a call to Kubernetes.
- The GraphQL layer is a use case's caller that opens `session_factory.begin()` around one
  mutation; the error raised inside rolls it back.
- Whoever commits a transaction that appended to the event log (`history`, through `run_state`
  or directly) then calls `EventNudges.events_appended()` (`app/services/ports.py`; the GraphQL
  layer through its dispatcher): readers of the log, such as live updates, wake up at once
  instead of at their next poll.
"""
