"""CLI start-up: `exactsync --help` and `exactsync status` (on a new store) against
`python -c pass` on the same interpreter, as ratios measured in the same run; beside them,
importing the libraries status cannot do without (click, sqlite-utils).

cron starts exactsync every 5 minutes, so its start-up is paid hundreds of times a day.

    python -m bench.startup_bench [--runs 15]
"""

from __future__ import annotations

import argparse
import compileall
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def exactsync_command() -> list[str]:
    """The installed script when there is one: what cron runs."""
    script = Path(sys.executable).parent / "exactsync"
    return [str(script)] if script.exists() else [sys.executable, "-m", "exactsync"]


def compile_package() -> None:
    """Compile exactsync's modules first, as pip does when it installs a package: a checkout run
    with PYTHONDONTWRITEBYTECODE would otherwise measure Python compiling them on every start."""
    import exactsync

    compileall.compile_dir(Path(exactsync.__file__).parent, quiet=1)


def median_seconds(commands: dict[str, list[str]], runs: int, cwd: Path) -> dict[str, float]:
    """The median time of each command. The commands take turns, so a busy moment of the machine
    falls on all of them alike instead of on one row."""
    times: dict[str, list[float]] = {what: [] for what in commands}
    for _ in range(runs):
        for what, command in commands.items():
            started = time.perf_counter()
            subprocess.run(command, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
            times[what].append(time.perf_counter() - started)
    return {what: statistics.median(seconds) for what, seconds in times.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    exactsync = exactsync_command()
    compile_package()
    with tempfile.TemporaryDirectory() as folder:
        cwd = Path(folder)
        subprocess.run([*exactsync, "init"], cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
        subprocess.run([*exactsync, "status"], cwd=cwd, stdout=subprocess.DEVNULL, check=True)  # creates the store
        medians = median_seconds({
            "python -c pass (baseline)": [sys.executable, "-c", "pass"],
            # What status cannot do without: the floor under its figure.
            "import click, sqlite_utils": [sys.executable, "-c", "import click, sqlite_utils"],
            "exactsync --help": [*exactsync, "--help"],
            "exactsync status": [*exactsync, "status"],
        }, args.runs, cwd)
    baseline = medians["python -c pass (baseline)"]
    print(f"CLI start-up, median of {args.runs} runs each")
    for what, seconds in medians.items():
        print(f"{what:<34} {seconds * 1000:>7.0f} ms  {seconds / baseline:>5.1f}x the baseline")


if __name__ == "__main__":
    main()
