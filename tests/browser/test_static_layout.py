"""The studio's static files: vendored modules match their pinned integrity, every module is
preloaded and resolvable through the import map, every string key used exists."""

from __future__ import annotations

import json
import re
from pathlib import Path

from ima2_web import STATIC_DIR

WEB = STATIC_DIR.parents[2]


def test_vendored_packages_are_pinned_with_licenses() -> None:
    manifest = json.loads((WEB / "vendor.json").read_text())
    for package in manifest["packages"]:
        assert re.fullmatch(r"\d+\.\d+\.\d+", package["version"]), package
        assert package["integrity"].startswith("sha512-"), package
        for target in package["files"].values():
            assert (STATIC_DIR / "vendor" / package["name"] / target).is_file(), (package["name"], target)
        assert "LICENSE" in package["files"].values()


def _import_map() -> dict[str, str]:
    html = (STATIC_DIR / "index.html").read_text()
    block = re.search(r'<script type="importmap">(.*?)</script>', html, re.S)
    assert block, "index.html has an import map"
    return json.loads(block.group(1))["imports"]


def test_import_map_and_preloads_cover_every_module() -> None:
    html = (STATIC_DIR / "index.html").read_text()
    imports = _import_map()
    for url in imports.values():
        assert (STATIC_DIR / url.removeprefix("/static/")).is_file(), url
    preloaded = set(re.findall(r'<link rel="modulepreload" href="/static/([^"]+)">', html))
    modules = {p.relative_to(STATIC_DIR).as_posix() for p in (STATIC_DIR / "js").rglob("*.js")}
    assert modules - {"js/app.js"} <= preloaded, sorted(modules - preloaded)
    assert {u.removeprefix("/static/") for u in imports.values()} <= preloaded
    # Every bare import of our modules is in the map; every relative import exists.
    for module in modules:
        source = (STATIC_DIR / module).read_text()
        for spec in re.findall(r'from\s+"([^"]+)"', source):
            if spec.startswith("."):
                assert (STATIC_DIR / module).parent.joinpath(spec).resolve().is_file(), (module, spec)
            else:
                assert spec in imports, (module, spec)


def test_every_string_key_used_is_in_the_catalogue() -> None:
    catalogue = (STATIC_DIR / "js" / "strings.js").read_text()
    keys = set(re.findall(r'^\s*"([\w.]+)":', catalogue, re.M))
    used: set[str] = set()
    for path in Path(STATIC_DIR / "js").rglob("*.js"):
        used |= set(re.findall(r'\bt\(\s*"([\w.]+)"', path.read_text()))
    assert used - keys == set(), sorted(used - keys)
