"""`ima2 up`: NATS, the four services, the gateway (and the sandbox) on loopback, as one product."""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
import sys
import sysconfig
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import nats
from grpc_health.v1 import health_pb2_grpc

from ima2_cli.access_token import WILDCARD_HOSTS, bare_host, is_local_bind
from ima2_cli.launcher.processes import ManagedProcess, stop_all
from ima2_cli.launcher.scale import Scale, replica_name
from ima2_common import limits
from ima2_common.files import write_json_atomic
from ima2_common.grpc_client import ServiceClient
from ima2_common.nats_server import ClusterNode, nats_command, write_config
from ima2_common.nats_util import server_list
from ima2_common.net import port_is_free, reserved_ports
from ima2_common.settings import Settings

SERVICES = {"auth": "ima2_auth", "library": "ima2_library", "image": "ima2_image", "video": "ima2_video"}
READY_TIMEOUT = 30.0


class LaunchError(RuntimeError):
    pass


@dataclass
class UpOptions:
    host: str
    port: int
    sandbox: bool
    access_token: str = ""  # required (and passed to the gateway) when the host is not loopback
    scale: Scale = field(default_factory=Scale)


def probe_host(host: str) -> str:
    """Where the launcher itself reaches the gateway: the bound address, or loopback for a wildcard."""
    bare = bare_host(host)
    if bare in WILDCARD_HOSTS:
        return "::1" if bare == "::" else "127.0.0.1"
    return bare


def url_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host


def choose_port(host: str, wanted: int) -> int:
    for port in range(wanted, wanted + limits.PORT_FALLBACK_TRIES):
        if port_is_free(host, port):
            return port
    raise LaunchError(f"no free port in {wanted}..{wanted + limits.PORT_FALLBACK_TRIES - 1}")


def public_url(host: str, port: int) -> str:
    local = is_local_bind(host) or bare_host(host) in WILDCARD_HOSTS
    return f"http://{'localhost' if local else url_host(bare_host(host))}:{port}"


def sandbox_environment(base: str, home: Path) -> dict[str, str]:
    """Point every upstream at the sandbox; OAuth credential files stay inside IMA2_HOME."""
    agy = shutil.which("ima2-sandbox-agy", path=sysconfig.get_path("scripts")) or "ima2-sandbox-agy"
    return {
        "IMA2_SANDBOX": "1",
        "IMA2_SANDBOX_URL": base,
        "IMA2_OPENAI_BASE_URL": f"{base}/openai/v1",
        "IMA2_OAUTH_PROXY_URL": f"{base}/oauth/v1",
        "IMA2_XAI_BASE_URL": f"{base}/xai/v1",
        "IMA2_GROK_PROXY_URL": f"{base}/progrok/v1",
        "IMA2_GEMINI_BASE_URL": f"{base}/gemini/v1beta",
        "IMA2_VERTEX_BASE_URL": f"{base}/vertex/v1",
        "IMA2_CODEX_BASE_URL": f"{base}/codex/backend-api/codex",
        "IMA2_CHATGPT_BASE_URL": f"{base}/codex/backend-api",
        "IMA2_OPENAI_AUTH_URL": f"{base}/openai-auth",
        "IMA2_XAI_AUTH_URL": f"{base}/xai-auth",
        "IMA2_GROK_BILLING_URL": f"{base}/grok-cli/v1",
        "IMA2_COMFY_URL": f"{base}/comfy",
        "IMA2_GITHUB_API_URL": f"{base}/github-api",
        "IMA2_GITHUB_RAW_URL": f"{base}/github-raw",
        "IMA2_AGY_BIN": agy,
        "IMA2_PROGROK_AUTH_FILE": str(home / "sandbox" / "progrok-auth.json"),
        "IMA2_CODEX_AUTH_FILE": str(home / "sandbox" / "codex-auth.json"),
    }


