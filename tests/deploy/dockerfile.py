"""A small reader of Dockerfile instructions and the lint rules Patrol's image must pass. No Docker
engine is needed (none runs where Patrol's tests do): the rules read the instructions only."""

from __future__ import annotations

import json
import re
import shlex
from dataclasses import dataclass, field

# A base image pinned to a patch release (python:3.11.17-slim-bookworm) or to a digest.
PINNED_TAG = re.compile(r"^[^:@\s]+:\d+\.\d+\.\d+(-[a-z0-9.]+)*$")
PINNED_DIGEST = re.compile(r"@sha256:[0-9a-f]{64}$")
SECRET_NAME = re.compile(r"SECRET|PASSW|TOKEN|CREDENTIAL|PRIVATE|(^|_)KEY($|_)|API_?KEY", re.I)
URL_WITH_PASSWORD = re.compile(r"[a-z][a-z0-9+.-]*://[^/\s:@]+:[^/\s@]+@", re.I)
# A long unbroken run of key-like characters (paths, versions and image tags are broken by / . :).
KEY_LIKE = re.compile(r"[A-Za-z0-9+_=-]{32,}")
REMOTE = re.compile(r"^(https?|ftp|git)://|^git@", re.I)


@dataclass(frozen=True)
class Instruction:
    keyword: str
    arguments: str
    line: int


@dataclass
class Stage:
    image: str
    name: str | None
    line: int
    instructions: list[Instruction] = field(default_factory=list)


def parse_dockerfile(text: str) -> list[Instruction]:
    """Instructions in order, with continuation lines joined and comments dropped."""
    instructions: list[Instruction] = []
    pending: list[str] = []
    start = 0
    for number, raw in enumerate(text.splitlines(), start=1):
        stripped = raw.strip()
        if not pending and (not stripped or stripped.startswith("#")):
            continue
        if pending and stripped.startswith("#"):
            continue  # a comment inside a continued instruction is not part of it
        if not pending:
            start = number
        if stripped.endswith("\\"):
            pending.append(stripped[:-1].strip())
            continue
        pending.append(stripped)
        keyword, _, arguments = " ".join(part for part in pending if part).partition(" ")
        instructions.append(Instruction(keyword.upper(), arguments.strip(), start))
        pending = []
    if pending:
        raise ValueError(f"line {start}: the last instruction ends with a continuation")
    return instructions


def words(arguments: str) -> list[str]:
    """An instruction's arguments, from its exec (JSON) form or its shell form."""
    if arguments.startswith("["):
        parsed = json.loads(arguments)
        assert isinstance(parsed, list)
        return [str(word) for word in parsed]
    return shlex.split(arguments)


def without_flags(arguments: str) -> list[str]:
    return [word for word in words(arguments) if not word.startswith("--")]


def flags(arguments: str) -> dict[str, str]:
    found = {}
    for word in words(arguments):
        if word.startswith("--"):
            name, _, value = word[2:].partition("=")
            found[name] = value
    return found


def assignments(arguments: str) -> dict[str, str]:
    """ENV/ARG/LABEL pairs: `A=1 B=2`, or the legacy `ENV A 1`, or a bare `ARG A`."""
    parts = shlex.split(arguments)
    if len(parts) >= 2 and "=" not in parts[0]:
        return {parts[0]: " ".join(parts[1:])}
    return {name: value for name, _, value in (part.partition("=") for part in parts)}


def global_arguments(instructions: list[Instruction]) -> dict[str, str]:
    """ARGs declared before the first FROM: the only ones a FROM line may use."""
    found: dict[str, str] = {}
    for instruction in instructions:
        if instruction.keyword == "FROM":
            break
        if instruction.keyword == "ARG":
            found.update(assignments(instruction.arguments))
    return found


def expand(text: str, variables: dict[str, str]) -> str:
    return re.sub(r"\$\{(\w+)\}|\$(\w+)", lambda m: variables.get(m[1] or m[2], m[0]), text)


def stages(instructions: list[Instruction]) -> list[Stage]:
    variables = global_arguments(instructions)
    found: list[Stage] = []
    for instruction in instructions:
        if instruction.keyword == "FROM":
            parts = without_flags(instruction.arguments)
            name = parts[2] if len(parts) == 3 and parts[1].upper() == "AS" else None
            found.append(Stage(expand(parts[0], variables), name, instruction.line))
        elif found:
            found[-1].instructions.append(instruction)
    return found


def final_stage_user(instructions: list[Instruction]) -> str:
    users = [i.arguments for i in stages(instructions)[-1].instructions if i.keyword == "USER"]
    if not users:
        raise AssertionError("the final stage sets no USER: it runs as root")
    return users[-1]


def lint(text: str, *, context_paths: frozenset[str]) -> list[str]:
    """Every broken rule, as a sentence; `context_paths` are what COPY may take from the context."""
    instructions = parse_dockerfile(text)
    found = stages(instructions)
    problems: list[str] = []
    if not found:
        return ["there is no FROM"]
    names = {stage.name for stage in found if stage.name}
    for stage in found:
        if stage.image in names or stage.image == "scratch":
            continue
        if "$" in stage.image:
            problems.append(f"line {stage.line}: FROM {stage.image} uses an undeclared ARG")
        elif not (PINNED_TAG.match(stage.image.split("@")[0]) or PINNED_DIGEST.search(stage.image)):
            problems.append(
                f"line {stage.line}: FROM {stage.image} is not pinned to a patch release or digest"
            )
    problems += _user_problems(found[-1])
    for instruction in instructions:
        problems += _secret_problems(instruction)
        if instruction.keyword == "ADD":
            for source in without_flags(instruction.arguments)[:-1]:
                if REMOTE.search(source):
                    problems.append(f"line {instruction.line}: ADD fetches {source}")
        if instruction.keyword == "COPY" and "from" not in flags(instruction.arguments):
            for source in without_flags(instruction.arguments)[:-1]:
                path = source.rstrip("/")
                if not any(path == root or path.startswith(root + "/") for root in context_paths):
                    problems.append(
                        f"line {instruction.line}: COPY takes {source} from the context"
                    )
    return problems


def _user_problems(final: Stage) -> list[str]:
    problems = []
    runs = [i for i in final.instructions if i.keyword in ("ENTRYPOINT", "CMD")]
    users = [i for i in final.instructions if i.keyword == "USER"]
    if not users:
        return ["the final stage sets no USER: it runs as root"]
    last = users[-1]
    user, _, group = last.arguments.partition(":")
    if not user.isdigit() or (group and not group.isdigit()):
        problems.append(f"line {last.line}: USER {last.arguments} is not numeric")
    elif int(user) == 0 or (group and int(group) == 0):
        problems.append(f"line {last.line}: USER {last.arguments} is root")
    if any(run.line < last.line for run in runs):
        problems.append(f"line {last.line}: USER comes after ENTRYPOINT/CMD")
    return problems


def _secret_problems(instruction: Instruction) -> list[str]:
    if instruction.keyword not in ("ENV", "ARG"):
        return []
    problems = []
    for name, value in assignments(instruction.arguments).items():
        if SECRET_NAME.search(name):
            problems.append(f"line {instruction.line}: {instruction.keyword} {name} looks secret")
        elif URL_WITH_PASSWORD.search(value) or KEY_LIKE.search(PINNED_DIGEST.sub("", value)):
            problems.append(
                f"line {instruction.line}: {instruction.keyword} {name}'s value looks secret"
            )
    return problems
