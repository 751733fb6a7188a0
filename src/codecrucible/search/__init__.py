"""Program search: strategies that improve a program over many model calls, on score-valued
or pass/fail problems (``climb``: the ``evolve`` strategy, hill climbing with execution
feedback; ``novelty``: duplicate programs recognised before they are run). A search strategy is
a strategy like any other (registered in ``strategies.REGISTRY``); it sits one layer above
``strategies``, whose protocols, prompts and budgets it uses.
"""
