#!/usr/bin/env python3
"""Fine-tuning speed: ``crucible finetune`` against a bare peft loop, and adapter inference.

Run it with the project's venv and the train extra (``.venv/bin/python perf/finetune_speed.py``).
On one machine, in one run, it measures

1. training tokens/s, one thread each, on the same model and the same token sequences:
     crucible  ``crucible finetune MODEL -d pairs.jsonl -o OUT --max-steps S --threads 1``
               in a fresh process; tokens and seconds of its steps (checkpoints included,
               every ``--checkpoint-every`` steps) come from OUT/finetune.json
     bare      a fresh process that imports only torch, transformers and peft, loads the same
               GGUF file, attaches the same LoRA (same rank, alpha, dropout, projections) and
               runs forward, backward and AdamW on the same examples in the same order: the
               token ids and labels crucible's ``sft_data.encode`` made, handed over as JSON
   The pairs are MBPP's training split (ids 601-974: never the test split), instruction = the
   task text, output = the reference code. Overhead = 1 - crucible tokens/s / bare tokens/s
   (target: under 10%). Model loading is outside both timings (reported apart).
2. adapter inference: llama.cpp on the quantised base, one thread, greedy, exactly
   ``--gen-tokens`` tokens for each of ``--gen-prompts`` prompts, with and without the adapter
   part 1 wrote (tokens/s of generation, the short prompt's processing included).

Arms alternate over ``--repeat`` rounds; medians are printed, and the overhead and slowdown are
the medians of each round's pair. Numbers measured under ``nice``
on a machine busy with other work are not final.

Outputs: a table on stdout and ``perf/out/finetune_speed.json``.

    .venv/bin/python perf/finetune_speed.py                      # SmolLM2-135M, 24 steps
    .venv/bin/python perf/finetune_speed.py --model embedded:qwen2.5-coder-0.5b --steps 50
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "perf" / "out"
DATA_DIR = Path(os.environ.get("CRUCIBLE_DATA_DIR") or ROOT.parent / "shared" / "datasets")

BARE = r'''
import json, sys, time
import torch, transformers
from peft import LoraConfig, get_peft_model
job = json.load(open(sys.argv[1]))
torch.set_num_threads(1)
transformers.logging.set_verbosity_error()
started = time.perf_counter()
model = transformers.AutoModelForCausalLM.from_pretrained(
    job["directory"], gguf_file=job["gguf_file"], dtype=torch.float32)
loaded = time.perf_counter() - started
torch.manual_seed(job["seed"])
model = get_peft_model(model, LoraConfig(r=job["rank"], lora_alpha=job["alpha"],
                       lora_dropout=job["dropout"], target_modules=job["targets"],
                       task_type="CAUSAL_LM"))
optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad],
                              lr=job["lr"], weight_decay=0.0)
model.train()
tokens, seconds = 0, 0.0
for index in job["order"]:
    ids, labels = job["examples"][index]
    start = time.perf_counter()
    loss = model(input_ids=torch.tensor([ids]), labels=torch.tensor([labels])).loss
    loss.backward()
    optimizer.step()
    optimizer.zero_grad(set_to_none=True)
    loss.item()
    seconds += time.perf_counter() - start
    tokens += len(ids)
print(json.dumps({"tokens": tokens, "seconds": seconds, "load_s": loaded}))
'''


def pairs_file(path: Path, count: int) -> Path:
    records = [json.loads(line) for line in
               (DATA_DIR / "mbpp" / "mbpp.jsonl").read_text().splitlines() if line.strip()]
    train = [r for r in records if 601 <= r["task_id"] <= 974][:count]
    path.write_text("".join(json.dumps({"instruction": r["text"], "output": r["code"]}) + "\n"
                            for r in train))
    return path


def crucible_arm(args, data: Path, work: Path, round_: int) -> dict:
    out = work / f"crucible-{round_}"
    command = [str(ROOT / ".venv" / "bin" / "crucible"), "finetune", args.model, "-d", str(data),
               "-o", str(out), "--max-steps", str(args.steps), "--max-length",
               str(args.max_length), "--rank", str(args.rank), "--alpha", str(args.alpha),
               "--threads", "1", "--checkpoint-every", str(args.checkpoint_every)]
    started = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True, text=True,
                   env={**os.environ, "CRUCIBLE_PROGRESS_INTERVAL": "3600"})
    wall = time.perf_counter() - started
    summary = json.loads((out / "finetune.json").read_text())["last_process"]
    return {"tokens": summary["tokens"], "seconds": summary["seconds"], "process_s": wall,
            "adapter": str(out / "adapter.gguf")}


def bare_job(args, data: Path, work: Path) -> Path:
    """The same examples, order and LoRA settings crucible uses, as JSON for the bare loop."""
    from codecrucible.training.finetune import (
        FinetuneConfig,
        data_order,
        load,
        resolve_base,
    )
    from codecrucible.training.sft_data import encode, read_pairs

    config = FinetuneConfig(args.model, data, work, rank=args.rank, alpha=args.alpha,
                            max_steps=args.steps, max_length=args.max_length)
    base = resolve_base(args.model)
    _, tokenizer = load(base, 1)
    examples = [e for e in (encode(tokenizer, p, args.max_length) for p in read_pairs(data))
                if e is not None]
    order = []
    epoch = 0
    while len(order) < args.steps:
        order += data_order(config.seed, epoch, len(examples))
        epoch += 1
    job = {"directory": str(base.directory), "gguf_file": base.gguf_file, "seed": config.seed,
           "rank": config.rank, "alpha": config.alpha, "dropout": config.dropout,
           "lr": config.lr, "targets": list(config.targets), "order": order[:args.steps],
           "examples": [[list(e.input_ids), list(e.labels)] for e in examples]}
    path = work / "bare-job.json"
    path.write_text(json.dumps(job))
    return path


def bare_arm(job: Path) -> dict:
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", BARE, str(job)], check=True,
                          capture_output=True, text=True)
    result = json.loads(done.stdout.strip().splitlines()[-1])
    return result | {"process_s": time.perf_counter() - started}


def generation(args, adapter: str | None) -> dict:
    """Exactly ``--gen-tokens`` greedy tokens per prompt (end-of-turn tokens do not stop it),
    so the two arms do the same work whatever the adapter makes the model say."""
    from llama_cpp import Llama

    from codecrucible.training.finetune import resolve_base

    base = resolve_base(args.model)
    llm = Llama(model_path=str(base.directory / base.gguf_file), lora_path=adapter,
                n_ctx=512, n_threads=1, n_threads_batch=1, verbose=False)
    prompts = [f"Write a Python function that returns the {n}th prime number."
               for n in range(3, 3 + args.gen_prompts)]
    tokens, seconds = 0, 0.0
    for prompt in prompts:
        ids = llm.tokenize(prompt.encode(), add_bos=True, special=True)
        llm.reset()
        started = time.perf_counter()
        for count, _ in enumerate(llm.generate(ids, top_k=1, temp=0.0), 1):
            if count == args.gen_tokens:
                break
        seconds += time.perf_counter() - started
        tokens += args.gen_tokens
    llm.close()
    return {"tokens": tokens, "seconds": seconds, "tokens_per_s": tokens / seconds}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default="embedded:smollm2-135m")
    parser.add_argument("--steps", type=int, default=24)
    parser.add_argument("--examples", type=int, default=24)
    parser.add_argument("--max-length", type=int, default=256)
    parser.add_argument("--rank", type=int, default=16)
    parser.add_argument("--alpha", type=float, default=32.0)
    parser.add_argument("--checkpoint-every", type=int, default=50)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--gen-prompts", type=int, default=3)
    parser.add_argument("--gen-tokens", type=int, default=64)
    args = parser.parse_args()

    import torch
    torch.set_num_threads(1)
    rows: dict[str, list[dict]] = {"crucible": [], "bare": [], "base": [], "adapter": []}
    with tempfile.TemporaryDirectory(prefix="finetune-speed-") as tmp:
        work = Path(tmp)
        data = pairs_file(work / "pairs.jsonl", args.examples)
        job = bare_job(args, data, work)
        for round_ in range(args.repeat):
            arms = [("crucible", lambda r=round_: crucible_arm(args, data, work, r)),
                    ("bare", lambda: bare_arm(job))]
            for name, arm in arms if round_ % 2 == 0 else arms[::-1]:
                result = arm()
                result["tokens_per_s"] = result["tokens"] / result["seconds"]
                rows[name].append(result)
                print(f"round {round_ + 1} {name}: {result['tokens_per_s']:.1f} tokens/s "
                      f"({result['tokens']} tokens in {result['seconds']:.1f} s)", flush=True)
            adapter = rows["crucible"][-1]["adapter"]
            for name, lora in (("base", None), ("adapter", adapter)) if round_ % 2 == 0 else \
                    (("adapter", adapter), ("base", None)):
                rows[name].append(generation(args, lora))
                print(f"round {round_ + 1} generation {name}: "
                      f"{rows[name][-1]['tokens_per_s']:.1f} tokens/s", flush=True)

    median = {name: statistics.median(r["tokens_per_s"] for r in results)
              for name, results in rows.items()}
    # Paired by round (the arms of a round ran back to back), then the median: a busy
    # machine's slow minute then falls on one round's pair rather than on one arm.
    overhead = statistics.median(1 - c["tokens_per_s"] / b["tokens_per_s"]
                                 for c, b in zip(rows["crucible"], rows["bare"], strict=True))
    slowdown = statistics.median(1 - a["tokens_per_s"] / b["tokens_per_s"]
                                 for a, b in zip(rows["adapter"], rows["base"], strict=True))
    print(f"\nmodel {args.model}, {args.steps} steps of one example, max length "
          f"{args.max_length}, LoRA r={args.rank} on 7 projections, 1 thread, "
          f"{args.repeat} round(s)")
    print(f"{'':24}{'tokens/s':>10}")
    print(f"{'train: crucible':24}{median['crucible']:>10.1f}")
    print(f"{'train: bare peft loop':24}{median['bare']:>10.1f}")
    print(f"{'  overhead (paired)':24}{overhead:>10.1%}")
    print(f"{'generate: base':24}{median['base']:>10.1f}")
    print(f"{'generate: base+adapter':24}{median['adapter']:>10.1f}")
    print(f"{'  slowdown (paired)':24}{slowdown:>10.1%}")
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "finetune_speed.json").write_text(json.dumps(
        {"args": vars(args), "median_tokens_per_s": median, "training_overhead": overhead,
         "adapter_slowdown": slowdown, "runs": rows}, indent=1) + "\n")


if __name__ == "__main__":
    main()
