"""Security: static findings with severity, confidence and CWE id.

bandit is the primary analyser. ruff's security rules (its port of bandit, the ``S`` codes)
are run too and add the findings bandit did not make on the same line; and one rule of our
own catches credentials that bandit's password-name heuristic misses (API keys and access
keys written into the code, CWE-798). Not reported: ``assert`` (B101/S101), which solutions
use legitimately; the low-severity import warnings (B4xx/S4xx: "consider the implications of
importing subprocess"), since the risky call itself is reported where it is made; and syntax
errors, which are the style judge's.

A program is *insecure* when it has a finding of medium or high severity, or a hard-coded
password or credential (CWE-259, CWE-798; bandit rates hard-coded passwords low).
"""

from __future__ import annotations

import ast
import math
import re
from collections.abc import Sequence

from codecrucible.judges import tools
from codecrucible.judges.base import Assessment, Finding, text_judge

IGNORED = {"B101", "S101"}
SECRET_CWES = {259, 798}
# bandit files eval/exec under CWE-78 (OS command injection); CWE-95 names the flaw itself.
CWE_OVERRIDES = {"B307": 95, "B102": 95}
# For ruff findings bandit did not make: (CWE, severity) of the rule bandit implements.
RUFF_RULES = {
    "S102": (95, "MEDIUM"), "S103": (732, "MEDIUM"), "S104": (605, "MEDIUM"),
    "S105": (259, "LOW"), "S106": (259, "LOW"), "S107": (259, "LOW"), "S108": (377, "MEDIUM"),
    "S113": (400, "MEDIUM"), "S301": (502, "MEDIUM"), "S307": (95, "MEDIUM"),
    "S311": (330, "LOW"), "S324": (327, "HIGH"), "S501": (295, "HIGH"), "S506": (20, "MEDIUM"),
    "S602": (78, "HIGH"), "S605": (78, "HIGH"), "S608": (89, "MEDIUM"), "S701": (94, "HIGH"),
}
_KEY_NAME = re.compile(r"(api|access|secret|private|auth)[_-]?(key|token)|secret|credential",
                       re.IGNORECASE)
_KEY_PREFIXES = ("sk-", "sk_live_", "AKIA", "ghp_", "xoxb-", "AIza")


@text_judge
def security(programs: Sequence[str]) -> list[Assessment]:
    out = []
    for program, issues, linted in zip(programs, tools.bandit(programs),
                                       tools.ruff(programs, ("S",)), strict=True):
        findings = [_from_bandit(issue) for issue in issues if not _ignored(
            issue.test_id, issue.severity)]
        seen = {(f.rule[1:], f.line) for f in findings}
        for item in linted:
            code, line = item["code"] or "", item["location"]["row"]
            if not code.startswith("S") or _ignored(code, "LOW") or (code[1:], line) in seen:
                continue  # a syntax error, noise, or bandit reported it on this line already
            cwe, severity = RUFF_RULES.get(code, (None, "LOW"))
            findings.append(Finding("security", code, item["message"], line, severity,
                                    "MEDIUM", cwe))
        findings.extend(hardcoded_keys(program))
        counts = {level: sum(f.severity == level for f in findings)
                  for level in ("HIGH", "MEDIUM", "LOW")}
        out.append(Assessment(
            scores={"security.findings": float(len(findings)),
                    "security.high": float(counts["HIGH"]),
                    "security.medium": float(counts["MEDIUM"]),
                    "security.low": float(counts["LOW"]),
                    "security.insecure": float(any(
                        f.severity in ("HIGH", "MEDIUM") or f.cwe in SECRET_CWES
                        for f in findings))},
            findings=sorted(findings, key=lambda f: (f.line, f.rule))))
    return out


def _ignored(rule: str, severity: str) -> bool:
    return rule in IGNORED or (rule[1:2] == "4" and len(rule) == 4 and severity == "LOW")


def _from_bandit(issue) -> Finding:
    cwe = CWE_OVERRIDES.get(issue.test_id, issue.cwe.id if issue.cwe else None)
    return Finding("security", issue.test_id, issue.text, issue.lineno, issue.severity,
                   issue.confidence, cwe or None)


def hardcoded_keys(program: str) -> list[Finding]:
    """String constants that look like credentials, bound to credential-like names."""
    try:
        tree = ast.parse(program)
    except (SyntaxError, ValueError, RecursionError):
        return []
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign):
            pairs = [(target, node.value) for target in node.targets]
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            pairs = [(node.target, node.value)]
        elif isinstance(node, ast.keyword) and node.arg:
            pairs = [(ast.Name(node.arg), node.value)]
        else:
            continue
        for target, value in pairs:
            name = target.id if isinstance(target, ast.Name) else \
                target.attr if isinstance(target, ast.Attribute) else ""
            if _KEY_NAME.search(name) and _looks_like_key(value):
                found.append(Finding("security", "CC798", f"hard-coded credential in {name!r}",
                                     getattr(value, "lineno", 0), "HIGH", "MEDIUM", 798))
    return found


def _looks_like_key(value: ast.expr) -> bool:
    if not (isinstance(value, ast.Constant) and isinstance(value.value, str)):
        return False
    text = value.value
    if text.startswith(_KEY_PREFIXES) and len(text) >= 16:
        return True
    if len(text) < 20 or " " in text:
        return False
    counts = {c: text.count(c) for c in set(text)}
    entropy = -sum(n / len(text) * math.log2(n / len(text)) for n in counts.values())
    return entropy >= 3.5  # random-looking: a key, not a word or a placeholder
