"""Every root field declares the role it needs; the declared roles are the ones the issue names."""

from __future__ import annotations

from app.api.access import required_role
from app.api.schema import schema
from app.domain.access import Role

# What each role may do: viewer reads; editor changes checks and runs, alert rules, silences and
# alerts (acknowledge, comment); admin owns clusters, channels (their URLs are credentials), tokens
# and the audit log. A new root field must be added here with its role.
EXPECTED_ROLES = {
    "Query": {
        "clusters": Role.VIEWER,
        "cluster": Role.VIEWER,
        "fleet": Role.VIEWER,
        "checks": Role.VIEWER,
        "check": Role.VIEWER,
        "runs": Role.VIEWER,
        "run": Role.VIEWER,
        "me": Role.VIEWER,
        "statusSummary": Role.VIEWER,
        "apiTokens": Role.ADMIN,
        "auditLog": Role.ADMIN,
        "channels": Role.VIEWER,
        "rules": Role.VIEWER,
        "silences": Role.VIEWER,
        "alerts": Role.VIEWER,
        "alert": Role.VIEWER,
        "kuberhealthyManifests": Role.VIEWER,
        "checkCatalog": Role.VIEWER,
    },
    "Mutation": {
        "createCluster": Role.ADMIN,
        "updateCluster": Role.ADMIN,
        "deleteCluster": Role.ADMIN,
        "createCheck": Role.EDITOR,
        "updateCheck": Role.EDITOR,
        "deleteCheck": Role.EDITOR,
        "pauseCheck": Role.EDITOR,
        "resumeCheck": Role.EDITOR,
        "triggerCheck": Role.EDITOR,
        "createChannel": Role.ADMIN,
        "updateChannel": Role.ADMIN,
        "deleteChannel": Role.ADMIN,
        "testChannel": Role.ADMIN,
        "createRule": Role.EDITOR,
        "updateRule": Role.EDITOR,
        "deleteRule": Role.EDITOR,
        "createSilence": Role.EDITOR,
        "expireSilence": Role.EDITOR,
        "deleteSilence": Role.EDITOR,
        "acknowledgeAlert": Role.EDITOR,
        "commentAlert": Role.EDITOR,
        "createApiToken": Role.ADMIN,
        "revokeApiToken": Role.ADMIN,
        "applyManifests": Role.EDITOR,
        "createCheckFromCatalog": Role.EDITOR,
    },
    "Subscription": {
        "runUpdates": Role.VIEWER,
        "checkStatusChanged": Role.VIEWER,
        "runLogs": Role.VIEWER,
        "checkChanges": Role.VIEWER,
        "alertUpdates": Role.VIEWER,
    },
}


def declared_roles() -> dict[str, dict[str, Role | None]]:
    roots = {
        "Query": schema.query,
        "Mutation": schema.mutation,
        "Subscription": schema.subscription,
    }
    declared: dict[str, dict[str, Role | None]] = {}
    for root_name, root in roots.items():
        if root is None:
            continue
        definition = root.__strawberry_definition__
        declared[root_name] = {
            schema.config.name_converter.get_graphql_name(field): required_role(field.extensions)
            for field in definition.fields
        }
    return declared


def test_every_query_mutation_and_subscription_declares_a_role() -> None:
    unguarded = [
        f"{root}.{field}"
        for root, fields in declared_roles().items()
        for field, role in fields.items()
        if role is None
    ]
    assert unguarded == []


def test_each_root_field_needs_the_role_the_access_table_gives_it() -> None:
    assert declared_roles() == EXPECTED_ROLES


def test_roles_are_ordered_viewer_editor_admin() -> None:
    assert Role.ADMIN.allows(Role.EDITOR) and Role.ADMIN.allows(Role.VIEWER)
    assert Role.EDITOR.allows(Role.VIEWER) and not Role.EDITOR.allows(Role.ADMIN)
    assert not Role.VIEWER.allows(Role.EDITOR)
