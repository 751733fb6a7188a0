"""Several models in one run (``crucible run -m A -m B``), behind the one ``Model`` seam.

Each request goes to one member, by its ``trial`` (the sample it belongs to): trial k goes to
member k mod M. With ``-n K`` every model gets its share of the K trials, a search trial stays
with one model from its first round to its last (its conversation is that model's own), and a
resumed run sends every trial where it went before. A request without a trial goes to the
first member.

Every member is a ``CachedModel`` of its own, so each has its own response-cache identity and
its own meter (``meters``); the ensemble's ``meter`` is their sum. Completions say which
member wrote them (``Completion.model``). One request is built for all members, so they must
agree on its kind: chat or plain prompts, prefilled answers or not.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, fields

from codecrucible.models.base import Completion, ModelError, Request
from codecrucible.models.cache import CachedModel, Meter

SEPARATOR = " + "   # between the members' specs and identities, in what a run records


class Ensemble:
    """Members answer the requests routed to them; members with work run side by side."""

    def __init__(self, members: Sequence[CachedModel]):
        if len(members) < 2:
            raise ModelError("an ensemble needs at least two models")
        self.members = list(members)
        _check_agree(self.members, "chat", "chat prompts", "plain prompts")
        _check_agree(self.members, "prefills", "prefilled answers",
                     "answers that cannot be prefilled")
        self.spec = SEPARATOR.join(m.spec for m in self.members)
        self.identity = SEPARATOR.join(m.identity for m in self.members)
        self.chat, self.prefills = self.members[0].chat, self.members[0].prefills
        self.serial = all(m.serial for m in self.members)
        self.concurrency = sum(m.concurrency for m in self.members)
        self._pool = ThreadPoolExecutor(2 * len(self.members), thread_name_prefix="ensemble")

    def route(self, request: Request) -> int:
        """The member that answers ``request``: its trial mod the number of members."""
        return (request.trial or 0) % len(self.members)

    def generate(self, requests: Sequence[Request]) -> list[Completion]:
        groups: dict[int, list[int]] = {}
        for i, request in enumerate(requests):
            groups.setdefault(self.route(request), []).append(i)
        futures = {member: self._pool.submit(self.members[member].generate,
                                             [requests[i] for i in indices])
                   for member, indices in groups.items()}
        found: list[Completion | None] = [None] * len(requests)
        for member, indices in groups.items():
            for i, completion in zip(indices, futures[member].result(), strict=True):
                found[i] = completion
        return found

    @property
    def meter(self) -> Meter:
        """The members' meters, summed."""
        total = Meter()
        for member in self.members:
            for f in fields(Meter):
                setattr(total, f.name, getattr(total, f.name) + getattr(member.meter, f.name))
        return total

    def meters(self) -> dict[str, dict]:
        """Each member's meter, by spec."""
        return {m.spec: asdict(m.meter) for m in self.members}

    def describe(self) -> dict:
        return {"backend": "ensemble", "routing": "trial mod members",
                "members": [m.describe() | {"spec": m.spec, "identity": m.identity}
                            for m in self.members]}

    def close(self) -> None:
        self._pool.shutdown()
        for member in self.members:
            member.close()


def _check_agree(members: Sequence[CachedModel], attribute: str, yes: str, no: str) -> None:
    kinds = {getattr(m, attribute) for m in members}
    if len(kinds) > 1:
        said = "; ".join(f"{m.spec} takes {yes if getattr(m, attribute) else no}"
                         for m in members)
        raise ModelError(f"the models of one run must take the same requests: {said}. Use "
                         f"models of one kind (llama.cpp models prefill answers, servers do "
                         f"not; --prompt-style sets chat or plain prompts for all)")
