"""The record cache's codec: JSON that can only ever become the model's own records.

Values are JSON; every object in an entry is tagged ('#t' a tuple, '#d' a mapping,
'#P' a position, '#C' a citation, '#ps' a record's field positions, '#' a record
class from a fixed table), and :func:`decode` builds nothing else: an unknown tag,
a missing or extra field, or a value of the wrong type raises CodecError and the
entry holding it is ignored. Nothing in a decoded value can run code.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import sys
from array import array
from typing import Any

from ..errors import Diagnostic
from ..model import Cite, Entity, Event, Figure, KeyFact, Page, PartialDate, Pos, Positions, Sheet, Source, Topic

_CLASSES = {cls.__name__: cls for cls in (Pos, PartialDate, Cite, KeyFact, Figure, Event, Sheet, Source,
                                          Page, Topic, Entity, Diagnostic)}
_FIELDS = {name: tuple(f.name for f in dataclasses.fields(cls)) for name, cls in _CLASSES.items()}
_FIELD_SETS = {name: set(fields) for name, fields in _FIELDS.items()}


class CodecError(ValueError):
    """A value the codec does not know: the entry holding it is ignored."""


def encode(value: Any) -> Any:
    """JSON-ready form: scalars and lists as they are; tuples, mappings, dates and records as
    objects tagged with '#...' (every object in an entry is one of these)."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, list):
        return [encode(v) for v in value]
    if isinstance(value, tuple):
        return {"#t": [encode(v) for v in value]}
    if isinstance(value, dict):
        if value and all(type(v) is Pos for v in value.values()) and len({v.path for v in value.values()}) == 1:
            path = next(iter(value.values())).path  # a record's positions: all in its own file
            return {"#ps": [path, [[k, v.line, v.col] for k, v in value.items()]]} if all(
                type(k) is str for k in value) else {"#d": [[encode(k), encode(v)] for k, v in value.items()]}
        return {"#d": [[encode(k), encode(v)] for k, v in value.items()]}
    if type(value) is Positions:
        return {"#ps": [value.path, value.raw()]}
    if type(value) is Pos:
        return {"#P": [value.path, value.line, value.col]}
    if type(value) is Cite and (value.quote_pos is None or value.quote_pos.path == value.pos.path):
        where = (value.quote_pos.line, value.quote_pos.col) if value.quote_pos else (None, None)
        return {"#C": [value.source, value.quote, value.pos.path, value.pos.line, value.pos.col, *where]}
    if type(value) is dt.date:
        return {"#date": value.isoformat()}
    name = type(value).__name__
    if _CLASSES.get(name) is type(value):
        return {"#": name, **{f: encode(getattr(value, f)) for f in _FIELDS[name]}}
    raise CodecError(f"cannot store a {name}")


SHORT = 64  # characters: a decoded string up to this long (an id, a path, a status) is interned


def _shared(value: Any) -> Any:
    """One string object for each short string, however many records hold it: JSON makes a new
    one each time (a source's id in every citation of it, a sheet's path in each of its
    positions: 3.3 MB of 68 MB traced at 1,000 sheets), where a parse in this process gave one."""
    return sys.intern(value) if type(value) is str and len(value) <= SHORT else value


def _pos(path: Any, line: Any, col: Any) -> Pos:
    if not (isinstance(path, str) and type(line) is int and type(col) is int):
        raise CodecError("bad position")
    return Pos(_shared(path), line, col)


def _positions(path: Any, raw: Any) -> Positions:
    if not (isinstance(path, str) and isinstance(raw, list) and all(
            type(item) is list and len(item) == 3 and type(item[0]) is str and type(item[1]) is int
            and type(item[2]) is int for item in raw)):
        raise CodecError("bad positions")
    names = tuple(k for k, _, _ in raw)
    if len(set(names)) != len(names):
        raise CodecError("bad positions")
    try:
        return Positions(_shared(path), names, array("i", [n for _, line, col in raw for n in (line, col)]))
    except OverflowError:
        raise CodecError("bad positions") from None


def _object(d: dict) -> Any:
    """Build one tagged object, from the inside out (json's object_hook); CodecError otherwise."""
    if len(d) == 1:
        (tag, v), = d.items()
        if tag == "#t" and isinstance(v, list):
            return tuple(_shared(item) for item in v)
        if tag == "#d" and isinstance(v, list):
            return {k: item for k, item in v}
        if tag == "#ps" and isinstance(v, list) and len(v) == 2:
            return _positions(*v)
        if tag == "#C" and isinstance(v, list) and len(v) == 7:
            source, quote, path, line, col, qline, qcol = v
            if type(source) is str and (quote is None or type(quote) is str):
                return Cite(_shared(source), quote, _pos(path, line, col),
                            None if qline is None else _pos(path, qline, qcol))
        if tag == "#P" and isinstance(v, list) and len(v) == 3:
            return _pos(*v)
        if tag == "#date" and isinstance(v, str):
            return dt.date.fromisoformat(v)
    name = d.pop("#", None)
    if not isinstance(name, str) or name not in _CLASSES or d.keys() != _FIELD_SETS[name]:
        raise CodecError("unknown object")
    return _CLASSES[name](**{field: _shared(value) for field, value in d.items()})


def decode(text: str) -> Any:
    """The value whose :func:`encode` was dumped as ``text``; anything else raises CodecError."""
    try:
        return json.loads(text, object_hook=_object)
    except (ValueError, TypeError, RecursionError) as exc:  # CodecError is a ValueError
        raise CodecError(str(exc)) from None
