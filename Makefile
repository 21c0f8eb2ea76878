# Shortcuts for the local stack, after the article's Makefile (docker-compose there, plain
# processes here: see scripts/stack.sh). `make logs SVC=mariadb` shows one service.
SHELL := /bin/bash
SVC ?=

.PHONY: install venv build up down ps status logs test to_mysql

install:  ## install MariaDB (apt), tansu and s3s-fs (cargo) when missing
	scripts/stack.sh install

venv:  ## .venv with kafka-python, confluent-kafka, boto3, pymysql, pytest, pyyaml
	scripts/venv.sh

build:  ## the worker binary, target/release/sluice
	cargo build --release -p sluice

up:  ## tansu :9092, MariaDB :3306, s3s-fs :9000, and the worker :8083 if built
	scripts/stack.sh up

down:
	scripts/stack.sh down

ps:
	scripts/stack.sh ps

status:
	scripts/stack.sh status

logs:
	scripts/stack.sh logs $(SVC)

test:  ## what CI runs: install, build, stack up, nextest, pytest
	scripts/test.sh

to_mysql:  ## the article's `make to_mysql`, against the local MariaDB
	mariadb --no-defaults -h127.0.0.1 -P$${MYSQL_PORT:-3306} -uroot -pdebezium

# Demo targets (data generator, connector setup) go below.

# ---- demo: the article end to end (demo/README.md) and its compose file (docker/) ----------
# `make demo` on a fresh machine: install services, venv, build the worker, start the stack,
# then demo/run_demo.py. Knobs: DEMO_DAYS (3 of the 366 days), DEMO_SLEEP (1 s between days),
# DEMO_TIMEOUT (300 s), DEMO_DRAIN (1), DEMO_SOURCES_ONLY (0); DEMO_SKIP_SETUP=1 skips the
# install/venv/build/up steps when the stack already runs.
DEMO_DAYS ?= 3
DEMO_SKIP_SETUP ?= 0
COMPOSE_FILE := docker/docker-compose.yml

.PHONY: demo compose-up compose-down

demo:
	@if [[ "$(DEMO_SKIP_SETUP)" != 1 ]]; then \
	  scripts/stack.sh install && scripts/venv.sh && cargo build --release -p sluice && scripts/stack.sh up; \
	fi
	DEMO_DAYS=$(DEMO_DAYS) .venv/bin/python demo/run_demo.py

compose-up:  ## the article's compose file with Sluice as kafka-connect (needs a Docker engine)
	@if ! command -v docker >/dev/null 2>&1 || ! docker compose version >/dev/null 2>&1; then \
	  echo "compose-up: 'docker compose' is not available on this machine; use 'make up' (plain processes) instead" >&2; exit 1; \
	fi
	docker compose -f $(COMPOSE_FILE) up -d --build

compose-down:
	@if ! command -v docker >/dev/null 2>&1 || ! docker compose version >/dev/null 2>&1; then \
	  echo "compose-down: 'docker compose' is not available on this machine; nothing to stop" >&2; exit 1; \
	fi
	docker compose -f $(COMPOSE_FILE) down