class Stack:
    def __init__(self, settings: Settings, options: UpOptions) -> None:
        self.settings = settings
        self.options = options
        self.processes: list[ManagedProcess] = []
        self.env: dict[str, str] = {}
        self.gateway_port = 0
        self.gateway_ports: list[int] = []
        self.nats_ports: list[int] = []
        self.replica_addresses: dict[str, list[str]] = {}
        self.started_at = int(time.time() * 1000)
        self.oauth_status = "starting"  # kept current in server.json by refresh_oauth_status

    # -- start -----------------------------------------------------------------------------------
    def _gateway_ports(self) -> list[int]:
        ports = [choose_port(self.options.host, self.options.port)]
        while len(ports) < self.options.scale.of("gateway"):
            ports.append(choose_port(self.options.host, ports[-1] + 1))
        return ports

    def _nats_nodes(self, env: dict[str, str], take_port: Callable[[], int]) -> list[ManagedProcess]:
        """One server, or a JetStream cluster whose nodes route to each other on loopback."""
        count = self.options.scale.of("nats")
        client_ports = [take_port() for _ in range(count)]
        self.nats_ports = client_ports
        logs, base = self.settings.logs_dir, self.settings.nats_dir
        if count == 1:
            config = write_config(base / "nats.conf", "127.0.0.1", client_ports[0], base / "jetstream")
            return [ManagedProcess("nats", nats_command(config), env, logs / "nats.log")]
        route_ports = [take_port() for _ in range(count)]
        routes = tuple(f"nats-route://127.0.0.1:{p}" for p in route_ports)
        nodes = []
        for index in range(count):
            name = replica_name("nats", index)
            node = ClusterNode(
                server_name=f"ima2-{index + 1}", cluster_port=route_ports[index], routes=routes
            )
            config = write_config(
                base / f"{name}.conf", "127.0.0.1", client_ports[index], base / name / "jetstream", node
            )
            nodes.append(ManagedProcess(name, nats_command(config), env, logs / f"{name}.log"))
        return nodes

    def _prepare(self) -> dict[str, list[ManagedProcess]]:
        home = self.settings.home_dir
        logs = self.settings.logs_dir
        scale = self.options.scale
        for folder in (home, logs, self.settings.generated_path):
            folder.mkdir(parents=True, exist_ok=True)
        self.gateway_ports = self._gateway_ports()
        self.gateway_port = self.gateway_ports[0]
        # Chosen together: gRPC servers would otherwise share a port handed out twice (SO_REUSEPORT).
        with reserved_ports(exclude=self.gateway_ports) as take_port:
            self.replica_addresses = {
                name: [f"127.0.0.1:{take_port()}" for _ in range(scale.of(f"svc-{name}"))]
                for name in SERVICES
            }
            env = dict(os.environ)
            procs: dict[str, list[ManagedProcess]] = {"nats": self._nats_nodes(env, take_port)}
            sandbox_port = take_port() if self.options.sandbox else 0
        env.update(
            {
                "IMA2_HOME": str(home),
                "IMA2_NATS_URL": ",".join(f"nats://127.0.0.1:{port}" for port in self.nats_ports),
                "IMA2_NATS_REPLICAS": str(scale.nats_replicas),
                "IMA2_HOST": self.options.host,
                "IMA2_PORT": str(self.gateway_port),
                "IMA2_CONFIGURED_PORT": str(self.options.port),
                "IMA2_GRPC_LISTEN_HOST": "127.0.0.1",
                "PYTHONUNBUFFERED": "1",
                **{f"IMA2_{name.upper()}_ADDR": ",".join(a) for name, a in self.replica_addresses.items()},
            }
        )
        if self.options.sandbox:
            env.update(sandbox_environment(f"http://127.0.0.1:{sandbox_port}", home))
            procs["sandbox"] = [
                ManagedProcess(
                    "sandbox",
                    [
                        sys.executable,
                        "-m",
                        "ima2_sandbox",
                        "--host",
                        "127.0.0.1",
                        "--port",
                        str(sandbox_port),
                    ],
                    env,
                    logs / "sandbox.out",
                )
            ]
        for name, module in SERVICES.items():
            procs[name] = []
            for index, address in enumerate(self.replica_addresses[name]):
                replica_env = {**env, "IMA2_GRPC_LISTEN_PORT": address.rsplit(":", 1)[1]}
                procs[name].append(
                    ManagedProcess.python_module(
                        replica_name(f"svc-{name}", index), module, replica_env, logs
                    )
                )
        procs["gateway"] = []
        for index, port in enumerate(self.gateway_ports):
            gateway_env = {**env, "IMA2_PORT": str(port)}
            if self.options.access_token:
                gateway_env["IMA2_ACCESS_TOKEN"] = self.options.access_token
            procs["gateway"].append(
                ManagedProcess.python_module(
                    replica_name("gateway", index), "ima2_gateway", gateway_env, logs
                )
            )
        self.env = env
        return procs

    async def start(self) -> None:
        if not is_local_bind(self.options.host) and not self.options.access_token:
            raise LaunchError(f"binding {self.options.host} needs an access token (IMA2_ACCESS_TOKEN)")
        procs = self._prepare()
        # Stop order: gateways first, NATS last.
        order = ["gateway", "image", "video", "library", "auth", "sandbox", "nats"]
        self.processes = [p for name in order for p in procs.get(name, [])]
        for node in procs["nats"]:
            node.start()
        for sandbox in procs.get("sandbox", []):
            sandbox.start()
        await asyncio.gather(
            *(self._wait_port(node, port) for node, port in zip(procs["nats"], self.nats_ports, strict=True))
        )
        if len(procs["nats"]) > 1:
            await self._wait_jetstream(procs["nats"][0])
        for name in SERVICES:
            for replica in procs[name]:
                replica.start()
        for gateway in procs["gateway"]:
            gateway.start()
        probe = url_host(probe_host(self.options.host))
        await asyncio.gather(
            *(
                self._wait_grpc(replica, address)
                for name in SERVICES
                for replica, address in zip(procs[name], self.replica_addresses[name], strict=True)
            ),
            *(
                self._wait_http(gateway, f"http://{probe}:{port}/api/health", self.access_headers())
                for gateway, port in zip(procs["gateway"], self.gateway_ports, strict=True)
            ),
            *(
                [self._wait_http(procs["sandbox"][0], f"{self.env['IMA2_SANDBOX_URL']}/_sandbox/health")]
                if "sandbox" in procs
                else []
            ),
        )
        await self.refresh_oauth_status(force=True)

    async def _wait_jetstream(self, process: ManagedProcess) -> None:
        """A cluster serves JetStream once its nodes have elected a meta leader."""
        nc = await nats.connect(
            server_list(self.env["IMA2_NATS_URL"]), name="ima2-launcher", max_reconnect_attempts=-1
        )
        js = nc.jetstream(timeout=1.0)

        async def probe() -> bool:
            try:
                await js.account_info()
            except Exception:
                return False
            return True

        try:
            await self._deadline_loop(process, probe)
        finally:
            await nc.close()

    async def _deadline_loop(self, process: ManagedProcess, probe: Any) -> None:
        deadline = time.monotonic() + READY_TIMEOUT
        while time.monotonic() < deadline:
            if not process.alive():
                raise LaunchError(
                    f"{process.name} exited with code {process.exit_code()}; see {process.log_path}"
                )
            if await probe():
                return
            await asyncio.sleep(0.05)
        raise LaunchError(
            f"{process.name} did not become ready in {READY_TIMEOUT:.0f}s; see {process.log_path}"
        )

    async def _wait_port(self, process: ManagedProcess, port: int) -> None:
        async def probe() -> bool:
            try:
                _, writer = await asyncio.open_connection("127.0.0.1", port)
            except OSError:
                return False
            writer.close()
            return True

        await self._deadline_loop(process, probe)

    async def _wait_grpc(self, process: ManagedProcess, address: str) -> None:
        client = ServiceClient(process.name, address, health_pb2_grpc.HealthStub)
        try:
            await self._deadline_loop(process, lambda: client.healthy(0.5))
        finally:
            await client.close()

    def access_headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.options.access_token}"} if self.options.access_token else {}

    async def _wait_http(
        self, process: ManagedProcess, url: str, headers: dict[str, str] | None = None
    ) -> None:
        async with httpx.AsyncClient(timeout=2.0, headers=headers) as http:

            async def probe() -> bool:
                try:
                    response = await http.get(url)
                except httpx.HTTPError:
                    return False
                return response.status_code == 200 and response.json().get("ok", True) is not False

            await self._deadline_loop(process, probe)

    # -- advertise -------------------------------------------------------------------------------
    def server_info(self) -> dict[str, Any]:
        url = public_url(self.options.host, self.gateway_port)
        oauth_url = self.env.get("IMA2_OAUTH_PROXY_URL", self.settings.oauth_proxy_url).removesuffix("/v1")
        oauth_port = int(oauth_url.rsplit(":", 1)[1].split("/", 1)[0]) if oauth_url.count(":") >= 2 else None
        return {
            "port": self.gateway_port,
            "url": url,
            "pid": os.getpid(),
            "startedAt": self.started_at,
            "version": self.settings.version,
            "backend": {"configuredPort": self.options.port, "actualPort": self.gateway_port, "url": url},
            "oauth": {
                "configuredPort": oauth_port,
                "actualPort": oauth_port,
                "url": oauth_url,
                "status": self.oauth_status,
            },
            "sandbox": self.options.sandbox,
            "access": {
                "mode": "local" if is_local_bind(self.options.host) else "lan",
                "host": self.options.host,
                "tokenRequired": not is_local_bind(self.options.host),
            },
            "gateways": [public_url(self.options.host, port) for port in self.gateway_ports],
            "stack": {
                "natsUrl": self.env["IMA2_NATS_URL"],
                "natsServers": server_list(self.env["IMA2_NATS_URL"]),
                "natsReplicas": self.options.scale.nats_replicas,
                "services": {name: self.env[f"IMA2_{name.upper()}_ADDR"] for name in SERVICES},
                "replicas": self._replica_info(),
                "sandboxUrl": self.env.get("IMA2_SANDBOX_URL"),
                "pids": {p.name: p.pid for p in self.processes},
            },
        }

    def _replica_info(self) -> dict[str, list[dict[str, Any]]]:
        """Each part's replicas: name, address and pid (the pid changes when the launcher restarts one)."""
        by_name = {p.name: p for p in self.processes}
        where: dict[str, list[str]] = {
            "gateway": [public_url(self.options.host, port) for port in self.gateway_ports],
            "nats": server_list(self.env["IMA2_NATS_URL"]),
            **{f"svc-{name}": addresses for name, addresses in self.replica_addresses.items()},
        }
        info: dict[str, list[dict[str, Any]]] = {}
        for part, addresses in where.items():
            info[part] = []
            for index, address in enumerate(addresses):
                process = by_name.get(replica_name(part, index))
                info[part].append(
                    {
                        "name": replica_name(part, index),
                        "address": address,
                        "pid": process.pid if process else None,
                    }
                )
        return info

    def _write_server_json(self) -> None:
        write_json_atomic(self.settings.server_file, self.server_info())

    async def refresh_oauth_status(self, force: bool = False) -> None:
        """Ask the gateway for the OAuth status (ready | offline | auth_required | …) and rewrite
        server.json when it changed; a gateway that does not answer leaves the last status."""
        url = f"http://{url_host(probe_host(self.options.host))}:{self.gateway_port}/api/oauth/status"
        try:
            async with httpx.AsyncClient(timeout=8.0, headers=self.access_headers()) as http:
                status = (await http.get(url)).json().get("status")
        except (httpx.HTTPError, ValueError, AttributeError):
            status = None
        if isinstance(status, str) and status:
            force = force or status != self.oauth_status
            self.oauth_status = status
        if force:
            self._write_server_json()

    def advertise(self) -> None:
        """Rewrite server.json (a restarted part has a new pid)."""
        with contextlib.suppress(OSError):
            self._write_server_json()

    # -- stop ------------------------------------------------------------------------------------
    def stop(self) -> None:
        stop_all(self.processes)
        with contextlib.suppress(FileNotFoundError, ValueError, OSError):
            import json

            info = json.loads(self.settings.server_file.read_text())
            if info.get("pid") == os.getpid():
                self.settings.server_file.unlink()


