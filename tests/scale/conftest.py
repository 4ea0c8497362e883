"""One scaled stack for the whole suite: 2 gateways, 3 svc-image, 2 svc-video, 2 svc-library on a
private PostgreSQL, 3 NATS nodes, all on loopback against the sandbox (`pytest -m scale`)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass

import httpx
import pytest

from tests.scale.private_pg import PrivatePostgres
from tests.stackctl import RunningStack, start_stack

SCALE = {"gateway": 2, "svc-image": 3, "svc-video": 2, "svc-library": 2, "svc-auth": 2, "nats": 3}
LEASE_SECONDS = 3.0
UPSTREAM_TIMEOUT_SECONDS = 12.0
MAX_PARALLEL = 8


@dataclass
class Scaled:
    stack: RunningStack
    pg: PrivatePostgres

    @property
    def gateway_urls(self) -> list[str]:
        return [url.replace("localhost", "127.0.0.1") for url in self.stack.info["gateways"]]

    def replicas(self, part: str) -> list[dict[str, object]]:
        return list(self.stack.info["stack"]["replicas"][part])

    def reload(self) -> None:
        import json

        self.stack.info = json.loads((self.stack.home / "server.json").read_text())


@pytest.fixture(scope="session")
def scaled(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Scaled]:
    pg = PrivatePostgres()
    if not pg.available:
        pytest.skip("the scale suite needs PostgreSQL's initdb and pg_ctl for a private server")
    pg.init()
    args = [arg for part, count in SCALE.items() for arg in ("--scale", f"{part}={count}")]
    env = {
        "IMA2_DATABASE_URL": pg.url,
        "IMA2_JOB_LEASE_SECONDS": str(LEASE_SECONDS),
        "IMA2_RESTART_DELAY_SECONDS": "1",
        "IMA2_SSE_PING_SECONDS": "1",
        "IMA2_MAX_PARALLEL": str(MAX_PARALLEL),
        "IMA2_OPENAI_IMAGE_TIMEOUT_SECONDS": str(UPSTREAM_TIMEOUT_SECONDS),
    }
    try:
        stack = start_stack(
            tmp_path_factory.mktemp("scale"), extra_env=env, extra_args=args, ready_timeout=150
        )
    except BaseException:
        pg.destroy()
        raise
    yield Scaled(stack, pg)
    stack.stop()
    pg.destroy()


@pytest.fixture
async def gateways(scaled: Scaled) -> AsyncIterator[list[httpx.AsyncClient]]:
    one_url, two_url = scaled.gateway_urls
    async with (
        httpx.AsyncClient(base_url=one_url, timeout=60) as one,
        httpx.AsyncClient(base_url=two_url, timeout=60) as two,
    ):
        yield [one, two]


@pytest.fixture
async def sandbox(scaled: Scaled) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=scaled.stack.sandbox_url, timeout=10) as client:
        await client.post("/_sandbox/reset")
        yield client
        await client.post("/_sandbox/reset")
