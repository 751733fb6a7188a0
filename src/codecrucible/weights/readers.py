"""Any checkpoint as named tensors: safetensors (read here, with numpy), a PyTorch state dict,
a Hugging Face model directory, or a GGUF file. torch and gguf belong to the optional
``train`` extra and are imported only when such a file is read."""

from __future__ import annotations

import importlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import numpy as np

from codecrucible.weights import WeightsError
from codecrucible.weights.safetensors_file import SafetensorsFile

TORCH_SUFFIXES = (".pt", ".pth", ".bin", ".ckpt")
FORMATS = "a .safetensors, .pt/.pth/.bin/.ckpt (PyTorch state dict) or .gguf file, or a " \
          "Hugging Face model directory"
EXTRA = "pip install 'codecrucible[train]'"


class Tensors(Protocol):
    """Names and shapes of everything in a checkpoint (in the file's order), values on demand
    as float64 numpy arrays in PyTorch's layout (a Linear's weight is [outputs x inputs])."""

    def shapes(self) -> dict[str, tuple[int, ...]]: ...

    def array(self, name: str) -> np.ndarray: ...


@dataclass
class Checkpoint:
    path: Path
    format: str
    tensors: Tensors
    # Class names from a Hugging Face config's id2label, index = row; None when unknown.
    labels: list[str] | None = field(default=None)


def open_checkpoint(path: Path) -> Checkpoint:
    if not path.exists():
        raise WeightsError(f"{path}: no such file or directory")
    if path.is_dir():
        return _hf_directory(path)
    suffix = path.suffix.lower()
    if suffix == ".safetensors":
        return Checkpoint(path, "safetensors", SafetensorsFile(path))
    if suffix in TORCH_SUFFIXES:
        return Checkpoint(path, "pytorch", TorchStateDict(path))
    if suffix == ".gguf":
        return Checkpoint(path, "gguf", GgufTensors(path))
    raise WeightsError(f"{path}: unknown checkpoint format {suffix or '(no extension)'!r}; "
                       f"expected {FORMATS}")


def _hf_directory(path: Path) -> Checkpoint:
    labels = _labels(path / "config.json")
    if (path / "model.safetensors").is_file():
        return Checkpoint(path, "hf-safetensors", SafetensorsFile(path / "model.safetensors"),
                          labels)
    if (path / "model.safetensors.index.json").is_file():
        return Checkpoint(path, "hf-safetensors", ShardedSafetensors(path), labels)
    if (path / "pytorch_model.bin").is_file():
        return Checkpoint(path, "hf-pytorch", TorchStateDict(path / "pytorch_model.bin"), labels)
    raise WeightsError(f"{path}: a directory without model.safetensors, "
                       "model.safetensors.index.json or pytorch_model.bin; expected " + FORMATS)


def _labels(config: Path) -> list[str] | None:
    """id2label from a Hugging Face config, when it names every class (keys 0..n-1)."""
    if not config.is_file():
        return None
    try:
        id2label = json.loads(config.read_text()).get("id2label") or {}
        labels = {int(key): str(value) for key, value in id2label.items()}
    except (OSError, ValueError, AttributeError) as error:
        raise WeightsError(f"{config}: unreadable config ({error})") from None
    if sorted(labels) != list(range(len(labels))) or not labels:
        return None
    return [labels[i] for i in range(len(labels))]


class ShardedSafetensors:
    """A model split over several safetensors files, as the index's weight_map says."""

    def __init__(self, directory: Path):
        index = directory / "model.safetensors.index.json"
        try:
            weight_map = json.loads(index.read_text())["weight_map"]
            files = {name: str(shard) for name, shard in weight_map.items()}
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as error:
            raise WeightsError(f"{index}: unreadable index ({error})") from None
        self.shards = {shard: SafetensorsFile(directory / shard) for shard in
                       dict.fromkeys(files.values())}
        self.owner = {name: self.shards[shard] for name, shard in files.items()}

    def shapes(self) -> dict[str, tuple[int, ...]]:
        return {name: shape for shard in self.shards.values()
                for name, shape in shard.shapes().items()}

    def array(self, name: str) -> np.ndarray:
        return self.owner[name].array(name)


def _from_train_extra(module: str, path: Path, needed_for: str):
    try:
        return importlib.import_module(module)
    except ImportError:
        raise WeightsError(f"{path}: reading {needed_for} needs the {module} package, in the "
                           f"'train' extra: {EXTRA}") from None


def _first_line(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return (text[0] if text else type(error).__name__)[:200]


class TorchStateDict:
    """A PyTorch state dict (or a training checkpoint holding one under state_dict/model),
    loaded with ``weights_only=True``: no pickled code runs."""

    WRAPPERS = ("state_dict", "model_state_dict", "model", "module")

    def __init__(self, path: Path):
        torch = _from_train_extra("torch", path, "a PyTorch checkpoint")
        try:
            loaded = self._load(torch, path)
        except Exception as error:  # torch raises many kinds for a damaged file
            raise WeightsError(f"{path}: not a readable PyTorch state dict "
                               f"({_first_line(error)})") from None
        self.tensors = self._unwrap(loaded, torch)
        if not self.tensors:
            raise WeightsError(f"{path}: holds no tensors (expected a state dict)")

    @staticmethod
    def _load(torch, path: Path):
        # Memory-mapped where the file allows (torch's zip format), so a large model's
        # checkpoint is not read whole for one small layer; the legacy format cannot be.
        try:
            return torch.load(path, map_location="cpu", weights_only=True, mmap=True)
        except RuntimeError as error:
            if "mmap" not in str(error):
                raise
            return torch.load(path, map_location="cpu", weights_only=True)

    def _unwrap(self, loaded, torch) -> dict:
        if not isinstance(loaded, dict):
            return {}
        for key in self.WRAPPERS:
            if isinstance(loaded.get(key), dict):
                return self._unwrap(loaded[key], torch)
        return {str(k): v for k, v in loaded.items() if isinstance(v, torch.Tensor)}

    def shapes(self) -> dict[str, tuple[int, ...]]:
        return {name: tuple(value.shape) for name, value in self.tensors.items()}

    def array(self, name: str) -> np.ndarray:
        import torch
        return self.tensors[name].detach().to(torch.float64).numpy()


class GgufTensors:
    """A GGUF file through the ``gguf`` package's reader (memory-mapped); quantised tensors are
    dequantised. GGUF lists dimensions innermost first, so they are reversed into PyTorch's
    order."""

    def __init__(self, path: Path):
        gguf = _from_train_extra("gguf", path, "a GGUF file")
        try:
            reader = gguf.GGUFReader(path)
        except Exception as error:  # the reader raises ValueError, struct errors, ...
            raise WeightsError(f"{path}: not a readable GGUF file "
                               f"({_first_line(error)})") from None
        self.gguf = gguf
        self.tensors = {t.name: t for t in reader.tensors}

    def shapes(self) -> dict[str, tuple[int, ...]]:
        return {name: tuple(int(d) for d in reversed(t.shape))
                for name, t in self.tensors.items()}

    def array(self, name: str) -> np.ndarray:
        tensor = self.tensors[name]
        shape = self.shapes()[name]
        plain = (self.gguf.GGMLQuantizationType.F32, self.gguf.GGMLQuantizationType.F16,
                 self.gguf.GGMLQuantizationType.F64)
        if tensor.tensor_type in plain:
            values = np.asarray(tensor.data)
        else:
            values = self.gguf.quants.dequantize(tensor.data, tensor.tensor_type)
        return np.asarray(values, dtype=np.float64).reshape(shape)
