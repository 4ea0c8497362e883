"""`ima2 up --sandbox` to healthy, and the idle RSS of every process of the stack."""

from __future__ import annotations

import statistics
import time

from _stack import bench_stack


def rss_mb(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/status") as handle:
            for line in handle:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def main(runs: int = 3) -> None:
    times, totals = [], []
    for _ in range(runs):
        started = time.monotonic()
        stack = bench_stack()
        times.append(time.monotonic() - started)
        time.sleep(2)
        pids = {"launcher": stack.proc.pid, **stack.child_pids()}
        per_part = {name: rss_mb(pid) for name, pid in pids.items()}
        totals.append(sum(v for k, v in per_part.items() if k != "sandbox"))
        stack.stop()
    print(
        f"up-to-healthy s: runs={runs} median={statistics.median(times):.2f} max={max(times):.2f} (target < 5)"
    )
    print(
        f"idle RSS MB (launcher, NATS, services, gateway; sandbox excluded): median={statistics.median(totals):.0f}"
        " (target < 400)"
    )
    print("per part MB (last run): " + ", ".join(f"{k}={v:.0f}" for k, v in sorted(per_part.items())))


if __name__ == "__main__":
    main()
