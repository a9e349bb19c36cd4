"""`python -m serving [--service all|clip|vector|vlm|rag ...] [--host] [--port]`."""

from __future__ import annotations

import argparse

import torch
import uvicorn

from fashion_assets.settings import Settings

from .app import SERVICES, create_app


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="serving", description="Run the FastAPI services.")
    parser.add_argument("--service", nargs="+", default=["all"], choices=["all", *SERVICES])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    args = parser.parse_args(argv)
    services = list(SERVICES) if "all" in args.service else args.service
    settings = Settings()
    # The service runs requests side by side, not one pass on many threads: every request
    # thread that runs a pass would otherwise bring its own OpenMP team, whose threads spin
    # between requests (one client here: 6.5 ms of CPU per /search with two threads, 2.0 with one).
    torch.set_num_threads(settings.fashion_serving_threads)
    print(
        f"serving {', '.join(services)} on http://{args.host}:{args.port} (docs: /docs)", flush=True
    )
    # No access log by default (as gunicorn): a line per request is CPU on the request path
    # (bench/search_api.py); the proxy in front of the service usually keeps that log.
    uvicorn.run(create_app(services, settings), host=args.host, port=args.port, log_level="info",
                access_log=settings.fashion_serving_access_log)  # fmt: skip


if __name__ == "__main__":
    main()
