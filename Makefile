# NeonChat. `make help` lists the targets.
SHELL := /bin/bash
.DEFAULT_GOAL := help

SERVICES := common api gateway persister presence bench

.PHONY: help deps build dev test lint bench clean clean-dev compose-config

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-15s %s\n", $$1, $$2}'

deps: ## install nats-server, redis-server, PostgreSQL (apt), npm packages, and build
	scripts/deps.sh

build: ## compile every workspace (tsc -b)
	npm run build

dev: ## run the whole system locally (servers + services); Ctrl-C stops it
	scripts/dev.sh

test: deps ## run all tests with coverage (starts its own NATS, PostgreSQL and Redis)
	npm test

lint: ## eslint and prettier --check
	npm run lint

bench: ## build, install the plot tool if missing (bench/scripts/deps.sh), run the benchmark; BENCH_ARGS="--only fanout_saturation"
	bench/scripts/deps.sh
	npm run build
	node bench/dist/main.js $(BENCH_ARGS)

clean: ## delete build output and coverage (keeps node_modules and .dev data)
	rm -rf $(addsuffix /dist,$(SERVICES)) coverage .c8_output
	find . -name '*.tsbuildinfo' -not -path './node_modules/*' -delete

clean-dev: ## delete the local data of make dev (.dev/: NATS, PostgreSQL, Redis, JWT secret)
	if [[ -L .dev/pg ]]; then rm -rf "$$(readlink .dev/pg)"; fi
	rm -rf .dev

compose-config: ## validate docker-compose.yml (JWT_SECRET gets a placeholder if unset)
	@export JWT_SECRET="$${JWT_SECRET:-compose-config-placeholder}"; \
	if docker compose version >/dev/null 2>&1; then \
		docker compose config -q; \
	elif command -v docker-compose >/dev/null; then \
		docker-compose config -q; \
	else \
		echo "compose-config: neither 'docker compose' nor docker-compose is installed" >&2; exit 1; \
	fi
	@echo "docker-compose.yml is valid"
