#!/usr/bin/env python3
"""Writes docker-compose.yml as podman-compose 1.0.3 (Debian 12) can read it, to stdout.

Two things that file uses and podman-compose 1.0.3 cannot take, changed and nothing else:
- a service's `networks` as a mapping (the balancer's `default: {ipv4_address: ...}`) stops it
  with a KeyError: it becomes the list of the networks' names (podman-compose ignores
  `ipv4_address` in any case, see deploy/README.md);
- relative paths are read from the written file's folder: they are made absolute (bind
  mounts' sources and build contexts, `build: deploy/ops` as well as `context: .`).
Usage: compose-for-podman.py ROOT/docker-compose.yml > OUT.yml
"""
import os
import sys

import yaml

path = os.path.abspath(sys.argv[1])
root = os.path.dirname(path)
with open(path, encoding="utf-8") as f:
    compose = yaml.safe_load(f)


def absolute(p):
    return os.path.normpath(os.path.join(root, p)) if p.startswith(".") else p


def absolute_context(p):
    # A build context is a path even without "./" (`build: deploy/ops`).
    return p if os.path.isabs(p) or "://" in p else os.path.normpath(os.path.join(root, p))


for service in compose.get("services", {}).values():
    if isinstance(service.get("networks"), dict):
        service["networks"] = list(service["networks"].keys())
    build = service.get("build")
    if isinstance(build, str):
        service["build"] = absolute_context(build)
    elif isinstance(build, dict) and "context" in build:
        build["context"] = absolute_context(build["context"])
    volumes = service.get("volumes") or []
    for i, volume in enumerate(volumes):
        if isinstance(volume, str) and volume.startswith("."):
            source, rest = volume.split(":", 1)
            volumes[i] = f"{absolute(source)}:{rest}"

yaml.safe_dump(compose, sys.stdout, sort_keys=False)
