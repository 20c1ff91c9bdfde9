"""Command line: ``tg-core demo``, ``tg-core local start|stop|status``, ``tg-core report``."""

from __future__ import annotations

import argparse
import sys
import warnings
from collections.abc import Sequence

from .errors import TgCoreError


def _cmd_demo(args: argparse.Namespace) -> int:
    from .demo import DemoConfig, main_demo

    cfg = DemoConfig(
        engine=args.engine,
        train_size=args.train_size,
        val_size=args.val_size,
        steps=args.steps,
        batch_size=args.batch_size,
        max_tokens=args.max_tokens,
        seed=args.seed,
        data_dir=args.data_dir,
        run_dir=args.run_dir,
        progress=False if args.quiet else None,
    )
    return main_demo(cfg)


def _cmd_report(args: argparse.Namespace) -> int:
    from .report import write_report

    print(write_report(args.run_dir))
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The ``tg-core`` argument parser.

    Example:
        >>> build_parser().parse_args(["demo", "--steps", "1"]).steps
        1
    """
    from .demo import DemoConfig
    from .local.cli import add_local_subparser

    defaults = DemoConfig()
    parser = argparse.ArgumentParser(prog="tg-core", description="Textual autograd tools.")
    sub = parser.add_subparsers(dest="command", required=True)
    demo = sub.add_parser("demo", help="run the main job on the local model (no API key)")
    demo.add_argument("--engine", default=defaults.engine, help="engine name (default: local)")
    demo.add_argument("--train-size", type=int, default=defaults.train_size)
    demo.add_argument("--val-size", type=int, default=defaults.val_size)
    demo.add_argument("--steps", type=int, default=defaults.steps)
    demo.add_argument("--batch-size", type=int, default=defaults.batch_size)
    demo.add_argument("--max-tokens", type=int, default=defaults.max_tokens)
    demo.add_argument("--seed", type=int, default=defaults.seed)
    demo.add_argument("--data-dir", default=None, help="folder with bbh/object_counting.json")
    demo.add_argument(
        "--run-dir", default="runs/demo", help="checkpoints and report (default runs/demo)"
    )
    demo.add_argument("--quiet", action="store_true", help="no progress line")
    demo.set_defaults(func=_cmd_demo)
    report = sub.add_parser("report", help="re-render the report of a run folder")
    report.add_argument("run_dir")
    report.set_defaults(func=_cmd_report)
    add_local_subparser(sub)
    return parser


def _show_warning(
    message: Warning | str, category: type[Warning], *rest: object, **kw: object
) -> None:
    print(f"warning: {message}", file=sys.stderr)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``tg-core`` console script and ``python -m tg_core``."""
    args = build_parser().parse_args(argv)
    warnings.showwarning = _show_warning
    try:
        return int(args.func(args))
    except TgCoreError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted; finished steps are kept in the run folder", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
