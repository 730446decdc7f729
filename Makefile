# One command each for a newcomer: `make run` and `make test`.
# Both create .venv with python3 -m venv and reinstall only when pyproject.toml changed.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint bench clean dbus-daemon mail-tools

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/boundaries --policies policies

test: $(STAMP) dbus-daemon mail-tools
	$(BIN)/ruff check boundaries tests benchmarks
	$(BIN)/python -m pytest -q

lint: $(STAMP)
	$(BIN)/ruff check boundaries tests benchmarks

bench: $(STAMP)
	$(BIN)/python benchmarks/cold_start.py

# The KDE Connect tests run a private dbus-daemon. Where it is missing, Debian's package is
# installed (as root with apt-get, else with `sudo -n`, which fails rather than asks; the
# package lists are updated only when the first try fails). If that fails too, the KDE
# Connect tests skip, and `make test` says why on stderr. `make run` needs none of this.
APT_GET = $(if $(filter 0,$(shell id -u)),,sudo -n )env DEBIAN_FRONTEND=noninteractive apt-get -qq -y
dbus-daemon:
	@command -v dbus-daemon >/dev/null 2>&1 \
	|| $(APT_GET) install dbus-daemon >/dev/null 2>&1 \
	|| { $(APT_GET) update >/dev/null 2>&1 && $(APT_GET) install dbus-daemon >/dev/null 2>&1; } \
	|| { echo "make: dbus-daemon is missing and could not be installed" \
	"(apt-get install dbus-daemon); without it the KDE Connect tests skip" >&2; }

# The mail tests read the drafts boundaries writes back with a real Maildir client, mblaze
# (mlist, mhdr: headless), and check the setups docs/mail.md gives with the programs they
# are for (neomutt, mbsync from isync, msmtp). Installed the same way; without them those
# tests skip.
MAIL_TOOLS = mblaze neomutt isync msmtp
mail-tools:
	@{ command -v mlist && command -v neomutt && command -v mbsync && command -v msmtp; } \
	>/dev/null 2>&1 \
	|| $(APT_GET) install $(MAIL_TOOLS) >/dev/null 2>&1 \
	|| { $(APT_GET) update >/dev/null 2>&1 && $(APT_GET) install $(MAIL_TOOLS) >/dev/null 2>&1; } \
	|| { echo "make: $(MAIL_TOOLS) are missing and could not be installed" \
	"(apt-get install $(MAIL_TOOLS)); without them the mail client tests skip" >&2; }

clean:
	rm -rf $(VENV) build dist .pytest_cache
