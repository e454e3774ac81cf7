"""Safe YAML with positions.

Content YAML goes through the C loader (``yaml.CSafeLoader``) for speed, with
these changes: a duplicate key is an error (PyYAML silently keeps the last
one), aliases are refused (they are never needed in content and are the
vector of "billion laughs" bombs), nesting is bounded (deep nesting crashes
libyaml's composer), a value that does not fit an explicit tag is a content
error, and every mapping and sequence remembers where each of its entries
stood, so later stages can point at a field.

Content YAML also keeps what the editor typed. YAML 1.1 (PyYAML's default)
turns ``12:30`` into 750, ``017`` into 15 and ``NO`` (Norway) into False, and
no content field is a number. So content is read with a smaller resolver: a
plain value is text exactly as typed, except ``true`` and ``false``, ``null``
and ``~`` (or nothing), and dates (``2024-12-20``, with a time: a date-time).
Every value that is not text remembers how it was written, so the schema can
take a date as text where a field wants text, and show the value as typed when
it cannot. ``mkdocs.yml`` keeps YAML 1.1, as MkDocs reads it.
"""

from __future__ import annotations

import re

import yaml

from ..errors import ContentError, Diagnostic


class YMap(dict):
    """A dict that knows the (line, col) of each key and value, 1-based, and how each
    value that is not text was written."""

    __slots__ = ("marks", "value_marks", "start", "written_as")

    @classmethod
    def empty(cls, start: tuple[int, int] = (1, 1)) -> "YMap":
        result = cls()
        result.marks, result.value_marks, result.start, result.written_as = {}, {}, start, {}
        return result

    def mark(self, key, of_value: bool = True) -> tuple[int, int]:
        marks = self.value_marks if of_value else self.marks
        return marks.get(key, self.start)

    def written(self, key) -> str | None:
        """The source text of a value that YAML did not read as text (a date, true, a list)."""
        return self.written_as.get(key)


class YList(list):
    """A list that knows the (line, col) of each item, 1-based, and how each item
    that is not text was written."""

    __slots__ = ("marks", "start", "written_as")

    def mark(self, index: int) -> tuple[int, int]:
        return self.marks[index] if 0 <= index < len(self.marks) else self.start

    def written(self, index: int) -> str | None:
        return self.written_as.get(index)


class YAMLProblem(Exception):
    """A structural problem found while constructing (duplicate key, alias...)."""

    def __init__(self, message: str, mark, hint: str | None = None):
        super().__init__(message)
        self.message, self.mark, self.hint = message, mark, hint


def _pos(mark, line_offset: int = 0) -> tuple[int, int]:
    return mark.line + 1 + line_offset, mark.column + 1


class _Loader(yaml.CSafeLoader):
    line_offset = 0
    source = ""  # the text being loaded, to cut out how values were written
    content = True  # content YAML: a key is the text typed (`no:`, `2024:`), and no << merge keys

    def construct_object(self, node, deep=False):
        # The composer hands back the anchored node itself for every *alias, so
        # a node met twice is an alias (of a scalar, a collection or a << merge).
        if node in self.constructed_objects:
            raise YAMLProblem(
                "YAML anchors and aliases (&name, *name) are not allowed in content",
                node.start_mark,
                "write the value out in full instead of using &anchor and *alias",
            )
        try:
            return super().construct_object(node, deep=True)
        except (YAMLProblem, yaml.YAMLError):
            raise
        except (ValueError, TypeError, KeyError, AttributeError, IndexError, OverflowError):
            # PyYAML's constructors trust that a value fits its tag; an explicit tag
            # (!!float abc, !!seq {a: 1}, !!timestamp x) breaks that trust.
            tag = str(node.tag).replace("tag:yaml.org,2002:", "!!")
            raise YAMLProblem(f"invalid YAML: this value cannot be read as '{tag}'", node.start_mark,
                              "remove the tag: sitegen reads plain values by themselves") from None

    def construct_ymap(self, node):
        self.flatten_mapping(node)
        result = YMap()
        result.marks, result.value_marks = {}, {}
        result.start = _pos(node.start_mark, self.line_offset)
        result.written_as = {}
        for key_node, value_node in node.value:
            if self.content and key_node.tag == "tag:yaml.org,2002:str" and key_node.value == "<<" \
                    and not key_node.style:
                # YAML 1.1 would copy the fields of the mapping in silently; 1.2 has no merge key.
                raise YAMLProblem("YAML merge keys (<<) are not allowed in content", key_node.start_mark,
                                  "write the fields out in full")
            key = self.construct_object(key_node, deep=True)
            if self.content and not isinstance(key, str) and isinstance(key_node, yaml.ScalarNode):
                key = key_node.value
            try:
                hash(key)
            except TypeError:
                raise YAMLProblem("a mapping key must be a plain value", key_node.start_mark) from None
            if key in result:
                line, _ = result.marks[key]
                raise YAMLProblem(
                    f"duplicate key '{key}' (first defined on line {line})",
                    key_node.start_mark,
                    "remove one of the two entries; YAML keeps only one of them",
                )
            result[key] = value = self.construct_object(value_node, deep=True)
            result.marks[key] = _pos(key_node.start_mark, self.line_offset)
            result.value_marks[key] = _pos(value_node.start_mark, self.line_offset)
            if not isinstance(value, str):
                result.written_as[key] = self._written(value_node)
        return result

    def construct_ylist(self, node):
        result = YList(self.construct_object(child, deep=True) for child in node.value)
        result.marks = [_pos(child.start_mark, self.line_offset) for child in node.value]
        result.start = _pos(node.start_mark, self.line_offset)
        result.written_as = {index: self._written(child) for index, (child, item)
                             in enumerate(zip(node.value, result)) if not isinstance(item, str)}
        return result

    def _written(self, node) -> str:
        """The node's text as it stands in the file, tag included (``!!float 3.50``, ``[a, b]``)."""
        return self.source[node.start_mark.index:node.end_mark.index].strip()


