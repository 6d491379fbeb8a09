"""exactsync runs as processes of their own, to kill -9 mid-flight."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time


def start_push(config_path):
    return subprocess.Popen([sys.executable, "-m", "exactsync", "--config", str(config_path), "push"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def kill(process) -> None:
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    assert process.returncode == -signal.SIGKILL, "the push ended before it could be killed"


def wait_for(condition, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.002)
