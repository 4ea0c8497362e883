"""Access control (DESIGN §4 "Access", reference §5), as a pure ASGI middleware.

Every request, whatever the bind:
- path aliases are refused (encoded slashes or backslashes, NUL, dot segments): 400 LOCAL_PATH_REJECTED;
- the `Host` header must name an origin this gateway serves: the socket's local address and port,
  the bound host, the loopback aliases when bound to loopback or a wildcard, or an entry of
  `IMA2_PUBLIC_ORIGINS`; otherwise 403 LOCAL_HOST_REJECTED (DNS-rebinding protection);
- a supplied `Origin` must be one of those origins with `Sec-Fetch-Site` (when sent) `same-origin` or
  `none`, and a state-changing request sent cross-site is refused: 403 LOCAL_ORIGIN_REJECTED;
- a duplicated Host, Origin or token header is refused.

Off loopback (any bind but 127.0.0.1, ::1 and localhost) every request also needs the access
token: `Authorization: Bearer <token>` (or `X-Ima2-Token`), `?token=<token>` once (which sets an
HttpOnly, SameSite=Strict session cookie and, for a page load, redirects to the same URL without
the token), or that cookie. Missing or wrong: 401 ACCESS_TOKEN_REQUIRED; too many wrong tokens from
one client address lock it out with 429 LAN_AUTH_RATE_LIMITED and `Retry-After` (access_limiter.py). An explicit wrong token
never falls back to the cookie, and a cookie-authenticated change must carry a same-origin Origin.
Tokens are compared in constant time and never echoed.

Session cookies are stateless: `<expiry>.<nonce>.<HMAC-SHA256>` keyed by a key derived from the
access token and bound to the origin the browser used. Any gateway replica that has the token
verifies them without a round trip or shared store, they survive restarts, they expire after 8 h,
and changing the token revokes them all. (svc-auth's access-session RPCs are not needed for that.)
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from dataclasses import dataclass
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit

from fastapi import FastAPI
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ima2_common.errors import Ima2Error
from ima2_common.settings import Settings
from ima2_gateway import signin_page
from ima2_gateway.access_limiter import FailedAttemptLimiter
from ima2_gateway.errors import error_body

LOCAL_BIND_HOSTS = frozenset({"127.0.0.1", "::1", "localhost"})
WILDCARD_HOSTS = frozenset({"0.0.0.0", "::", ""})
LOOPBACK_ALIASES = ("localhost", "127.0.0.1", "::1")
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
ALLOWED_FETCH_SITES = frozenset({"same-origin", "none"})
DEFAULT_PORTS = {"http": 80, "https": 443}
SESSION_SECONDS = 8 * 3600
MIN_TOKEN_CHARS = 16
MAX_TOKEN_BYTES = 4096
MAX_PUBLIC_ORIGINS = 16
COOKIE_PREFIX = "ima2_access_"
SESSION_KEY_LABEL = b"ima2-access-session-v1"
PAGE_PREFIXES = ("/api/", "/generated/")


class AccessConfigError(ValueError):
    """The gateway must not start with these settings."""


def bare_host(host: str) -> str:
    return host.strip().lower().removeprefix("[").removesuffix("]")


def is_local_bind(host: str) -> bool:
    return bare_host(host) in LOCAL_BIND_HOSTS


def token_problem(token: str) -> str | None:
    if len(token) < MIN_TOKEN_CHARS:
        return f"the access token must be at least {MIN_TOKEN_CHARS} characters"
    if len(token.encode()) > MAX_TOKEN_BYTES:
        return f"the access token must be at most {MAX_TOKEN_BYTES} bytes"
    if any(not (0x21 <= ord(ch) <= 0x7E) for ch in token):
        return "the access token must be printable ASCII without spaces"
    return None


@dataclass(frozen=True)
class Endpoint:
    scheme: str
    host: str  # lower case, IPv6 without brackets
    port: int

    @property
    def authority(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return host if self.port == DEFAULT_PORTS.get(self.scheme) else f"{host}:{self.port}"

    @property
    def origin(self) -> str:
        return f"{self.scheme}://{self.authority}"


def parse_authority(value: str, scheme: str) -> tuple[str, int] | None:
    """`host[:port]` of a Host header or an origin, or None when it is not one."""
    value = value.strip().lower()
    if not value or any(ch in value for ch in "@/\\?# \t,"):
        return None
    if value.startswith("["):
        end = value.find("]")
        if end < 0:
            return None
        host, rest = value[1:end], value[end + 1 :]
        if rest and not (rest.startswith(":") and rest[1:].isdigit()):
            return None
        port_text = rest[1:]
    else:
        if value.count(":") > 1:
            return None
        host, _, port_text = value.partition(":")
        if _ and not port_text.isdigit():
            return None
    port = int(port_text) if port_text else DEFAULT_PORTS.get(scheme, 0)
    if not host or not 0 < port < 65536:
        return None
    return host, port


def parse_origin(value: str) -> Endpoint | None:
    try:
        parts = urlsplit(value.strip())
    except ValueError:
        return None
    if parts.scheme not in DEFAULT_PORTS or parts.path or parts.query or parts.fragment:
        return None
    if "@" in parts.netloc:
        return None
    authority = parse_authority(parts.netloc, parts.scheme)
    return Endpoint(parts.scheme, *authority) if authority else None


def parse_public_origins(raw: str) -> tuple[Endpoint, ...]:
    if not raw.strip():
        return ()
    try:
        values = json.loads(raw)
    except json.JSONDecodeError:
        raise AccessConfigError("IMA2_PUBLIC_ORIGINS must be a JSON array of origins") from None
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        raise AccessConfigError("IMA2_PUBLIC_ORIGINS must be a JSON array of origins")
    if len(values) > MAX_PUBLIC_ORIGINS:
        raise AccessConfigError(f"IMA2_PUBLIC_ORIGINS holds at most {MAX_PUBLIC_ORIGINS} origins")
    origins = []
    for value in values:
        origin = parse_origin(value) if "*" not in value else None
        if origin is None:
            raise AccessConfigError(
                f"IMA2_PUBLIC_ORIGINS entry {value!r} is not an origin (scheme://host[:port], no wildcards, "
                "userinfo, path or query)"
            )
        origins.append(origin)
    return tuple(origins)


def path_rejected(raw_path: bytes) -> bool:
    low = raw_path.lower()
    if any(bad in low for bad in (b"\\", b"\x00", b"%00", b"%2f", b"%5c")):
        return True
    decoded = unquote(raw_path.decode("latin-1"))
    return "\\" in decoded or any(segment in (".", "..") for segment in decoded.split("/"))


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


class AccessPolicy:
    def __init__(self, bind_host: str, port: int, token: str, public_origins: tuple[Endpoint, ...]) -> None:
        self.bind_host = bare_host(bind_host)
        self.port = port
        self.lan = not is_local_bind(bind_host)
        self.public_origins = public_origins
        self._token_digest = hashlib.sha256(token.encode()).digest() if token else b""
        self._session_key = (
            hmac.new(token.encode(), SESSION_KEY_LABEL, hashlib.sha256).digest() if token else b""
        )
        self._aliases = self.bind_host in LOCAL_BIND_HOSTS or self.bind_host in WILDCARD_HOSTS

    @classmethod
    def from_settings(cls, settings: Settings) -> AccessPolicy:
        origins = parse_public_origins(settings.public_origins)
        if is_local_bind(settings.host):
            return cls(settings.host, settings.port, "", origins)
        token = settings.access_token
        if not token:
            raise AccessConfigError(
                f"binding {settings.host} exposes ima2 beyond this machine and needs an access token: "
                "set IMA2_ACCESS_TOKEN (`ima2 up` generates one)"
            )
        problem = token_problem(token)
        if problem:
            raise AccessConfigError(problem)
        return cls(settings.host, settings.port, token, origins)

    # -- served origins ------------------------------------------------------------------------
    def served(self, scope: Scope) -> set[Endpoint]:
        scheme = scope.get("scheme", "http")
        ports = {self.port}
        served: set[Endpoint] = set(self.public_origins)
        server = scope.get("server")
        if server and server[1]:
            ports.add(int(server[1]))
            served.add(Endpoint(scheme, bare_host(str(server[0])), int(server[1])))
        for port in ports:
            if self.bind_host not in WILDCARD_HOSTS:
                served.add(Endpoint(scheme, self.bind_host, port))
            if self._aliases:
                served.update(Endpoint(scheme, alias, port) for alias in LOOPBACK_ALIASES)
        return served

    def match_host(self, scope: Scope, host_header: str) -> Endpoint | None:
        """The served endpoint a Host header names (its default port depends on the endpoint's scheme).

        A loopback name without a port is taken as this server too: such a name cannot be
        rebound by a foreign DNS, which is what the Host check is there to stop."""
        bare = host_header.strip().lower()
        if self._aliases and bare in ("localhost", "127.0.0.1", "[::1]"):
            server = scope.get("server")
            port = int(server[1]) if server and server[1] else self.port
            return Endpoint(scope.get("scheme", "http"), bare_host(bare), port)
        for endpoint in sorted(self.served(scope), key=lambda e: e.scheme != scope.get("scheme", "http")):
            if parse_authority(host_header, endpoint.scheme) == (endpoint.host, endpoint.port):
                return endpoint
        return None

    # -- tokens and sessions -------------------------------------------------------------------
    def token_ok(self, given: str) -> bool:
        digest = hashlib.sha256(given.encode("utf-8", "surrogateescape")).digest()
        return bool(self._token_digest) and hmac.compare_digest(digest, self._token_digest)

    def cookie_name(self, endpoint: Endpoint) -> str:
        suffix = hashlib.sha256(endpoint.origin.encode()).hexdigest()[:12]
        return f"{'__Host-' if endpoint.scheme == 'https' else ''}{COOKIE_PREFIX}{suffix}"

    def _signature(self, expires: int, nonce: str, origin: str) -> str:
        message = f"{expires}.{nonce}.{origin}".encode()
        return _b64(hmac.new(self._session_key, message, hashlib.sha256).digest())

    def new_session(self, endpoint: Endpoint, now: float | None = None) -> str:
        expires = int(now if now is not None else time.time()) + SESSION_SECONDS
        nonce = secrets.token_urlsafe(12)
        return f"{expires}.{nonce}.{self._signature(expires, nonce, endpoint.origin)}"

    def session_ok(self, value: str, endpoint: Endpoint, now: float | None = None) -> bool:
        parts = value.split(".")
        if len(parts) != 3 or not parts[0].isdigit() or not self._session_key:
            return False
        expires, current = int(parts[0]), now if now is not None else time.time()
        if not current < expires <= current + SESSION_SECONDS + 60:
            return False
        expected = self._signature(expires, parts[1], endpoint.origin)
        return hmac.compare_digest(expected.encode(), parts[2].encode())

    def set_cookie_header(self, endpoint: Endpoint) -> bytes:
        attributes = [
            f"{self.cookie_name(endpoint)}={self.new_session(endpoint)}",
            "Path=/",
            f"Max-Age={SESSION_SECONDS}",
            "HttpOnly",
            "SameSite=Strict",
        ]
        if endpoint.scheme == "https":
            attributes.append("Secure")
        return "; ".join(attributes).encode()


class Rejected(Exception):
    def __init__(self, code: str, message: str = "", retry_after: int | None = None) -> None:
        super().__init__(code)
        self.error = Ima2Error(code, message)
        self.retry_after = retry_after


def client_address(scope: Scope) -> str:
    """The peer's address (the socket's, never a forwarded header a client could set)."""
    client = scope.get("client")
    return str(client[0]) if client else ""


def _headers(scope: Scope) -> dict[bytes, list[bytes]]:
    found: dict[bytes, list[bytes]] = {}
    for key, value in scope.get("headers") or ():
        found.setdefault(key.lower(), []).append(value)
    return found


def _single(headers: dict[bytes, list[bytes]], name: bytes, code: str) -> str | None:
    values = headers.get(name) or []
    if len(values) > 1:
        raise Rejected(code, f"The {name.decode()} header was sent more than once.")
    return values[0].decode("latin-1") if values else None


def _cookies(headers: dict[bytes, list[bytes]]) -> list[tuple[str, str]]:
    pairs = []
    for raw in headers.get(b"cookie") or []:
        for item in raw.decode("latin-1").split(";"):
            name, sep, value = item.strip().partition("=")
            if sep:
                pairs.append((name.strip(), value.strip()))
    return pairs


class AccessControlMiddleware:
    def __init__(
        self, app: ASGIApp, policy: AccessPolicy, limiter: FailedAttemptLimiter | None = None
    ) -> None:
        self.app = app
        self.policy = policy
        self.limiter = limiter or FailedAttemptLimiter()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        try:
            outcome = self.check(scope)
        except Rejected as rejected:
            await self._reject(scope, send, rejected.error, rejected.retry_after)
            return
        if outcome is None:
            await self.app(scope, receive, send)
            return
        cookie = outcome
        if scope.get("method") in ("GET", "HEAD") and not scope.get("path", "").startswith(PAGE_PREFIXES):
            await self._redirect_without_token(scope, send, cookie)
            return

        async def send_with_cookie(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), (b"set-cookie", cookie)]
            await send(message)

        await self.app(scope, receive, send_with_cookie)

    def check(self, scope: Scope) -> bytes | None:
        """None: let the request through. A Set-Cookie value: a valid ?token= opened a session."""
        raw_path = scope.get("raw_path") or scope.get("path", "").encode("latin-1")
        if path_rejected(raw_path):
            raise Rejected("LOCAL_PATH_REJECTED")
        headers = _headers(scope)
        host = _single(headers, b"host", "LOCAL_HOST_REJECTED")
        endpoint = self.policy.match_host(scope, host) if host else None
        if endpoint is None:
            raise Rejected("LOCAL_HOST_REJECTED")
        origin = _single(headers, b"origin", "LOCAL_ORIGIN_REJECTED")
        fetch_site = (_single(headers, b"sec-fetch-site", "LOCAL_ORIGIN_REJECTED") or "").lower()
        method = scope.get("method", "GET")
        if origin is not None:
            parsed = parse_origin(origin)
            if parsed is None or parsed not in self.policy.served(scope):
                raise Rejected("LOCAL_ORIGIN_REJECTED")
            if fetch_site and fetch_site not in ALLOWED_FETCH_SITES:
                raise Rejected("LOCAL_ORIGIN_REJECTED")
        elif method not in SAFE_METHODS and fetch_site and fetch_site not in ALLOWED_FETCH_SITES:
            raise Rejected("LOCAL_ORIGIN_REJECTED")
        if not self.policy.lan:
            return None
        return self._authenticate(scope, headers, endpoint, origin, method)

    def _authenticate(
        self,
        scope: Scope,
        headers: dict[bytes, list[bytes]],
        endpoint: Endpoint,
        origin: str | None,
        method: str,
    ) -> bytes | None:
        address = client_address(scope)
        locked = self.limiter.retry_after(address)
        if locked is not None:
            raise Rejected("LAN_AUTH_RATE_LIMITED", retry_after=locked)
        authorization = _single(headers, b"authorization", "ACCESS_TOKEN_REQUIRED")
        header_token = _single(headers, b"x-ima2-token", "ACCESS_TOKEN_REQUIRED")
        if authorization is not None:
            scheme, _, credential = authorization.strip().partition(" ")
            if scheme.lower() != "bearer" or not credential.strip():
                raise Rejected("ACCESS_TOKEN_REQUIRED", "A valid access token is required.")
            if header_token is not None and header_token != credential.strip():
                raise Rejected("ACCESS_TOKEN_REQUIRED", "A valid access token is required.")
            header_token = credential.strip()
        query = parse_qsl(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True)
        query_tokens = [value for name, value in query if name == "token"]
        if len(query_tokens) > 1:
            raise Rejected("ACCESS_TOKEN_REQUIRED", "The token parameter was sent more than once.")
        if query_tokens:  # never passed on to the routes
            scope["ima2.token_in_query"] = True  # for the sign-in page's "not accepted" note
            scope["query_string"] = urlencode([(n, v) for n, v in query if n != "token"]).encode("latin-1")
        if header_token is not None:
            self._check_token(address, header_token)
            return None
        if query_tokens:
            self._check_token(address, query_tokens[0])
            return self.policy.set_cookie_header(endpoint)
        name = self.policy.cookie_name(endpoint)
        if any(n == name and self.policy.session_ok(v, endpoint) for n, v in _cookies(headers)):
            if method not in SAFE_METHODS and origin is None:
                raise Rejected(
                    "LOCAL_ORIGIN_REJECTED", "A change made with a session cookie must carry Origin."
                )
            return None
        raise Rejected("ACCESS_TOKEN_REQUIRED", "A valid access token is required.")

    def _check_token(self, address: str, given: str) -> None:
        if self.policy.token_ok(given):
            self.limiter.succeeded(address)
            return
        self.limiter.failed(address)
        raise Rejected("ACCESS_TOKEN_REQUIRED", "A valid access token is required.")

    async def _reject(self, scope: Scope, send: Send, err: Ima2Error, retry_after: int | None = None) -> None:
        if err.code == "ACCESS_TOKEN_REQUIRED" and await self._sign_in_page(scope, send):
            return
        request_id = (scope.get("state") or {}).get("request_id")
        body = json.dumps(error_body(err, "nested", request_id)).encode()
        headers = [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
            (b"cache-control", b"no-store"),
        ]
        if err.status == 401:
            headers.append((b"www-authenticate", b'Bearer realm="ima2"'))
        if retry_after is not None:
            headers.append((b"retry-after", str(retry_after).encode()))
        await send({"type": "http.response.start", "status": err.status, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    async def _sign_in_page(self, scope: Scope, send: Send) -> bool:
        """A browser opening a page gets the sign-in form (still 401) instead of a JSON body."""
        accept = b", ".join(_headers(scope).get(b"accept") or []).decode("latin-1")
        path = scope.get("path", "/")
        if not signin_page.wants_page(scope.get("method", "GET"), path, accept):
            return False
        body = signin_page.render(path, token_was_sent=bool(scope.get("ima2.token_in_query")))
        headers = [
            (b"content-type", b"text/html; charset=utf-8"),
            (b"content-length", str(len(body)).encode()),
            (b"cache-control", b"no-store"),
            (b"referrer-policy", b"no-referrer"),
            (b"www-authenticate", b'Bearer realm="ima2"'),
            (
                b"content-security-policy",
                b"default-src 'none'; style-src 'unsafe-inline'; form-action 'self'",
            ),
        ]
        await send({"type": "http.response.start", "status": 401, "headers": headers})
        await send({"type": "http.response.body", "body": b"" if scope.get("method") == "HEAD" else body})
        return True

    async def _redirect_without_token(self, scope: Scope, send: Send, cookie: bytes) -> None:
        location = scope.get("path", "/") or "/"
        if scope.get("query_string"):
            location += "?" + scope["query_string"].decode("latin-1")
        await send(
            {
                "type": "http.response.start",
                "status": 303,
                "headers": [
                    (b"location", location.encode("latin-1")),
                    (b"set-cookie", cookie),
                    (b"cache-control", b"no-store"),
                    (b"referrer-policy", b"no-referrer"),
                    (b"content-length", b"0"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": b""})


def install(app: FastAPI, settings: Settings) -> AccessPolicy:
    """Add the middleware; refuse to start (SystemExit) when the settings would expose ima2 unprotected."""
    try:
        policy = AccessPolicy.from_settings(settings)
    except AccessConfigError as exc:
        raise SystemExit(f"ima2 gateway: {exc}") from None
    app.add_middleware(AccessControlMiddleware, policy=policy)
    return policy