_Loader.add_constructor("tag:yaml.org,2002:map", _Loader.construct_ymap)
_Loader.add_constructor("tag:yaml.org,2002:seq", _Loader.construct_ylist)


def _content_resolvers() -> dict:
    """Plain values that content YAML reads as something other than text: true and
    false, null and ~ (and an empty value), and dates (YAML 1.1's timestamp form).
    Only these lowercase spellings: ``True``, ``NULL``, ``yes``, ``off`` stay text."""
    timestamp = "tag:yaml.org,2002:timestamp"
    table = {first: [(tag, rule) for tag, rule in rules if tag == timestamp]
             for first, rules in yaml.resolver.Resolver.yaml_implicit_resolvers.items()}
    table = {first: rules for first, rules in table.items() if rules}
    table.setdefault("t", []).append(("tag:yaml.org,2002:bool", re.compile(r"^true$")))
    table.setdefault("f", []).append(("tag:yaml.org,2002:bool", re.compile(r"^false$")))
    for first in ("n", "~", ""):
        table.setdefault(first, []).append(("tag:yaml.org,2002:null", re.compile(r"^(?:null|~|)$")))
    return table


_Loader.yaml_implicit_resolvers = _content_resolvers()


class _EnvLoader(_Loader):
    """The loader for mkdocs.yml: YAML 1.1 as MkDocs reads it, and MkDocs' ``!ENV`` tag."""

    yaml_implicit_resolvers = yaml.resolver.Resolver.yaml_implicit_resolvers
    content = False


def _construct_env(loader, node):
    """``!ENV NAME`` or ``!ENV [NAME, OTHER, default]``: first set variable, else the default.

    As in MkDocs, a variable's value is read as one plain YAML scalar (``8000``
    is a number, ``true`` a boolean), never as a document of its own.
    """
    import os

    if isinstance(node, yaml.ScalarNode):
        names, default = [node], None
    elif isinstance(node, yaml.SequenceNode) and node.value:
        names, default = (node.value[:-1], node.value[-1]) if len(node.value) > 1 else (node.value, None)
    else:
        raise YAMLProblem("!ENV takes a variable name, or a list of names ending with a default value",
                          node.start_mark, "write: !ENV SITE_URL  or  !ENV [SITE_URL, 'http://127.0.0.1:8000/']")
    for name_node in names:
        if not isinstance(name_node, yaml.ScalarNode):
            raise YAMLProblem("!ENV takes names of environment variables", name_node.start_mark)
        name = loader.construct_scalar(name_node)
        if name in os.environ:
            value = os.environ[name]
            tag = loader.resolve(yaml.ScalarNode, value, (True, False))
            return loader.construct_object(yaml.ScalarNode(tag, value, node.start_mark, node.end_mark))
    return None if default is None else loader.construct_object(default, deep=True)


_EnvLoader.add_constructor("!ENV", _construct_env)


