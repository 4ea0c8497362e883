"""Logs never carry prompts or keys: run a generation with a distinctive prompt and key, read every log."""

from __future__ import annotations

import uuid
from pathlib import Path

import httpx

from tests.stackctl import RunningStack, start_stack


def test_prompt_and_key_never_reach_any_log(stack: RunningStack, tmp_path: Path) -> None:
    key = f"sk-ima2-secret-{uuid.uuid4().hex}"
    prompt = f"zebra-quokka-{uuid.uuid4().hex} riding a unicycle"
    keyed = start_stack(
        tmp_path / "keyed",
        sandbox=False,
        extra_env={
            "OPENAI_API_KEY": key,
            "IMA2_OPENAI_BASE_URL": f"{stack.sandbox_url}/openai/v1",
            "IMA2_LOG_LEVEL": "DEBUG",
        },
    )
    try:
        httpx.delete(f"{stack.sandbox_url}/_sandbox/requests")
        response = httpx.post(
            f"{keyed.url}/api/generate", json={"prompt": prompt, "provider": "api"}, timeout=60
        )
        assert response.status_code == 200, response.text
        bad = httpx.post(
            f"{keyed.url}/api/generate", json={"prompt": prompt, "provider": "api", "quality": "x"}
        )
        assert bad.status_code == 400
        seen = httpx.get(f"{stack.sandbox_url}/_sandbox/requests").json()["requests"]
        assert any(r["headers"].get("authorization", "").startswith("Bearer sk-ima") for r in seen)
    finally:
        keyed.stop()
    texts = {p.name: p.read_text(errors="replace") for p in (keyed.home / "logs").iterdir() if p.is_file()}
    texts["launcher.out"] = (keyed.home / "launcher.out").read_text()
    assert len(texts) >= 6
    for name, text in texts.items():
        assert key not in text and key[:20] not in text, name
        assert prompt not in text and "zebra-quokka" not in text, name
