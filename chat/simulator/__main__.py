"""`python -m chat.simulator`: serve the simulator alone with Daphne, for load tests.

    python -m chat.simulator --port 9000 [--tps 40] [--first-token-delay 0.3] [--record]

Without the flags, PLAYGROUND_SIM_TOKENS_PER_SECOND, PLAYGROUND_SIM_FIRST_TOKEN_DELAY
and PLAYGROUND_SIM_RECORD set the pace and recording, read as the settings read them
(playground.env); a bad value stops the server at start, naming the variable.
"""

from __future__ import annotations

import argparse
import logging
from collections.abc import Sequence

from chat.simulator.app import make_app
from playground.env import EnvError, env_bool, env_float

PROG = "python -m chat.simulator"


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """The command line over the environment's defaults; exits with a message if either is bad."""
    parser = argparse.ArgumentParser(
        prog=PROG, description="Serve the simulated upstream with Daphne."
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=9000)
    parser.add_argument("--tps", type=float, help="tokens per second (default 40)")
    parser.add_argument("--first-token-delay", type=float, help="seconds (default 0.3)")
    parser.add_argument("--record", action="store_true", help="serve /_sim/requests")
    try:
        parser.set_defaults(
            tps=env_float("PLAYGROUND_SIM_TOKENS_PER_SECOND", 40.0),
            first_token_delay=env_float("PLAYGROUND_SIM_FIRST_TOKEN_DELAY", 0.3),
            record=env_bool("PLAYGROUND_SIM_RECORD", False),
        )
    except EnvError as error:
        parser.error(str(error))
    args = parser.parse_args(argv)
    if not args.tps > 0 or args.first_token_delay < 0:
        parser.error("the tokens per second must be above 0 and the first-token delay at least 0")
    return args


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(argv)
    # Imported only to serve: importing daphne.server installs Twisted's reactor.
    from daphne.endpoints import build_endpoint_description_strings
    from daphne.server import Server

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    app = make_app(
        tokens_per_second=args.tps, first_token_delay=args.first_token_delay, record=args.record
    )
    endpoints = build_endpoint_description_strings(host=args.host, port=args.port)
    Server(application=app, endpoints=endpoints).run()


if __name__ == "__main__":
    main()
