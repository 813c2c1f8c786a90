# Resident: build, run, test, benchmark and install.
#
#   make run     build everything and start residentd with the bank example
#   make test    the full test suite (Rust unit and integration tests, PHPUnit on real parts)
#   make check   the fast checks for the edit loop (format, clippy, unit tests, layers, php -l)
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

.PHONY: help deps build run test test-rust test-ext test-php test-examples lint check layers php-lint stubs stubs-check bench \
        deb test-package test-pie install uninstall clean \
        bench-http bench-http-check bench-http-deps bench-report

help:
	@echo "make run      build, start residentd (socket $(SOCKET)) and the bank example on http://127.0.0.1:$(PORT)/"
	@echo "make test     build and run every test (make test-examples: only the Laravel and Symfony apps)"
	@echo "make check    the edit loop: fmt --check, clippy, Rust unit tests, the layer check, php -l"
	@echo "make lint     cargo fmt --check and clippy -D warnings"
	@echo "make bench    Account::find() against phpredis GET; queries against PostgreSQL and SQLite;"
	@echo "              durable commits (1, 8, 64 clients) against redis-server with appendfsync always;"
	@echo "              restart from the log and from a snapshot against redis-server's RDB;"
	@echo "              the bank over nginx + PHP-FPM; then writes bench/REPORT.md with charts"
	@echo "make bench-http  only the bank over HTTP: Resident against Eloquent and stored events on PostgreSQL"
	@echo "make deb      build the Debian package (target/debian/resident_<version>_<arch>.deb)"
	@echo "make test-package  install the package into a clean Debian 12 root and check it (root)"
	@echo "make test-pie build and install the extension as PIE does (phpize, configure, make)"
	@echo "make install  build the package and install it with apt (make uninstall removes it)"

