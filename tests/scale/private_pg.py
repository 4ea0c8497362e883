"""A private PostgreSQL server for the scale suite, so it can be stopped and started safely.

The machine's shared PostgreSQL is never restarted: this one lives in a temporary folder, listens on
a free loopback port with trust authentication, and is removed afterwards. PostgreSQL refuses to run
as root, so under root it runs as the `postgres` user (via runuser).
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import subprocess
import tempfile
from pathlib import Path

from ima2_common.net import free_port


def _binary(name: str) -> str | None:
    found = shutil.which(name)
    if found:
        return found
    for folder in sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True):
        if (folder / name).exists():
            return str(folder / name)
    return None


class PrivatePostgres:
    def __init__(self) -> None:
        self.initdb = _binary("initdb")
        self.pg_ctl = _binary("pg_ctl")
        self.root = Path(tempfile.mkdtemp(prefix="ima2-scale-pg-"))
        self.data = self.root / "data"
        self.port = free_port()
        self.user = "postgres" if os.geteuid() == 0 else ""

    @property
    def available(self) -> bool:
        if not (self.initdb and self.pg_ctl):
            return False
        if self.user:
            try:
                pwd.getpwnam(self.user)
            except KeyError:
                return False
        return True

    @property
    def url(self) -> str:
        return (
            f"postgresql://{self.user or pwd.getpwuid(os.geteuid()).pw_name}@127.0.0.1:{self.port}/postgres"
        )

    def _run(self, *argv: str) -> None:
        prefix = ["runuser", "-u", self.user, "--"] if self.user else []
        subprocess.run([*prefix, *argv], check=True, capture_output=True, timeout=60)

    def init(self) -> None:
        os.chmod(self.root, 0o755)
        if self.user:
            entry = pwd.getpwnam(self.user)
            os.chown(self.root, entry.pw_uid, entry.pw_gid)
        assert self.initdb is not None
        self._run(self.initdb, "-D", str(self.data), "-A", "trust", "-E", "UTF8", "--no-sync")
        self.start()

    def start(self) -> None:
        assert self.pg_ctl is not None
        options = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run(
            self.pg_ctl, "-D", str(self.data), "-o", options, "-l", str(self.root / "pg.log"), "-w", "start"
        )

    def stop(self) -> None:
        assert self.pg_ctl is not None
        self._run(self.pg_ctl, "-D", str(self.data), "-m", "fast", "-w", "stop")

    def destroy(self) -> None:
        with contextlib.suppress(subprocess.CalledProcessError, subprocess.TimeoutExpired):
            self.stop()
        shutil.rmtree(self.root, ignore_errors=True)
