"""Mutation resolvers: each runs one service use case in one transaction."""

from __future__ import annotations

import strawberry

from app.api.access import guarded_mutation
from app.api.context import Info
from app.api.inputs import (
    CreateCheckInput,
    CreateClusterInput,
    UpdateCheckInput,
    UpdateClusterInput,
    parse_id,
)
from app.api.types import CheckType, ClusterType, RunType
from app.domain.access import Role
from app.models.columns import utcnow
from app.services import checks, cluster_health, cluster_removal, clusters, trigger


@strawberry.type
class Mutation:
    @guarded_mutation(
        Role.ADMIN,
        "Registers a cluster and probes its API once: an unreachable one is registered anyway, "
        "with the problem in health.lastError.",
    )
    async def create_cluster(self, info: Info, input: CreateClusterInput) -> ClusterType:
        draft = input.to_draft()
        async with info.context.session_factory.begin() as session:
            cluster = await clusters.create_cluster(session, draft, info.context.keyring)
        # Selecting checks may have started there: wake schedulers and cluster keepers.
        await info.context.dispatcher.schedules_changed()
        await cluster_health.probe_on_registration(
            info.context.session_factory, info.context.clusters, cluster
        )
        return ClusterType.from_model(cluster)

    @guarded_mutation(Role.ADMIN)
    async def update_cluster(self, info: Info, input: UpdateClusterInput) -> ClusterType:
        cluster_id, changes = parse_id(input.id), input.to_changes()
        async with info.context.session_factory.begin() as session:
            cluster = await clusters.update_cluster(
                session, cluster_id, changes, info.context.keyring
            )
        await info.context.dispatcher.schedules_changed()
        if changes.reconnects:
            await cluster_health.probe_on_registration(
                info.context.session_factory, info.context.clusters, cluster
            )
        return ClusterType.from_model(cluster)

    @guarded_mutation(
        Role.ADMIN,
        "Deletes Patrol's pods in the cluster, then the cluster, its check memberships and its "
        "runs. CLUSTER_UNREACHABLE when the pods cannot be deleted while runs there may still "
        "have some; force: true deletes the cluster anyway and leaves them behind.",
    )
    async def delete_cluster(
        self, info: Info, id: strawberry.ID, force: bool = False
    ) -> strawberry.ID:
        cluster_id = parse_id(id)
        await cluster_removal.remove_cluster(
            info.context.session_factory, info.context.clusters, cluster_id, force=force
        )
        return id

    @guarded_mutation(Role.EDITOR)
    async def create_check(self, info: Info, input: CreateCheckInput) -> CheckType:
        draft = input.to_draft()
        async with info.context.session_factory.begin() as session:
            check = await checks.create_check(session, draft)
        await info.context.dispatcher.checks_changed()
        return CheckType.from_model(check)

    @guarded_mutation(Role.EDITOR)
    async def update_check(self, info: Info, input: UpdateCheckInput) -> CheckType:
        check_id, changes = parse_id(input.id), input.to_changes()
        async with info.context.session_factory.begin() as session:
            check = await checks.update_check(session, check_id, changes)
        await info.context.dispatcher.checks_changed()
        return CheckType.from_model(check)

    @guarded_mutation(Role.EDITOR, "Deletes the check and its runs.")
    async def delete_check(self, info: Info, id: strawberry.ID) -> strawberry.ID:
        check_id = parse_id(id)
        async with info.context.session_factory.begin() as session:
            await checks.delete_check(session, check_id)
        await info.context.dispatcher.checks_changed()
        return id

    @guarded_mutation(Role.EDITOR, "Stops scheduling the check; on-demand runs still work.")
    async def pause_check(self, info: Info, id: strawberry.ID) -> CheckType:
        check_id = parse_id(id)
        async with info.context.session_factory.begin() as session:
            check = await checks.pause_check(session, check_id)
        await info.context.dispatcher.checks_changed()
        return CheckType.from_model(check)

    @guarded_mutation(Role.EDITOR)
    async def resume_check(self, info: Info, id: strawberry.ID) -> CheckType:
        check_id = parse_id(id)
        async with info.context.session_factory.begin() as session:
            check = await checks.resume_check(session, check_id)
        await info.context.dispatcher.checks_changed()
        return CheckType.from_model(check)

    @guarded_mutation(
        Role.EDITOR,
        "Runs the check once, now, in the given clusters (default: all of its clusters). "
        "The periodic schedule is untouched. CONFLICT when a run is already in flight there.",
    )
    async def trigger_check(
        self, info: Info, id: strawberry.ID, cluster_ids: list[strawberry.ID] | None = None
    ) -> list[RunType]:
        check_id = parse_id(id)
        targets = [parse_id(value, field="clusterIds") for value in cluster_ids or []]
        async with info.context.session_factory.begin() as session:
            runs = await trigger.trigger_check(session, check_id, targets, now=utcnow())
        info.context.dispatcher.events_appended()
        await info.context.dispatcher.runs_created([run.id for run in runs])
        return [RunType.from_model(run) for run in runs]
