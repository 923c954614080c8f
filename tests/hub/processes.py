"""The hub test's processes: their memory, and stopping every one of them.

    python processes.py memory TMP HUB_PID   # one line per process: role, RSS and USS in MiB
    python processes.py stop TMP HUB_PID     # stop the hub, its proxy, the learners' servers
                                             # and kernels; exit 0 when none is left

The hub and its proxy share the hub's process group (``run.sh`` starts the hub with
``setsid``). The learners' servers and their kernels run in sessions of their own (the
spawner and Jupyter start them so), with their working directory in a learner's home under
``TMP``: that is how they are found, so only processes this test started are touched.
"""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path

import psutil

MIB = 1024 * 1024
STOP_GRACE_S = 15.0


def _inside(path: str, folder: Path) -> bool:
    return path == str(folder) or path.startswith(str(folder) + os.sep)


def learner_processes(tmp: Path) -> list[psutil.Process]:
    """Processes whose working directory is in a learner's home under ``tmp``."""
    homes = (tmp / "homes").resolve()
    found = []
    for process in psutil.process_iter():
        try:
            if _inside(process.cwd(), homes):
                found.append(process)
        except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
            continue
    return found


def role(process: psutil.Process, hub_pid: int) -> str:
    """``hub``, ``proxy``, ``server of NAME``, ``kernel of NAME`` or the command name."""
    try:
        cmdline = " ".join(process.cmdline())
        home = process.environ().get("HOME", "")
    except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
        return "gone"
    name = Path(home).name
    if process.pid == hub_pid:
        return "hub"
    if "configurable-http-proxy" in cmdline:
        return "proxy"
    if "jupyterhub-singleuser" in cmdline:
        return f"server of {name}"
    if "ipykernel" in cmdline:
        return f"kernel of {name}"
    return process.name()


def memory(tmp: Path, hub_pid: int) -> int:
    """Print the RSS and USS of the hub, the proxy, the servers and the kernels."""
    processes = []
    try:
        hub = psutil.Process(hub_pid)
        processes = [hub, *hub.children(recursive=True)]
    except psutil.NoSuchProcess:
        pass
    processes += learner_processes(tmp)
    seen = set()
    for process in processes:
        if process.pid in seen:
            continue
        seen.add(process.pid)
        try:
            info = process.memory_full_info()
        except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
            continue
        print(
            f"[hub] memory: {role(process, hub_pid):<18} RSS {info.rss / MIB:6.0f} MiB, "
            f"USS {info.uss / MIB:6.0f} MiB"
        )
    return 0


def _wait_gone(processes: list[psutil.Process], seconds: float) -> list[psutil.Process]:
    _, alive = psutil.wait_procs(processes, timeout=seconds)
    return alive


def group(pgid: int) -> list[psutil.Process]:
    """The processes of process group ``pgid``."""
    members = []
    for process in psutil.process_iter():
        try:
            if os.getpgid(process.pid) == pgid:
                members.append(process)
        except (ProcessLookupError, psutil.NoSuchProcess):
            continue
    return members


def _signal_group(pgid: int, signum: int) -> None:
    try:
        os.killpg(pgid, signum)
    except ProcessLookupError:
        pass


def stop(tmp: Path, hub_pid: int) -> int:
    """SIGTERM the hub's group (the hub then stops the servers it spawned), SIGKILL the rest.

    The hub leads its own process group (``setsid``), so the group's id is ``hub_pid``.
    """
    members = group(hub_pid)
    if members:
        _signal_group(hub_pid, signal.SIGTERM)
        if _wait_gone(members, STOP_GRACE_S):
            print("[hub] the hub did not stop on SIGTERM: SIGKILL")
            _signal_group(hub_pid, signal.SIGKILL)
            _wait_gone(members, 5.0)
    left = learner_processes(tmp)
    for process in left:
        try:
            print(f"[hub] killing left-over {role(process, hub_pid)} (pid {process.pid})")
            process.kill()
        except psutil.NoSuchProcess:
            continue
    alive = _wait_gone(left, 5.0) + group(hub_pid)
    for process in alive:
        print(f"[hub] still running after SIGKILL: pid {process.pid}", file=sys.stderr)
    return 1 if alive else 0


def main(argv: list[str]) -> int:
    if len(argv) != 3 or argv[0] not in {"memory", "stop"}:
        print(__doc__, file=sys.stderr)
        return 2
    action, tmp, hub_pid = argv[0], Path(argv[1]), int(argv[2])
    return memory(tmp, hub_pid) if action == "memory" else stop(tmp, hub_pid)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
