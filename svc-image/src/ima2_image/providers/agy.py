"""`agy`: the Antigravity CLI (`agy -p -`) generating through Gemini's `default_api:generate_image`.

The prompt goes on stdin with a fixed contract asking for one machine line,
`RESULT|<abs path>|<ext>` or `ERROR|<message>`. The child gets a minimal environment and a time
limit; on timeout or cancel it gets SIGTERM, then SIGKILL after a 1 s grace. The artifact is read
only from `~/.gemini`, `~/.cache` or the temp dir (real path, no symlink, regular file, size cap),
then deleted. Output is about 1024x1024 JPEG; no mask, at most 3 references, multimode gives one image.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import re
import secrets
import shutil
import signal
import stat
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from ima2_common import limits
from ima2_common.errors import Ima2Error
from ima2_common.logging import log_fields
from ima2_common.media import sniff_mime
from ima2_image.providers import refs
from ima2_image.providers.base import GeneratedImage, ImageCall, ProviderResult, gather_attempts

log = logging.getLogger(__name__)

ENV_KEYS = ("PATH", "HOME", "USERPROFILE", "TMPDIR", "TEMP", "LANG", "GEMINI_API_KEY")
KILL_GRACE_SECONDS = 1.0
VERSION_TIMEOUT_SECONDS = 3.0
QUOTA_PHRASES = ("resource exhausted", "exhausted your capacity", "quota will reset")
QUOTA_TEXT_PHRASES = ("resource exhausted", "exhausted your capacity")
ARTIFACT_NAME = "ima2_generated"
FALLBACK_WINDOW_SECONDS = 5.0
FALLBACK_DEPTH = 5
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".webp")
PATH_IN_PROSE = re.compile(
    r"(?<![\w./-])(?:[A-Za-z]:)?/(?:[^\s\"'<>|]*?/)?(?:brain|artifacts|\.gemini)/[^\s\"'<>|]*?"
    r"\.(?:png|jpe?g|webp)(?![\w])",
    re.IGNORECASE,
)
CONTRACT = """You are running inside the ima2 image pipeline.
Call the tool default_api:generate_image exactly once with these arguments:
Prompt: {prompt}
ImageName: "{name}"
ImagePaths: {paths}
toolSummary: "ima2 pipeline generation"
toolAction: "Generating ima2 image"
The output image is fixed at 1024x1024.
After the tool finishes, print exactly one machine line and nothing after it:
RESULT|<absolute path of the generated image>|<file extension>
If the image could not be generated, print instead:
ERROR|<short reason>
"""


def contract_prompt(prompt: str, paths: list[str]) -> str:
    return CONTRACT.format(
        prompt=json.dumps(prompt, ensure_ascii=False), name=ARTIFACT_NAME, paths=json.dumps(paths)
    )


def minimal_env(environ: Mapping[str, str]) -> dict[str, str]:
    return {key: environ[key] for key in ENV_KEYS if environ.get(key)}


def resolve_binary(configured: str, environ: Mapping[str, str]) -> str | None:
    """IMA2_AGY_BIN when it exists, else `agy` on PATH, else ~/.local/bin/agy."""
    search_path = environ.get("PATH")
    if configured:
        if os.sep in configured or configured.startswith("~"):
            candidate = Path(configured).expanduser()
            if candidate.is_file() and os.access(candidate, os.X_OK):
                return str(candidate)
        else:
            found = shutil.which(configured, path=search_path)
            if found:
                return found
    found = shutil.which("agy", path=search_path)
    if found:
        return found
    home = environ.get("HOME")
    local = Path(home).expanduser() / ".local" / "bin" / "agy" if home else None
    if local is not None and local.is_file() and os.access(local, os.X_OK):
        return str(local)
    return None


@dataclass(frozen=True)
class Places:
    home: Path
    tmp: Path

    @classmethod
    def of(cls, environ: Mapping[str, str]) -> Places:
        home = Path(environ.get("HOME") or Path.home()).expanduser()
        tmp = Path(environ.get("TMPDIR") or environ.get("TEMP") or tempfile.gettempdir())
        return cls(home, tmp)

    def allowed_roots(self) -> list[str]:
        home = os.path.realpath(self.home)
        return [os.path.join(home, ".gemini"), os.path.join(home, ".cache"), os.path.realpath(self.tmp)]


# --- output parsing -----------------------------------------------------------------------------


def _quota_or_failure(message: str) -> Ima2Error:
    lowered = message.lower()
    if any(phrase in lowered for phrase in QUOTA_PHRASES):
        return Ima2Error("AGY_QUOTA_EXHAUSTED")
    return Ima2Error("AGY_GENERATION_FAILED")


def parse_output(text: str) -> str | None:
    """The artifact path from agy's output, in the reference's order; None when nothing matched.

    Raises AGY_MALFORMED_RESULT, AGY_QUOTA_EXHAUSTED or AGY_GENERATION_FAILED."""
    lines = [line.replace("\r", "").strip() for line in text.split("\n")]
    lines = [line for line in lines if line]
    for line in lines:
        if line.startswith("RESULT|"):
            fields = line.split("|")
            if len(fields) < 3 or not fields[1].strip():
                raise Ima2Error("AGY_MALFORMED_RESULT")
            return fields[1].strip()
    for line in lines:
        if line.startswith("ERROR|"):
            raise _quota_or_failure(line[len("ERROR|") :])
    lowered = text.lower()
    if any(phrase in lowered for phrase in QUOTA_TEXT_PHRASES):
        raise Ima2Error("AGY_QUOTA_EXHAUSTED")
    for line in lines:
        if line.startswith("SAVED_PATH="):
            path = line[len("SAVED_PATH=") :].strip()
            if path:
                return path
    match = PATH_IN_PROSE.search(text.replace("\\", "/"))
    return match.group(0) if match else None


def find_recent_artifact(home: Path, since: float) -> str | None:
    """Last resort: the newest `ima2_generated*` image written under ~/.gemini since the run began."""
    for root in (home / ".gemini" / "antigravity-cli" / "brain", home / ".gemini"):
        newest: tuple[float, str] | None = None
        if not root.is_dir():
            continue
        base_depth = len(root.parts)
        for folder, dirs, files in os.walk(root, followlinks=False):
            if len(Path(folder).parts) - base_depth >= FALLBACK_DEPTH:
                dirs[:] = []
            for name in files:
                if not name.startswith(ARTIFACT_NAME) or not name.lower().endswith(IMAGE_SUFFIXES):
                    continue
                path = os.path.join(folder, name)
                with contextlib.suppress(OSError):
                    mtime = os.lstat(path).st_mtime
                    if mtime >= since - FALLBACK_WINDOW_SECONDS and (newest is None or mtime > newest[0]):
                        newest = (mtime, path)
        if newest is not None:
            return newest[1]
    return None


# --- the artifact -------------------------------------------------------------------------------


def _within(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)


def take_artifact(raw_path: str, places: Places, max_bytes: int) -> bytes:
    """Read the artifact if it is allowed, then delete it (and its folder when left empty)."""
    path = Path(raw_path).expanduser()
    if not path.is_absolute():
        raise Ima2Error("AGY_PATH_REJECTED")
    real = os.path.realpath(path)
    if not any(_within(real, root) for root in places.allowed_roots()):
        raise Ima2Error("AGY_PATH_REJECTED")
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        raise Ima2Error("AGY_ARTIFACT_NOT_FOUND") from None
    except OSError:
        raise Ima2Error("AGY_PATH_REJECTED") from None
    if stat.S_ISLNK(info.st_mode) or not stat.S_ISREG(info.st_mode):
        raise Ima2Error("AGY_PATH_REJECTED")
    if info.st_size > max_bytes:
        raise Ima2Error("AGY_ARTIFACT_TOO_LARGE")
    try:
        fd = os.open(real, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    except FileNotFoundError:
        raise Ima2Error("AGY_ARTIFACT_NOT_FOUND") from None
    except OSError:
        raise Ima2Error("AGY_PATH_REJECTED") from None
    with os.fdopen(fd, "rb") as handle:
        opened = os.fstat(handle.fileno())
        if (opened.st_dev, opened.st_ino) != (info.st_dev, info.st_ino):
            raise Ima2Error("AGY_PATH_REJECTED")  # swapped between the check and the open
        data = handle.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise Ima2Error("AGY_ARTIFACT_TOO_LARGE")
    with contextlib.suppress(OSError):
        os.unlink(real)
        os.rmdir(os.path.dirname(real))  # only succeeds when the folder is now empty
    return data


def write_references(tmp: Path, inputs: list[refs.Reference]) -> tuple[Path, list[str]]:
    folder = tmp / f"ima2-agy-refs-{secrets.token_hex(8)}"
    folder.mkdir(mode=0o700, parents=False)
    paths = []
    for i, reference in enumerate(inputs):
        target = folder / f"ref_{i}.{reference.extension}"
        target.write_bytes(reference.data)
        paths.append(str(target))
    return folder, paths


# --- the child process ----------------------------------------------------------------------------


async def _read_capped(stream: asyncio.StreamReader | None, cap: int) -> bytes:
    """Read to EOF (so the child never blocks on a full pipe), keeping at most `cap` bytes."""
    if stream is None:
        return b""
    kept: list[bytes] = []
    size = 0
    while True:
        chunk = await stream.read(65536)
        if not chunk:
            return b"".join(kept)
        if size < cap:
            kept.append(chunk[: cap - size])
        size += len(chunk)


async def _feed(proc: asyncio.subprocess.Process, data: bytes) -> None:
    if proc.stdin is None:
        return
    try:
        proc.stdin.write(data)
        await proc.stdin.drain()
    except (BrokenPipeError, ConnectionResetError):
        pass
    finally:
        with contextlib.suppress(BrokenPipeError, ConnectionResetError, OSError):
            proc.stdin.close()


def _signal(proc: asyncio.subprocess.Process, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, sig)  # the child leads its own session: its helpers go too


async def terminate(proc: asyncio.subprocess.Process, grace: float) -> None:
    """SIGTERM, then SIGKILL when the child is still there after `grace` seconds."""
    if proc.returncode is None:
        _signal(proc, signal.SIGTERM)
        try:
            await asyncio.wait_for(proc.wait(), grace)
        except TimeoutError:
            _signal(proc, signal.SIGKILL)
            await proc.wait()
    else:
        _signal(proc, signal.SIGKILL)  # the leader is gone; reap anything it left in its group


@dataclass
class Completed:
    stdout: str
    stderr: str
    exit_code: int


class AgyImageProvider:
    name = "agy"

    def __init__(
        self,
        agy_bin: str,
        timeout_seconds: float,
        *,
        environ: Mapping[str, str] | None = None,
        artifact_max_bytes: int = limits.AGY_ARTIFACT_MAX_BYTES,
        output_cap_bytes: int = limits.AGY_OUTPUT_CAP_BYTES,
        kill_grace_seconds: float = KILL_GRACE_SECONDS,
    ) -> None:
        self.agy_bin = agy_bin
        self.timeout_seconds = timeout_seconds
        self.environ: Mapping[str, str] = environ if environ is not None else os.environ
        self.artifact_max_bytes = artifact_max_bytes
        self.output_cap_bytes = output_cap_bytes
        self.kill_grace_seconds = kill_grace_seconds
        self._binary: str | None = None

    async def check_ready(self) -> None:
        self._binary = resolve_binary(self.agy_bin, self.environ)
        if self._binary is None:
            raise Ima2Error(
                "AGY_PROCESS_ERROR",
                "The agy CLI was not found: install the Antigravity CLI or set IMA2_AGY_BIN.",
                upstream_type="ENOENT",
            )

    async def version(self) -> str | None:
        """`agy --version` (3 s), or None when agy is missing or does not answer."""
        binary = resolve_binary(self.agy_bin, self.environ)
        if binary is None:
            return None
        try:
            proc = await asyncio.create_subprocess_exec(
                binary,
                "--version",
                stdin=asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.DEVNULL,
                env=minimal_env(self.environ),
                start_new_session=True,
            )
        except OSError:
            return None
        try:
            async with asyncio.timeout(VERSION_TIMEOUT_SECONDS):
                out = await _read_capped(proc.stdout, 4096)
                code = await proc.wait()
        except TimeoutError:
            await asyncio.shield(terminate(proc, 0.2))
            return None
        except asyncio.CancelledError:
            await asyncio.shield(terminate(proc, 0.2))
            raise
        return out.decode(errors="replace").strip() if code == 0 else None

    async def generate(self, call: ImageCall) -> ProviderResult:
        if call.mask:
            raise Ima2Error("AGY_MASK_UNSUPPORTED")
        if len(call.references) > limits.AGY_MAX_REFERENCES:
            raise Ima2Error("AGY_REF_TOO_MANY")
        if self._binary is None:
            await self.check_ready()
        inputs = refs.load_all(call.references)
        attempts = 1 if call.max_images > 1 else max(1, call.count)  # multimode returns one image
        result = ProviderResult(images=[], web_search_calls=0)
        total = 0

        async def attempt() -> None:
            nonlocal total
            data = await self._once(call.prompt, inputs)
            total += len(data)
            image = GeneratedImage(data=data, mime=sniff_mime(data) or "image/jpeg")
            index = len(result.images)
            result.images.append(image)
            if call.on_image is not None:
                await call.on_image(image, index)

        _, result.failures = await gather_attempts(attempt() for _ in range(attempts))
        if not result.images:
            raise result.failures[0]
        result.usage = {"agy_artifact_bytes": total}
        return result

    async def _once(self, prompt: str, inputs: list[refs.Reference]) -> bytes:
        places = Places.of(self.environ)
        folder: Path | None = None
        started = time.time()
        try:
            paths: list[str] = []
            if inputs:
                folder, paths = await asyncio.to_thread(write_references, places.tmp, inputs)
            done = await self._run(contract_prompt(prompt, paths))
            log.info(
                "agy finished",
                extra=log_fields(
                    provider=self.name,
                    exitCode=done.exit_code,
                    stdoutChars=len(done.stdout),
                    stderrChars=len(done.stderr),
                    elapsedMs=round((time.time() - started) * 1000),
                ),
            )
            if done.exit_code != 0 and not done.stdout.strip():
                raise Ima2Error("AGY_PROCESS_ERROR", upstream_code=f"exit_{done.exit_code}")
            path = parse_output(f"{done.stdout}\n{done.stderr}")
            if path is None and done.exit_code != 0:  # crashed without a result line
                raise Ima2Error("AGY_PROCESS_ERROR", upstream_code=f"exit_{done.exit_code}")
            if path is None:
                path = await asyncio.to_thread(find_recent_artifact, places.home, started)
            if path is None:
                raise Ima2Error("AGY_PARSE_FAILED")
            data = await asyncio.to_thread(take_artifact, path, places, self.artifact_max_bytes)
        finally:
            if folder is not None:
                await asyncio.shield(asyncio.to_thread(shutil.rmtree, folder, True))
        if sniff_mime(data) not in ("image/jpeg", "image/png", "image/webp"):
            raise Ima2Error("AGY_GENERATION_FAILED", upstream_type="not_an_image")
        return data

    async def _run(self, prompt: str) -> Completed:
        assert self._binary is not None
        try:
            proc = await asyncio.create_subprocess_exec(
                self._binary,
                "-p",
                "-",
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
                env=minimal_env(self.environ),
                start_new_session=True,
            )
        except FileNotFoundError:
            raise Ima2Error(
                "AGY_PROCESS_ERROR",
                "The agy CLI was not found: install the Antigravity CLI or set IMA2_AGY_BIN.",
                upstream_type="ENOENT",
            ) from None
        except OSError as exc:
            raise Ima2Error("AGY_PROCESS_ERROR", upstream_type=type(exc).__name__) from None
        try:
            async with asyncio.timeout(self.timeout_seconds):
                _, out, err = await asyncio.gather(
                    _feed(proc, prompt.encode()),
                    _read_capped(proc.stdout, self.output_cap_bytes),
                    _read_capped(proc.stderr, self.output_cap_bytes),
                )
                code = await proc.wait()
        except TimeoutError:
            await asyncio.shield(terminate(proc, self.kill_grace_seconds))
            raise Ima2Error("AGY_TIMEOUT") from None
        except BaseException:  # cancelled: the child must not outlive the job
            await asyncio.shield(terminate(proc, self.kill_grace_seconds))
            raise
        return Completed(out.decode(errors="replace"), err.decode(errors="replace"), code)
