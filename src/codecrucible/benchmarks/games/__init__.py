"""Score-valued game tasks after "From Code to Play" (arXiv 2412.04057): the candidate writes
a policy (or a generator) and the harness plays it.

Each game keeps its state in the harness; a policy sees only observations (plain JSON-able
values) and answers with an action string from the game's fixed set, so it cannot patch the
game, read beyond its observation or forge its reward. ``episode.Game`` bundles a game's
functions (``reset``, ``observation``, ``step``, ``fitness``) and ``episode.play`` runs one
episode with a policy called in-process: the baselines and the tests use it, and the sandbox
seam steps a candidate's policy the same way, one observation out and one action back.

- ``baba``: Baba-Is-You-like rule puzzles, ten levels (``baba_levels``);
- ``vehicle``: an Asteroids-like ship steered to targets (``vehicle_sim``, the simulator that
  is also shipped to the candidate for lookahead);
- ``maze``: maze generation, a returned grid checked and scored by the harness;
- ``minatar_games``: the five MinAtar games (Asterix, Breakout, Freeway, Seaquest, Space
  Invaders) through the optional, GPL ``minatar`` package, with their baselines in
  ``minatar_policies``.

``benchmark`` makes them the ``games`` benchmark (``Games/baba``, ``Games/vehicle``,
``Games/maze``), with the tasks' ``prompts`` and, as ``references``, the heuristic baselines.
"""
