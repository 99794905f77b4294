"""Reading dcflex's YAML files, with errors that name the file and the line."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from dcflex.errors import ScenarioError


class _LineLoader(yaml.SafeLoader):
    """SafeLoader that remembers the line of every mapping value."""


def parse_with_lines(text: str, file: str) -> tuple[Any, dict[tuple, int]]:
    """Parse YAML and return (data, {path tuple: 1-based line})."""
    try:
        node = yaml.compose(text, Loader=_LineLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        problem = getattr(exc, "problem", None) or str(exc)
        raise ScenarioError(f"malformed YAML: {problem}", file=file, line=line) from None
    lines: dict[tuple, int] = {}

    def walk(n: Any, path: tuple) -> None:
        lines[path] = n.start_mark.line + 1
        if isinstance(n, yaml.MappingNode):
            for key_node, value_node in n.value:
                walk(value_node, (*path, key_node.value))
                lines[(*path, key_node.value)] = key_node.start_mark.line + 1
        elif isinstance(n, yaml.SequenceNode):
            for i, item in enumerate(n.value):
                walk(item, (*path, i))

    if node is not None:
        walk(node, ())
    try:
        data = yaml.load(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:  # pragma: no cover - compose already parsed it
        raise ScenarioError(f"malformed YAML: {exc}", file=file) from None
    return data, lines


def read_text(path: Path, what: str) -> str:
    """The text of a YAML file, or a ScenarioError saying why it cannot be read."""
    if not path.exists():
        raise ScenarioError(f"{what} file not found", file=path)
    if not path.is_file():
        raise ScenarioError(f"expected a {what} YAML file, found a folder", file=path)
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise ScenarioError(f"expected UTF-8 text, found byte {exc.object[exc.start]:#04x} at "
                            f"offset {exc.start}", file=path) from None


def read_yaml_file(path: str | Path, what: str = "scenario") -> Any:
    """Parse a YAML file of dcflex (scenario, sites or sweep file).

    Raises
    ------
    ScenarioError
        Naming the file (and the line, for malformed YAML) if it is missing or not YAML.
    """
    path = Path(path)
    try:
        return yaml.safe_load(read_text(path, what))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise ScenarioError(f"malformed YAML: {getattr(exc, 'problem', None) or exc}", file=path,
                            line=mark.line + 1 if mark is not None else None) from None

