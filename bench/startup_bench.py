"""CLI start-up: what cron and a person at the terminal pay on every start, against `python -c pass`
on the same interpreter, as ratios measured in the same run: `--help`, `status`, `log --errors`, and a
quiet cron pull (connected to a sandbox, nothing changed in Exact, so its 4 calls and nothing more),
once with the access token still good and once renewing it first, as every other cron run does (a
token lives 10 minutes, cron starts every 5).

Each figure is the median CPU time (user + system) of the process, which a busy shared machine
disturbs far less than wall-clock time; the wall-clock median is printed beside it. Beside them, the
floors: importing what status cannot do without (click, sqlite-utils), and what the pull adds
(requests).

cron starts exactsync every 5 minutes, so its start-up is paid hundreds of times a day.

    python -m bench.startup_bench [--runs 15]
"""

from __future__ import annotations

import argparse
import compileall
import contextlib
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run as a script too

from exactsync.sandbox import Sandbox  # noqa: E402
from tests.helpers.login import connect  # noqa: E402

BASELINE = "python -c pass (baseline)"


def exactsync_command() -> list[str]:
    """The installed script when there is one: what cron runs."""
    script = Path(sys.executable).parent / "exactsync"
    return [str(script)] if script.exists() else [sys.executable, "-m", "exactsync"]


def compile_package() -> None:
    """Compile exactsync's modules first, as pip does when it installs a package: a checkout run
    with PYTHONDONTWRITEBYTECODE would otherwise measure Python compiling them on every start."""
    import exactsync

    compileall.compile_dir(Path(exactsync.__file__).parent, quiet=1)


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def medians(commands: dict[str, list[str]], runs: int, cwd: Path) -> dict[str, tuple[float, float]]:
    """The median CPU and wall-clock seconds of each command. The commands take turns, so a busy
    moment of the machine falls on all of them alike instead of on one row."""
    cpu: dict[str, list[float]] = {what: [] for what in commands}
    wall: dict[str, list[float]] = {what: [] for what in commands}
    for _ in range(runs):
        for what, command in commands.items():
            cpu_before, started = children_cpu(), time.perf_counter()
            subprocess.run(command, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
            wall[what].append(time.perf_counter() - started)
            cpu[what].append(children_cpu() - cpu_before)
    return {what: (statistics.median(cpu[what]), statistics.median(wall[what])) for what in commands}


def quiet_pull_store(folder: Path, sandbox: Sandbox, exactsync: list[str]) -> Path:
    """A connected store with its first pull done: every later pull finds nothing changed."""
    folder.mkdir()
    connect(sandbox, folder / "exactsync.toml")
    subprocess.run([*exactsync, "pull"], cwd=folder, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                   check=True)
    return folder


def sandbox(**token) -> Sandbox:
    return Sandbox(customers=50, items=20, minutely_limit=1_000_000, daily_limit=1_000_000, **token)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    exactsync = exactsync_command()
    compile_package()
    with contextlib.ExitStack() as stack:
        folder = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        cwd = quiet_pull_store(folder / "token good", stack.enter_context(sandbox()), exactsync)
        # A token that lives 10 s is within exactsync's 15 s margin at once: every pull renews it.
        renewing = quiet_pull_store(folder / "token renewed", stack.enter_context(sandbox(token_lifetime=10)),
                                    exactsync)
        os.environ.pop("EXACTSYNC_CONFIG", None)  # the folder's exactsync.toml, as cron's `cd` gives it
        figures = medians({
            BASELINE: [sys.executable, "-c", "pass"],
            # What status and log cannot do without, and what the pull adds: the floors under their figures.
            "import click, sqlite_utils": [sys.executable, "-c", "import click, sqlite_utils"],
            "import click, sqlite_utils, requests": [sys.executable, "-c", "import click, sqlite_utils, requests"],
            "exactsync --help": [*exactsync, "--help"],
            "exactsync status": [*exactsync, "status"],
            "exactsync log --errors": [*exactsync, "log", "--errors"],
            "exactsync pull (quiet, 4 calls)": [*exactsync, "pull"],
            "exactsync pull (quiet, token renewed)": [*exactsync, "--config", str(renewing / "exactsync.toml"),
                                                      "pull"],
        }, args.runs, cwd)
    cpu_baseline, wall_baseline = figures[BASELINE]
    print(f"CLI start-up, median of {args.runs} runs each: CPU time (user + system), and wall-clock time")
    for what, (cpu, wall) in figures.items():
        print(f"{what:<38} CPU {cpu * 1000:>5.0f} ms = {cpu / cpu_baseline:>4.1f}x   "
              f"wall {wall * 1000:>5.0f} ms = {wall / wall_baseline:>4.1f}x")


if __name__ == "__main__":
    main()
