"""Classification cost-benefit: prompting, LoRA fine-tuning and small supervised models on the
same items, with what each costs (Cruickshank & Ng's comparison, adapted to code).

- ``items``: the labelled item, the split by problem and the leak check;
- ``tasks``: where items come from (stored runs, the defect set, a user's file);
- ``prompts``: the seven prompting schemes and the answer-to-label mapping;
- ``prompting``: one scheme over one model, every call through the cache and meter;
- ``baselines``: TF-IDF + LR, hashed + SGD, frozen embeddings + LR, AST + gradient boosting;
- ``lora``: a thin adapter over the training wing (label tokens as the answer);
- ``metrics`` and ``costs``: macro-F1 with its bootstrap over problems, break-even counts;
- ``ledger`` and ``study``: the resumable study and its results.
"""

from __future__ import annotations


class ClassifyError(ValueError):
    """Input or a split the study cannot use, named with what is wrong (one line)."""
