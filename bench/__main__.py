"""`make bench`: run every bench/*_bench.py in turn, each in its own process."""

import subprocess
import sys
from pathlib import Path

failed = False
for script in sorted(Path(__file__).parent.glob("*_bench.py")):
    print(f"== {script.name}", flush=True)
    failed |= subprocess.run([sys.executable, str(script)]).returncode != 0
sys.exit(1 if failed else 0)