def load(text: str, path: str, line_offset: int = 0, env: bool = False):
    """Parse one YAML document; any problem becomes a ContentError at its line.

    ``line_offset`` shifts reported lines, for YAML that starts further down a
    file (front matter after its ``---`` line).
    """
    loader_class = _EnvLoader if env else _Loader
    loader = loader_class(text)
    loader.line_offset, loader.source = line_offset, text
    try:
        _check_depth(loader_class, text)
        return loader.get_single_data()
    except YAMLProblem as problem:
        line, col = _pos(problem.mark, line_offset)
        raise ContentError([Diagnostic(path, line, col, problem.message, hint=problem.hint)]) from None
    except yaml.constructor.ConstructorError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = _pos(mark, line_offset) if mark else (1 + line_offset, 1)
        problem = str(exc.problem or "").strip()
        tag = re.search(r"for the tag '([^']*)'", problem)
        message = (f"unsupported YAML tag '{tag.group(1).replace('tag:yaml.org,2002:', '!!')}'" if tag
                   else f"invalid YAML: {problem}")
        raise ContentError(
            [Diagnostic(path, line, col, message, hint="sitegen loads YAML safely: use plain strings, numbers, dates, lists and mappings")]
        ) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = _pos(mark, line_offset) if mark else (1 + line_offset, 1)
        problem = (exc.problem or exc.context or "syntax error").strip()
        hint = _yaml_hint(problem)
        opened = _OPENERS.get((exc.context or "").removeprefix("while ").strip())
        if opened and exc.context_mark:
            # PyYAML notices an unclosed [ { or " only further down: say where it opened.
            where = _pos(exc.context_mark, line_offset)
            hint = (f"the {opened} opened on line {where[0]}, column {where[1]} is never closed: "
                    "close it, or put the whole value in quotes")
        raise ContentError(
            [Diagnostic(path, line, col, f"invalid YAML: {problem}", hint=hint)]
        ) from None
    except yaml.reader.ReaderError as exc:  # control characters and the like, found before parsing
        at = exc.position if isinstance(exc.position, int) else 0
        line, col = text.count("\n", 0, at) + 1 + line_offset, at - text.rfind("\n", 0, at)
        char = f"#x{exc.character:04x}" if isinstance(exc.character, int) else repr(exc.character)
        raise ContentError([Diagnostic(path, line, col, f"invalid YAML: unacceptable character {char}: {exc.reason}",
                                       hint="delete the character; most editors do not show it")]) from None
    except yaml.YAMLError as exc:
        raise ContentError([Diagnostic(path, 1 + line_offset, 1, f"invalid YAML: {exc}")]) from None
    finally:
        loader.dispose()


# Lists and mappings inside one another. Real content needs a handful of levels; the
# constructors above recurse a few frames per level (Python's limit is near 200 levels),
# and libyaml's C composer recurses too and crashes the process near 50,000.
MAX_YAML_DEPTH = 50


def _check_depth(loader_class, text: str) -> None:
    """Count nesting on the parser's event stream (it keeps an explicit stack, so this
    pass is safe at any depth) before the composer and constructors recurse.

    libyaml 0.2.6 and newer stop at a nesting limit of their own, and their scanner reads
    up to 1,024 characters ahead, so that error can come before this count reaches
    MAX_YAML_DEPTH: the count is then redone on PyYAML's pure-Python parser, which has no
    such limit, so the editor gets the same message at the same place with any libyaml.
    Any other error is a real syntax error and goes to the caller as it is."""
    # Every level opens on a new line, after a '- ' or '? ' entry, or with '[' or '{':
    # when there are too few of those in all, the text cannot nest too deep.
    openers = (text.count("\n") + text.count("[") + text.count("{") + 1
               + sum(text.count(c + after) for c in "-?" for after in " \t\n"))
    if openers <= MAX_YAML_DEPTH:
        return
    try:
        _count_depth(loader_class(text))
    except yaml.MarkedYAMLError as exc:
        if "nesting depth" not in str(exc.problem or ""):
            raise
        _count_depth(_PurePythonEvents(text))


class _PurePythonEvents(yaml.SafeLoader):
    """PyYAML's own parser, used only to count nesting where libyaml gave up."""


def _count_depth(parser) -> None:
    depth = 0
    try:
        while True:
            event = parser.get_event()
            if event is None:
                return
            if isinstance(event, (yaml.SequenceStartEvent, yaml.MappingStartEvent)):
                depth += 1
                if depth > MAX_YAML_DEPTH:
                    raise YAMLProblem(f"YAML nested more than {MAX_YAML_DEPTH} levels deep (lists and mappings "
                                      "inside one another)", event.start_mark,
                                      "flatten the data: content needs only a few levels")
            elif isinstance(event, (yaml.SequenceEndEvent, yaml.MappingEndEvent)):
                depth -= 1
    finally:
        parser.dispose()


_OPENERS = {"parsing a flow sequence": "'['", "parsing a flow mapping": "'{'",
            "scanning a quoted scalar": "quote"}


def _yaml_hint(problem: str) -> str | None:
    if "mapping values are not allowed" in problem:
        return "a value containing ': ' must be put in quotes"
    if "found character '\\t'" in problem:
        return "indent YAML with spaces, not tabs"
    if "expected <block end>" in problem or "could not find expected ':'" in problem:
        return "check the indentation and that every key ends with ':'"
    return None


def _construct_timestamp(loader, node):
    """Keep an impossible date (2024-02-30) as text so the schema can say what is wrong."""
    try:
        return yaml.constructor.SafeConstructor.construct_yaml_timestamp(loader, node)
    except ValueError:
        return loader.construct_scalar(node)


_Loader.add_constructor("tag:yaml.org,2002:timestamp", _construct_timestamp)


def _construct_int(loader, node):
    """Keep a number Python will not convert (over 4,300 digits) as text, like an impossible date."""
    try:
        return yaml.constructor.SafeConstructor.construct_yaml_int(loader, node)
    except ValueError:
        return loader.construct_scalar(node)


_Loader.add_constructor("tag:yaml.org,2002:int", _construct_int)
