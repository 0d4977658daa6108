"""One GraphQL execution per update, not per subscriber: subscribers that sent the same
operation get the same result for the same update. With a thousand subscribers to
`runUpdates`, an event costs one execution and a thousand sends, not a thousand executions."""

from __future__ import annotations

from typing import Any, Self

from graphql import ExecutionResult
from graphql.pyutils import is_awaitable

from app.api.plain_values import PlainValueExecutor
from app.services.event_fanout import Update


class SharedPayload:
    """A subscription payload shared by every subscriber of one update. Its fields must not
    depend on who asks (no context, no per-field role rules): their result is shared too."""

    @classmethod
    def of(cls, update: Update) -> Self:
        """One payload per event and position, shared by the subscribers it goes to."""
        return update.event.shared((cls, update.cursor), lambda: cls._made(update))

    @classmethod
    def _made(cls, update: Update) -> Self:
        raise NotImplementedError

    def results(self) -> dict[tuple[Any, ...], Any]:
        """Results by operation; they live as long as the payload (as long as the update)."""
        results: dict[tuple[Any, ...], Any] = vars(self).setdefault("_results", {})
        return results


class SharingExecutor(PlainValueExecutor):
    """Strawberry's executor for queries and subscriptions alike, which reuses the result of a
    subscription event whose payload is a SharedPayload."""

    def execute_operation(self, serially: bool | None = None) -> Any:
        payload = self.root_value
        if not isinstance(payload, SharedPayload):
            return super().execute_operation(serially)
        results = payload.results()
        key = self._operation_key()
        if key in results:
            return results[key]
        result = super().execute_operation(serially)
        if not is_awaitable(result):
            if isinstance(result, ExecutionResult) and not result.errors:
                results[key] = result
            return result

        async def remembered() -> Any:
            awaited = await result
            if isinstance(awaited, ExecutionResult) and not awaited.errors:
                results[key] = awaited
            return awaited

        return remembered()

    def _operation_key(self) -> tuple[Any, ...]:
        """The document, the operation in it and its variables: all a shared payload's result
        depends on. Documents without a source location are not shared (their id is)."""
        location = self.operation.loc
        source = location.source.body if location is not None else id(self.operation)
        name = self.operation.name.value if self.operation.name else None
        return (source, name, repr(self.variable_values.coerced))
