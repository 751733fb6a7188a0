"""One registry for every seam: lazy built-ins, errors that list the known names, and outside
packages found through entry points, the real importlib.metadata way (a ``*.dist-info``
directory on ``sys.path``; nothing is installed)."""

from __future__ import annotations

import importlib
import os
import subprocess
import sys
from fractions import Fraction

import pytest
from support import CRUCIBLE

from codecrucible import benchmarks, judges, models, sandbox, strategies
from codecrucible.registry import Registry, UnknownName, instance
from codecrucible.sandbox import SandboxPool

PLUGIN = '''
from codecrucible.judges import Assessment
from codecrucible.records import Attempt, Candidate, Completion, Problem, Request
from codecrucible.strategies import no_rounds


class Echo:
    """A strategy whose answer is the problem's reference, without a model call."""

    def check(self, budget, problems):
        no_rounds(budget)

    def __call__(self, problem, samples, ctx):
        request = ctx.request(problem, 0)
        return [Candidate(problem.task_id, s, [Attempt(0, request,
                Completion(problem.reference, 0, 0, 0.0), problem.reference, {})])
                for s in samples]


class Lines:
    name, needs = "lines", "text"

    def assess(self, programs, setting=None):
        return [Assessment({"lines.count": float(len((p.code or "").splitlines()))})
                for p in programs]

    def facts(self):
        return {}


class Tiny:
    name, description, size, suites, files = "tiny", "Tiny: one function", 1, ("base",), ()

    def load(self, data_dir):
        return [Problem(task_id="Tiny/0", benchmark="tiny", prompt="def one():\\n",
                        instruction="Write one() returning 1.", entry_point="one",
                        reference="def one():\\n    return 1\\n",
                        snippets=("assert one() == 1\\n",))]


def open_echo(rest, options):
    return ("echo model", rest)
'''

ENTRY_POINTS = """\
[codecrucible.strategies]
echo = crucible_plugin:Echo

[codecrucible.judges]
lines = crucible_plugin:Lines

[codecrucible.benchmarks]
tiny = crucible_plugin:Tiny

[codecrucible.models]
echo = crucible_plugin:open_echo

[codecrucible.executors]
local = crucible_plugin:Tiny
inline = crucible_plugin:Tiny
"""

SEAMS = (benchmarks.REGISTRY, models.BACKENDS, strategies.REGISTRY, judges.REGISTRY,
         sandbox.EXECUTORS)


def write_plugin(root):
    (root / "crucible_plugin").mkdir()
    (root / "crucible_plugin" / "__init__.py").write_text(PLUGIN)
    info = root / "crucible_plugin-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: crucible-plugin\n"
                                   "Version: 0.1\n")
    (info / "entry_points.txt").write_text(ENTRY_POINTS)


@pytest.fixture
def plugin(tmp_path, monkeypatch):
    """An outside package, as pip would leave it, on sys.path for this test only."""
    write_plugin(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    importlib.invalidate_caches()
    for seam in SEAMS:
        seam.refresh()
    yield tmp_path
    sys.modules.pop("crucible_plugin", None)
    for seam in SEAMS:
        seam.refresh()  # read again without the plugin, once sys.path has lost it


def test_built_ins_load_on_first_use_and_unknown_names_list_the_known_ones():
    things = Registry("thing", "codecrucible.no-such-group", {"half": "fractions:Fraction"},
                      make=instance)
    assert "half" in things and things.names() == ["half"]
    assert things.get("half") == Fraction(0)  # the class named, made into its instance
    things.add("one", Fraction(1))
    with pytest.raises(UnknownName, match=r"unknown thing 'two' \(known: half, one\)"):
        things.get("two")

    @things.register("three")
    class Three:
        pass

    assert isinstance(things.get("three"), Three)


def test_every_seam_keeps_its_error_type_and_wording():
    with pytest.raises(benchmarks.DataError, match=r"unknown benchmark 'nope'; known: .*mbpp\+"):
        benchmarks.get("nope")
    with pytest.raises(models.ModelError, match=r"unknown backend 'warp' \(known: embedded, "
                                                r"gguf, hf, openai\)"):
        models.open_model("warp:drive", cache=False)
    with pytest.raises(UnknownName, match=r"unknown strategy 'beam' \(known: evolve, "
                                          r"evolve-islands, multiturn, repair, single\)"):
        strategies.get("beam")
    with pytest.raises(UnknownName, match=r"unknown executor 'ray' \(known: local\)"):
        sandbox.executor("ray")
    assert sandbox.executor() is SandboxPool
    assert judges.names() == ["efficiency", "maintainability", "security", "style"]


def test_outside_packages_add_entries_through_entry_points(plugin):
    assert "echo" in strategies.names()
    echo = strategies.get("echo")
    with pytest.raises(ValueError, match="--rounds applies to the repair and evolve strategies"):
        echo.check(strategies.Budget(rounds=1), ())

    assert judges.parse_selection("all") == ("efficiency", "lines", "maintainability",
                                             "security", "style")
    (scored,) = judges.assess(["lines", "style"], ["x = 1\ny = 2\n"])
    assert scored.scores["lines.count"] == 2.0 and "style.findings" in scored.scores

    tiny = benchmarks.get("tiny")
    assert [p.task_id for p in tiny.load(None)] == ["Tiny/0"]
    assert "tiny" in [b.name for b in benchmarks.all_benchmarks()]

    factory, rest = models.base.factory_for("echo:hello")
    assert factory(rest, models.ModelOptions()) == ("echo model", "hello")

    # A built-in wins over an entry point of the same name.
    assert sandbox.executor("local") is SandboxPool
    assert sandbox.EXECUTORS.names() == ["inline", "local"]


def test_the_plugin_is_gone_once_its_package_is(plugin):
    assert "lines" in judges.names()
    sys.path.remove(str(plugin))
    importlib.invalidate_caches()
    judges.REGISTRY.refresh()
    assert "lines" not in judges.names()


def test_the_command_line_sees_a_plugin_benchmark(tmp_path, data_dir):
    write_plugin(tmp_path)
    env = os.environ | {"PYTHONPATH": str(tmp_path)}
    result = subprocess.run([CRUCIBLE, "benchmarks", "--data-dir", str(data_dir)],
                            capture_output=True, text=True, env=env, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "Tiny: one function" in result.stdout

