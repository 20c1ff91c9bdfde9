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
        task=args.task,
        val_size=args.val_size,
        test_size=args.test_size,
        steps=args.steps,
        batch_size=args.batch_size,
        num_candidates=args.num_candidates,
        val_sample=args.val_sample,
        max_tokens=args.max_tokens,
        seed=args.seed,
        data_dir=args.data_dir,
        run_dir=args.run_dir,
        fresh=args.fresh,
        progress=False if args.quiet else None,
        skip_shirts=args.skip_shirts,
        direct=args.direct,
    )
    return main_demo(cfg)


def _cmd_report(args: argparse.Namespace) -> int:
    from .report import write_report

    print(write_report(args.run_dir))
    return 0


class _DefaultsHelp(argparse.ArgumentDefaultsHelpFormatter):
    """Shows each option's default, except where the help text already says what happens."""

    def _get_help_string(self, action: argparse.Action) -> str | None:
        if action.default is None:
            return action.help
        return super()._get_help_string(action)


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
    demo = sub.add_parser(
        "demo",
        help="run the main job on the local model (no API key)",
        description=(
            "TextGrad's shirts example, then a searching optimization of a system prompt on a "
            "BIG-Bench Hard task on the embedded local model, with held-out test accuracy "
            "before and after. A finished run in --run-dir is shown, not rerun (--fresh)."
        ),
        formatter_class=_DefaultsHelp,
    )
    demo.add_argument(
        "--engine",
        default=defaults.engine,
        help="engine name: local (the embedded model, or the GGUF named by TG_CORE_LOCAL_MODEL), "
        "or any get_engine name such as openai/gpt-4o-mini",
    )
    demo.add_argument("--task", default=defaults.task, help="BIG-Bench Hard task name")
    demo.add_argument(
        "--val-size", type=int, default=defaults.val_size, help="validation questions"
    )
    demo.add_argument(
        "--test-size", type=int, default=defaults.test_size, help="held-out test questions"
    )
    demo.add_argument("--steps", type=int, default=defaults.steps, help="optimization steps")
    demo.add_argument(
        "--batch-size", type=int, default=defaults.batch_size, help="training questions per step"
    )
    demo.add_argument(
        "--num-candidates", type=int, default=defaults.num_candidates, help="candidates per step"
    )
    demo.add_argument(
        "--val-sample",
        type=int,
        default=defaults.val_sample,
        help="validation questions a candidate must pass first",
    )
    demo.add_argument(
        "--max-tokens", type=int, default=defaults.max_tokens, help="answer length cap"
    )
    demo.add_argument(
        "--seed", type=int, default=defaults.seed, help="seeds batch order and search"
    )
    demo.add_argument(
        "--data-dir",
        default=None,
        help="folder holding bbh/<task>.json (default: none; the file is downloaded once into "
        "~/.cache/tg_core/data)",
    )
    demo.add_argument("--run-dir", default="runs/demo", help="checkpoints and report")
    demo.add_argument(
        "--fresh", action="store_true", help="start over even if --run-dir holds a run"
    )
    demo.add_argument("--skip-shirts", action="store_true", help="skip the shirts example")
    demo.add_argument(
        "--direct",
        action="store_true",
        help="seed prompt asks for the answer line alone instead of step-by-step reasoning",
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
