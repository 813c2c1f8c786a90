# Resident: build, run, test, benchmark and install.
#
#   make run     build everything and start residentd with the bank example
#   make test    the full test suite (Rust unit and integration tests, PHPUnit on real parts)
#
# Both install what is missing first (Debian 12 packages, see APT_PACKAGES).

SHELL := /bin/bash
.DEFAULT_GOAL := help

RELEASE     := $(CURDIR)/target/release
RESIDENTD   := $(RELEASE)/residentd
EXTENSION   := $(RELEASE)/libresident.so
PHP_EXT     := php -d extension=$(EXTENSION)
VAR         := $(CURDIR)/var
SOCKET      ?= $(VAR)/resident.sock
DATA        ?= $(VAR)/data
PORT        ?= 8080

APT_PACKAGES := php8.2-cli php8.2-dev php8.2-mbstring php8.2-xml clang libclang-dev \
                phpunit composer redis-server php8.2-redis php8.2-fpm libfcgi-bin
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: help deps build run test test-rust test-ext test-php lint stubs stubs-check bench install uninstall clean

help:
	@echo "make run      build, start residentd (socket $(SOCKET)) and the bank example on http://127.0.0.1:$(PORT)/"
	@echo "make test     build and run every test"
	@echo "make lint     cargo fmt --check and clippy -D warnings"
	@echo "make bench    Account::find() against phpredis GET; queries against PostgreSQL and SQLite;"
	@echo "              durable commits (1, 8, 64 clients) against redis-server with appendfsync always"
	@echo "make install  install residentd, resident, the extension, its ini and the systemd unit"

# Installs only the Debian packages that are missing, so a second run costs nothing.
deps:
	@missing=$$(for p in $(APT_PACKAGES); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q '^install ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		echo "Installing Debian packages:" $$missing; \
		$(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $$missing; \
	fi
	@command -v cargo >/dev/null || { echo "cargo not found: install Rust (https://rustup.rs) first"; exit 1; }

build: deps
	cargo build --release -p resident-server -p resident-php-ext
	composer dump-autoload --quiet --working-dir=php-lib

run: build
	SOCKET=$(SOCKET) DATA=$(DATA) PORT=$(PORT) RESIDENTD=$(RESIDENTD) EXTENSION=$(EXTENSION) examples/bank/run.sh

test: build test-rust test-ext test-php stubs-check

# The disk-full test mounts a small tmpfs, so it needs root or passwordless sudo.
test-rust:
	cargo test --release --workspace
	cargo test --release -p resident-server --test disk_full -- --ignored

# The extension's own checks: every native class and method (smoke.php, once with a
# stand-in schema registry, once with php-lib) and hydration edge cases.
test-ext:
	RESIDENTD=$(RESIDENTD) $(PHP_EXT) php-ext/tests/smoke.php
	RESIDENTD=$(RESIDENTD) SMOKE_PHP_LIB=1 $(PHP_EXT) php-ext/tests/smoke.php
	RESIDENTD=$(RESIDENTD) $(PHP_EXT) php-ext/tests/hydrate_check.php

test-php:
	RESIDENT_BIN=$(RESIDENTD) RESIDENT_EXT=$(EXTENSION) $(PHP_EXT) /usr/bin/phpunit -c tests/phpunit.xml

lint:
	cargo fmt --all --check
	cargo clippy --workspace --all-targets -- -D warnings

# The stubs are generated from the extension itself (cargo-php reads a debug build).
CARGO_PHP := $(HOME)/.cargo/bin/cargo-php
$(CARGO_PHP):
	cargo install cargo-php --locked --version 0.2.2

stubs: $(CARGO_PHP)
	cd php-ext && cargo php stubs --stdout > ../stubs/resident.stubs.php

stubs-check: $(CARGO_PHP)
	@cd php-ext && cargo php stubs --stdout > $(CURDIR)/target/resident.stubs.php
	@diff -u stubs/resident.stubs.php target/resident.stubs.php \
		|| { echo "stubs/resident.stubs.php is out of date: run make stubs"; exit 1; }
	@echo "stubs/resident.stubs.php matches the extension"

# Benchmarks print figures against peers measured in the same run; they assert nothing.
BENCH_DEPS := postgresql php8.2-pgsql php8.2-sqlite3 php-illuminate-database
bench: build
	@$(MAKE) --no-print-directory deps APT_PACKAGES="$(BENCH_DEPS)"
	RESIDENTD=$(RESIDENTD) EXTENSION=$(EXTENSION) bench/find/run.sh
	RESIDENTD=$(RESIDENTD) EXTENSION=$(EXTENSION) bench/queries/run.sh
	RESIDENTD=$(RESIDENTD) bench/commit/run.sh

PREFIX     ?= /usr/local
PHP_EXTDIR := $(shell php-config --extension-dir 2>/dev/null)
install: build
	$(SUDO) install -m 0755 $(RESIDENTD) $(RELEASE)/resident $(PREFIX)/bin/
	$(SUDO) install -m 0644 $(EXTENSION) $(PHP_EXTDIR)/resident.so
	$(SUDO) install -m 0644 dist/resident.ini /etc/php/8.2/mods-available/resident.ini
	$(SUDO) phpenmod resident
	$(SUDO) install -m 0644 dist/residentd.service /etc/systemd/system/residentd.service
	@echo "Installed. Create the user and start the daemon: see README.md, 'Installing'."

uninstall:
	-$(SUDO) phpdismod resident
	$(SUDO) rm -f $(PREFIX)/bin/residentd $(PREFIX)/bin/resident $(PHP_EXTDIR)/resident.so \
		/etc/php/8.2/mods-available/resident.ini /etc/systemd/system/residentd.service
	@echo "Removed the programs; the data in /var/lib/resident is left alone."

clean:
	cargo clean
	rm -rf $(VAR) php-lib/vendor
