"""`python -m serving [--service all|clip|vector|vlm|rag ...] [--host] [--port]`."""

from __future__ import annotations

import argparse

import uvicorn

from .app import SERVICES, create_app


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="serving", description="Run the FastAPI services.")
    parser.add_argument("--service", nargs="+", default=["all"], choices=["all", *SERVICES])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    args = parser.parse_args(argv)
    services = list(SERVICES) if "all" in args.service else args.service
    print(
        f"serving {', '.join(services)} on http://{args.host}:{args.port} (docs: /docs)", flush=True
    )
    uvicorn.run(create_app(services), host=args.host, port=args.port, log_level="info")


if __name__ == "__main__":
    main()
