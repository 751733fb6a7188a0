"""A Matplotlib figure as data: what a checker reads of it, answered by the process that drew it.

DS-1000 checks a plot in two ways: the saved image equals the reference's pixel for pixel, or
else ``exec_test`` reads the current axes (``plt.gca()``, ``plt.gcf()``): legend texts, tick
labels, colours, private attributes. A figure can leave its process only as pickle, so its
properties leave instead, as answers to queries:

* ``record`` (calibration, on a reference server): ``exec_test`` runs against the reference's
  own figure through recording proxies, which note every path it reads, e.g.
  ``gca() .get_legend() () .get_texts() () [*] .get_text() ()``; an index is noted as ``*``.
  The queries say what is read, never what value is expected.
* ``answer`` (the candidate's process): evaluates the queries on the candidate's figure, every
  element where a query says ``*``: a plain value (``datawire``), an error, or for any other
  object a node (its class and an identity).
* ``Replayed`` (the checker): proxies that answer ``exec_test``'s reads from those answers;
  a read they lack raises ``Unanswered`` and fails the case.

A path is a list of steps: ``["root", "gca"|"gcf"]``, ``["a", name]`` (attribute),
``["c", args, kwargs]`` (call), ``["i", key]`` (item), ``["it"]`` (iteration, as a list) and
``["op", name, arg]`` (``len``, ``bool``, ``str``, ``eq``, ``contains``). Arguments are plain
values, or ``{"ref": path}`` for a proxy.
"""

from __future__ import annotations

import builtins
import json
import sys

from codecrucible.sandbox import datawire

ROOTS = ("gca", "gcf")
MAX_ELEMENTS = 256        # elements answered per ``*``
MAX_ANSWERS = 20_000      # answers per figure
_CLASS_MODULES = ("builtins", "matplotlib", "mpl_toolkits", "seaborn", "numpy")


class Unanswered(BaseException):
    """The checker read something the candidate's answers do not hold. A BaseException, so
    that a checker's ``except Exception`` cannot turn it into a pass (``check`` also looks)."""


def key(path: list) -> str:
    return json.dumps(path, separators=(",", ":"), sort_keys=True)


_NODE = object()


def _tree(value: object) -> object:
    """The encoded tree of a value that crosses as data, or ``_NODE`` for an object."""
    try:
        return datawire.tree(value)
    except (datawire.Unserializable, ValueError, TypeError, RecursionError):
        return _NODE


# ------------------------------------------------------------------ recording (reference)
class _Pyplot:
    """``plt`` as a checker sees it: ``gca``/``gcf`` go to ``roots``, the rest to pyplot."""

    def __init__(self, roots):
        self._roots = roots

    def __getattr__(self, name: str):
        if name in ROOTS:
            return lambda: self._roots(name)
        return getattr(sys.modules["matplotlib.pyplot"], name)


def recording_pyplot(log: set) -> _Pyplot:
    plt = sys.modules["matplotlib.pyplot"]
    return _Pyplot(lambda name: _Recorder(getattr(plt, name)(), [["root", name]], log))


class _Recorder:
    __slots__ = ("_r_obj", "_r_path", "_r_log")

    def __init__(self, obj, path, log):
        object.__setattr__(self, "_r_obj", obj)
        object.__setattr__(self, "_r_path", path)
        object.__setattr__(self, "_r_log", log)

    @property
    def __class__(self):  # isinstance() sees the real class
        return type(self._r_obj)

    def _r_step(self, step: list, compute):
        path = self._r_path + [step]
        self._r_log.add(key(_wild(path)))
        value = compute(self._r_obj)  # raises as the real object does
        if _tree(value) is not _NODE:
            return value
        return _Recorder(value, path, self._r_log)

    def __getattr__(self, name):
        return self._r_step(["a", name], lambda o: getattr(o, name))

    def __call__(self, *args, **kwargs):
        step = ["c", [_arg(a) for a in args], [[k, _arg(v)] for k, v in sorted(kwargs.items())]]
        return self._r_step(step, lambda o: o(*map(_real, args),
                                               **{k: _real(v) for k, v in kwargs.items()}))

    def __getitem__(self, item):
        return self._r_step(["i", _arg(item)], lambda o: o[_real(item)])

    def __iter__(self):
        values = self._r_step(["it"], list)
        if type(values) is not _Recorder:  # (isinstance would see the real class)
            return iter(values)
        return iter([values[n] for n in range(len(values._r_obj))])

    def __len__(self):
        return self._r_step(["op", "len", None], len)

    def __bool__(self):
        return self._r_step(["op", "bool", None], bool)

    def __str__(self):
        return self._r_step(["op", "str", None], str)

    def __eq__(self, other):
        return self._r_step(["op", "eq", _arg(other)], lambda o: o == _real(other))

    def __ne__(self, other):
        return not self.__eq__(other)

    def __contains__(self, item):
        return self._r_step(["op", "contains", _arg(item)], lambda o: _real(item) in o)

    def __hash__(self):
        return hash(self._r_obj)


