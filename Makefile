# NeonChat. `make help` lists the targets.
SHELL := /bin/bash
.DEFAULT_GOAL := help

SERVICES := common api gateway persister presence bench web

.PHONY: help deps build dev cluster cluster-restart cluster-stop cluster-start dev-restart backup restore drill test test-cluster check-deploy lint bench \
	clean clean-dev clean-cluster compose-config demo images image-smoke compose-smoke test-node24 clean-images

help: ## list the targets
	@grep -E '^[a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-15s %s\n", $$1, $$2}'

deps: ## install nats-server, redis-server, PostgreSQL (apt), npm packages, and build
	scripts/deps.sh

build: ## compile every workspace (tsc -b)
	npm run build

dev: ## run the whole system locally (servers + services); Ctrl-C stops it
	scripts/dev.sh

cluster: ## the scaled-out layout here: 3 NATS nodes, HAProxy, 2 api, 2 gateways, 2 persisters, Prometheus; Ctrl-C stops it
	scripts/cluster.sh

cluster-restart: ## stop one instance of the running make cluster and start it again: NAME=gateway-2
	scripts/instance.sh restart "$(NAME)"

cluster-stop: ## stop one instance of the running make cluster and keep it stopped: NAME=nats-2
	scripts/instance.sh stop "$(NAME)"

cluster-start: ## start a held instance of the running make cluster again: NAME=nats-2
	scripts/instance.sh start "$(NAME)"

dev-restart: ## restart one process of the running make dev: NAME=gateway (or nats, postgres, ...)
	STACK_DIR="$${STACK_DIR:-.dev}" scripts/instance.sh restart "$(NAME)"

backup: ## a full pgBackRest backup of the running make cluster (else make dev); BACKUP_TYPE=diff|incr, STACK_DIR=
	scripts/backup.sh

restore: ## restore the running stack's PostgreSQL (latest, or TARGET_TIME='2026-12-07 21:50:00+00') and replay from JetStream
	scripts/restore.sh

drill: ## disaster drill on a fresh make cluster: PostgreSQL's data and a NATS node's store destroyed under load; prints RPO/RTO
	npx mocha --timeout 600000 test/deploy/drill.drill.ts

test-cluster: deps ## the cluster tests only (kill test, dashboard, traces): each starts its own cluster
	npx mocha 'test/deploy/**/*.test.ts'

check-deploy: compose-config ## validate deploy/: promtool (alert rules and their unit tests), prometheus.yml, docker compose config, kubectl kustomize
	promtool check rules deploy/prometheus/alerts.yml
	promtool test rules deploy/prometheus/tests/*.test.yml
	promtool check config --syntax-only deploy/prometheus/prometheus.yml
	kubectl kustomize deploy/k8s >/dev/null && echo "deploy/k8s: kustomize builds"

test: deps ## run all tests with coverage (starts its own NATS, PostgreSQL and Redis)
	npm test

images: ## build the four images with podman on a local Node 24 / Debian trixie base (scripts/images/, no registry needed)
	scripts/images/build.sh

image-smoke: ## the four images, each started under podman (host networking) against local servers, then messages through them
	scripts/images/image-smoke.sh

compose-smoke: deps ## docker-compose.yml run with podman-compose: images, up, messages through the balancer, stored, down
	scripts/images/compose-smoke.sh

test-node24: ## npm test on Node 24 in a Debian trixie container (podman), with trixie's servers and Chromium inside
	scripts/images/test-node24.sh

clean-images: ## delete the local images and downloads of scripts/images/ (.images/)
	-CONTAINERS_CONF=scripts/images/containers.conf podman rmi -f localhost/neonchat-node:24-trixie localhost/neonchat-test:24-trixie \
		localhost/neonchat-{api,gateway,persister,presence,nats,postgres-base,postgres,ops,redis,nginx}:local
	rm -rf .images

lint: ## eslint and prettier --check
	npm run lint

demo: ## record the seed's demo scenario into demo/neonchat-demo.webm (own stack on free ports; installs ffmpeg if missing); DEMO_FRAMES=1 also refreshes the README stills
	scripts/demo.sh

bench: ## build, install the plot tool if missing (bench/scripts/deps.sh), run the benchmark; BENCH_ARGS="--only fanout_saturation"
	bench/scripts/deps.sh
	npm run build
	node bench/dist/main.js $(BENCH_ARGS)

clean: ## delete build output and coverage (keeps node_modules and .dev data)
	rm -rf $(addsuffix /dist,$(SERVICES)) coverage .c8_output
	find . -name '*.tsbuildinfo' -not -path './node_modules/*' -delete

clean-cluster: ## delete the data of make cluster (.cluster/)
	if [[ -L .cluster/pg ]]; then rm -rf "$$(readlink .cluster/pg)"; fi
	rm -rf .cluster

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
