"""``python -m sandbox serve|truth``: run the stand-ins in the foreground, or write the truth."""

from __future__ import annotations

import argparse
import shlex
import signal
import sys
import time
from datetime import date
from pathlib import Path

from sandbox.config import WorldConfig
from sandbox.serve import serve
from sandbox.world import build_world


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sandbox", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    serve_cmd = commands.add_parser("serve", help="run the stand-in servers until interrupted")
    truth_cmd = commands.add_parser("truth", help="write the world's truth as JSON")
    truth_cmd.add_argument("--out", type=Path, required=True, help="where to write the JSON")
    defaults = WorldConfig()
    for command in (serve_cmd, truth_cmd):
        command.add_argument("--seed", type=int, default=defaults.seed)
        command.add_argument("--scale", type=float, default=defaults.scale)
        command.add_argument("--start", type=date.fromisoformat, default=defaults.start)
        command.add_argument("--end", type=date.fromisoformat, default=defaults.end)
    args = parser.parse_args(argv)
    try:
        config = WorldConfig(seed=args.seed, scale=args.scale, start=args.start, end=args.end)
    except ValueError as error:
        parser.error(str(error))
    world = build_world(config)
    if args.command == "truth":
        world.write_truth(args.out)
        print(f"wrote {args.out}")
        return 0
    # SIGTERM (e.g. from a process manager) stops the servers as cleanly as Ctrl-C does.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    with serve(world) as sources:
        for name, value in sources.env.items():
            print(f"export {name}={shlex.quote(value)}")
        print("# serving until interrupted (Ctrl-C)", file=sys.stderr, flush=True)
        sys.stdout.flush()
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
