# Two commands do all set-up on a fresh machine with only Python 3.11 and make:
#   make demo   - virtualenv, package, main job on bundled data, HTML report in reports/
#   make test   - same set-up if needed, then the test suite
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.poem-installed
DEMO_OUT ?= reports

.PHONY: demo test test-fast bench mutation setup clean

setup: $(STAMP)

$(STAMP): pyproject.toml Makefile
	$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "POEM needs Python >= 3.11"'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	# papermill always asks for kernel "python3": register this virtualenv's interpreter under that name, with
	# the display name stored in the notebooks, so that JupyterLab does not mark them modified on opening
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 --display-name "Python 3"
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/poem demo --out $(DEMO_OUT)

test: $(STAMP)
	$(BIN)/python -m pytest -q $(PYTEST_ARGS)

test-fast: $(STAMP)
	$(BIN)/python -m pytest -q -m "not slow" $(PYTEST_ARGS)

bench: $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[test,bench]'
	$(BIN)/python benchmarks/run_all.py

# mutation testing of the core (not in CI; hours for every target, up to 120 mutants each, on a shared 2-core
# machine): a fresh run, its log and benchmarks/results/mutation.md. Targets (benchmarks/mutation.py TARGETS):
# the colony (deposit, erosion, selection, decay, conditional, suggestion, elo, elo_fit, success, calibration,
# viewing, landing, cond_success, state), paths and orderings (paths, evidence, lop, aco, baselines, contrast,
# evaluation), promotion, the canonical layer. MUTATION_ARGS passes options (e.g. --max-mutants 40 --budget
# 7200); partial runs: see the notes in mutation.md.
mutation: $(STAMP)
	rm -f benchmarks/results/mutation_log.txt
	$(BIN)/python benchmarks/mutation.py --log benchmarks/results/mutation_log.txt \
		--write benchmarks/results/mutation.md $(MUTATION_ARGS)

clean:
	rm -rf $(VENV) reports .pytest_cache .hypothesis
