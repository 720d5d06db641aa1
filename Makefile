# Two commands: `make run` and `make test`. Both create .venv on first use (llama-cpp-python
# compiles from source: a few minutes, once) and reinstall only when pyproject.toml changes.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
LLAMA_CPP_PYTHON := llama-cpp-python==0.3.36

.PHONY: run test lint gpu bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	CMAKE_BUILD_PARALLEL_LEVEL=$$(nproc) $(BIN)/python -m pip install -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/longwit

test: $(STAMP)
	$(BIN)/ruff check .
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check .

# Rebuild llama.cpp for a GPU, e.g. `make gpu CMAKE_ARGS="-DGGML_CUDA=on"` (or -DGGML_METAL=on,
# -DGGML_VULKAN=on); then `.venv/bin/longwit models` says whether offload is available.
gpu: $(STAMP)
	CMAKE_ARGS="$(CMAKE_ARGS)" CMAKE_BUILD_PARALLEL_LEVEL=$$(nproc) $(BIN)/python -m pip install \
		--force-reinstall --no-deps --no-cache-dir $(LLAMA_CPP_PYTHON)

bench: $(STAMP)
	$(BIN)/longwit bench chat --json bench-results/chat.json

clean:
	rm -rf $(VENV) bench-results .pytest_cache .ruff_cache
