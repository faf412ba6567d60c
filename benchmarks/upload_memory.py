"""RSS of a served mock while a 99 MiB document is PUT to its signed upload URL.

Issue 12: the upload was buffered whole to measure its length (peak RSS 256 MB). Streamed, the peak
should stay near the idle RSS. Runs ``equos-mock serve`` in its own process on 127.0.0.1, reads its
VmRSS and VmHWM (peak) from /proc, and writes benchmarks/results/upload_memory.json.

    python benchmarks/upload_memory.py [--mib 99]
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
RESULT = ROOT / "benchmarks" / "results" / "upload_memory.json"
MIB = 1024 * 1024


def _status_kib(pid: int, field: str) -> int:
    text = Path(f"/proc/{pid}/status").read_text()
    match = re.search(rf"^{field}:\s+(\d+) kB", text, re.M)
    assert match, field
    return int(match.group(1))


def _body(mib: int) -> Iterator[bytes]:
    chunk = b"x" * MIB
    for _ in range(mib):
        yield chunk


def measure(mib: int) -> dict[str, float]:
    process = subprocess.Popen([sys.executable, "-m", "mock_server", "serve", "--host", "127.0.0.1", "--port", "0"],
                               cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        url = re.search(r"at (http://127\.0\.0\.1:\d+)", process.stdout.readline())
        assert url, "no banner"
        headers = {"x-api-key": "sk_bench_upload"}
        with httpx.Client(base_url=url.group(1), headers=headers, timeout=120) as client:
            kb = client.post("/v3/knowledge-bases", json={"name": "kb", "description": "d"}).json()
            doc = client.post(f"/v3/knowledge-bases/{kb['id']}/documents",
                              json={"name": "big", "description": "d", "mimeType": "application/octet-stream"}).json()
            for _ in range(50):  # warm up the request path, so the peak below is the upload's own
                client.get("/v3/knowledge-bases")
            time.sleep(0.2)
            before_rss = _status_kib(process.pid, "VmRSS")
            before_peak = _status_kib(process.pid, "VmHWM")
            started = time.perf_counter()
            reply = httpx.put(doc["uploadUrl"], content=_body(mib), timeout=120)
            seconds = time.perf_counter() - started
            assert reply.status_code == 200 and reply.json()["size"] == mib * MIB, reply.text
            after_peak = _status_kib(process.pid, "VmHWM")
            after_rss = _status_kib(process.pid, "VmRSS")
    finally:
        process.terminate()
        process.wait(timeout=10)
    return {"body_mib": mib, "rss_before_mib": round(before_rss / 1024, 1), "rss_after_mib": round(after_rss / 1024, 1),
            "peak_before_mib": round(before_peak / 1024, 1), "peak_after_mib": round(after_peak / 1024, 1),
            "peak_growth_mib": round((after_peak - before_peak) / 1024, 1), "seconds": round(seconds, 2)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mib", type=int, default=99)
    result = measure(parser.parse_args().mib)
    RESULT.write_text(json.dumps(result, indent=2) + "\n")
    print(f"upload of {result['body_mib']} MiB: peak RSS {result['peak_before_mib']} -> {result['peak_after_mib']} MiB "
          f"(+{result['peak_growth_mib']} MiB), RSS after {result['rss_after_mib']} MiB, {result['seconds']} s")


if __name__ == "__main__":
    main()
