# `make demo` and `make test` work on a fresh Debian 12 machine: each installs
# what it needs first (idempotently; apt only runs when a package is missing).

PHP        ?= php8.2
EXT        := target/release/libezcluster.so
# Where the built extension is copied as ezcluster.so (`make install` puts it
# into PHP's extension dir, to load with `extension=ezcluster`).
EXT_DIR    := $(CURDIR)/build
BUILD_PKGS := php8.2-cli php8.2-dev clang libclang-dev libmariadb-dev pkg-config
# PDO drivers: tests read the tables the way eZ Publish's own PHP code does.
# Web servers: HTTP tests go through nginx + php-fpm and Apache + mod_php.
TEST_PKGS  := $(BUILD_PKGS) mariadb-server mariadb-client postgresql-15 postgresql-client-15 curl \
              php8.2-mysql php8.2-pgsql php8.2-sqlite3 \
              nginx php8.2-fpm apache2 libapache2-mod-php8.2

.PHONY: demo test build deps-build deps-test install clean docs

demo: deps-build build
	EZCLUSTER_EXTENSION=$(EXT_DIR)/ezcluster.so $(PHP) -d extension=$(EXT_DIR)/ezcluster.so php/bin/demo.php

test: deps-test build
	tests/run.sh

build: $(EXT_DIR)/ezcluster.so

# Installed by rename, not overwritten: a running php-fpm may have the old file mapped.
$(EXT_DIR)/ezcluster.so: $(shell find src -name '*.rs') Cargo.toml
	cargo build --release --features php
	mkdir -p $(EXT_DIR) && cp $(EXT) $@.tmp && mv -f $@.tmp $@

deps-build:
	@tests/install-packages.sh $(BUILD_PKGS)

deps-test:
	@tests/install-packages.sh $(TEST_PKGS)

# Installs into PHP's extension dir and enables it for every SAPI.
install: build
	install -m 0644 $(EXT_DIR)/ezcluster.so "$$(php-config8.2 --extension-dir)/ezcluster.so"
	printf '; priority=40\nextension=ezcluster\n' > /etc/php/8.2/mods-available/ezcluster.ini
	phpenmod -v 8.2 ezcluster

# Regenerates docs/settings.md from the settings table.
docs:
	EZCLUSTER_WRITE_DOCS=1 cargo test --test docs

clean:
	cargo clean
	rm -rf $(EXT_DIR)

# Serving benchmark (bench/serve/run.sh): wrk against ezcluster_serve(), a
# PHP-userland baseline, readfile() and nginx static; writes bench/RESULTS.md.
.PHONY: bench-serve
bench-serve: deps-test build
	@tests/install-packages.sh wrk php8.2-mysql php8.2-pgsql
	bench/serve/run.sh

# Cache generation benchmark (bench/cache/run.sh): 64 requests at once on one
# expired item, processCache() against the unprotected way; writes bench/RESULTS.md.
.PHONY: bench-cache
bench-cache: deps-test build
	bench/cache/run.sh

# clusterize.php against `cp -r` and a PHP-userland mysqli loop (bench/RESULTS.md).
.PHONY: bench-clusterize
bench-clusterize: deps-test build
	bench/clusterize/run.sh
