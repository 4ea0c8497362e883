"""svc-auth's logic without a network: config.json handling, the switch poller, refresh serialisation.

The device-login client here is a stand-in for the vendors' login servers (third parties); the
end-to-end flows against the sandbox are in tests/integration/test_auth_*.py.
"""

from __future__ import annotations

import asyncio
import json
import stat
from pathlib import Path

import pytest

from ima2_auth.config_store import ConfigStore
from ima2_auth.credentials import mask_key, mask_secret
from ima2_auth.oauth.accounts import OAuthAccounts, now_ms
from ima2_auth.oauth.device import DeviceStart, PollOutcome, RefreshFailed
from ima2_auth.oauth.tokens import CodexAuthFile, OAuthToken, ProgrokAuthFile
from ima2_auth.switch import MAX_PENDING, AccountSwitcher
from ima2_common.errors import Ima2Error


class ScriptedLogin:
    """Answers polls from a script; counts refreshes."""

    provider = "grok"

    def __init__(self, outcomes: list[PollOutcome], refresh_delay: float = 0.0) -> None:
        self.outcomes = outcomes
        self.refreshes = 0
        self.refresh_delay = refresh_delay
        self.fail_refresh = False

    async def start(self) -> DeviceStart:
        return DeviceStart("device", "ABCD-EFGH", "https://login.example/device", 0, 900)

    async def poll(self, start: DeviceStart) -> PollOutcome:
        return self.outcomes.pop(0) if self.outcomes else PollOutcome("pending")

    async def refresh(self, token: OAuthToken) -> OAuthToken:
        await asyncio.sleep(self.refresh_delay)
        if self.fail_refresh:
            raise RefreshFailed("refused", terminal=True)
        self.refreshes += 1
        return OAuthToken(f"access-{self.refreshes}", f"refresh-{self.refreshes}", now_ms() + 3_600_000)


def accounts_for(tmp_path: Path, client: ScriptedLogin) -> OAuthAccounts:
    return OAuthAccounts({"grok": ProgrokAuthFile(tmp_path / "auth.json")}, {"grok": client})


def test_config_store_writes_0600_reloads_and_refuses_a_corrupt_file(tmp_path: Path) -> None:
    path = tmp_path / "config.json"
    store = ConfigStore(path)
    assert store.update({"apiKey": "sk-one"}) is True
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert store.update({"apiKey": "sk-one"}) is False  # nothing changed, nothing written
    path.write_text(json.dumps({"apiKey": "sk-edited-by-hand", "other": 1}))
    assert store.snapshot()["apiKey"] == "sk-edited-by-hand"
    store.update({"apiKey": None})
    assert json.loads(path.read_text()) == {"other": 1}
    path.write_text("[not an object")
    assert store.is_corrupt() and store.snapshot() == {}
    with pytest.raises(Ima2Error) as err:
        store.update({"apiKey": "sk-two"})
    assert err.value.code == "CONFIG_CORRUPT"
    assert path.read_text() == "[not an object"


def test_masking() -> None:
    assert mask_key("sk-1234567890abcdef") == "sk-1..ef" and mask_key("short") == "***"
    assert mask_secret("vertex", json.dumps({"project_id": "p1"})) == "project: p1"


def test_token_files_round_trip(tmp_path: Path) -> None:
    token = OAuthToken("access", "refresh", 123, "id", "acct", "me@example.com", "https://auth.example/token")
    grok = ProgrokAuthFile(tmp_path / "progrok.json")
    grok.write(token)
    assert grok.read() == token and stat.S_IMODE(grok.path.stat().st_mode) == 0o600
    codex = CodexAuthFile(tmp_path / "codex.json")
    codex.path.write_text(json.dumps({"OPENAI_API_KEY": "sk-kept", "custom": True}))
    codex.write(token)
    saved = json.loads(codex.path.read_text())
    assert (
        saved["OPENAI_API_KEY"] == "sk-kept" and saved["custom"] is True and saved["auth_mode"] == "chatgpt"
    )
    read = codex.read()
    assert read is not None and read.account_id == "acct"


