"""Reading dcflex's YAML files, with errors that name the file and the line.

Every YAML file dcflex reads (scenarios, sites files, sweep files) goes through
:func:`parse_with_lines`, which bounds the work a file can ask for before anything walks the
data:

* nesting deeper than :data:`MAX_DEPTH` levels is an error while composing (PyYAML's composer
  recurses once per level, so a few thousand ``[`` would otherwise end in a RecursionError);
* aliases may not expand the document beyond :data:`MAX_NODES` values: an alias is a
  reference, so a 1 KB file whose anchors nest nine deep ("billion laughs") parses in
  microseconds but expands to 10⁹ values for any code that walks it as a tree — the size is
  counted per node with memoization, so the count itself never expands anything;
* recursive aliases (an anchor used inside itself) are errors;
* files above :data:`MAX_BYTES` are not read.

Duplicate keys in one mapping are errors (YAML 1.2 forbids them; PyYAML silently keeps the
last), and values that the YAML constructors reject (``2023-02-30``) are reported with their
line instead of escaping as Python exceptions.
"""

from __future__ import annotations

import errno
import os
from pathlib import Path
from typing import Any

import yaml

from dcflex.errors import ScenarioError

#: Deepest nesting of mappings and sequences accepted (a scenario nests about 6 levels).
MAX_DEPTH = 40
#: Most values (mapping and sequence entries, scalars) a document may expand to through
#: aliases; the largest real scenario or sweep file has a few thousand.
MAX_NODES = 200_000
#: Largest YAML file read, bytes (scenario files are a few KB).
MAX_BYTES = 4 * 1024 * 1024


class _Problem(yaml.YAMLError):
    """A document that parses but is refused: too much work, a duplicate key, a bad value."""

    def __init__(self, problem: str, mark: yaml.Mark | None) -> None:
        super().__init__(problem)
        self.problem = problem
        self.problem_mark = mark


