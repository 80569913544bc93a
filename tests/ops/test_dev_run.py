"""``make run`` stops everything it started when it is stopped, also when the stop signal comes
twice: killing the ``make run`` process group sends SIGTERM to scripts/dev.py once directly and
once more from make, which passes it on to its child. The second one used to interrupt the
clean-up half-way and leave Celery beat running on its own."""

from __future__ import annotations

import os
import signal
import subprocess
import time

from tests.ops.envs import PYTHON, ROOT

# Stands in for cmd_run's end: three children in their own sessions (web, worker, beat), each
# taking a moment to stop; the stop signal arrives again while the first one is being stopped.
SCRIPT = r'''
import importlib.util, os, signal, subprocess, sys
spec = importlib.util.spec_from_file_location("dev", "scripts/dev.py")
dev = importlib.util.module_from_spec(spec)
spec.loader.exec_module(dev)
signal.signal(signal.SIGTERM, dev._interrupt)
child = ("import signal, sys, time\n"
         "signal.signal(signal.SIGTERM, lambda *a: (time.sleep(0.5), sys.exit(0)))\n"
         "print('ready', flush=True)\n"
         "time.sleep(60)\n")
procs = [subprocess.Popen([sys.executable, "-c", child], start_new_session=True, stdout=subprocess.PIPE,
                          stderr=subprocess.DEVNULL, text=True)
         for _ in range(3)]
for p in procs:
    p.stdout.readline()
print(" ".join(str(p.pid) for p in procs), flush=True)
real_killpg, again = os.killpg, []
def killpg(pgid, sig):
    real_killpg(pgid, sig)
    if not again:  # make passes the SIGTERM on while the first child is being stopped
        again.append(True)
        os.kill(os.getpid(), signal.SIGTERM)
os.killpg = killpg
try:
    os.kill(os.getpid(), signal.SIGTERM)  # the first one: the process group was killed
    signal.pause()
except KeyboardInterrupt:
    pass
finally:
    dev.stop_all(procs, dev.Services())
print("stopped", flush=True)
'''


def _alive(pid: int) -> bool:
    """Running (an exited child not yet reaped by whoever adopted it is a zombie: not running)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def test_a_second_stop_signal_does_not_leave_a_child_running():
    done = subprocess.run([PYTHON, "-c", SCRIPT], cwd=ROOT, capture_output=True, text=True, timeout=60)
    pids = [int(pid) for pid in done.stdout.splitlines()[0].split()]
    deadline = time.monotonic() + 5
    while any(_alive(pid) for pid in pids) and time.monotonic() < deadline:
        time.sleep(0.1)
    left = [pid for pid in pids if _alive(pid)]
    for pid in left:
        os.killpg(pid, signal.SIGKILL)
    assert not left, f"children left running after the stop: {left}\n{done.stderr}"
    assert done.stdout.splitlines()[-1] == "stopped", done.stderr
