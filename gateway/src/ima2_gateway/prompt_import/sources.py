"""GitHub file and folder sources from what the user typed: a github.com URL (`/blob/` for a file,
`/tree/` for a folder), a raw.githubusercontent.com URL, or `owner/repo[@ref]:path` shorthand.

Paths are cleaned before anything is fetched: no NUL, no encoded slashes, no `..`, no
backslashes, at most `limits.PROMPT_IMPORT_MAX_PATH_DEPTH` folders.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import unquote, urlsplit

from ima2_common import limits
from ima2_common.errors import Ima2Error

SUPPORTED_EXTENSIONS = ("md", "markdown", "txt")
OWNER_REPO = re.compile(r"^[A-Za-z0-9_.-]+$")
SHORTHAND = re.compile(r"^([A-Za-z0-9_.-]+)/([A-Za-z0-9_.-]+)(?:@([^:]+))?:(.*)$")
FILE_HOSTS = ("github.com", "raw.githubusercontent.com")


def _bad(message: str, code: str = "INVALID_GITHUB_SOURCE", status: int = 0) -> Ima2Error:
    return Ima2Error(code, message, status=status)


def _decode(value: str) -> str:
    try:
        return unquote(value, errors="strict")
    except UnicodeDecodeError:
        raise _bad("Invalid encoded GitHub path.") from None


def clean_path(raw: str) -> str:
    value = (raw or "").strip()
    if "\x00" in value or "%00" in value.lower():
        raise _bad("GitHub path contains a null byte.")
    if re.search(r"%2f|%5c", value, re.IGNORECASE):
        raise _bad("GitHub path contains an encoded slash.")
    decoded = _decode(value)
    if "\\" in decoded or ".." in decoded.split("/"):
        raise _bad("GitHub path traversal is not allowed.")
    path = decoded.strip("/")
    if path.count("/") >= limits.PROMPT_IMPORT_MAX_PATH_DEPTH:
        raise Ima2Error(
            "GITHUB_PATH_TOO_DEEP", f"At most {limits.PROMPT_IMPORT_MAX_PATH_DEPTH} folders deep."
        )
    return path


def extension_of(path: str) -> str:
    match = re.search(r"\.([A-Za-z0-9]+)$", path)
    return match.group(1).lower() if match else ""


def supported(path: str) -> bool:
    return extension_of(path) in SUPPORTED_EXTENSIONS


def _owner_repo(owner: str, repo: str) -> None:
    if not OWNER_REPO.match(owner or "") or not OWNER_REPO.match(repo or ""):
        raise _bad("Invalid GitHub owner or repository.")


def _ref(raw: str | None) -> str:
    ref = _decode((raw or "main").strip()) or "main"
    if "/" in ref:
        raise Ima2Error("AMBIGUOUS_GITHUB_REF")
    return ref


@dataclass(frozen=True)
class GitHubFile:
    owner: str
    repo: str
    ref: str
    path: str

    @property
    def extension(self) -> str:
        return extension_of(self.path)

    @property
    def name(self) -> str:
        return self.path.rsplit("/", 1)[-1]

    @property
    def html_url(self) -> str:
        return f"https://github.com/{self.owner}/{self.repo}/blob/{self.ref}/{self.path}"

    @property
    def tags(self) -> list[str]:
        return [
            "github",
            f"repo:{self.owner}/{self.repo}",
            f"ref:{self.ref}",
            f"file:{self.name}",
            f"ext:{self.extension}",
        ]

    def describe(self) -> dict[str, object]:
        return {
            "kind": "github",
            "owner": self.owner,
            "repo": self.repo,
            "ref": self.ref,
            "path": self.path,
            "extension": self.extension,
            "htmlUrl": self.html_url,
            "tags": self.tags,
        }


@dataclass(frozen=True)
class GitHubFolder:
    owner: str
    repo: str
    ref: str
    path: str
    ambiguous: bool = False  # a /tree/ URL whose ref might contain slashes
    tags: list[str] = field(default_factory=list)

    @property
    def html_url(self) -> str:
        suffix = f"/{self.path}" if self.path else ""
        return f"https://github.com/{self.owner}/{self.repo}/tree/{self.ref}{suffix}"

    def inside(self, path: str) -> bool:
        return not self.path or path == self.path or path.startswith(f"{self.path}/")

    def describe(self) -> dict[str, object]:
        return {
            "kind": "github-folder",
            "owner": self.owner,
            "repo": self.repo,
            "ref": self.ref,
            "path": self.path,
            "htmlUrl": self.html_url,
            "tags": self.tags,
        }


def _checked_file(owner: str, repo: str, ref: str, raw_path: str) -> GitHubFile:
    _owner_repo(owner, repo)
    path = clean_path(raw_path)
    if not path:
        raise Ima2Error("FOLDER_IMPORT_DEFERRED")
    extension = extension_of(path)
    if not extension:
        raise Ima2Error("FOLDER_IMPORT_DEFERRED")
    if extension not in SUPPORTED_EXTENSIONS:
        raise Ima2Error("UNSUPPORTED_EXTENSION")
    return GitHubFile(owner, repo, ref, path)


def parse_file_source(value: object) -> GitHubFile:
    text = value.strip() if isinstance(value, str) else ""
    if not text:
        raise _bad("GitHub source is required.")
    if "://" in text:
        parts = urlsplit(text)
        if parts.scheme != "https":
            raise _bad("Only HTTPS GitHub URLs are supported.")
        if parts.hostname not in FILE_HOSTS or parts.username or parts.port:
            raise _bad("Only GitHub file URLs are supported.")
        segments = [s for s in parts.path.split("/") if s]
        if parts.hostname == "github.com":
            if len(segments) < 3 or segments[2] != "blob":
                raise Ima2Error("FOLDER_IMPORT_DEFERRED")
            if len(segments) < 5:
                raise Ima2Error("FOLDER_IMPORT_DEFERRED")
            return _checked_file(segments[0], segments[1], _ref(segments[3]), "/".join(segments[4:]))
        if len(segments) < 4:
            raise Ima2Error("FOLDER_IMPORT_DEFERRED")
        return _checked_file(segments[0], segments[1], _ref(segments[2]), "/".join(segments[3:]))
    match = SHORTHAND.match(text)
    if match is None:
        raise _bad("Enter a GitHub file URL or owner/repo:path.")
    owner, repo, ref, path = match.groups()
    return _checked_file(owner, repo, _ref(ref), path)


def parse_folder_source(value: object) -> GitHubFolder:
    text = value.strip() if isinstance(value, str) else ""
    if not text:
        raise Ima2Error("GITHUB_FOLDER_UNSUPPORTED", "GitHub folder source is required.")
    if "://" in text:
        parts = urlsplit(text)
        if parts.scheme not in ("http", "https") or parts.hostname != "github.com":
            raise Ima2Error("GITHUB_FOLDER_UNSUPPORTED", "Only github.com folder URLs are supported.")
        segments = [s for s in parts.path.split("/") if s]
        if len(segments) < 2:
            raise Ima2Error("GITHUB_FOLDER_UNSUPPORTED")
        _owner_repo(segments[0], segments[1])
        if len(segments) > 2 and segments[2] != "tree":
            raise Ima2Error("GITHUB_FOLDER_UNSUPPORTED", status=422)
        ref = _decode(segments[3]) if len(segments) > 3 else "main"
        path = clean_path("/".join(segments[4:]))
        folder = GitHubFolder(segments[0], segments[1], ref, path, ambiguous="/" in path)
    else:
        match = SHORTHAND.match(text)
        if match is None:
            raise Ima2Error("GITHUB_FOLDER_UNSUPPORTED", status=422)
        owner, repo, ref, path = match.groups()
        _owner_repo(owner, repo)
        folder = GitHubFolder(owner, repo, _ref(ref), clean_path(path))
    tags = [
        "github",
        f"repo:{folder.owner}/{folder.repo}",
        f"ref:{folder.ref}",
        f"folder:{folder.path or '/'}",
    ]
    return GitHubFolder(folder.owner, folder.repo, folder.ref, folder.path, folder.ambiguous, tags)
