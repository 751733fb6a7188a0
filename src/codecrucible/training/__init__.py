"""The training wing: fine-tuning the project's models and handing the result back to them.

``finetune`` is LoRA supervised fine-tuning (peft + transformers, the optional ``train`` extra)
on instruction/answer pairs read by ``sft_data``, checkpointed and resumable; ``lora_gguf``
writes the trained adapter as a GGUF LoRA adapter, so llama.cpp runs the tuned model on the
quantised base (``embedded:NAME+lora=PATH``) through the same path as every other model.
"""