# Installs only the Debian packages that are missing, so a second run costs nothing.
# NO_SERVICE_START=1 keeps their services from starting while they install (through
# policy-rc.d, unless the system has one already): the benchmarks start their own servers.
deps:
	@missing=$$(for p in $(APT_PACKAGES); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q '^install ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		echo "Installing Debian packages:" $$missing; \
		policy=; \
		if [ "$(NO_SERVICE_START)" = 1 ] && [ ! -e /usr/sbin/policy-rc.d ]; then \
			policy=/usr/sbin/policy-rc.d; \
			printf '#!/bin/sh\n# make deps: no service starts while packages install\nexit 101\n' | $(SUDO) tee $$policy >/dev/null; \
			$(SUDO) chmod 755 $$policy; \
		fi; \
		$(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $$missing; \
		status=$$?; \
		[ -z "$$policy" ] || $(SUDO) rm -f $$policy; \
		[ $$status = 0 ] || exit $$status; \
	fi
	@command -v cargo >/dev/null || { echo "cargo not found: install Rust (https://rustup.rs) first"; exit 1; }

build: deps
	cargo build --release -p resident-server -p resident-php-ext
	composer dump-autoload --quiet --working-dir=php-lib

run: build
	SOCKET=$(SOCKET) DATA=$(DATA) PORT=$(PORT) RESIDENTD=$(RESIDENTD) EXTENSION=$(EXTENSION) examples/bank/run.sh

test: build layers test-rust test-ext test-php test-examples bench-http-check stubs-check

# The disk-full and read-only tests mount file systems, so they need root or passwordless sudo.
test-rust:
	cargo test --release --workspace
	cargo test --release -p resident-server --test disk_full --test read_only -- --ignored

# The extension's own checks: every native class and method (smoke.php, once with a
# stand-in schema registry, once with php-lib) and hydration edge cases.
test-ext:
	RESIDENTD=$(RESIDENTD) $(PHP_EXT) php-ext/tests/smoke.php
	RESIDENTD=$(RESIDENTD) SMOKE_PHP_LIB=1 $(PHP_EXT) php-ext/tests/smoke.php
	RESIDENTD=$(RESIDENTD) $(PHP_EXT) php-ext/tests/hydrate_check.php

test-php:
	RESIDENTD=$(RESIDENTD) RESIDENT_EXT=$(EXTENSION) $(PHP_EXT) /usr/bin/phpunit -c tests/phpunit.xml

# examples/laravel and examples/symfony: the bank on Laravel 8 and Symfony 5.4 from Debian's
# packages; composer install works offline (path repositories for the adapters and php-lib),
# then each app's PHPUnit suite runs through the framework's HTTP test client against a
# throwaway residentd with the real extension.
EXAMPLES_DEPS := php-laravel-framework php-symfony-framework-bundle php-symfony-twig-bundle \
                 php-symfony-browser-kit php-symfony-css-selector php-symfony-yaml
test-examples: build
	@$(MAKE) --no-print-directory deps APT_PACKAGES="$(EXAMPLES_DEPS)"
	@for app in laravel symfony; do \
		echo "examples/$$app:"; \
		composer install --quiet --no-interaction --working-dir=examples/$$app || exit 1; \
		(cd examples/$$app && RESIDENTD=$(RESIDENTD) $(PHP_EXT) /usr/bin/phpunit) || exit 1; \
	done

lint:
	cargo fmt --all --check
	cargo clippy --workspace --all-targets -- -D warnings

# The edit loop: what can be checked in a minute or two, without starting a server.
check: lint layers php-lint
	cargo test --workspace --lib --bins

# Each crate's modules import each other without cycles, and each top-level module only
# the layers after it (tools/layers; a,b are side by side and import neither the other).
LAYERS := cargo run --quiet -p resident-layers --
layers:
	$(LAYERS) server/src server,testkit net,config write,query storage state cbor error
	$(LAYERS) protocol/src client scan frame,map,error_code,op
	$(LAYERS) php-ext/src module classes engine client

# PHP syntax of every PHP file we ship or test with (php -l reads one file at a time).
php-lint:
	@find php-lib/src adapters tests examples bench -name '*.php' -not -path '*/vendor/*' -print0 \
		| xargs -0 -n1 -P2 php -l >/dev/null && echo "php -l: no syntax errors"

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
# Each leaves its figures in bench/results/; bench/report/build.sh turns them into
# bench/REPORT.md with charts (bench/charts/).
BENCH_DEPS := postgresql php8.2-pgsql php8.2-sqlite3 php-illuminate-database
bench: build bench-http-deps
	@$(MAKE) --no-print-directory deps APT_PACKAGES="$(BENCH_DEPS)"
	RESIDENTD=$(RESIDENTD) EXTENSION=$(EXTENSION) bench/find/run.sh
	RESIDENTD=$(RESIDENTD) EXTENSION=$(EXTENSION) bench/queries/run.sh
	RESIDENTD=$(RESIDENTD) bench/commit/run.sh
	RESIDENTD=$(RESIDENTD) bench/restart/run.sh
	RESIDENTD=$(RESIDENTD) EXTENSION=$(EXTENSION) bench/http/run.sh
	bench/report/build.sh

# The bank over HTTP (bench/http): Resident, Eloquent on PostgreSQL and stored_events on
# PostgreSQL behind nginx and PHP-FPM on 127.0.0.1, driven by wrk. BENCH_HTTP_SECONDS (10)
# per case; see bench/http/run.sh for the other settings.
BENCH_HTTP_DEPS := nginx wrk php8.2-fpm php8.2-opcache libfcgi-bin postgresql php8.2-pgsql \
                   php-illuminate-database gnuplot-nox
bench-http: build bench-http-deps
	RESIDENTD=$(RESIDENTD) EXTENSION=$(EXTENSION) bench/http/run.sh
	bench/report/build.sh

# The three variants of the bank pass the same smoke test and end with identical balances.
bench-http-check: build bench-http-deps
	RESIDENTD=$(RESIDENTD) EXTENSION=$(EXTENSION) bench/http/check.sh

# nginx's package would serve its default site on port 80 of every address: nothing starts
# while these install, and an nginx installed here is not enabled at boot either.
bench-http-deps:
	@fresh_nginx=$$(dpkg-query -W -f='$${Status}' nginx 2>/dev/null | grep -q 'install ok installed' || echo 1); \
	$(MAKE) --no-print-directory deps APT_PACKAGES="$(BENCH_HTTP_DEPS)" NO_SERVICE_START=1 || exit 1; \
	if [ -n "$$fresh_nginx" ] && [ -d /run/systemd/system ]; then $(SUDO) systemctl disable --quiet nginx; fi

# REPORT.md again from the results already there (no benchmark runs).
bench-report: bench-http-deps
	bench/report/build.sh

# The Debian package (dist/deb/build.sh, Debian's dpkg-deb): residentd, resident, the
# extension for PHP 8.2 and its ini, the systemd unit, /etc/resident/residentd.toml.
VERSION  := $(shell sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -1)
DEB      := $(CURDIR)/target/debian/resident_$(VERSION)_$(shell dpkg --print-architecture 2>/dev/null).deb
deb: build
	@$(MAKE) --no-print-directory deps APT_PACKAGES="dpkg-dev"
	dist/deb/build.sh $(dir $(DEB))

# Installs the package into a clean Debian 12 root and checks it (tests/package/run.sh):
# needs root, and Debian's mirror the first time (debootstrap; the root is cached in
# /var/cache/resident-package-test). About 25 s with the cache, 2 min more without.
test-package: deb
	@$(MAKE) --no-print-directory deps APT_PACKAGES="debootstrap systemd-container"
	$(SUDO) tests/package/run.sh $(DEB)

# PIE's way (php-ext/composer.json, config.m4): phpize, ./configure, make, make install in a
# copy of the checkout, with cargo's build in target/pie (a few minutes the first time).
test-pie: deps
	php-ext/tests/pie_build.sh

# Installing is installing the package, so that files, user, unit and removal are the
# package's (see README.md, "Installing").
install: deb
	$(SUDO) apt-get install -y $(DEB)

uninstall:
	$(SUDO) apt-get remove -y resident
	@echo "Removed the package; the data in /var/lib/resident is left (apt-get purge resident removes it)."

clean:
	cargo clean
	rm -rf $(VAR) php-lib/vendor examples/laravel/vendor examples/symfony/vendor examples/symfony/var \
		examples/laravel/composer.lock examples/symfony/composer.lock
