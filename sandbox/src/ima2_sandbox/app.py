"""The sandbox app: every emulated upstream under its own prefix, plus `/_sandbox` control."""

from __future__ import annotations

from fastapi import FastAPI

from ima2_sandbox import control
from ima2_sandbox.state import SandboxState
from ima2_sandbox.upstreams import (
    billing,
    codex_backend,
    comfy,
    files,
    gemini,
    github,
    google_oauth,
    openai_auth,
    openai_responses,
    progrok,
    vertex,
    xai,
    xai_auth,
)
from ima2_sandbox.upstreams.xai_common import check_xai_auth

PREFIXES = {
    "openai": "/openai/v1",
    "oauth": "/oauth/v1",
    "codex": "/codex/backend-api/codex",
    "xai": "/xai/v1",
    "progrok": "/progrok/v1",
    "gemini": "/gemini/v1beta",
    "vertex": "/vertex/v1",
    "google-oauth": "/google-oauth",
    "xai-auth": "/xai-auth",
    "openai-auth": "/openai-auth",
    "billing": "/grok-cli/v1",
    "comfy": "/comfy",
    "github-api": "/github-api",
    "github-raw": "/github-raw",
}


def create_app(state: SandboxState | None = None) -> FastAPI:
    app = FastAPI(title="ima2 sandbox upstreams", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.sandbox = state or SandboxState()
    app.include_router(control.build_router())
    app.include_router(openai_responses.build_router("openai", PREFIXES["openai"], require_key=True))
    app.include_router(openai_responses.build_router("oauth", PREFIXES["oauth"], require_key=False))
    app.include_router(codex_backend.build_router())
    app.include_router(xai.build_router("xai", PREFIXES["xai"], check_xai_auth))
    app.include_router(progrok.build_router())
    app.include_router(files.build_router())
    app.include_router(gemini.build_router())
    app.include_router(vertex.build_router())
    app.include_router(google_oauth.build_router())
    app.include_router(xai_auth.build_router())
    app.include_router(openai_auth.build_router())
    app.include_router(billing.build_router())
    app.include_router(comfy.build_router())
    app.include_router(github.build_router())
    return app
