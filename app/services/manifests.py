"""`apply` and `export` of Kuberhealthy manifests, through the same check use cases as the API.

Applying takes two passes. First each document is tried alone in a transaction that is always
rolled back: the check services validate it exactly as they validate an API call, and the
outcome (created, updated, unchanged, invalid) and its diff are known. Then, unless this is a dry
run or a document was invalid (and `partial` was not asked for), the changes are made again in
one transaction that commits. Unlike the other check use cases it opens its own transactions.
"""

from __future__ import annotations

import asyncio
import enum
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.db import SessionFactory
from app.domain.duration import format_duration
from app.domain.kuberhealthy.diff import spec_diff
from app.domain.kuberhealthy.manifests import (
    DocumentRef,
    ManifestError,
    ParsedDocument,
    manifest_field,
    parse_stream,
)
from app.domain.kuberhealthy.spec import CheckSpec
from app.errors import InvalidInput, PatrolError
from app.models import Check, Cluster, RunTrigger
from app.models.columns import utcnow
from app.services import checks, trigger
from app.services.clusters import resolve_cluster_ids

MAX_SOURCE_LENGTH = 1024


class ApplyAction(enum.StrEnum):
    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"
    DELETED = "deleted"
    SKIPPED = "skipped"
    INVALID = "invalid"


@dataclass(frozen=True, slots=True)
class ManifestFile:
    name: str
    text: str


@dataclass(frozen=True, kw_only=True)
class ApplyOptions:
    source: str
    dry_run: bool = False
    prune: bool = False
    partial: bool = False
    # The clusters a new check runs in; None: every registered cluster. Existing checks keep theirs.
    cluster_ids: list[uuid.UUID] | None = None


@dataclass(kw_only=True)
class DocumentOutcome:
    action: ApplyAction
    ref: DocumentRef | None = None  # None for a pruned check
    kind: str | None = None
    namespace: str | None = None
    name: str | None = None
    diff: str = ""
    notes: list[str] = field(default_factory=list)
    error: ManifestError | None = None
    check_id: uuid.UUID | None = None
    spec: CheckSpec | None = None


@dataclass(frozen=True, kw_only=True)
class ApplyResult:
    outcomes: list[DocumentOutcome]
    applied: bool
    run_ids: list[uuid.UUID]

    @property
    def invalid(self) -> list[DocumentOutcome]:
        return [o for o in self.outcomes if o.action is ApplyAction.INVALID]


def spec_of(check: Check) -> CheckSpec:
    return CheckSpec(
        name=check.name,
        namespace=check.namespace,
        timeout=timedelta(seconds=check.timeout_seconds),
        run_interval=None
        if check.run_interval_seconds is None
        else timedelta(seconds=check.run_interval_seconds),
        pod_spec=check.pod_spec,
        extra_labels=check.extra_labels,
        extra_annotations=check.extra_annotations,
        labels=check.labels,
    )


async def apply_manifests(
    session_factory: SessionFactory, files: Sequence[ManifestFile], options: ApplyOptions
) -> ApplyResult:
    _validate_source(options.source)
    # A megabyte of YAML takes a while to read: not on the event loop.
    documents = await asyncio.to_thread(_parse_all, files)
    outcomes = _first_definitions(documents)
    async with session_factory() as session:
        cluster_ids = await _target_clusters(session, options.cluster_ids)
        existing = await _existing_checks(session, [o.spec for o in outcomes if o.spec])
    for outcome in outcomes:
        if outcome.action is ApplyAction.CREATED and outcome.spec is not None:
            current = existing.get(outcome.spec.key)
            if not _compare(outcome, current, options.source):
                await _try(session_factory, outcome, options.source, cluster_ids)
    if options.prune:
        outcomes += await _prunable(session_factory, outcomes, options.source)
    if options.dry_run or (
        not options.partial and any(o.action is ApplyAction.INVALID for o in outcomes)
    ):
        return ApplyResult(outcomes=outcomes, applied=False, run_ids=[])
    async with session_factory.begin() as session:
        run_ids = [
            run_id
            for outcome in outcomes
            for run_id in await _make(session, outcome, options.source, cluster_ids)
        ]
    return ApplyResult(outcomes=outcomes, applied=True, run_ids=run_ids)


