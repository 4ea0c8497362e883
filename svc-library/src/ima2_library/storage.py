"""Storage support: the status summary of GET /api/storage/status and opening the folder.

The status looks for images left by older installs (the reference's legacy `generated/`
folders under the usual npm, nvm, volta, fnm, bun, yarn, pnpm and npx locations, plus any
folder named in IMA2_LEGACY_GENERATED_DIRS) so the support UI can tell "empty" from
"recoverable". Opening the folder runs the server machine's file manager; a machine without
one (a container, a headless server) answers OPEN_GENERATED_DIR_FAILED instead of hanging.
"""

from __future__ import annotations

import asyncio
import os
import shlex
import shutil
import sys
from dataclasses import dataclass, field
from pathlib import Path

from ima2_common.errors import Ima2Error

PACKAGE_NAME = "ima2-gen"
RECOVERY_DOCS_PATH = "docs/RECOVER_OLD_IMAGES.md"
DOCTOR_COMMAND = "ima2 doctor"
OPEN_SETTLE_SECONDS = 1.0
COUNT_LIMIT = 1_000_000  # stop counting a legacy folder past this many files
_openers: set[asyncio.Task[int]] = set()  # file managers still running after the settle time


@dataclass(slots=True)
class StorageStatus:
    generated_dir_label: str
    generated_count: int
    legacy_candidates_scanned: int
    legacy_sources_found: int
    legacy_files_found: int
    state: str
    message_kind: str
    override_generated_dir: bool
    override_config_dir: bool
    recovery_docs_path: str = RECOVERY_DOCS_PATH
    doctor_command: str = DOCTOR_COMMAND
    legacy_sources: list[tuple[str, int]] = field(default_factory=list)


def dir_label(path: Path, home: Path | None = None) -> str:
    """`~/.ima2/generated` when under $HOME, else the absolute path."""
    try:
        base = (home or Path.home()).resolve()
        return "~/" + path.relative_to(base).as_posix() if path != base else "~"
    except (RuntimeError, ValueError):
        return str(path)


def _expand(base: Path, before: tuple[str, ...], after: tuple[str, ...]) -> list[Path]:
    """`base/before/*/after` for every directory the wildcard matches (one level)."""
    folder = base.joinpath(*before)
    try:
        with os.scandir(folder) as entries:
            return [folder / e.name / Path(*after) for e in entries if e.is_dir(follow_symlinks=False)]
    except OSError:
        return []


def legacy_candidates(home: Path, extra: str = "") -> list[Path]:
    """Folders where older installs kept their generated images."""
    pkg = ("node_modules", PACKAGE_NAME, "generated")
    env = os.environ
    app_data = Path(env.get("APPDATA") or home / "AppData" / "Roaming")
    local_app_data = Path(env.get("LOCALAPPDATA") or home / "AppData" / "Local")
    npm_cache = Path(env.get("npm_config_cache") or home / ".npm")
    xdg_data = Path(env.get("XDG_DATA_HOME") or home / ".local" / "share")
    candidates: list[Path] = [
        app_data / "npm" / Path(*pkg),
        home / ".npm-global" / "lib" / Path(*pkg),
        home / ".bun" / "install" / "global" / Path(*pkg),
        home / ".config" / "yarn" / "global" / Path(*pkg),
        local_app_data / "Yarn" / "Data" / "global" / Path(*pkg),
    ]
    prefixes = {Path("/usr/local"), Path("/opt/homebrew"), Path("/usr")}
    if env.get("npm_config_prefix"):
        prefixes.add(Path(env["npm_config_prefix"]))
    for prefix in sorted(prefixes):
        candidates += [prefix / "lib" / Path(*pkg), prefix / Path(*pkg)]
    for base, before, after in (
        (home / ".nvm" / "versions" / "node", (), ("lib", *pkg)),
        (home / ".fnm" / "node-versions", (), ("installation", "lib", *pkg)),
        (home / ".asdf" / "installs" / "nodejs", (), ("lib", *pkg)),
        (home / ".local" / "share" / "mise" / "installs" / "node", (), ("lib", *pkg)),
        (home / ".volta" / "tools" / "image" / "packages", (), ("lib", *pkg)),
        (home / "Library" / "pnpm" / "global", (), pkg),
        (xdg_data / "pnpm" / "global", (), pkg),
        (npm_cache / "_npx", (), pkg),
    ):
        candidates += _expand(base, before, after)
    for item in extra.split(os.pathsep):
        if item.strip():
            candidates.append(Path(item.strip()).expanduser())
    unique: dict[str, Path] = {}
    for candidate in candidates:
        unique.setdefault(os.path.abspath(candidate), Path(os.path.abspath(candidate)))
    return list(unique.values())


