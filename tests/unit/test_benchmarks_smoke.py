"""Smoke tests of the benchmark harness: helpers, charts, proxy, report and the CI gate."""

from __future__ import annotations

import json
import shutil
import sys
import urllib.request
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from tg_core.testing.openai_sim import SimServer

# benchmarks/ is not an installed package: import it from the checkout.
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from benchmarks import fig_step, run
from benchmarks.drivers import common
from benchmarks.proxy import CountingProxy
from benchmarks.report import write_report
from benchmarks.svg import bar_chart, line_chart

RESULTS = Path(fig_step.__file__).parent / "results"


def test_batches_get_disjoint_questions() -> None:
    specs = fig_step.batch_specs((1, 4, 8))
    spans = [set(range(s["start"], s["start"] + s["batch"])) for s in specs]
    assert sum(len(s) for s in spans) == len(set().union(*spans)) == 13


def test_charts_are_well_formed_svg(tmp_path: Path) -> None:
    bar_chart(tmp_path / "b.svg", "t", ["a", "b"], {"x": [1.0, 2.0], "y": [0.5, 0.0]}, "s")
    line_chart(tmp_path / "l.svg", "t", ["1", "8"], {"x": [1.0, 3.0]}, "s", dashed=["x"])
    for name in ("b.svg", "l.svg"):
        assert ET.parse(tmp_path / name).getroot().tag.endswith("svg")


def test_proxy_counts_requests_and_tokens() -> None:
    with SimServer(latency_s=0.0) as server:
        proxy = CountingProxy(server.base_url).start()
        try:
            body = json.dumps({"model": "m", "messages": [{"role": "user", "content": "2+2?"}]})
            request = urllib.request.Request(
                proxy.base_url + "/chat/completions",
                data=body.encode(),
                headers={"Content-Type": "application/json"},
            )
            with urllib.request.urlopen(request, timeout=10) as reply:
                assert json.loads(reply.read())["choices"]
            stats = common.sim_stats(proxy.base_url)
            assert stats["requests"] == 1 and stats["completion_tokens"] > 0
            common.sim_reset(proxy.base_url)
            assert common.sim_stats(proxy.base_url)["requests"] == 0
        finally:
            proxy.stop()


def test_gate_fails_below_three_times_at_batch_eight() -> None:
    step = {"rows": [{"batch": 8, "speedup": 2.5}]}
    assert run._gate({"step": step}) == 1
    step["rows"][0]["speedup"] = 3.5
    assert run._gate({"step": step}) == 0


@pytest.mark.skipif(not RESULTS.is_dir(), reason="no stored benchmark results")
def test_report_renders_from_stored_results(tmp_path: Path) -> None:
    shutil.copytree(RESULTS, tmp_path / "results")
    write_report(tmp_path / "RESULTS.md", tmp_path / "results", "python -m benchmarks.run")
    text = (tmp_path / "RESULTS.md").read_text()
    assert "## Targets" in text and "## 1. One optimization step" in text
    assert (tmp_path / "figures" / "step_wall_time.svg").exists()
