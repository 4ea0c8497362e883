"""The dependency rule of DESIGN.md §2, checked on every import statement."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OURS = {
    "ima2_proto",
    "ima2_common",
    "ima2_jobs",
    "ima2_gateway",
    "ima2_image",
    "ima2_video",
    "ima2_library",
    "ima2_auth",
    "ima2_sandbox",
    "ima2_cli",
    "ima2_web",
}
ALLOWED = {
    "proto": {"ima2_proto"},
    "common": {"ima2_common"},
    "jobs": {"ima2_jobs", "ima2_common", "ima2_proto"},
    "gateway": {"ima2_gateway", "ima2_common", "ima2_proto"},
    "svc-image": {"ima2_image", "ima2_common", "ima2_proto", "ima2_jobs"},
    "svc-video": {"ima2_video", "ima2_common", "ima2_proto", "ima2_jobs"},
    "svc-library": {"ima2_library", "ima2_common", "ima2_proto"},
    "svc-auth": {"ima2_auth", "ima2_common", "ima2_proto"},
    "sandbox": {"ima2_sandbox", "ima2_common"},
    "cli": {"ima2_cli", "ima2_common"},
    "web": {"ima2_web"},
}


def imported_packages(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
    return found & OURS


def import_violations() -> list[str]:
    violations = []
    for member, allowed in ALLOWED.items():
        for path in (ROOT / member / "src").rglob("*.py"):
            extra = imported_packages(path) - allowed
            if extra:
                violations.append(f"{path.relative_to(ROOT)} imports {sorted(extra)}")
    return violations


def test_parts_import_only_what_they_may() -> None:
    # Parsed in a child process: CPython 3.11 keeps the AST constructor's recursion depth in global
    # state, so ast.parse racing the session stack's threads can fail with a SystemError (gh-106905).
    child = subprocess.run([sys.executable, __file__], capture_output=True, text=True, check=True)
    assert json.loads(child.stdout) == []


def test_every_member_is_covered_and_declares_only_allowed_parts() -> None:
    workspace = tomllib.loads((ROOT / "pyproject.toml").read_text())
    members = workspace["tool"]["uv"]["workspace"]["members"]
    assert sorted(members) == sorted(ALLOWED)
    for member in members:
        project = tomllib.loads((ROOT / member / "pyproject.toml").read_text())["project"]
        ours = {dep.split(">")[0].split("=")[0].strip().replace("-", "_") for dep in project["dependencies"]}
        assert ours & OURS <= ALLOWED[member], member


def test_the_image_installs_every_member() -> None:
    members = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["uv"]["workspace"]["members"]
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert [m for m in members if f"COPY {m}/pyproject.toml {m}/pyproject.toml" not in dockerfile] == []


if __name__ == "__main__":
    print(json.dumps(import_violations()))
