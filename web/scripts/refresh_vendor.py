"""Refresh the vendored browser libraries from the npm registry, checking integrity hashes.

    uv run python web/scripts/refresh_vendor.py          # download, verify, write static/vendor/
    uv run python web/scripts/refresh_vendor.py --check  # verify the committed files match

Each package of `web/vendor.json` is fetched with `npm pack NAME@VERSION` (the ordinary npm
client and registry), its tarball's SHA-512 is compared with the pinned `integrity` (the same
Subresource Integrity string `npm view NAME@VERSION dist.integrity` prints), and only the listed
files are copied to `static/vendor/<name>/`. The committed files are what the studio runs;
nothing is fetched at runtime. To upgrade: change `version` and `integrity` together.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

WEB = Path(__file__).resolve().parent.parent
MANIFEST = WEB / "vendor.json"
VENDOR = WEB / "src" / "ima2_web" / "static" / "vendor"


def sri_sha512(data: bytes) -> str:
    return "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode()


def fetch(name: str, version: str, workdir: Path) -> bytes:
    out = subprocess.run(
        ["npm", "pack", f"{name}@{version}", "--json", "--pack-destination", str(workdir)],
        check=True,
        capture_output=True,
        text=True,
    )
    filename = json.loads(out.stdout)[0]["filename"]
    return (workdir / filename).read_bytes()


def package_files(tarball: Path, wanted: dict[str, str]) -> dict[str, bytes]:
    found: dict[str, bytes] = {}
    with tarfile.open(tarball) as archive:
        for member in archive.getmembers():
            inner = member.name.removeprefix("package/")
            if inner in wanted and member.isfile():
                handle = archive.extractfile(member)
                assert handle is not None
                found[wanted[inner]] = handle.read()
    missing = set(wanted.values()) - set(found)
    if missing:
        raise SystemExit(f"{tarball.name}: missing {sorted(missing)}")
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only verify the committed files")
    args = parser.parse_args()
    manifest = json.loads(MANIFEST.read_text())
    problems = 0
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        for package in manifest["packages"]:
            name, version = package["name"], package["version"]
            data = fetch(name, version, workdir)
            actual = sri_sha512(data)
            if actual != package["integrity"]:
                print(f"{name}@{version}: integrity mismatch {actual}", file=sys.stderr)
                return 2
            tarball = workdir / f"{name.replace('/', '-').lstrip('@')}.tgz"
            tarball.write_bytes(data)
            target = VENDOR / name
            for filename, content in package_files(tarball, package["files"]).items():
                path = target / filename
                if args.check:
                    if not path.is_file() or path.read_bytes() != content:
                        print(f"{name}@{version}: {filename} differs from the registry", file=sys.stderr)
                        problems += 1
                    continue
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(content)
            print(f"{name}@{version}: ok")
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
