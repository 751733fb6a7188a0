"""Maintainability (radon) and style (ruff) of a program.

- ``maintainability``: cyclomatic complexity (the most complex block and the mean), the
  maintainability index (0-100, higher is easier to maintain), Halstead volume, difficulty
  and effort, source lines and the share of them that are comments. A program that does not
  parse gets no maintainability scores (its syntax error is a style finding).
- ``style``: ruff's default rules (pyflakes and the pycodestyle errors it enables by default)
  plus pep8-naming's conventions (ruff's N rules), as findings and per 100 source lines.
"""

from __future__ import annotations

from collections.abc import Sequence

from codecrucible.judges import tools
from codecrucible.judges.base import Assessment, Finding, text_judge

# ruff's default rule set (E4, E7, E9, F) and PEP 8 naming.
STYLE_RULES = ("E4", "E7", "E9", "F", "N")


@text_judge
def maintainability(programs: Sequence[str]) -> list[Assessment]:
    return [Assessment(scores=_radon_scores(program)) for program in programs]


def _radon_scores(program: str) -> dict[str, float]:
    from radon.complexity import cc_visit
    from radon.metrics import h_visit, mi_visit
    from radon.raw import analyze

    try:
        blocks = cc_visit(program)
        raw = analyze(program)
        halstead = h_visit(program).total
        index = mi_visit(program, multi=True)
    except (SyntaxError, ValueError, RecursionError):
        return {}
    complexities = [block.complexity for block in blocks] or [1]
    comment_lines = raw.comments + raw.multi
    return {
        "maintainability.cc_max": float(max(complexities)),
        "maintainability.cc_mean": sum(complexities) / len(complexities),
        "maintainability.mi": float(index),
        "maintainability.halstead_volume": float(halstead.volume),
        "maintainability.halstead_difficulty": float(halstead.difficulty),
        "maintainability.halstead_effort": float(halstead.effort),
        "maintainability.sloc": float(raw.sloc),
        "maintainability.comment_ratio": comment_lines / max(1, raw.sloc + comment_lines),
    }


@text_judge
def style(programs: Sequence[str]) -> list[Assessment]:
    out = []
    for program, found in zip(programs, tools.ruff(programs, STYLE_RULES), strict=True):
        # ruff reports a syntax error without a rule code.
        findings = [Finding("style", f["code"] or "syntax-error", f["message"],
                            f["location"]["row"]) for f in found]
        lines = sum(1 for line in program.splitlines() if line.strip()) or 1
        out.append(Assessment(
            scores={"style.findings": float(len(findings)),
                    "style.findings_per_100_lines": 100 * len(findings) / lines,
                    "style.naming_findings": float(sum(f.rule.startswith("N")
                                                       for f in findings))},
            findings=findings))
    return out
