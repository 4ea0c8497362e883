"""Account-switch sessions in JetStream KV: two svc-auth replicas (two switchers, two NATS
connections) answer for the same session, and a cancel sent to one stops the other's poller."""

from __future__ import annotations

import asyncio
import contextlib
import subprocess
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import nats
import pytest
from nats.aio.client import Client

from ima2_auth.oauth.accounts import OAuthAccounts, now_ms
from ima2_auth.oauth.device import DeviceStart, PollOutcome
from ima2_auth.oauth.tokens import OAuthToken, ProgrokAuthFile
from ima2_auth.switch import AccountSwitcher
from ima2_auth.switch_store import KvSessionStore, SwitchSession
from ima2_common.errors import Ima2Error
from ima2_common.nats_server import nats_command, write_config
from ima2_common.nats_util import switch_bucket
from ima2_common.net import free_port


class GatedLogin:
    """Each poll waits for the test to hand it an outcome."""

    provider = "grok"

    def __init__(self) -> None:
        self.outcomes: asyncio.Queue[PollOutcome] = asyncio.Queue()
        self.polls = 0

    async def start(self) -> DeviceStart:
        return DeviceStart("device", "WXYZ-1234", "https://login.example/device", 0, 900)

    async def poll(self, start: DeviceStart) -> PollOutcome:
        self.polls += 1
        return await self.outcomes.get()


@pytest.fixture(scope="module")
def nats_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    root: Path = tmp_path_factory.mktemp("switch-nats")
    port = free_port()
    proc = subprocess.Popen(
        nats_command(write_config(root / "nats.conf", "127.0.0.1", port, root / "store")),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    yield f"nats://127.0.0.1:{port}"
    proc.terminate()
    proc.wait(timeout=10)


async def _connect(url: str) -> Client:
    for _ in range(100):
        with contextlib.suppress(Exception):
            return await nats.connect(url, connect_timeout=1, allow_reconnect=False)
        await asyncio.sleep(0.05)  # the server is still starting: retry the connection itself
    raise RuntimeError("nats did not come up")


class Replica:
    def __init__(self, nc: Client, switcher: AccountSwitcher, login: GatedLogin) -> None:
        self.nc, self.switcher, self.login = nc, switcher, login


@pytest.fixture
async def replicas(nats_url: str, tmp_path: Path) -> AsyncIterator[list[Replica]]:
    made: list[Replica] = []
    for index in range(2):
        nc = await _connect(nats_url)
        login = GatedLogin()
        accounts = OAuthAccounts({"grok": ProgrokAuthFile(tmp_path / f"auth-{index}.json")}, {"grok": login})  # type: ignore[dict-item]
        store = KvSessionStore(switch_bucket(nc.jetstream()))
        made.append(Replica(nc, AccountSwitcher(accounts, {"grok": login}, 60, store=store), login))  # type: ignore[dict-item]
    yield made
    for replica in made:
        await replica.switcher.close()
        await replica.nc.drain()


async def settled(switcher: AccountSwitcher, session_id: str) -> SwitchSession:
    while True:
        session = await switcher.get(session_id)
        if session.status != "pending":
            return session
        await asyncio.sleep(0.02)


async def test_a_session_started_on_one_replica_is_answered_by_the_other(replicas: list[Replica]) -> None:
    one, two = replicas
    started = await one.switcher.start("grok")
    seen = await two.switcher.get(started.id)
    assert (seen.status, seen.user_code, seen.provider) == ("pending", "WXYZ-1234", "grok")
    await one.login.outcomes.put(PollOutcome("slow_down"))
    done = OAuthToken("new-access", "new-refresh", now_ms() + 3_600_000, email="two@example.com")
    await one.login.outcomes.put(PollOutcome("complete", done))
    finished = await asyncio.wait_for(settled(two.switcher, started.id), 20)
    assert (finished.status, finished.email, finished.interval) == ("complete", "two@example.com", 5)
    assert two.login.polls == 0  # only the replica that started it polls the upstream
    with pytest.raises(Ima2Error) as err:
        await two.switcher.get("no-such-session")
    assert err.value.code == "SWITCH_SESSION_NOT_FOUND"


async def test_a_cancel_on_one_replica_stops_the_other_replicas_poller(replicas: list[Replica]) -> None:
    one, two = replicas
    started = await one.switcher.start("grok")
    poller = one.switcher.tasks[started.id]
    canceled = await two.switcher.cancel(started.id)
    assert (canceled.status, canceled.error) == ("expired", "canceled")
    await one.login.outcomes.put(PollOutcome("pending"))  # the poll in flight returns...
    await asyncio.wait_for(poller, 20)  # ...and the poller sees the cancel and stops
    assert one.login.polls == 1
    assert (await one.switcher.get(started.id)).status == "expired"
    assert await one.switcher.pending_count() == 0
