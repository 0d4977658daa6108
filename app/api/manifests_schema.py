"""GraphQL for Kuberhealthy manifests: apply them (as `patrol apply` does) and export checks."""

from __future__ import annotations

from typing import Annotated

import strawberry

import app.api.enums  # noqa: F401  (registers the enums before they are used)
from app.api.access import guarded_field, guarded_mutation
from app.api.context import Info
from app.api.inputs import parse_id
from app.domain.access import Role
from app.domain.kuberhealthy.export import ManifestFormat, dump_manifests
from app.errors import InvalidInput
from app.services import manifests
from app.services.manifests import ApplyAction, ApplyOptions, DocumentOutcome, ManifestFile

ApplyActionEnum = strawberry.enum(ApplyAction, name="ApplyAction")
ManifestFormatEnum = strawberry.enum(ManifestFormat, name="ManifestFormat")
DEFAULT_SOURCE = "graphql"


@strawberry.input(description="One file of YAML documents, named for error messages.")
class ManifestFileInput:
    name: str
    yaml: str


@strawberry.type(name="ManifestDocumentResult", description="What applying did to one document.")
class ManifestDocumentResultType:
    action: ApplyAction
    file: str | None = strawberry.field(description="Null for a check deleted by prune.")
    index: int | None = strawberry.field(description="The document's 0-based position in its file.")
    item: int | None = strawberry.field(
        description="The position among the items of a List document (kubectl's `-o yaml`)."
    )
    kind: str | None
    namespace: str | None
    name: str | None
    check_id: strawberry.ID | None
    diff: str = strawberry.field(description="A unified diff of the check as a v3 manifest.")
    notes: list[str] = strawberry.field(description="Fields ignored, defaults taken, and why.")
    error_field: str | None = strawberry.field(description="The manifest's field path at fault.")
    error_message: str | None

    @classmethod
    def from_outcome(cls, outcome: DocumentOutcome) -> ManifestDocumentResultType:
        return cls(
            action=outcome.action,
            file=outcome.ref.file if outcome.ref else None,
            index=outcome.ref.index if outcome.ref else None,
            item=outcome.ref.item if outcome.ref else None,
            kind=outcome.kind,
            namespace=outcome.namespace,
            name=outcome.name,
            check_id=strawberry.ID(str(outcome.check_id)) if outcome.check_id else None,
            diff=outcome.diff,
            notes=outcome.notes,
            error_field=outcome.error.field if outcome.error else None,
            error_message=outcome.error.message if outcome.error else None,
        )


@strawberry.type(name="ApplyManifestsResult")
class ApplyManifestsResultType:
    applied: bool = strawberry.field(
        description="False for a dry run, or when a document was invalid and partial was not set."
    )
    documents: list[ManifestDocumentResultType]


@strawberry.type
class ManifestMutation:
    @guarded_mutation(
        Role.EDITOR,
        "Creates or updates checks from Kuberhealthy manifests (v2 KuberhealthyCheck and "
        "KuberhealthyJob, v3 HealthCheck); other kinds are skipped. Give `yaml` or `files`. "
        "Nothing is written unless every document is valid (or `partial`); `prune` deletes "
        "checks of the same `source` that the manifests no longer define. New checks run in "
        "`clusterIds` (default: every cluster).",
    )
    async def apply_manifests(
        self,
        info: Info,
        yaml: str | None = None,
        files: list[ManifestFileInput] | None = None,
        dry_run: bool = False,
        prune: bool = False,
        partial: bool = False,
        # Not `source`: field extensions take the parent object under that name.
        from_source: Annotated[str, strawberry.argument(name="source")] = DEFAULT_SOURCE,
        cluster_ids: list[strawberry.ID] | None = None,
    ) -> ApplyManifestsResultType:
        if (yaml is None) == (files is None):
            raise InvalidInput("give exactly one of yaml or files", field="yaml")
        given = [ManifestFile("-", yaml)] if yaml is not None else []
        given += [ManifestFile(file.name, file.yaml) for file in files or []]
        options = ApplyOptions(
            source=from_source,
            dry_run=dry_run,
            prune=prune,
            partial=partial,
            cluster_ids=None
            if cluster_ids is None
            else [parse_id(value, field="clusterIds") for value in cluster_ids],
        )
        result = await manifests.apply_manifests(info.context.session_factory, given, options)
        if result.applied:
            await info.context.dispatcher.checks_changed()
            if result.run_ids:
                await info.context.dispatcher.runs_created(result.run_ids)
        return ApplyManifestsResultType(
            applied=result.applied,
            documents=[ManifestDocumentResultType.from_outcome(o) for o in result.outcomes],
        )


@strawberry.type
class ManifestQuery:
    @guarded_field(
        Role.VIEWER,
        "Checks as Kuberhealthy manifests (one YAML stream), all or those of one `source`.",
    )
    async def kuberhealthy_manifests(
        self,
        info: Info,
        format: ManifestFormat = ManifestFormat.V3,
        from_source: Annotated[str | None, strawberry.argument(name="source")] = None,
    ) -> str:
        async with info.context.session_factory() as session:
            specs = await manifests.export_specs(session, source=from_source)
        return dump_manifests(specs, format)
