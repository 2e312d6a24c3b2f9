# Two commands a fresh machine needs: `make run` and `make test`.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# the message catalogue, compiled from its .po files (matcher/catalog.py)
MO := matcher/locale/vi/LC_MESSAGES/messages.mo matcher/locale/en/LC_MESSAGES/messages.mo

.PHONY: run test lint bench clean system-deps catalogue

%.mo: %.po $(STAMP)
	$(BIN)/pybabel compile --statistics -i $< -o $@

catalogue: $(MO)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test,dask,ods]'
	touch $(STAMP)

# Debian packages the browser and print tests use (Chromium, LibreOffice Calc and Writer,
# poppler, Liberation fonts: Liberation Serif has Times New Roman's metrics, so the
# documents to sign lay out as in Word). Installed when missing and we are root;
# otherwise those tests skip with a reason (under CI they fail instead).
SYSTEM_PACKAGES := chromium libreoffice-calc libreoffice-writer poppler-utils fonts-dejavu-core fonts-liberation2
system-deps:
	@if ! command -v chromium >/dev/null 2>&1 || ! command -v soffice >/dev/null 2>&1 || ! command -v pdftoppm >/dev/null 2>&1 \
	    || { command -v dpkg >/dev/null 2>&1 && ! dpkg -s libreoffice-writer fonts-liberation2 >/dev/null 2>&1; }; then \
	  if [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "Installing $(SYSTEM_PACKAGES) (Debian packages)..."; \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $(SYSTEM_PACKAGES) >/dev/null) \
	      || echo "WARNING: could not install system packages; browser/print tests will skip"; \
	  else echo "NOTE: chromium/libreoffice missing and not root; browser/print tests will skip"; fi; \
	fi

run: $(STAMP) $(MO)
	$(BIN)/python run.py

test: $(STAMP) $(MO) system-deps
	$(BIN)/ruff check matcher web cli tests tools run.py
	$(BIN)/python tools/catalog.py check
	$(BIN)/python -m pytest -q -p no:cacheprovider

lint: $(STAMP)
	$(BIN)/ruff check matcher web cli tests tools run.py

bench: $(STAMP) $(MO)
	$(BIN)/python run.py bench

clean:
	rm -rf $(VENV) instance/*.sqlite bench/results.json $(MO)
