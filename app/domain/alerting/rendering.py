"""Message templates: Jinja2 in its immutable sandbox, with a step budget, a time limit and size caps, so a
bad template costs its rule a default message, never the alert or the process."""

from __future__ import annotations

import functools
import re
import sys
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from types import FrameType
from typing import Any

from jinja2 import StrictUndefined, TemplateError, TemplateSyntaxError
from jinja2.exceptions import SecurityError
from jinja2.runtime import Context
from jinja2.sandbox import ImmutableSandboxedEnvironment

from app.errors import InvalidInput

MAX_TITLE_CHARS = 250
MAX_BODY_CHARS = 4000
MAX_TEMPLATE_CHARS = 8000
# Each traced Python line or call in the template's code is a step: a handful per loop iteration.
STEP_BUDGET = 300_000
TIME_LIMIT_SECONDS = 2.0
# Numbers a template may pass to a filter or a call (Jinja's own cap on range()), and the longest
# string or list that `*` may build: enough for formatting, too small for a memory bomb.
MAX_NUMBER_ARGUMENT = 100_000
MAX_REPEAT_LENGTH = 100_000
TRUNCATION_MARK = "…"

DEFAULT_TITLE = (
    "[{{ severity|upper }}] {{ transition_label }}: {{ check.namespace }}/{{ check.name }}"
    "{% if cluster %} on {{ cluster.name }}{% endif %}"
    "{% if status %} ({{ status }}){% endif %}"
)
DEFAULT_BODY = """\
{{ summary }}

Rule: {{ rule }} ({{ severity }})
Check: {{ check.namespace }}/{{ check.name }}
{%- if cluster %}
Cluster: {{ cluster.name }}
{%- endif %}
{%- if failing_clusters %}
Failing clusters: {{ failing_clusters|join(", ") }}
{%- endif %}
{%- if status %}
Run status: {{ status }}{% if failure_reason %} ({{ failure_reason }}){% endif %}
{%- endif %}
{%- if duration %}
Duration: {{ duration }}
{%- endif %}
{%- if errors %}
Errors:
{%- for error in errors %}
- {{ error }}
{%- endfor %}
{%- endif %}
{%- if actor %}
By: {{ actor }}{% if comment %}: {{ comment }}{% endif %}
{%- endif %}
{%- if silenced_by %}
Silenced by: {{ silenced_by }}
{%- endif %}
{%- if run_url %}
Run: {{ run_url }}
{%- endif %}
Alert {{ alert_id }}, since {{ since }}"""


@dataclass(frozen=True, slots=True)
class MessageTemplates:
    """A rule's own title and body templates; None means the default."""

    title: str | None = None
    body: str | None = None


@dataclass(frozen=True, slots=True)
class RenderedMessage:
    title: str
    body: str
    # Why the rule's own template was not used (recorded on the rule); None when it was.
    error: str | None = None


class RenderLimitExceeded(Exception):
    pass


class _GuardedSandbox(ImmutableSandboxedEnvironment):
    intercepted_binops = frozenset({"*", "**"})

    def __init__(self) -> None:
        # Strict, so a misspelt variable falls back to the default text with an error to show.
        super().__init__(autoescape=False, undefined=StrictUndefined)
        self.filters = {name: _guarded(name, function) for name, function in self.filters.items()}

    def call_binop(self, context: Context, operator: str, left: Any, right: Any) -> Any:
        if operator == "**" and (_beyond(right, 100) or _beyond(left, 2**64)):
            raise SecurityError("power too large")
        if operator == "*":
            for sequence, times in ((left, right), (right, left)):
                repeatable = isinstance(sequence, str | list | tuple) and isinstance(times, int)
                if repeatable and len(sequence) * times > MAX_REPEAT_LENGTH:
                    raise SecurityError("repetition too large")
        return super().call_binop(context, operator, left, right)

    def call(__self, __context: Context, __obj: Any, *args: Any, **kwargs: Any) -> Any:
        if getattr(__obj, "__name__", None) in _SIZED_CALLS:
            _check_arguments(args, kwargs)
        return super().call(__context, __obj, *args, **kwargs)

    def wrap_str_format(self, value: Any) -> Callable[..., str] | None:
        formatted = super().wrap_str_format(value)
        if formatted is not None and _WIDE_FORMAT.search(value.__self__):
            raise SecurityError("format width too large")
        return formatted


# Calls whose numbers are sizes: str padding methods and lipsum (range is capped by Jinja).
_SIZED_CALLS = frozenset(
    {"ljust", "rjust", "center", "zfill", "expandtabs", "generate_lorem_ipsum"}
)
_WIDE_FORMAT = re.compile(r"\{[^{}]*:[^{}]*\d{5,}[^{}]*\}|%[-+ #0]*\d{5,}")


