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