def count_files(folder: Path) -> int:
    """Regular files under `folder` (recursively, skipping `.trash`); 0 when absent."""
    total = 0
    stack = [folder]
    while stack and total < COUNT_LIMIT:
        current = stack.pop()
        try:
            entries = list(os.scandir(current))
        except OSError:
            continue
        for entry in entries:
            try:
                if entry.is_dir(follow_symlinks=False):
                    if entry.name != ".trash":
                        stack.append(Path(entry.path))
                elif entry.is_file(follow_symlinks=False):
                    total += 1
            except OSError:
                continue
    return total


def _same_or_inside(a: Path, b: Path) -> bool:
    return a == b or b in a.parents


def inspect(
    generated_dir: Path,
    generated_count: int,
    *,
    extra_legacy: str = "",
    override_generated_dir: bool = False,
    override_config_dir: bool = False,
    home: Path | None = None,
) -> StorageStatus:
    """The support-safe summary (blocking: run in a worker thread)."""
    home = home or Path.home()
    label = dir_label(generated_dir, home)
    try:
        candidates = legacy_candidates(home, extra_legacy)
        sources: list[tuple[str, int]] = []
        target = generated_dir.resolve()
        for candidate in candidates:
            if _same_or_inside(candidate, target) or _same_or_inside(target, candidate):
                continue
            if not candidate.is_dir():
                continue
            files = count_files(candidate)
            if files > 0:
                sources.append((str(candidate), files))
        legacy_files = sum(count for _, count in sources)
        state = "ok" if generated_count > 0 else "recoverable" if legacy_files > 0 else "not_found"
        return StorageStatus(
            generated_dir_label=label,
            generated_count=generated_count,
            legacy_candidates_scanned=len(candidates),
            legacy_sources_found=len(sources),
            legacy_files_found=legacy_files,
            state=state,
            message_kind="apology" if state == "not_found" else state,
            override_generated_dir=override_generated_dir,
            override_config_dir=override_config_dir,
            legacy_sources=sources,
        )
    except Exception:
        return StorageStatus(
            generated_dir_label=label,
            generated_count=generated_count,
            legacy_candidates_scanned=0,
            legacy_sources_found=0,
            legacy_files_found=0,
            state="unknown",
            message_kind="unknown",
            override_generated_dir=override_generated_dir,
            override_config_dir=override_config_dir,
        )


def open_command(configured: str) -> list[str]:
    """The argv that opens a folder on this machine (without the folder), or OPEN_GENERATED_DIR_FAILED."""
    if configured.strip():
        return shlex.split(configured)
    if sys.platform == "darwin":
        command = "open"
    elif sys.platform == "win32":
        command = "explorer"
    else:
        if not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
            raise Ima2Error(
                "OPEN_GENERATED_DIR_FAILED",
                "The server has no desktop session to open the folder in (headless or container).",
            )
        command = "xdg-open"
    if shutil.which(command) is None:
        raise Ima2Error("OPEN_GENERATED_DIR_FAILED", f"{command} is not available on the server.")
    return [command]


async def open_directory(folder: Path, configured: str = "") -> None:
    """Run the file manager on `folder`; a quick non-zero exit or a spawn failure is an error."""
    argv = [*open_command(configured), str(folder)]
    await asyncio.to_thread(folder.mkdir, parents=True, exist_ok=True)
    try:
        proc = await asyncio.create_subprocess_exec(
            *argv,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL,
            start_new_session=True,
        )
    except OSError as exc:
        raise Ima2Error("OPEN_GENERATED_DIR_FAILED", f"{argv[0]} could not start: {exc.strerror}") from None
    try:
        code = await asyncio.wait_for(proc.wait(), timeout=OPEN_SETTLE_SECONDS)
    except TimeoutError:
        # Still running after the settle time: a file manager window owns it now; reap it later.
        task = asyncio.get_running_loop().create_task(proc.wait())
        _openers.add(task)
        task.add_done_callback(_openers.discard)
        return
    if code != 0:
        raise Ima2Error("OPEN_GENERATED_DIR_FAILED", f"{Path(argv[0]).name} exited with code {code}.")