async def export_specs(session: AsyncSession, *, source: str | None = None) -> list[CheckSpec]:
    query = select(Check).order_by(col(Check.namespace), col(Check.name))
    if source is not None:
        query = query.where(Check.source == source)
    return [spec_of(check) for check in (await session.exec(query)).all()]


def _parse_all(files: Sequence[ManifestFile]) -> list[ParsedDocument]:
    return [document for file in files for document in parse_stream(file.text, file.name)]


def _validate_source(source: str) -> None:
    if not source.strip() or len(source) > MAX_SOURCE_LENGTH:
        raise InvalidInput(
            f"source: 1 to {MAX_SOURCE_LENGTH} characters, got {len(source)}", field="source"
        )


def _first_definitions(documents: list[ParsedDocument]) -> list[DocumentOutcome]:
    """One outcome per document; a check defined twice is invalid the second time. CREATED
    stands for "to be tried" until the trial says what it is."""
    seen: dict[str, tuple[int, DocumentRef]] = {}
    outcomes: list[DocumentOutcome] = []
    for position, document in enumerate(documents):
        outcome = DocumentOutcome(
            action=ApplyAction.CREATED,
            ref=document.ref,
            kind=document.kind,
            notes=list(document.notes),
            error=document.error,
            spec=document.spec,
        )
        if document.spec is not None:
            outcome.namespace, outcome.name = document.spec.namespace, document.spec.name
            first, where = seen.setdefault(document.spec.key, (position, document.ref))
            if first != position:
                outcome.error = ManifestError(
                    "metadata.name", f"{document.spec.key} is already defined at {where}"
                )
        if outcome.error is not None:
            outcome.action = ApplyAction.INVALID
        elif document.skipped:
            outcome.action = ApplyAction.SKIPPED
        outcomes.append(outcome)
    return outcomes


async def _target_clusters(
    session: AsyncSession, wanted: list[uuid.UUID] | None
) -> list[uuid.UUID]:
    if wanted is not None:
        return await resolve_cluster_ids(session, wanted)
    return list((await session.exec(select(Cluster.id).order_by(col(Cluster.name)))).all())


async def _existing_checks(session: AsyncSession, specs: Sequence[CheckSpec]) -> dict[str, Check]:
    """The checks the documents name, in one query per few hundred names."""
    found: dict[str, Check] = {}
    names = sorted({spec.name for spec in specs})
    wanted = {spec.key for spec in specs}
    for start in range(0, len(names), 500):
        query = select(Check).where(col(Check.name).in_(names[start : start + 500]))
        for check in (await session.exec(query)).all():
            key = f"{check.namespace}/{check.name}"
            if key in wanted:
                found[key] = check
    return found


def _compare(outcome: DocumentOutcome, existing: Check | None, source: str) -> bool:
    """Fill in the diff and, for an existing check, whether it changes; True when it does not
    (nothing is left to try)."""
    assert outcome.spec is not None
    if existing is None:
        outcome.diff = spec_diff(None, outcome.spec, outcome.spec.key)
        return False
    outcome.check_id = existing.id
    current = spec_of(existing)
    if current == outcome.spec and existing.source == source:
        outcome.action = ApplyAction.UNCHANGED
        return True
    outcome.diff = spec_diff(current, outcome.spec, outcome.spec.key)
    outcome.action = ApplyAction.UPDATED
    if existing.source != source:
        outcome.notes.append(
            f"taken over from {_source_name(existing.source)}: "
            "`apply --prune` of that source no longer deletes it"
        )
    return False


