# Included by the Makefile that phpize and ./configure make (see config.m4): builds
# resident.so with cargo into modules/, where `make install` takes every module from.
# CARGO_TARGET_DIR (environment) chooses cargo's build directory; default: the workspace's.
all: modules/resident.so

modules/resident.so:
	cd $(srcdir) && PHP_CONFIG=$(RESIDENT_PHP_CONFIG) $(CARGO) build --release --lib
	mkdir -p modules
	cp "$${CARGO_TARGET_DIR:-$(srcdir)/../target}/release/libresident.so" modules/resident.so

.PHONY: modules/resident.so
