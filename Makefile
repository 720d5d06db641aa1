# Two commands: `make run` and `make test`. Both create .venv on first use (llama-cpp-python
# compiles from source: a few minutes, once) and reinstall only when pyproject.toml changes.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
LLAMA_CPP_PYTHON := llama-cpp-python==0.3.36
# llama.cpp is built for the x86-64 features every recent machine has (AVX2, FMA, F16C), not with
# -march=native: a native build on a CPU that lists AMX runs `tilezero` and dies with SIGILL where
# the kernel or hypervisor has not enabled AMX (seen on this project's CI machines), and a binary
# built for one machine's CPU should not decide whether the app starts on another's.
ifeq ($(shell uname -m),x86_64)
CPU_CMAKE_ARGS ?= -DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_BMI2=ON
endif

.PHONY: run test lint gpu llama-server bench screenshots clean system-packages

# The Debian packages the app (and, for `make test`, the suite) needs: installed when run as root,
# otherwise named with the command that installs them, before anything is built.
system-packages:
	@tools/system-packages $(if $(filter test,$(MAKECMDGOALS)),test,run)

$(STAMP): pyproject.toml | system-packages
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	CMAKE_ARGS="$(CPU_CMAKE_ARGS)" CMAKE_BUILD_PARALLEL_LEVEL=$$(nproc) $(BIN)/python -m pip install -e '.[dev]'
	touch $(STAMP)

run: system-packages $(STAMP)
	$(BIN)/longwit

test: system-packages $(STAMP)
	$(BIN)/ruff check .
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check .

# Rebuild llama.cpp for a GPU, e.g. `make gpu CMAKE_ARGS="-DGGML_CUDA=on"` (or -DGGML_METAL=on,
# -DGGML_VULKAN=on); then `.venv/bin/longwit models` says whether offload is available.
gpu: $(STAMP)
	CMAKE_ARGS="$(CMAKE_ARGS)" CMAKE_BUILD_PARALLEL_LEVEL=$$(nproc) $(BIN)/python -m pip install \
		--force-reinstall --no-deps --no-cache-dir $(LLAMA_CPP_PYTHON)

# llama.cpp's own server, for the tests that drive it as a remote engine
# (tests/engine/remote/test_llama_cpp_server.py, skipped without it) and for comparing against it:
# built from the llama.cpp that the pinned llama-cpp-python vendors, with the same CPU flags, into
# .venv (about five minutes on two cores; needs cmake). Not part of `make test`'s setup: a fresh
# machine runs the suite without it.
LLAMA_SERVER_SRC := $(VENV)/llama.cpp-source
LLAMA_SERVER := $(VENV)/llama.cpp/bin/llama-server
llama-server: $(LLAMA_SERVER)

$(LLAMA_SERVER): | $(STAMP)
	rm -rf $(LLAMA_SERVER_SRC) && mkdir -p $(LLAMA_SERVER_SRC)
	$(BIN)/python -m pip download --quiet --no-deps --no-binary :all: $(LLAMA_CPP_PYTHON) -d $(LLAMA_SERVER_SRC)
	tar xzf $(LLAMA_SERVER_SRC)/llama_cpp_python-*.tar.gz -C $(LLAMA_SERVER_SRC) --strip-components=3 \
		--wildcards '*/vendor/llama.cpp/*'
	cmake -S $(LLAMA_SERVER_SRC) -B $(LLAMA_SERVER_SRC)/build -DCMAKE_BUILD_TYPE=Release -DLLAMA_CURL=OFF \
		-DLLAMA_OPENSSL=OFF -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF -DBUILD_SHARED_LIBS=OFF \
		$(CPU_CMAKE_ARGS)
	cmake --build $(LLAMA_SERVER_SRC)/build --target llama-server -j$$(nproc)
	mkdir -p $(dir $(LLAMA_SERVER)) && cp $(LLAMA_SERVER_SRC)/build/bin/llama-server $(LLAMA_SERVER)
	rm -rf $(LLAMA_SERVER_SRC)

bench: $(STAMP)
	$(BIN)/longwit bench chat --json bench-results/chat.json

# The window in its main states, as PNG files under screenshots/ (offscreen when there is no display).
screenshots: $(STAMP)
	$(BIN)/longwit screenshots screenshots

clean:
	rm -rf $(VENV) bench-results .pytest_cache .ruff_cache