async def test_switch_follows_slow_down_retries_and_completion(tmp_path: Path) -> None:
    done = OAuthToken("new-access", "new-refresh", now_ms() + 3_600_000, email="me@example.com")
    client = ScriptedLogin(
        [
            PollOutcome("pending"),
            PollOutcome("slow_down"),
            PollOutcome("retry"),
            PollOutcome("complete", done),
        ]
    )
    accounts = accounts_for(tmp_path, client)
    slept: list[float] = []

    async def quick_sleep(seconds: float) -> None:
        slept.append(seconds)
        await asyncio.sleep(0)

    switcher = AccountSwitcher(accounts, {"grok": client}, abandon_seconds=60, sleep=quick_sleep)
    session = await switcher.start("grok")
    for _ in range(200):
        session = await switcher.get(session.id)
        if session.status != "pending":
            break
        await asyncio.sleep(0.01)
    assert slept[:4] == [0, 0, 5, 5]  # slow_down adds 5 s to the interval (RFC 8628)
    assert session.status == "complete" and session.email == "me@example.com"
    assert (await accounts.current("grok")) is not None
    await switcher.close()


async def test_switch_limits_pending_sessions_and_gives_up_after_retries(tmp_path: Path) -> None:
    client = ScriptedLogin([PollOutcome("retry")] * 10)
    switcher = AccountSwitcher(accounts_for(tmp_path, client), {"grok": client}, abandon_seconds=60)
    first = await switcher.start("grok")
    for _ in range(200):
        first = await switcher.get(first.id)
        if first.status != "pending":
            break
        await asyncio.sleep(0.01)
    assert first.status == "error"
    client.outcomes = []
    sessions = [await switcher.start("grok") for _ in range(MAX_PENDING)]
    with pytest.raises(Ima2Error) as err:
        await switcher.start("grok")
    assert err.value.code == "TOO_MANY_SWITCH_SESSIONS"
    assert (await switcher.cancel(sessions[0].id)).status == "expired"
    await switcher.start("grok")
    with pytest.raises(Ima2Error) as err:
        await switcher.start("nope")
    assert err.value.code == "INVALID_SWITCH_PROVIDER"
    await switcher.close()


async def test_switch_sessions_expire_and_are_abandoned(tmp_path: Path) -> None:
    client = ScriptedLogin([])
    now = [0.0]
    switcher = AccountSwitcher(accounts_for(tmp_path, client), {"grok": client}, abandon_seconds=30)
    switcher.clock = lambda: now[0]
    session = await switcher.start("grok")
    now[0] = 31.0
    await switcher.reap()
    session = await switcher.store.get(session.id)  # type: ignore[assignment]
    assert (session.status, session.error) == ("expired", "abandoned")
    now[0] = 31.0 + 121.0
    with pytest.raises(Ima2Error):
        await switcher.get(session.id)
    kept = await switcher.start("grok")
    for _ in range(40):
        now[0] += 25.0
        kept = await switcher.get(kept.id)  # asked about: not abandoned, but it still expires
    assert kept.status == "expired" and kept.error == "The device code expired."
    await switcher.close()


async def test_concurrent_refreshes_after_a_401_refresh_once(tmp_path: Path) -> None:
    client = ScriptedLogin([], refresh_delay=0.05)
    accounts = accounts_for(tmp_path, client)
    await accounts.save("grok", OAuthToken("old", "refresh-0", now_ms() + 3_600_000))
    results = await asyncio.gather(*(accounts.refresh("grok", rejected="old") for _ in range(5)))
    assert client.refreshes == 1 and {t.access_token for t in results} == {"access-1"}
    client.fail_refresh = True
    with pytest.raises(Ima2Error) as err:
        await accounts.refresh("grok", rejected="access-1")
    assert err.value.code == "GROK_AUTH_FAILED"
    # Near expiry but not yet expired: a failed refresh still hands out the current token.
    await accounts.save("grok", OAuthToken("soon", "refresh-x", now_ms() + 60_000))
    soon = await accounts.get("grok")
    assert soon is not None and soon.access_token == "soon"
    await accounts.save("grok", OAuthToken("gone", "refresh-y", now_ms() - 1000))
    with pytest.raises(Ima2Error) as err:
        await accounts.get("grok")
    assert err.value.code == "GROK_AUTH_FAILED"