async def run_until_signal(stack: Stack, on_ready: Any, restart_delay: float) -> int:
    """Serve until SIGINT/SIGTERM, restarting any part that exits (with a growing delay)."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        await stack.start()
    except LaunchError:
        stack.stop()
        raise
    on_ready(stack)
    restarts: dict[str, tuple[int, float]] = {}
    next_status = time.monotonic() + limits.SERVER_JSON_REFRESH_SECONDS
    status_task: asyncio.Task[None] | None = None
    while not stop.is_set():
        now = time.monotonic()
        if now >= next_status and (status_task is None or status_task.done()):
            status_task = asyncio.create_task(stack.refresh_oauth_status())
            next_status = now + limits.SERVER_JSON_REFRESH_SECONDS
        for process in stack.processes:
            if process.alive():
                continue
            count, due = restarts.get(process.name, (0, 0.0))
            if due == 0.0:
                delay = min(30.0, restart_delay * (2**count))
                print(
                    f"ima2: {process.name} exited (code {process.exit_code()}); restarting in {delay:.0f}s. "
                    f"See {process.log_path}",
                    file=sys.stderr,
                )
                restarts[process.name] = (count, now + delay)
            elif now >= due:
                process.start()
                restarts[process.name] = (count + 1, 0.0)
                stack.advertise()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=0.25)
    if status_task is not None and not status_task.done():
        status_task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await status_task
    print("ima2: stopping (gateway, services, NATS)…", flush=True)
    stack.stop()
    print("ima2: stopped", flush=True)
    return 0


def existing_server(server_file: Path) -> str | None:
    """The URL of a live server advertised in server.json, if any (a 401 from one that needs a token counts)."""
    import json

    try:
        info = json.loads(server_file.read_text())
        os.kill(int(info["pid"]), 0)
    except (OSError, ValueError, KeyError, TypeError):
        return None
    url = (info.get("backend") or {}).get("url") or info.get("url")
    try:
        response = httpx.get(f"{url}/api/health", timeout=0.6)
    except httpx.HTTPError:
        return None
    return url if response.status_code in (200, 401) else None
