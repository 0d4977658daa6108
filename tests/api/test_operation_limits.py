"""Operations over a limit are refused before anything resolves, with a stable code, and logged
once as a refusal; an operation over its time is cancelled and leaves no transaction open."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from typing import Any

import pytest
import strawberry
from graphql import GraphQLError, get_introspection_query, parse
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import select

from app.api.access import guarded_mutation
from app.api.context import Info, build_context
from app.api.errors import ErrorCodes, OperationRefused
from app.api.limits import OperationLimits, OperationLimitsExtension, check_operation
from app.api.schema import PatrolSchema, schema
from app.api.sdl import SDL_PATH
from app.db import SessionFactory
from app.domain.access import Role
from app.errors import InvalidInput
from app.keyring import Keyring
from app.models import AuditRecord, Cluster, ConnectionKind
from tests.api.builders import CREATE_CHECK, check_input, error_codes
from tests.api.conftest import Execute, ExecuteAs
from tests.fixtures.access import IssueToken, principal_of
from tests.fixtures.logs import LogFile
from tests.fixtures.statements import counting_statements

HEAVY_FIELD = "runs(first: 500) { nodes { id logs { content } events { reason } } }"


def nested_runs(levels: int) -> str:
    """`runs { nodes { check { latestRun { ... { id } } } } }`, `levels` fields deep."""
    opening = ["runs", "nodes"] + ["check", "latestRun"] * levels
    fields = opening[:levels]
    return "{ " + " { ".join(fields) + " { id" + " }" * levels + " }"


async def test_an_operation_nested_deeper_than_the_limit_is_refused_before_resolving(
    execute: Execute, engine: AsyncEngine
) -> None:
    within = await execute(nested_runs(9))
    with counting_statements(engine) as statements:
        refused = await execute(nested_runs(10))
    assert within.errors is None
    assert error_codes(refused) == [("QUERY_TOO_DEEP", None)]
    assert refused.errors[0].message == (
        "the operation nests fields more than 10 levels deep; at most 10"
    )
    assert statements == []


async def test_depth_counts_through_fragments(execute: Execute) -> None:
    document = """
    query { runs { ...Deep } }
    fragment Deep on RunConnection { nodes { check { latestRun { ...Deeper } } } }
    fragment Deeper on Run { check { latestRun { check { latestRun { check { latestRun { id } } } } } } }
    """
    assert error_codes(await execute(document)) == [("QUERY_TOO_DEEP", None)]


async def test_more_aliases_than_the_limit_are_refused(execute: Execute) -> None:
    thirty = " ".join(f"a{n}: me {{ name }}" for n in range(30))
    assert (await execute(f"{{ {thirty} }}")).errors is None
    refused = await execute(f"{{ {thirty} extra: me {{ name }} }}")
    assert error_codes(refused) == [("TOO_MANY_ALIASES", None)]
    assert refused.errors[0].message == "the operation uses 31 aliases; at most 30"


@pytest.mark.parametrize(
    ("aliases", "code"),
    [(300, "QUERY_TOO_LARGE"), (100, "TOO_MANY_ALIASES"), (2, "QUERY_TOO_COMPLEX")],
)
async def test_the_aliased_heavy_query_of_the_incident_is_refused_at_once(
    execute: Execute, engine: AsyncEngine, aliases: int, code: str
) -> None:
    document = "{ " + " ".join(f"a{n}: {HEAVY_FIELD}" for n in range(aliases)) + " }"
    started = time.perf_counter()
    with counting_statements(engine) as statements:
        refused = await execute(document)
    assert error_codes(refused) == [(code, None)]
    assert statements == []
    assert time.perf_counter() - started < 2


@pytest.mark.parametrize(
    ("document", "variables"),
    [
        (f"{{ {HEAVY_FIELD} }}", None),
        (
            "{ a: runs(first: 500) { nodes { id status ok trigger errors } } b: runs(first: 500) { nodes { id status ok errors trigger scheduledAt startedAt finishedAt checkId clusterId cluster { name } check { name } } } }",
            None,
        ),
        ("query($n: Int) { runs(first: $n) { nodes { id logs { content } } } }", {"n": 100}),
        ("query($n: Int = 100) { runs(first: $n) { nodes { id logs { content } } } }", None),
        (
            "{ checks(first: 100) { nodes { id clusters { id name labels } latestRun { id logs { content } } } } }",
            None,
        ),
        ("{ checks(first: 500) { nodes { id podSpec } } }", None),
    ],
    ids=[
        "heavy-runs",
        "two-pages",
        "page-size-variable",
        "variable-default",
        "nested-lists",
        "large-fields",
    ],
)
async def test_operations_over_the_cost_budget_are_refused(
    execute: Execute, document: str, variables: dict[str, Any] | None
) -> None:
    refused = await execute(document, variables)
    assert error_codes(refused) == [("QUERY_TOO_COMPLEX", None)]
    assert "at most 10,000" in refused.errors[0].message


@pytest.mark.parametrize(
    ("document", "variables"),
    [
        ("{ runs(first: 50) { nodes { id status logs { content } events { reason } } } }", None),
        ("query($n: Int) { runs(first: $n) { nodes { id logs { content } } } }", {"n": 20}),
        (
            "{ runs { edges { cursor node { id status check { name } cluster { name } } } pageInfo { hasNextPage endCursor } totalCount } }",
            None,
        ),
        ("{ checks(first: 500) { nodes { id name namespace version enabled timeout } } }", None),
    ],
)
async def test_everyday_operations_are_within_the_budget(
    execute: Execute, document: str, variables: dict[str, Any] | None
) -> None:
    assert (await execute(document, variables)).errors is None


def test_the_example_operations_are_within_the_default_limits() -> None:
    for path in sorted((SDL_PATH.parent / "operations").glob("*.graphql")):
        document = parse(path.read_text(encoding="utf-8"))
        check_operation(document, schema._schema, {}, OperationLimits())


async def test_a_fragment_bomb_is_measured_in_linear_time_and_refused(execute: Execute) -> None:
    # Each fragment spreads the one before it twice: 2^40 fields once expanded.
    fragments = ["fragment F0 on Query { me { name } }"] + [
        f"fragment F{n} on Query {{ ...F{n - 1} ...F{n - 1} }}" for n in range(1, 31)
    ]
    aliased = ["fragment A0 on Query { a: me { name } }"] + [
        f"fragment A{n} on Query {{ ...A{n - 1} ...A{n - 1} }}" for n in range(1, 31)
    ]
    started = time.perf_counter()
    costly = await execute("query { ...F30 }\n" + "\n".join(fragments))
    aliases = await execute("query { ...A30 }\n" + "\n".join(aliased))
    assert error_codes(costly) == [("QUERY_TOO_COMPLEX", None)]
    assert error_codes(aliases) == [("QUERY_TOO_COMPLEX", None)]
    assert time.perf_counter() - started < 2


def repeated(field: str, times: int, inner: str) -> str:
    return " ".join([f"{field} {{ {inner} }}"] * times)


@pytest.mark.parametrize(
    "document",
    [
        "{ " + repeated("me", 600, "name") + " }",
        "{ me { " + "name " * 1_000 + "} }",
        # 20 copies of a field, each selecting 20 copies: validation compared 400 of them.
        '{ run(id: "x") { '
        + repeated("check", 20, repeated("latestRun", 1, repeated("check", 20, "id")))
        + " } }",
        "{ ...A ...A ...B }\nfragment A on Query { "
        + repeated("me", 8, "name")
        + " }\nfragment B on Query { "
        + repeated("me", 5, "role")
        + " }",
    ],
    ids=["top-level", "leaves", "nested", "through-fragments"],
)
async def test_a_field_merged_more_than_20_times_is_refused_before_validation(
    execute: Execute, document: str
) -> None:
    started = time.perf_counter()
    refused = await execute(document)
    assert error_codes(refused) == [("QUERY_TOO_COMPLEX", None)]
    assert "times in one place" in refused.errors[0].message
    assert time.perf_counter() - started < 1


async def test_a_field_merged_20_times_is_validated_and_run(execute: Execute) -> None:
    result = await execute("{ " + repeated("me", 20, "name role") + " }")
    assert result.errors is None


async def test_fragments_spread_more_than_32_levels_deep_are_refused(execute: Execute) -> None:
    fragments = ["fragment F0 on Query { me { name } }"] + [
        f"fragment F{n} on Query {{ ...F{n - 1} }}" for n in range(1, 40)
    ]
    refused = await execute("query { ...F39 }\n" + "\n".join(fragments))
    assert error_codes(refused) == [("QUERY_TOO_DEEP", None)]


async def test_a_document_of_more_than_5000_tokens_is_refused_while_parsing(
    execute: Execute,
) -> None:
    refused = await execute("{ " + "__typename " * 5_000 + "}")
    assert error_codes(refused) == [("QUERY_TOO_LARGE", None)]


async def test_graphiqls_introspection_query_is_answered_in_full(execute: Execute) -> None:
    result = await execute(get_introspection_query(descriptions=True, input_value_deprecation=True))
    assert result.errors is None
    assert result.data is not None
    fields = {
        field["name"]: field["defaultValue"]
        for kind in result.data["__schema"]["types"]
        if kind["name"] == "CreateCheckInput"
        for field in kind["inputFields"]
    }
    assert fields["labels"] == "{  }"


async def test_refusals_are_logged_once_as_refusals_not_as_errors(
    execute: Execute, json_logs: LogFile
) -> None:
    await execute(nested_runs(12))
    assert not [r for r in json_logs.records() if r["level"] in ("warning", "error", "critical")]
    (refusal,) = json_logs.records("request refused: over a limit")
    assert refusal["code"] == "QUERY_TOO_DEEP" and refusal["level"] == "info"


@pytest.mark.parametrize(
    ("document", "variables"),
    [
        ("query($id: ID!) { run(id: $id) { id } }", {"id": {"a": 1}}),
        ("query($id: ID!) { run(id: $id) { id } }", {}),
        ("query($n: Int) { runs(first: $n) { nodes { id } } }", {"n": "x"}),
        (
            "query($f: RunFilterInput) { runs(filter: $f) { nodes { id } } }",
            {"f": {"since": "nope"}},
        ),
        ("query($f: RunFilterInput) { runs(filter: $f) { nodes { id } } }", {"f": {"since": 5}}),
        (
            "query($f: RunFilterInput) { runs(filter: $f) { nodes { id } } }",
            {"f": {"status": ["NOPE"]}},
        ),
        (CREATE_CHECK, {"input": {"name": "x"}}),
    ],
    ids=[
        "object-for-id",
        "missing",
        "string-for-int",
        "bad-datetime",
        "int-for-datetime",
        "bad-enum",
        "missing-fields",
    ],
)
async def test_variables_of_the_wrong_type_or_missing_are_bad_user_input(
    execute: Execute,
    document: str,
    variables: dict[str, Any],
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.ERROR, logger="strawberry.execution"):
        result = await execute(document, variables)
    assert {code for code, _ in error_codes(result)} == {"BAD_USER_INPUT"}
    assert result.errors[0].message.startswith("Variable '$")
    assert caplog.text == ""


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"description": "nul \x00 byte"}, "variables.input.description"),
        ({"description": "lone \ud800 surrogate"}, "variables.input.description"),
        ({"labels": {"k\x00": "v"}}, "variables.input.labels"),
    ],
)
async def test_text_no_database_can_store_is_bad_user_input(
    execute: Execute, overrides: dict[str, Any], field: str
) -> None:
    result = await execute(CREATE_CHECK, {"input": check_input(**overrides)})
    assert error_codes(result) == [("BAD_USER_INPUT", field)]


async def test_nul_in_a_literal_string_is_bad_user_input(execute: Execute) -> None:
    result = await execute('{ cluster(name: "a\\u0000b") { id } }')
    assert error_codes(result) == [("BAD_USER_INPUT", None)]


async def test_literal_arguments_nested_deeper_than_64_levels_are_bad_user_input(
    execute: Execute,
) -> None:
    deep = "{a: " * 65 + "1" + "}" * 65
    result = await execute(f"{{ checks(filter: {{labels: {deep}}}) {{ totalCount }} }}")
    assert error_codes(result) == [("BAD_USER_INPUT", None)]
    assert result.errors[0].message == "an argument nests deeper than 64 levels"


async def test_variables_nested_deeper_than_64_levels_are_bad_user_input(
    execute: Execute,
) -> None:
    deep: Any = "x"
    for _ in range(3_000):
        deep = {"a": deep}
    spec = {"containers": [{"name": "c", "image": "x", "env": deep}]}
    result = await execute(CREATE_CHECK, {"input": check_input(podSpec=spec)})
    assert [code for code, _ in error_codes(result)] == ["BAD_USER_INPUT"]
    assert "nests deeper than 64 levels" in result.errors[0].message


async def test_limits_are_configurable(execute_as: ExecuteAs) -> None:
    strict = await execute_as(
        Role.VIEWER, OperationLimits(max_depth=3, max_aliases=1, max_cost=10, max_tokens=100)
    )
    assert error_codes(await strict(nested_runs(4))) == [("QUERY_TOO_DEEP", None)]
    assert error_codes(await strict("{ a: me { name } b: me { name } }")) == [
        ("TOO_MANY_ALIASES", None)
    ]
    assert error_codes(await strict("{ runs(first: 5) { nodes { id } } }")) == [
        ("QUERY_TOO_COMPLEX", None)
    ]
    assert error_codes(await strict("{ " + "__typename " * 101 + "}")) == [
        ("QUERY_TOO_LARGE", None)
    ]


# --- the time limit ---------------------------------------------------------------------------

HELD = asyncio.Event()


@strawberry.type
class SlowQuery:
    @strawberry.field
    async def hold_a_write(self, info: Info) -> int:
        """Writes a row, then waits for ever inside the transaction."""
        async with info.context.session_factory.begin() as session:
            session.add(Cluster(name="half-written", connection_kind=ConnectionKind.LOCAL))
            await session.flush()
            HELD.set()
            await asyncio.Event().wait()
        return 1


async def test_an_operation_over_its_time_is_cancelled_and_leaves_no_transaction_open(
    session_factory: SessionFactory,
    engine: AsyncEngine,
    keyring: Keyring,
    caplog: pytest.LogCaptureFixture,
) -> None:
    slow = PatrolSchema(
        query=SlowQuery,
        extensions=[
            ErrorCodes,
            lambda: OperationLimitsExtension(OperationLimits(timeout_seconds=0.2)),
        ],
    )
    HELD.clear()
    with caplog.at_level(logging.ERROR, logger="strawberry.execution"):
        result = await slow.execute(
            "{ holdAWrite }",
            context_value=build_context(session_factory, keyring=keyring, principal=None),
        )

    assert HELD.is_set()
    assert error_codes(result) == [("TIMEOUT", None)]
    assert result.errors[0].message == (
        "the operation took longer than 0.2 s and was cancelled; ask for less"
    )
    assert caplog.text == ""
    assert engine.pool.checkedout() == 0  # type: ignore[attr-defined]
    # The write was rolled back, and the database takes the next writer at once.
    async with session_factory.begin() as session:
        assert (await session.exec(select(Cluster))).all() == []
        session.add(Cluster(name="next", connection_kind=ConnectionKind.LOCAL))
    async with session_factory() as session:
        assert [c.name for c in (await session.exec(select(Cluster))).all()] == ["next"]


# --- any document at all ----------------------------------------------------------------------

FIELD_NAMES = st.sampled_from(
    [
        "me",
        "name",
        "role",
        "runs",
        "nodes",
        "edges",
        "node",
        "check",
        "latestRun",
        "logs",
        "content",
        "events",
        "clusters",
        "id",
        "pageInfo",
        "__typename",
        "__schema",
        "types",
        "fields",
        "__type",
        "unknown",
        "checks",
        "podSpec",
    ]
)
TYPE_NAMES = st.sampled_from(["Query", "Run", "Check", "RunConnection", "__Type", "Nope"])
FRAGMENT_NAMES = st.sampled_from(["A", "B", "C"])


def selection_sets(depth: int) -> st.SearchStrategy[str]:
    leaf = st.one_of(
        FIELD_NAMES,
        st.builds(lambda alias, name: f"{alias}: {name}", FIELD_NAMES, FIELD_NAMES),
        st.builds(lambda n: f"runs(first: {n}) {{ nodes {{ id }} }}", st.integers(-5, 10**6)),
        FRAGMENT_NAMES.map(lambda name: f"...{name}"),
    )
    if depth == 0:
        selection = leaf
    else:
        inner = selection_sets(depth - 1)
        selection = st.one_of(
            leaf,
            st.builds(lambda name, body: f"{name} {body}", FIELD_NAMES, inner),
            st.builds(lambda kind, body: f"... on {kind} {body}", TYPE_NAMES, inner),
        )
    return st.lists(selection, min_size=1, max_size=6).map(
        lambda items: "{ " + " ".join(items) + " }"
    )


DOCUMENTS = st.builds(
    lambda operation, fragments: operation + "\n" + "\n".join(fragments),
    selection_sets(4),
    st.lists(
        st.builds(
            lambda name, kind, body: f"fragment {name} on {kind} {body}",
            FRAGMENT_NAMES,
            TYPE_NAMES,
            selection_sets(3),
        ),
        max_size=4,
    ),
)


@settings(max_examples=300)
@given(document=DOCUMENTS)
def test_any_document_is_measured_without_failing(document: str) -> None:
    """Unknown fields, fragments on unknown types, fragment cycles, repeats: the measuring walk
    answers or refuses, and never raises anything else."""
    try:
        parsed = parse(document)
    except GraphQLError:
        return
    with contextlib.suppress(OperationRefused, InvalidInput):
        check_operation(parsed, schema._schema, {}, OperationLimits())


@strawberry.type
class SlowMutation:
    @guarded_mutation(Role.EDITOR)
    async def hold_a_write(self, info: Info) -> int:
        return await SlowQuery().hold_a_write(info)


async def test_a_mutation_over_its_time_is_rolled_back_and_audited_as_cancelled(
    session_factory: SessionFactory,
    engine: AsyncEngine,
    keyring: Keyring,
    issue_token_for: IssueToken,
) -> None:
    slow = PatrolSchema(
        query=SlowQuery,
        mutation=SlowMutation,
        extensions=[
            ErrorCodes,
            lambda: OperationLimitsExtension(OperationLimits(timeout_seconds=0.2)),
        ],
    )
    editor = await principal_of(session_factory, keyring, await issue_token_for(Role.EDITOR))
    HELD.clear()
    result = await slow.execute(
        "mutation { holdAWrite }",
        context_value=build_context(session_factory, keyring=keyring, principal=editor),
    )

    assert error_codes(result) == [("TIMEOUT", None)]
    assert engine.pool.checkedout() == 0  # type: ignore[attr-defined]
    async with session_factory() as session:
        assert (await session.exec(select(Cluster))).all() == []
        records = (await session.exec(select(AuditRecord))).all()
    assert [(r.operation, r.outcome) for r in records] == [("holdAWrite", "CANCELLED")]