def _guarded(name: str, function: Callable[..., Any]) -> Callable[..., Any]:
    """The filter, refusing huge numbers among its arguments (not the value it filters, which
    is data) and, for `format`, huge widths in the format string."""
    value_at = 1 if getattr(function, "jinja_pass_arg", None) else 0

    @functools.wraps(function)
    def guarded(*args: Any, **kwargs: Any) -> Any:
        _check_arguments(args[value_at + 1 :], kwargs)
        value = args[value_at] if len(args) > value_at else None
        if name == "format" and isinstance(value, str) and _WIDE_FORMAT.search(value):
            raise SecurityError("format width too large")
        return function(*args, **kwargs)

    return guarded


def _check_arguments(args: Iterable[Any], kwargs: Mapping[str, Any]) -> None:
    for value in (*args, *kwargs.values()):
        if _beyond(value, MAX_NUMBER_ARGUMENT):
            raise SecurityError(f"number argument {value} is larger than {MAX_NUMBER_ARGUMENT}")


_ENVIRONMENT = _GuardedSandbox()


def _beyond(value: Any, limit: int) -> bool:
    return isinstance(value, int | float) and abs(value) > limit


def check_template(source: str | None, *, field: str) -> None:
    """Refuse a template that cannot compile, so a rule is not saved with one."""
    if source is None:
        return
    if len(source) > MAX_TEMPLATE_CHARS:
        raise InvalidInput(f"template is longer than {MAX_TEMPLATE_CHARS} characters", field=field)
    try:
        _ENVIRONMENT.from_string(source)
    except TemplateSyntaxError as error:
        message = f"template error on line {error.lineno}: {error.message}"
        raise InvalidInput(message, field=field) from None


def render_message(templates: MessageTemplates, context: Mapping[str, Any]) -> RenderedMessage:
    """Title and body from the rule's templates, each falling back to the default on error."""
    errors: list[str] = []
    title = _render_or_default(templates.title, DEFAULT_TITLE, context, MAX_TITLE_CHARS, errors)
    body = _render_or_default(templates.body, DEFAULT_BODY, context, MAX_BODY_CHARS, errors)
    title = " ".join(title.split())
    if len(title) > MAX_TITLE_CHARS:
        title = title[: MAX_TITLE_CHARS - 1] + TRUNCATION_MARK
    return RenderedMessage(title, body.strip(), "; ".join(errors) or None)


def render(source: str, context: Mapping[str, Any], *, max_chars: int) -> str:
    """Render one template in the sandbox; raise TemplateError, SecurityError or
    RenderLimitExceeded. Output past `max_chars` is cut and marked."""
    template = _ENVIRONMENT.from_string(source)
    budget = _Budget(STEP_BUDGET, TIME_LIMIT_SECONDS)
    previous = sys.gettrace()
    sys.settrace(budget.trace)
    try:
        return _capped(template.generate(dict(context)), max_chars)
    finally:
        sys.settrace(previous)


def _render_or_default(
    source: str | None,
    default: str,
    context: Mapping[str, Any],
    max_chars: int,
    errors: list[str],
) -> str:
    if source is not None:
        try:
            return render(source, context, max_chars=max_chars)
        except (
            TemplateError,
            RenderLimitExceeded,
            ArithmeticError,
            TypeError,
            ValueError,
        ) as error:
            errors.append(f"{type(error).__name__}: {error}")
    return render(default, context, max_chars=max_chars)


def _capped(chunks: Iterable[str], max_chars: int) -> str:
    kept: list[str] = []
    size = 0
    for chunk in chunks:
        kept.append(chunk)
        size += len(chunk)
        if size > max_chars:
            return "".join(kept)[: max_chars - len(TRUNCATION_MARK)] + TRUNCATION_MARK
    return "".join(kept)


class _Budget:
    """A trace function that stops the template once it has run too many steps or too long.
    Template loops are Python code, so every iteration passes through here."""

    def __init__(self, steps: int, seconds: float) -> None:
        self.left = steps
        self.deadline = time.monotonic() + seconds

    def trace(self, frame: FrameType, event: str, arg: Any) -> Callable[..., Any]:
        self.left -= 1
        if self.left <= 0:
            raise RenderLimitExceeded("the template ran too many steps")
        if self.left % 4096 == 0 and time.monotonic() > self.deadline:
            raise RenderLimitExceeded("the template ran too long")
        return self.trace
