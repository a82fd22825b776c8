#!/usr/bin/env python3
"""Checks the container files without a Docker engine (docs/operations.md#containers), in well under a second:
docker-compose.yml and deploy/prometheus.yml parse; every volume, secret and service a service names is declared;
the Dockerfile runs as a non-root user with a HEALTHCHECK and a /data volume; every project the hub references is
copied before `dotnet restore`, and nothing the build stage copies is excluded by .dockerignore.
Usage: python3 .ci/check-containers.py   (exit 0: fine; 1: each problem printed on its own line)"""
import fnmatch
import pathlib
import re
import sys

import yaml

root = pathlib.Path(__file__).resolve().parent.parent
problems = []

compose = yaml.safe_load((root / "docker-compose.yml").read_text())
yaml.safe_load((root / "deploy" / "prometheus.yml").read_text())
services = compose.get("services", {})
declared_volumes = set((compose.get("volumes") or {}).keys())
declared_secrets = set((compose.get("secrets") or {}).keys())
for name, service in services.items():
    for volume in service.get("volumes", []):
        source = (volume if isinstance(volume, str) else volume.get("source", "")).split(":")[0]
        if source.startswith((".", "/")):
            if not (root / source).exists():
                problems.append(f"service {name}: bind mount {source} does not exist")
        elif source not in declared_volumes:
            problems.append(f"service {name}: volume {source} is not declared under volumes:")
    for secret in service.get("secrets", []):
        source = secret if isinstance(secret, str) else secret["source"]
        if source not in declared_secrets:
            problems.append(f"service {name}: secret {source} is not declared under secrets:")
    for dependency in service.get("depends_on", []):
        if dependency not in services:
            problems.append(f"service {name}: depends on unknown service {dependency}")

dockerfile = (root / "Dockerfile").read_text()
runtime = dockerfile[dockerfile.rindex("\nFROM "):]
for needed, why in [(r"^USER (?!root\b|0\b)\S+", "a non-root USER"), (r"^HEALTHCHECK ", "a HEALTHCHECK"), (r'^VOLUME \["/data"\]', 'VOLUME ["/data"]')]:
    if not re.search(needed, runtime, re.MULTILINE):
        problems.append(f"Dockerfile: the runtime stage lacks {why}")

copied = {m for line in re.findall(r"^COPY (?!--from)(.+)$", dockerfile, re.MULTILINE) for m in line.split()[:-1]}
def referenced(project, seen):
    if project in seen:
        return
    seen.add(project)
    for reference in re.findall(r'ProjectReference Include="([^"]+)"', (root / project).read_text()):
        referenced(str((root / project).parent.joinpath(reference.replace("\\", "/")).resolve().relative_to(root)), seen)
projects = set()
referenced("src/KrxHub/KrxHub.csproj", projects)
for project in sorted(projects):
    if project not in copied:
        problems.append(f"Dockerfile: {project} is not copied before dotnet restore")

ignore = [line.strip() for line in (root / ".dockerignore").read_text().splitlines() if line.strip() and not line.startswith("#")]
def excluded(path):
    verdict = False
    for pattern in ignore:
        negate = pattern.startswith("!")
        pattern = pattern.lstrip("!").rstrip("/")
        if fnmatch.fnmatch(path, pattern) or fnmatch.fnmatch(path, pattern + "/*") or path.startswith(pattern + "/"):
            verdict = not negate
    return verdict
for source in sorted(copied):
    if not (root / source).exists():
        problems.append(f"Dockerfile: COPY {source}: no such file in the repository")
    elif excluded(source.rstrip("/")):
        problems.append(f"Dockerfile: COPY {source} is excluded by .dockerignore")

for problem in problems:
    print(problem)
print(f"containers: {'ok' if not problems else str(len(problems)) + ' problems'}")
sys.exit(1 if problems else 0)