async def _try(
    session_factory: SessionFactory,
    outcome: DocumentOutcome,
    source: str,
    cluster_ids: list[uuid.UUID],
) -> None:
    """Validate one creation or update with the check services, writing nothing."""
    assert outcome.spec is not None
    async with session_factory() as session:
        try:
            await _write(session, outcome, source, cluster_ids)
        except PatrolError as error:
            outcome.action = ApplyAction.INVALID
            outcome.error = _manifest_error(outcome.kind, error)
        finally:
            await session.rollback()


async def _write(
    session: AsyncSession,
    outcome: DocumentOutcome,
    source: str,
    cluster_ids: list[uuid.UUID],
) -> Check:
    spec = outcome.spec
    assert spec is not None
    run_interval = None if spec.run_interval is None else format_duration(spec.run_interval)
    if outcome.action is ApplyAction.UPDATED:
        assert outcome.check_id is not None
        check = await checks.update_check(
            session,
            outcome.check_id,
            checks.CheckChanges(
                pod_spec=spec.pod_spec,
                timeout=format_duration(spec.timeout),
                run_interval=run_interval,
                labels=spec.labels,
                extra_labels=spec.extra_labels,
                extra_annotations=spec.extra_annotations,
            ),
        )
    else:
        check = await checks.create_check(
            session,
            checks.CheckDraft(
                name=spec.name,
                namespace=spec.namespace,
                pod_spec=spec.pod_spec,
                timeout=format_duration(spec.timeout),
                run_interval=run_interval,
                labels=spec.labels,
                extra_labels=spec.extra_labels,
                extra_annotations=spec.extra_annotations,
                cluster_ids=cluster_ids,
            ),
        )
    check.source = source
    await session.flush()
    return check


async def _prunable(
    session_factory: SessionFactory, outcomes: list[DocumentOutcome], source: str
) -> list[DocumentOutcome]:
    if any(o.action is ApplyAction.INVALID and o.spec is None for o in outcomes):
        # A document that could not be read may define any check: deleting would guess.
        return [
            DocumentOutcome(
                action=ApplyAction.SKIPPED,
                notes=[
                    "prune skipped: a document could not be read, so what it defines is unknown"
                ],
            )
        ]
    kept = {o.spec.key for o in outcomes if o.spec is not None}
    async with session_factory() as session:
        found = (await session.exec(select(Check).where(Check.source == source))).all()
    return [
        DocumentOutcome(
            action=ApplyAction.DELETED,
            namespace=check.namespace,
            name=check.name,
            check_id=check.id,
            diff=spec_diff(spec_of(check), None, f"{check.namespace}/{check.name}"),
            notes=[f"pruned: no longer in {source}"],
        )
        for check in found
        if f"{check.namespace}/{check.name}" not in kept
    ]


async def _make(
    session: AsyncSession, outcome: DocumentOutcome, source: str, cluster_ids: list[uuid.UUID]
) -> list[uuid.UUID]:
    """Make one outcome's change for real; a new one-shot check runs once, now."""
    if outcome.action is ApplyAction.DELETED:
        assert outcome.check_id is not None
        await checks.delete_check(session, outcome.check_id)
        return []
    if outcome.action not in (ApplyAction.CREATED, ApplyAction.UPDATED):
        return []
    check = await _write(session, outcome, source, cluster_ids)
    outcome.check_id = check.id
    if outcome.action is ApplyAction.CREATED and check.run_interval_seconds is None and cluster_ids:
        runs = await trigger.trigger_check(
            session, check.id, None, trigger=RunTrigger.API, now=utcnow()
        )
        return [run.id for run in runs]
    return []


def _manifest_error(kind: str | None, error: PatrolError) -> ManifestError:
    """The service's error, its field renamed to the manifest's path (and not said twice)."""
    message = error.message
    if error.field and message.startswith(f"{error.field}: "):
        message = message[len(error.field) + 2 :]
    return ManifestError(manifest_field(kind, error.field), message)


def _source_name(source: str | None) -> str:
    return "the API" if source is None else source
