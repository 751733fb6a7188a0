"""The training wing: data for fine-tuning, made with the project's own models and referee.

``evolve`` is Code Evol-Instruct (WizardCoder, arXiv 2306.08568): seed instructions
(``seeds``) are made harder round by round with one of five heuristics (``heuristics``), an
answerer model answers each, failed evolutions are eliminated by WizardLM's rules and by code
rules judged in the sandbox (``elimination``, ``asserts``), and anything that overlaps a
benchmark is dropped (``decontamination``). Every evolution is stored with its lineage as it
is produced (``store.evolutions``), so a killed run resumes; ``export`` writes the kept pairs.
"""
