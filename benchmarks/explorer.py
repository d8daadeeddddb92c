"""Time to interactive of the lineage explorer on the generated project, in a real browser.

Loads the benchmark code location (``defs_ours``: ``dbt_lineage_assets`` over the generated
2,000-model project, lineage cache warm after the first load), serves it with
``dagster_lineage.explorer`` on a free loopback port, and drives Debian's chromium with Playwright:

- time to interactive: navigation start to the first drawn, clickable graph (``__lineageReady``);
- column trace: a click on a column to its highlighted paths;
- expand: a click on a node's ``+N`` to the redrawn graph.

Usage (the project comes from ``benchmarks/run.py --only prep``)::

    flock /tmp/bench.lock .venv/bin/python benchmarks/explorer.py [--project benchmarks/out/bench_2000]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE))

ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--project", type=Path, default=HERE / "out" / "bench_2000")
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--out", type=Path, default=HERE / "out" / "explorer.json")
    cfg = parser.parse_args()
    os.environ["BENCH_MANIFEST"] = str(cfg.project / "target" / "manifest.json")
    os.environ["BENCH_PROJECT"] = str(cfg.project)
    os.environ.setdefault("BENCH_CACHE_DIR", str(HERE / "out" / "lineage_cache_explorer"))
    os.environ["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"

    from playwright.sync_api import sync_playwright

    from dagster_lineage.cli.serve import explorer_from_definitions
    from dagster_lineage.explorer.server import make_server

    t0 = time.perf_counter()
    import defs_ours

    explorer = explorer_from_definitions(defs_ours.defs)
    load_s = time.perf_counter() - t0
    server = make_server(explorer, port=0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/"
    tti, trace, expand = [], [], []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        for _ in range(cfg.reps):
            ctx = browser.new_context(viewport={"width": 1500, "height": 850})
            page = ctx.new_page()
            page.goto(url)
            page.wait_for_selector("body[data-ready='1']", timeout=60_000)
            tti.append(page.evaluate("window.__lineageReady"))
            nodes = page.eval_on_selector_all(".node", "els => els.length")
            # trace the first column of the opened asset
            col = page.eval_on_selector("#asset-panel tr[data-column]", "e => e.dataset.column")
            t = time.perf_counter()
            page.click(f"#asset-panel tr[data-column='{col}']")
            page.wait_for_selector(".col.hl-root", timeout=60_000)
            trace.append((time.perf_counter() - t) * 1000)
            # expand a node's hidden neighbours
            before = page.eval_on_selector_all(".node", "els => els.length")
            t = time.perf_counter()
            page.eval_on_selector(
                ".node .expand", "e => e.dispatchEvent(new MouseEvent('click', {bubbles: true}))"
            )
            page.wait_for_function(
                f"document.querySelectorAll('.node').length > {before}", timeout=60_000
            )
            expand.append((time.perf_counter() - t) * 1000)
            ctx.close()
        browser.close()
    server.shutdown()
    result = {
        "assets": len(explorer.graph),
        "load_code_location_s": round(load_s, 1),
        "nodes_on_open": nodes,
        "tti_ms_median": round(statistics.median(tti)),
        "tti_ms": [round(x) for x in tti],
        "column_trace_ms_median": round(statistics.median(trace)),
        "expand_ms_median": round(statistics.median(expand)),
        "load_average": os.getloadavg(),
    }
    cfg.out.parent.mkdir(parents=True, exist_ok=True)
    cfg.out.write_text(json.dumps(result, indent=2))
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
