"""The weights wing: looking inside a trained classifier's checkpoint, without running it.

``scan`` is the trojan signature of Fields et al. (arXiv 2109.02836) as tested on code models
by Hussain et al. (arXiv 2402.16896): a trojan's target class tends to get final-layer weights
that stand out, so the class whose weight row has the largest mean is the candidate target
and Dixon's Q-test (``dixon``) says whether it is an outlier among the classes. Two classes
make that test degenerate, so the rows can instead be compared with the same rows of clean
reference checkpoints (``reference``, with the two-sample test in ``two_sample``).

Checkpoints are read without the libraries that wrote them where the format allows:
``safetensors_file`` parses safetensors with numpy; PyTorch state dicts and GGUF files need the
optional ``train`` extra (torch, gguf), imported only when such a file is read (``readers``).
``head`` finds the classifier layer among a checkpoint's tensors.

The study (``crucible weights study``, ``pipeline``) asks whether the signature appears on code
classifiers trained here: ``mutants`` and ``defects`` make an execution-labelled defect set,
``tasks`` the binary and multi-class tasks, ``poison`` TrojanedCM's triggers, ``embeddings``
frozen llama.cpp features, ``heads`` the classifiers, ``study`` the resumable models,
``detectors`` the spectral signature and the AUROC, ``cells`` the per-cell table.
"""

from __future__ import annotations


class WeightsError(Exception):
    """A checkpoint that cannot be scanned: missing, unreadable, corrupt, of an unknown format,
    or without a classifier layer. The message is one line and names the file."""