class _BoundedLoader(yaml.SafeLoader):
    """SafeLoader with a nesting cap; constructor failures become YAML errors with a line."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                raise _Problem(f"nested more than {MAX_DEPTH} levels deep",
                             self.peek_event().start_mark)
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        try:
            return super().construct_object(node, deep=deep)
        except (ValueError, TypeError, OverflowError) as exc:
            # e.g. datetime.date(2023, 2, 30) from the timestamp constructor
            kind = node.tag.rsplit(":", 1)[-1]
            kind = {"timestamp": "date or time", "int": "integer", "float": "number"}.get(
                kind, kind)
            value = f"{node.value!r} " if isinstance(node, yaml.ScalarNode) else ""
            raise _Problem(f"{value}is not a valid {kind} ({exc})", node.start_mark) from None


def _error(exc: yaml.YAMLError, file: str | Path) -> ScenarioError:
    mark = getattr(exc, "problem_mark", None)
    line = mark.line + 1 if mark is not None else None
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    prefix = "" if isinstance(exc, _Problem) else "malformed YAML: "
    return ScenarioError(f"{prefix}{problem}", file=file, line=line)


def _check_graph(root: yaml.Node) -> None:
    """Count the values the document expands to, find recursive aliases and duplicate keys.

    Sizes are memoized per node, so a node reached through many aliases is counted once;
    nothing is expanded.
    """
    size: dict[int, int] = {}
    active: set[int] = set()

    def count(node: yaml.Node) -> int:
        key = id(node)
        if key in size:
            return size[key]
        if key in active:
            raise _Problem("an alias refers to the anchor it is inside (a recursive structure)",
                         node.start_mark)
        total = 1
        if isinstance(node, yaml.MappingNode | yaml.SequenceNode):
            active.add(key)
            if isinstance(node, yaml.MappingNode):
                _no_duplicate_keys(node)
                children = [n for pair in node.value for n in pair]
            else:
                children = node.value
            for child in children:
                total += count(child)
                if total > MAX_NODES:
                    raise _Problem(f"aliases expand this document to more than {MAX_NODES:,} "
                                 "values (anchors reused inside anchors); expected a file of "
                                 "ordinary size", node.start_mark)
            active.discard(key)
        size[key] = total
        return total

    count(root)


def _no_duplicate_keys(node: yaml.MappingNode) -> None:
    seen: dict[str, int] = {}
    for key_node, _ in node.value:
        if not isinstance(key_node, yaml.ScalarNode) or key_node.tag == "tag:yaml.org,2002:merge":
            continue
        line = key_node.start_mark.line + 1
        if key_node.value in seen:
            raise _Problem(f"duplicate key {key_node.value!r} (first given on line "
                           f"{seen[key_node.value]}); each key may appear once",
                           key_node.start_mark)
        seen[key_node.value] = line


def _parse(text: str, file: str | Path) -> tuple[Any, yaml.Node | None]:
    loader = _BoundedLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None, None
        _check_graph(node)
        return loader.construct_document(node), node
    except yaml.YAMLError as exc:
        raise _error(exc, file) from None
    finally:
        loader.dispose()


def parse_with_lines(text: str, file: str) -> tuple[Any, dict[tuple, int]]:
    """Parse YAML and return (data, {path tuple: 1-based line}).

    Raises
    ------
    ScenarioError
        Naming the file and line of malformed YAML, a duplicate key, an invalid value, too
        deep a nesting or aliases that expand beyond :data:`MAX_NODES` values.
    """
    data, node = _parse(text, file)
    lines: dict[tuple, int] = {}

    def walk(n: yaml.Node, path: tuple) -> None:
        # bounded: _check_graph proved the expanded tree has at most MAX_NODES values
        lines[path] = n.start_mark.line + 1
        if isinstance(n, yaml.MappingNode):
            for key_node, value_node in n.value:
                key = key_node.value if isinstance(key_node, yaml.ScalarNode) else None
                walk(value_node, (*path, key))
                lines[(*path, key)] = key_node.start_mark.line + 1
        elif isinstance(n, yaml.SequenceNode):
            for i, item in enumerate(n.value):
                walk(item, (*path, i))

    if node is not None:
        walk(node, ())
    return data, lines


def resolve_file(path: str | Path, what: str) -> Path:
    """``path`` made absolute with symlinks resolved, or a ScenarioError for a symlink loop."""
    try:
        return Path(path).expanduser().resolve()
    except (RuntimeError, OSError):  # pathlib raises RuntimeError for loops before 3.13
        raise ScenarioError(f"the {what} path is a loop of symbolic links", file=path) from None


def read_text(path: Path, what: str) -> str:
    """The text of a YAML file, or a ScenarioError saying why it cannot be read.

    At most :data:`MAX_BYTES` are read, so ``/dev/zero`` or a huge file ends in a message, not
    in memory exhaustion.
    """
    try:
        if path.is_dir():
            raise ScenarioError(f"expected a {what} YAML file, found a folder", file=path)
        with open(path, "rb") as handle:
            raw = handle.read(MAX_BYTES + 1)
    except OSError as exc:
        if exc.errno == errno.ENOENT:
            raise ScenarioError(f"{what} file not found", file=path) from None
        # a symlink loop, no permission: say which (never the file's content)
        reason = os.strerror(exc.errno) if exc.errno else type(exc).__name__
        raise ScenarioError(f"cannot read the {what} file ({reason})", file=path) from None
    if len(raw) > MAX_BYTES:
        raise ScenarioError(f"too large for a {what} file (more than {MAX_BYTES:,} bytes)",
                            file=path)
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ScenarioError(f"expected UTF-8 text, found byte {raw[exc.start]:#04x} at "
                            f"offset {exc.start}", file=path) from None


def read_yaml_file(path: str | Path, what: str = "scenario") -> Any:
    """Parse a YAML file of dcflex (scenario, sites or sweep file) with the same bounds.

    Raises
    ------
    ScenarioError
        Naming the file (and the line, for malformed YAML) if it is missing or not YAML.
    """
    path = Path(path)
    return _parse(read_text(path, what), path)[0]
