"""Small supervised baselines, the paper's "traditional methods": each fits on the training
texts and labels and predicts the test texts' labels.

- ``tfidf-lr``: TF-IDF of word 1-2-grams and character 2-5-grams, logistic regression;
- ``hashed-sgd``: hashed word 1-2-grams (no vocabulary to keep), a linear model by SGD;
- ``embed-lr``: a local GGUF model's mean-pooled llama.cpp embeddings, frozen
  (``weights.embeddings``, cached by text), logistic regression;
- ``ast-gb``: counts of each Python syntax node type plus size, gradient boosting (programs
  only: a text that does not parse is all zeros but its flag).

Classes are weighted by their inverse frequency: the pass task is skewed, and macro-F1 counts
each class alike. scikit-learn comes with the ``classify`` extra and is imported when an arm
is made.
"""

from __future__ import annotations

import ast
from collections import Counter

import numpy as np

from codecrucible.classify import ClassifyError

BASELINES = ("tfidf-lr", "hashed-sgd", "embed-lr", "ast-gb")
HINT = "pip install 'codecrucible[classify]'"
# Every syntax node type, in a fixed order: the AST features' columns.
NODE_TYPES = tuple(sorted(name for name in dir(ast) if isinstance(getattr(ast, name), type)
                          and issubclass(getattr(ast, name), ast.AST)
                          and getattr(ast, name) is not ast.AST))


def _sklearn():
    try:
        import sklearn  # noqa: F401
    except ImportError as err:
        raise ClassifyError(f"the supervised baselines need scikit-learn: {HINT} ({err})") \
            from None


def ast_features(text: str) -> list[float]:
    """Node-type counts, lines, characters, and 1.0 at the end where the text does not parse."""
    counts: Counter[str] = Counter()
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError):
        return [0.0] * len(NODE_TYPES) + [text.count("\n") + 1.0, float(len(text)), 1.0]
    counts.update(type(node).__name__ for node in ast.walk(tree))
    return [float(counts[name]) for name in NODE_TYPES] + [text.count("\n") + 1.0,
                                                           float(len(text)), 0.0]


class Baseline:
    """A scikit-learn pipeline over texts; a training set of one label predicts that label."""

    def __init__(self, name: str, model, features=None):
        self.name, self.model, self.features = name, model, features
        self.only: str | None = None

    def fit(self, texts: list[str], labels: list[str]) -> Baseline:
        if len(set(labels)) == 1:
            self.only = labels[0]
            return self
        self.model.fit(self._x(texts), labels)
        return self

    def predict(self, texts: list[str]) -> list[str]:
        if self.only is not None:
            return [self.only] * len(texts)
        return [str(label) for label in self.model.predict(self._x(texts))]

    def _x(self, texts: list[str]):
        return self.features(texts) if self.features else texts


def make(name: str, seed: int = 0, embed=None) -> Baseline:
    """The baseline ``name``; ``embed`` (texts -> array) is the frozen encoder for embed-lr."""
    _sklearn()
    from sklearn.ensemble import GradientBoostingClassifier
    from sklearn.feature_extraction.text import HashingVectorizer, TfidfVectorizer
    from sklearn.linear_model import LogisticRegression, SGDClassifier
    from sklearn.pipeline import make_pipeline, make_union
    from sklearn.preprocessing import StandardScaler

    # Code is not prose: identifiers, numbers and each operator are tokens.
    code_tokens = r"[A-Za-z_]\w*|\d+|[^\w\s]"
    regression = LogisticRegression(max_iter=2000, class_weight="balanced", random_state=seed)
    if name == "tfidf-lr":
        return Baseline(name, make_pipeline(make_union(
            TfidfVectorizer(token_pattern=code_tokens, ngram_range=(1, 2), min_df=1,
                            sublinear_tf=True),
            TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), min_df=1,
                            sublinear_tf=True, max_features=200_000)), regression))
    if name == "hashed-sgd":
        return Baseline(name, make_pipeline(
            HashingVectorizer(token_pattern=code_tokens, ngram_range=(1, 2), n_features=2**18,
                              alternate_sign=False, norm="l2"),
            SGDClassifier(loss="log_loss", class_weight="balanced", random_state=seed,
                          max_iter=50, tol=1e-4)))
    if name == "embed-lr":
        if embed is None:
            raise ClassifyError("embed-lr needs an encoder (--encoder MODEL)")
        return Baseline(name, make_pipeline(StandardScaler(), regression), embed)
    if name == "ast-gb":
        return Baseline(name, GradientBoostingClassifier(random_state=seed),
                        lambda texts: np.array([ast_features(t) for t in texts]))
    raise ClassifyError(f"unknown baseline {name!r} (known: {', '.join(BASELINES)})")
