"""The training wing: data for fine-tuning, made with the project's own models and referee,
and the fine-tuning itself, handed back to those models.

``evolve`` is Code Evol-Instruct (WizardCoder, arXiv 2306.08568): seed instructions
(``seeds``) are made harder round by round with one of five heuristics (``heuristics``), an
answerer model answers each, failed evolutions are eliminated by WizardLM's rules and by code
rules judged in the sandbox (``elimination``, ``asserts``), and anything that overlaps a
benchmark is dropped (``decontamination``). Every evolution is stored with its lineage as it
is produced (``store.evolutions``), so a killed run resumes; ``export`` writes the kept pairs.

``finetune`` is LoRA supervised fine-tuning (peft + transformers, the optional ``train`` extra)
on instruction/answer pairs read by ``sft_data``, checkpointed and resumable; ``lora_gguf``
writes the trained adapter as a GGUF LoRA adapter, so llama.cpp runs the tuned model on the
quantised base (``embedded:NAME+lora=PATH``) through the same path as every other model.
"""
