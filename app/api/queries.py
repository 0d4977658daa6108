"""Query resolvers: parse arguments, call services, wrap models in GraphQL types."""

from __future__ import annotations

import strawberry

from app.api.access import guarded_field
from app.api.connections import check_connection, run_connection
from app.api.context import Info
from app.api.history import status_summary
from app.api.history_types import StatusSummaryType
from app.api.inputs import CheckFilterInput, RunFilterInput, parse_id
from app.api.types import CheckType, ClusterType, Connection, FleetType, RunType
from app.domain.access import Role
from app.errors import InvalidInput
from app.models import Run
from app.services import fleet, lookups


@strawberry.type
class Query:
    @guarded_field(Role.VIEWER, "All clusters, by name.")
    async def clusters(self, info: Info) -> list[ClusterType]:
        async with info.context.session_factory() as session:
            clusters = await lookups.all_clusters(session)
        return [ClusterType.from_model(cluster) for cluster in clusters]

    @guarded_field(Role.VIEWER, "One cluster by id or by name; null if there is none.")
    async def cluster(
        self, info: Info, id: strawberry.ID | None = None, name: str | None = None
    ) -> ClusterType | None:
        if (id is None) == (name is None):
            raise InvalidInput("give exactly one of id or name", field="id")
        if id is not None:
            cluster = await info.context.loaders.cluster_by_id.load(parse_id(id))
        else:
            async with info.context.session_factory() as session:
                cluster = await lookups.cluster_by_name(session, str(name))
        return None if cluster is None else ClusterType.from_model(cluster)

    @guarded_field(Role.VIEWER, "Counts across every cluster and check.")
    async def fleet(self, info: Info) -> FleetType:
        async with info.context.session_factory() as session:
            counts = await fleet.fleet_counts(session)
        return FleetType.from_counts(counts)

    @guarded_field(Role.VIEWER, "Checks ordered by namespace, then name.")
    async def checks(
        self,
        info: Info,
        filter: CheckFilterInput | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[CheckType]:
        return await check_connection(info.context.session_factory, filter, first, after)

    @guarded_field(Role.VIEWER, "One check by id or by namespace and name; null if none.")
    async def check(
        self,
        info: Info,
        id: strawberry.ID | None = None,
        namespace: str | None = None,
        name: str | None = None,
    ) -> CheckType | None:
        by_name = namespace is not None and name is not None
        if (id is None) == (not by_name) or (id is None and (namespace is None) != (name is None)):
            raise InvalidInput("give either id, or both namespace and name", field="id")
        if id is not None:
            check = await info.context.loaders.check_by_id.load(parse_id(id))
        else:
            async with info.context.session_factory() as session:
                check = await lookups.check_by_name(session, str(namespace), str(name))
        return None if check is None else CheckType.from_model(check)

    @guarded_field(Role.VIEWER, "Runs, newest scheduled first.")
    async def runs(
        self,
        info: Info,
        filter: RunFilterInput | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[RunType]:
        return await run_connection(info.context.session_factory, filter, first, after)

    @guarded_field(Role.VIEWER, "One run, with its logs and events; null if none.")
    async def run(self, info: Info, id: strawberry.ID) -> RunType | None:
        async with info.context.session_factory() as session:
            run = await session.get(Run, parse_id(id))
        return None if run is None else RunType.from_model(run)

    @guarded_field(
        Role.VIEWER,
        "For a dashboard: every check (or those the filter selects) with its status in each "
        "cluster and its uptime over the last 24 hours, in a constant number of queries.",
    )
    async def status_summary(
        self, info: Info, filter: CheckFilterInput | None = None
    ) -> StatusSummaryType:
        return await status_summary(info, filter)
