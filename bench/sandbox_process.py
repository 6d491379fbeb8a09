"""A sandbox in its own process, so that it does not share the benchmarked process's
interpreter lock. Prints one JSON line with its address and app; then reads
commands on stdin, one a line, answering each with one JSON line:

    change PERCENT   update that share of customer accounts (bumps their Timestamp)
    calls            the calls counted so far, by endpoint
    reset            forget the counted calls
    latency MS       add MS milliseconds to every call
"""

from __future__ import annotations

import json
import sys

from exactsync.sandbox import Sandbox


def main(customers: int, items: int) -> None:
    sandbox = Sandbox(seed=42, customers=customers, items=items, minutely_limit=1_000_000, daily_limit=1_000_000)
    with sandbox:
        answer({"base_url": sandbox.base_url, "client_id": sandbox.client_id,
                "client_secret": sandbox.client_secret, "redirect_uri": sandbox.redirect_uri,
                "division": sandbox.division})
        for line in sys.stdin:
            command, *args = line.split()
            if command == "change":
                accounts = list(sandbox.accounts)
                step = max(1, int(100 / float(args[0])))
                for guid in accounts[::step]:
                    sandbox.update_account(guid, Phone="+31 20 0000000")
                answer({"changed": len(accounts[::step])})
            elif command == "calls":
                answer(dict(sandbox.calls))
            elif command == "reset":
                sandbox.reset_calls()
                answer({})
            elif command == "latency":
                sandbox.latency_ms = int(args[0])
                answer({})


def answer(value: dict) -> None:
    print(json.dumps(value), flush=True)


if __name__ == "__main__":
    main(int(sys.argv[1]), int(sys.argv[2]))
