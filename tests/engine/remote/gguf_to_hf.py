"""Write a GGUF chat model as a Hugging Face folder (float weights, tokenizer, chat template), for
servers that read only such folders (vLLM): `python gguf_to_hf.py MODEL.gguf FOLDER`. Run by the
vLLM tests with the Python of vLLM's own environment, whose transformers (with gguf and accelerate)
reads the GGUF; never imported by the app or the suite's own interpreter."""

import sys
from pathlib import Path

from transformers import AutoModelForCausalLM, AutoTokenizer


def main(gguf: Path, folder: Path) -> None:
    tokenizer = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
    model = AutoModelForCausalLM.from_pretrained(gguf.parent, gguf_file=gguf.name, dtype="float32")
    # transformers turns the quantized tensors into floats as it loads; only the GGUF marker is left,
    # and save_pretrained refuses a model that still carries it.
    model.hf_quantizer = None
    if hasattr(model.config, "quantization_config"):
        del model.config.quantization_config
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]))
