# corpusbot: one-command setup and run. `make ask Q="..."`, `make chat`, `make test`.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
Q ?= when does the deployment start?

.PHONY: dictionaries ocr setup setup-dev index ask chat eval test test-fast lint bench bench-quality bench-large serve clean

$(VENV)/.base: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q torch==2.13.0  # the CPU build first: sentence-transformers would pull a CUDA one
	$(PY) -m pip install -q -e .
	touch $@

$(VENV)/.dev: $(VENV)/.base
	$(PY) -m pip install -q -e '.[st,dev]'
	touch $@

# The English-French dictionaries, the names of countries, regions and languages in both (iso-codes), and
# Apertium's dictionaries of each with Spanish and Catalan (read with lttoolbox-dev's lt-print), that bridge
# the two languages on the lexical side (optional, Debian packages, ~65 MB: installed when run as root, else a
# hint; without them cross-lingual questions do a bit worse).
APERTIUM := apertium-fr-es apertium-eng-spa apertium-fra-cat apertium-eng-cat lttoolbox-dev
DICTIONARIES := dict-freedict-eng-fra dict-freedict-fra-eng iso-codes $(APERTIUM)
dictionaries:
	@[ -e /usr/share/dictd/freedict-eng-fra.index ] && [ -e /usr/share/dictd/freedict-fra-eng.index ] && \
		[ -e /usr/share/locale/fr/LC_MESSAGES/iso_3166-2.mo ] && command -v lt-print >/dev/null && \
		[ -e /usr/share/apertium/apertium-fr-es/fr-es.autobil.bin ] && \
		[ -e /usr/share/apertium/apertium-eng-spa/eng-spa.autobil.bin ] && \
		[ -e /usr/share/apertium/apertium-fra-cat/fra-cat.autobil.bin ] && \
		[ -e /usr/share/apertium/apertium-eng-cat/eng-cat.autobil.bin ] || \
		{ [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null && \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $(DICTIONARIES) >/dev/null); } || \
		echo "(optional, as root: apt-get install $(DICTIONARIES) -- an English-French bridge for cross-lingual questions)"

# Tesseract with its French and English models reads scanned pages and images (optional, Debian packages:
# installed when run as root, else a hint; without it scans are skipped with that reason).
OCR_PACKAGES := tesseract-ocr tesseract-ocr-fra tesseract-ocr-eng
ocr:
	@[ -e /usr/share/tesseract-ocr/5/tessdata/fra.traineddata ] && command -v tesseract >/dev/null || \
		{ [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null && \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $(OCR_PACKAGES) >/dev/null); } || \
		echo "(optional, as root: apt-get install $(OCR_PACKAGES) -- reads scanned pages and images)"

setup: $(VENV)/.base dictionaries ocr
setup-dev: $(VENV)/.dev dictionaries ocr

index: setup
	$(PY) -m corpusbot index

ask: index
	@$(PY) -m corpusbot ask "$(Q)"

chat: index
	@$(PY) -m corpusbot chat

eval: index
	$(PY) -m corpusbot eval ../shared/eval/seed-questions.jsonl
	$(PY) -m corpusbot eval tests/data/extra-questions.jsonl
	@echo "(the external split: make bench-quality)"

test: setup-dev
	$(PY) -m ruff check index bot corpusbot tests bench devtools
	$(PY) -m mypy
	$(PY) -m pytest -q

# The logic on fakes and the in-memory store (bot handlers through the fake Bot API included): seconds,
# on two workers (pytest-xdist).
test-fast: setup-dev
	$(PY) -m pytest -q -n 2 -m "not model and not subprocess and not server"

bench: setup-dev
	$(PY) -m bench.run

# Real documents for the 100k-chunk bench come from Debian packages (man pages, documentation): as root.
bench-large: setup-dev
	$(PY) -m pip install -q -e '.[bench]'
	dpkg -s $$($(PY) -m bench.real_corpus --packages) >/dev/null 2>&1 || (apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $$($(PY) -m bench.real_corpus --packages))
	$(PY) -m bench.large_real $(ARGS)

bench-quality: setup-dev
	$(PY) -m pip install -q -e '.[bench]'
	$(PY) -m bench.quality

serve: index
	$(PY) -m corpusbot serve

clean:
	rm -rf .corpusbot .pytest_cache .mypy_cache .ruff_cache