def _wild(path: list) -> list:
    """A path with its integer indexes as ``*``: the candidate answers every element."""
    return [["i", "*"] if step[0] == "i" and type(step[1]) is int else step for step in path]


def _arg(value: object) -> object:
    if type(value) in (_Recorder, Replayed):
        return {"ref": object.__getattribute__(value, "_r_path")}
    if type(value) is slice:
        return {"slice": [_arg(value.start), _arg(value.stop), _arg(value.step)]}
    tree = _tree(value)
    if tree is _NODE:
        raise TypeError(f"a figure query cannot carry a {type(value).__name__}")
    return tree


def _real(value: object) -> object:
    return object.__getattribute__(value, "_r_obj") if type(value) is _Recorder else value


# ------------------------------------------------------------------ answering (candidate)
def answer(queries: list[str]) -> dict:
    """The answers of the current figure to ``queries`` (recorded paths), every element of
    a ``*`` included: {path key: {"v": value} | {"n": id, "k": class} | {"e": error}}."""
    plt = sys.modules.get("matplotlib.pyplot")
    answers: dict[str, dict] = {}
    if plt is None:
        return answers
    trie: dict = {}
    for query in queries:
        level = trie
        for step in json.loads(query):
            level = level.setdefault(key(step), (step, {}))[1]
    nodes: dict[int, object] = {}  # kept alive, so that ids stay unique

    def resolve(path: list) -> object:
        obj = getattr(plt, path[0][1])()
        for step in path[1:]:
            obj = _apply(obj, step, resolve)
        return obj

    def entry(value) -> dict:
        if _tree(value) is not _NODE:
            return {"v": value}
        nodes.setdefault(id(value), value)
        kind = type(value)
        return {"n": id(value), "k": f"{kind.__module__}:{kind.__qualname__}"}

    def walk(obj, done: list, level: dict) -> None:
        for step, below in level.values():
            if len(answers) >= MAX_ANSWERS:
                return
            if step == ["i", "*"]:
                length = done + [["op", "len", None]]
                try:
                    count = len(obj)
                except Exception as err:  # noqa: BLE001 - the candidate's objects raise anything
                    answers[key(length)] = {"e": type(err).__name__}
                    continue
                answers[key(length)] = {"v": count}
                for n in range(min(count, MAX_ELEMENTS)):
                    visit(obj, done, ["i", n], below)
            else:
                visit(obj, done, step, below)

    def visit(obj, done: list, step: list, below: dict) -> None:
        path = done + [step]
        try:
            value = _apply(obj, step, resolve) if done else getattr(plt, step[1])()
        except Exception as err:  # noqa: BLE001
            answers[key(path)] = {"e": type(err).__name__}
            return
        answers[key(path)] = entry(value)
        walk(value, path, below)

    for root, below in trie.values():
        if root[0] == "root" and root[1] in ROOTS:
            visit(None, [], root, below)
    return answers


def _apply(obj: object, step: list, resolve) -> object:
    """One step of a path, on a live object."""
    kind = step[0]
    if kind == "a":
        return getattr(obj, step[1])
    if kind == "c":
        return obj(*(_value(a, resolve) for a in step[1]),
                   **{k: _value(v, resolve) for k, v in step[2]})
    if kind == "i":
        return obj[_value(step[1], resolve)]
    if kind == "it":
        return list(obj)[:MAX_ELEMENTS]
    name, arg = step[1], step[2]
    if name == "len":
        return len(obj)
    if name == "bool":
        return bool(obj)
    if name == "str":
        return str(obj)
    if name == "eq":
        return bool(obj == _value(arg, resolve))
    if name == "contains":
        return bool(_value(arg, resolve) in obj)
    raise ValueError(f"unknown step {step!r}")


