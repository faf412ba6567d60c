"""The benchmark harness must keep working: a tiny run of it, no thresholds (benchmarks/README.md)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks import load, plugin_cpu, report, scale, servers  # noqa: E402

WRK_OUTPUT = """Running 3s test @ http://127.0.0.1:8787
  1 threads and 8 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     1.62ms  410.00us   9.80ms   90.00%
    Req/Sec     4.90k   300.00     5.20k    80.00%
  Latency Distribution
     50%  512.00us
     75%    1.70ms
     90%    2.10ms
     99%    1.20s
  14700 requests in 3.00s, 2.10MB read
  Non-2xx or 3xx responses: 3
Requests/sec:   4899.50
Transfer/sec:    700.00KB
"""


def _run_harness(tmp_path: Path, sections: str) -> dict:
    done = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "run.py"), "--smoke", "--no-record",
                           "--out", str(tmp_path), "--label", "smoke", "--sections", sections],
                          cwd=ROOT, capture_output=True, text=True, timeout=240)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
    assert (tmp_path / "smoke.md").read_text().startswith("Run: ")
    return json.loads((tmp_path / "smoke.json").read_text())


def test_wrk_output_is_parsed_with_units() -> None:
    figures = load.parse_wrk(WRK_OUTPUT)
    assert figures == {"rps": 4899.5, "p50_ms": 0.512, "p99_ms": 1200.0, "requests": 14700, "non_2xx": 3,
                       "socket_errors": 0}


def test_downgraded_document_is_valid_openapi_30() -> None:
    from openapi_spec_validator import validate

    from mock_server import create_app

    document = servers.downgrade_to_30(create_app().state.openapi)
    assert document["openapi"] == "3.0.3"
    assert '"type": "null"' not in json.dumps(document)
    validate(document)


@pytest.mark.slow  # the scale benchmark, small
def test_scale_and_report_in_process() -> None:
    results = scale.run_scale((5, 20), samples=5, memory_n=50, log=lambda *_: None)
    assert set(results["sizes"]) == {"5", "20"}
    assert results["memory"]["bytes_per_conversation"] > 0
    machine = {"date": "today", "nproc": 2, "cpu": "cpu", "memory_gib": 1, "python": "3", "kernel": "k",
               "packages": {}, "wrk": "absent", "node": "absent", "prism": "absent"}
    text = report.markdown({"command": "test", "machine": machine, "settings": {}, "scale": results})
    assert "| get character |" in text and "per 100,000 conversations" in text


@pytest.mark.slow  # the benchmark harness in a subprocess
def test_harness_command_runs_startup_pytest_and_scale(tmp_path: Path) -> None:
    results = _run_harness(tmp_path, "startup,pytest,scale")
    assert results["startup"]["cli"]["median_s"] > 0
    assert results["startup"]["in_process"]["create_app_plus_first_request_s"] > 0
    assert results["pytest"]["reset_with_key_s"] > 0
    cpu = results["pytest_cpu"]["results"]["this"]
    assert cpu["fixtures"]["equos_api_key"]["process"] > 0
    assert cpu["in_process"]["fresh organization (first request, difference)"] is not None
    assert results["scale"]["sizes"]["100"]["get_character"]["median_us"] > 0


@pytest.mark.slow  # a load run
@pytest.mark.skipif(shutil.which("wrk") is None, reason="wrk is not installed")
def test_harness_command_runs_load(tmp_path: Path) -> None:
    results = _run_harness(tmp_path, "load")
    cell = results["load"]["mock"]["GET /v3/characters/{id}"]["1"]
    assert cell["rps"] > 0 and cell["non_2xx"] == 0
    assert results["load"]["starlette"]["GET /v3/health"]["1"]["rps"] > 0


@pytest.mark.slow  # the fleet benchmark in a subprocess
def test_the_fleet_benchmark_runs(tmp_path: Path) -> None:
    """benchmarks/fleet.py with tiny sizes: every section produces its figures (no thresholds here)."""
    done = subprocess.run([sys.executable, "-m", "benchmarks.fleet", "--smoke", "--out", str(tmp_path)],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
    figures = json.loads((tmp_path / "fleet.json").read_text())
    assert figures["memory"]["runs"]["at"]["40"]["organizations"] == 0  # every run deleted its organization
    assert set(figures["control"]["calls"]) >= {"GET /_mock/organizations", "DELETE /_mock/organizations?key"}
    assert figures["datadir"]["write_ratio"] > 0
    assert (tmp_path / "fleet.md").read_text().startswith("Run: ")


@pytest.mark.slow
def test_the_inspector_render_benchmark_runs(tmp_path: Path) -> None:
    """benchmarks/inspector_render.py with tiny sizes: both views draw, figures are written (no thresholds)."""
    sys.path.insert(0, str(ROOT / "tests"))
    from chromium import missing_reason

    if missing_reason():
        pytest.skip(missing_reason())
    done = subprocess.run([sys.executable, "-m", "benchmarks.inspector_render", "--smoke", "--out", str(tmp_path)],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
    figures = json.loads((tmp_path / "inspector_render.json").read_text())
    assert figures["filled"]["conversations"] == 20 and figures["filled"]["journal_entries"] >= 200
    assert all(figures["render_ms"][view]["median"] > 0 for view in ("conversations", "journal"))


def test_suite_time_estimates_from_cpu_and_deals_longest_first() -> None:
    from benchmarks import suite_time

    assert suite_time._deal([5, 4, 3, 3, 3], 2) == [8.0, 10.0]
    records = [{"test": "a", "cpu": 2.0, "children_cpu": 1.0, "wall": 3.5},  # waited 0.5 s: counted
               {"test": "b", "cpu": 1.0, "children_cpu": 0.0, "wall": 9.0},  # wall from a loaded machine: not
               {"test": "c", "cpu": 1.0, "children_cpu": 0.0, "wall": 1.0}]
    summary = suite_time.estimate(records, [4.0, 5.0], workers=2)
    assert summary == {"tests": 3, "test_cpu_s": 5.0, "waiting_s": 0.5, "worker_startup_cpu_s": [4.0, 5.0],
                       "idle_wall_estimate_s": 8.5}


@pytest.mark.slow
def test_the_room_benchmark_runs(tmp_path: Path) -> None:
    """benchmarks/room.py, smoke sized: joins reach a first frame, rooms and idle are measured (no thresholds)."""
    sys.path.insert(0, str(ROOT / "tests"))
    from chromium import missing_reason

    if missing_reason():
        pytest.skip(missing_reason())
    if not (ROOT / "examples" / "frontend" / "node_modules" / "livekit-client").exists():
        pytest.skip("examples/frontend has no node_modules: run `npm ci` there (.ci/run does)")
    done = subprocess.run([sys.executable, "-m", "benchmarks.room", "--smoke", "--out", str(tmp_path)],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
    figures = json.loads((tmp_path / "room.json").read_text())
    assert figures["join"]["joins"] == 1 and 0 < figures["join"]["median_s"] < 20
    assert set(figures["rooms"]) == {"no_room", "1"} and figures["rooms"]["1"]["rss_mib"] > 0
    assert set(figures["idle"]) == {"room", "no_room"}
    assert (tmp_path / "room.md").read_text().startswith("Run: ")


def test_the_layers_benchmark_runs(tmp_path: Path) -> None:
    """benchmarks/layers.py, a few calls: every workload and every part of the pipeline is timed (it once
    crashed unseen when the pipeline's guards became a list)."""
    from benchmarks import layers

    assert layers.main(["--calls", "5", "--label", "smoke", "--out", str(tmp_path)]) == 0
    figures = json.loads((tmp_path / "smoke.json").read_text())
    assert set(figures) == set(layers.WORKLOADS)
    for workload in figures.values():
        assert workload["full_us"] > 0 and workload["bare_starlette_us"] > 0
        assert set(workload["pipeline_parts_us"]) == {
            "host check", "headers read once (credentials kept)", "CORS decision", "fault lookup (no rules)",
            "journal entry"}
        assert all(us > 0 for us in workload["pipeline_parts_us"].values())


def test_the_cpu_benchmark_runs(tmp_path: Path) -> None:
    """benchmarks/cpu.py, a few calls: every workload is timed, with the undo log on and off."""
    from benchmarks import cpu

    assert cpu.main(["--calls", "3", "--rounds", "1", "--processes", "1", "--undo-off", "--out", str(tmp_path)]) == 0
    figures = json.loads((tmp_path / "cpu.json").read_text())
    assert set(figures) == {"this", "this, undo log off"}
    for variant in figures.values():
        assert set(variant) == set(cpu.WORKLOADS)
        assert all(variant[w] > 0 for w in cpu.WORKLOADS if w != "fresh organization")


@pytest.mark.slow  # three servers, one live room, six short wrk runs
@pytest.mark.skipif(shutil.which("wrk") is None, reason="wrk is not installed")
def test_the_room_rest_benchmark_runs(tmp_path: Path) -> None:
    """benchmarks/room_rest.py, one round: REST against room on (none live), --no-room and one live room."""
    done = subprocess.run([sys.executable, "-m", "benchmarks.room_rest", "--rounds", "1", "--duration", "1",
                           "--idle", "0.5", "--out", str(tmp_path)], cwd=ROOT, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
    figures = json.loads((tmp_path / "room_rest.json").read_text())
    assert figures["live_rooms_at_end"] == 1
    for by_variant in figures["workloads"].values():
        assert set(by_variant) == {"room on, none live", "--no-room", "room on, one live"}
        assert all(cell["rps"] > 0 and cell["cpu_us_per_request"] > 0 for cell in by_variant.values())


@pytest.mark.slow  # two servers and two short wrk runs
@pytest.mark.skipif(shutil.which("wrk") is None, reason="wrk is not installed")
def test_the_checkouts_benchmark_runs(tmp_path: Path) -> None:
    """benchmarks/checkouts.py against this same checkout as the other: one cell, both figures."""
    done = subprocess.run([sys.executable, "-m", "benchmarks.checkouts", "--other", str(ROOT), "--connections", "1",
                           "--rounds", "1", "--workloads", "GET /v3/characters/{id}", "--out", str(tmp_path)],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
    (cell,) = json.loads((tmp_path / "checkouts.json").read_text())["cells"]
    assert cell["workload"] == "GET /v3/characters/{id}" and cell["rps"]["this"] > 0 and cell["rps"]["other"] > 0
    assert cell["cpu_us_per_request"]["this"] > 0 and cell["cpu_us_per_request"]["other"] > 0


@pytest.mark.slow  # two child processes, each a child pytest with the plugin
def test_plugin_cpu_against_another_checkout() -> None:
    """The CPU figures of the plugin, this checkout against another (itself here), in one tiny run."""
    result = plugin_cpu.run([str(ROOT)], 2, 1, 1, 5)
    assert list(result["results"]) == ["this", ROOT.name]
    for figures in result["results"].values():
        assert figures["fixtures"]["mock_server"].startswith(str(ROOT))
        assert set(plugin_cpu.KINDS) <= set(figures["fixtures"])
        # Two control requests at teardown at the least, on both threads: never nothing.
        assert figures["fixtures"]["equos_api_key"]["test thread"] > 0
        assert figures["fixtures"]["equos_api_key"]["server thread"] > 0
        assert figures["in_process"]["reset with a key (POST /_mock/reset)"] > 0
    text = plugin_cpu.markdown(result)
    assert "| equos_api_key | " in text and f"this/{ROOT.name}" in text


def test_plugin_cpu_says_what_an_old_checkout_lacks() -> None:
    def figures(kinds: tuple[str, ...], store: float | None) -> dict:
        one = {"process": 100.0, "test thread": 60.0, "server thread": 40.0, "probe units": 0.2, "steady": 90.0}
        figures = {**{w: 10.0 for w in plugin_cpu.IN_PROCESS}, plugin_cpu.IN_PROCESS[1]: store}
        return {"fixtures": {"bare test": 500.0, "probe": 450.0, **{k: one for k in kinds}},
                "in_process": {**figures, "steady": figures, "probe": 300.0,
                               "notes": {"store": "no organization_for_key in this checkout"}}}

    old = tuple(k for k in plugin_cpu.KINDS if k != "equos_default_client")
    text = plugin_cpu.markdown({"results": {"this": figures(plugin_cpu.KINDS, 10.0), "old": figures(old, None)}})
    assert "| equos_default_client | 90.0 | absent | - |" in text  # steady
    assert "| equos_default_client | 100.0 | absent | - |" in text  # raw
    assert "old: no fixture equos_default_client in that checkout" in text
    assert "old: the store part could not run: no organization_for_key in this checkout" in text
