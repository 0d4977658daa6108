"""What the run lifecycle's use cases need from the process they run in (the `Runtime` provides
it): they depend on this, not on the composition root."""

from __future__ import annotations

from typing import Protocol

from app.adapters.kube import KubeError, KubeGateway
from app.adapters.queue import JobQueue
from app.db import SessionFactory
from app.keyring import Keyring
from app.settings import Settings

# How the API reaches clusters (deleting one reaps its pods first); None where it cannot.
ClusterAccess = KubeGateway
# A cluster's API failed (or its credentials cannot be used): the outside world, not a bug.
ClusterApiError = KubeError


class EventNudges(Protocol):
    def events_appended(self) -> None:
        """Call after a commit that appended to the event log: wakes its readers. It never
        waits and never fails; a nudge that is lost only delays them (they also poll)."""
        ...


class Execution(Protocol):
    @property
    def settings(self) -> Settings: ...

    @property
    def session_factory(self) -> SessionFactory:
        """Monitoring's database (never the API's)."""
        ...

    @property
    def queue(self) -> JobQueue: ...

    @property
    def kube(self) -> KubeGateway: ...

    @property
    def keyring(self) -> Keyring: ...

    @property
    def event_nudges(self) -> EventNudges: ...

    def require_public_url(self) -> str: ...