def _value(tree: object, resolve) -> object:
    if type(tree) is dict and "ref" in tree:
        return resolve(tree["ref"])
    if type(tree) is dict and "slice" in tree:
        return slice(*(_value(v, resolve) for v in tree["slice"]))
    return datawire.decode(tree)


# ------------------------------------------------------------------ replaying (checker)
class Replay:
    """The answers of one candidate's figure, and whether a read found none."""

    def __init__(self, answers: dict):
        if type(answers) is not dict or any(type(k) is not str or type(v) is not dict
                                            for k, v in answers.items()):
            raise datawire.Malformed("figure answers are not a mapping of entries")
        self.answers = answers
        self.missing: str | None = None
        self._proxies: dict[int, Replayed] = {}

    def pyplot(self) -> _Pyplot:
        return _Pyplot(lambda name: self.lookup([["root", name]]))

    def lookup(self, path: list) -> object:
        found = self.answers.get(key(path))
        if found is None:
            self.missing = self.missing or key(path)
            raise Unanswered(f"the candidate's figure did not answer {key(path)[:300]}")
        if "v" in found:
            return found["v"]
        if "e" in found:
            error = getattr(builtins, str(found["e"]), None)
            if not (isinstance(error, type) and issubclass(error, Exception)):
                error = RuntimeError
            raise error(f"raised in the candidate's figure: {str(found['e'])[:80]}")
        node = found.get("n")
        if type(node) is not int:
            raise datawire.Malformed("a figure node without an identity")
        if node not in self._proxies:
            self._proxies[node] = Replayed(self, path, node, _class(found.get("k")))
        return self._proxies[node]


class Replayed:
    """An object of the candidate's figure, seen through its answers."""

    __slots__ = ("_r_replay", "_r_path", "_r_node", "_r_class")

    def __init__(self, replay, path, node, cls):
        for name, value in (("_r_replay", replay), ("_r_path", path), ("_r_node", node),
                            ("_r_class", cls)):
            object.__setattr__(self, name, value)

    @property
    def __class__(self):
        return self._r_class or Replayed

    def _r(self, step: list):
        return self._r_replay.lookup(self._r_path + [step])

    def __getattr__(self, name):
        return self._r(["a", name])

    def __call__(self, *args, **kwargs):
        return self._r(["c", [_arg(a) for a in args],
                        [[k, _arg(v)] for k, v in sorted(kwargs.items())]])

    def __getitem__(self, item):
        if type(item) is int and item < 0:
            item += len(self)
        return self._r(["i", _arg(item)])

    def __iter__(self):
        values = self._r(["it"])
        if type(values) is not Replayed:
            return iter(values)
        return iter([values[n] for n in range(len(values))])

    def __len__(self):
        count = self._r(["op", "len", None])
        if type(count) is not int or count < 0:
            raise TypeError("the candidate's figure answered a length that is not one")
        return count

    def __bool__(self):
        return self._r(["op", "bool", None]) is True

    def __str__(self):
        return str(self._r(["op", "str", None]))

    def __eq__(self, other):
        return self._r(["op", "eq", _arg(other)]) is True

    def __ne__(self, other):
        return not self.__eq__(other)

    def __contains__(self, item):
        return self._r(["op", "contains", _arg(item)]) is True

    def __hash__(self):
        return hash(self._r_node)

    def __repr__(self):
        return f"<the candidate's {getattr(self._r_class, '__name__', 'object')}>"


def _class(name: object) -> type | None:
    """The class a node names, from Matplotlib and its neighbours only (for isinstance)."""
    if type(name) is not str or ":" not in name:
        return None
    module, _, qualname = name.partition(":")
    if module.split(".")[0] not in _CLASS_MODULES or module not in sys.modules:
        return None
    found: object = sys.modules[module]
    for part in qualname.split("."):
        found = getattr(found, part, None) if part.isidentifier() else None
    return found if isinstance(found, type) else None
