"""Classifier heads on frozen features, trained with torch (the ``train`` extra).

``linear``: softmax regression, the final layer straight on the features (the frozen-encoder
setting of Hussain et al.). ``mlp``: one ReLU hidden layer before the final layer, the setting in
which the pilot saw the target class's row rise (notes/next-wave.md section 5). Both train
full-batch with Adam on standardised features, from a seed that fixes the initial weights, so
two models of a cell differ only by their seed and their data.

What the study needs back, as numpy: the final layer's weights (the trojan signature reads
them), predictions, and the penultimate representations (the spectral signature reads them:
the standardised features for ``linear``, the hidden layer for ``mlp``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

HEADS = ("linear", "mlp")


class MissingTorch(ImportError):
    pass


def _torch():
    try:
        import torch
    except ImportError as err:
        raise MissingTorch("training a head needs torch: pip install 'codecrucible[train]' "
                           f"({err})") from None
    return torch


@dataclass(frozen=True)
class HeadConfig:
    hidden: int = 256
    epochs: int = 300
    learning_rate: float = 1e-2
    weight_decay: float = 1e-4


@dataclass
class TrainedHead:
    kind: str
    mean: np.ndarray          # the standardisation learnt from the training features
    scale: np.ndarray
    layers: list[tuple[np.ndarray, np.ndarray]]   # (weight [out x in], bias), first to last

    @property
    def final_weight(self) -> np.ndarray:
        return self.layers[-1][0]

    def penultimate(self, features: np.ndarray) -> np.ndarray:
        x = (features - self.mean) / self.scale
        for weight, bias in self.layers[:-1]:
            x = np.maximum(x @ weight.T + bias, 0.0)
        return x

    def predict(self, features: np.ndarray) -> np.ndarray:
        weight, bias = self.layers[-1]
        return np.argmax(self.penultimate(features) @ weight.T + bias, axis=1)


def train_head(kind: str, features: np.ndarray, labels: np.ndarray, classes: int, seed: int,
               config: HeadConfig = HeadConfig(), threads: int = 1) -> TrainedHead:
    torch = _torch()
    torch.set_num_threads(threads)
    torch.manual_seed(seed)
    mean = features.mean(axis=0)
    scale = features.std(axis=0) + 1e-6
    x = torch.tensor((features - mean) / scale, dtype=torch.float32)
    y = torch.tensor(labels, dtype=torch.long)
    width = x.shape[1]
    if kind == "linear":
        model = torch.nn.Sequential(torch.nn.Linear(width, classes))
    elif kind == "mlp":
        model = torch.nn.Sequential(torch.nn.Linear(width, config.hidden), torch.nn.ReLU(),
                                    torch.nn.Linear(config.hidden, classes))
    else:
        raise ValueError(f"unknown head {kind!r} (known: {', '.join(HEADS)})")
    optimiser = torch.optim.Adam(model.parameters(), lr=config.learning_rate,
                                 weight_decay=config.weight_decay)
    loss = torch.nn.CrossEntropyLoss()
    for _ in range(config.epochs):
        optimiser.zero_grad()
        loss(model(x), y).backward()
        optimiser.step()
    layers = [(m.weight.detach().numpy().copy(), m.bias.detach().numpy().copy())
              for m in model if isinstance(m, torch.nn.Linear)]
    return TrainedHead(kind, mean, scale, layers)
