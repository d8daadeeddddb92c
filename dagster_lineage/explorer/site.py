"""``dagster-lineage docs -o DIR``: the explorer as a static site that can be hosted anywhere.

The site is the page of ``serve`` plus the answers its API would give, written as script files so
that it also opens from ``file://`` (browsers refuse ``fetch`` there)::

    DIR/index.html, DIR/config.js, DIR/static/...   the page and its vendored JavaScript and CSS
    DIR/data/index.js                                 every asset (Explorer.index), with an id
    DIR/data/a/<id>.js                                one asset with its columns (their sources by
                                                      kind) and, per column, its direct consumers

The page traces a column by walking those files one hop at a time (each is loaded when first
needed), so the site stays small and opens fast at thousands of models; the hops are the ones
:meth:`~dagster_lineage.explorer.api.Explorer.column_lineage` returns. Impact simulation needs the
analysis engine, so the static page shows the equivalent ``dagster-lineage impact`` command.

Examples:
    >>> import tempfile, pathlib
    >>> from dagster_lineage.core.graph import LineageGraph
    >>> from dagster_lineage.core.model import AssetLineage
    >>> from dagster_lineage.explorer.api import Explorer
    >>> out = pathlib.Path(tempfile.mkdtemp())
    >>> write_site(Explorer(LineageGraph.from_records([AssetLineage(key=("a",))])), out)["assets"]
    1
    >>> sorted(p.name for p in (out / "data").iterdir())
    ['a', 'index.js']
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from dagster_lineage.core.model import key_to_str
from dagster_lineage.explorer.api import Explorer
from dagster_lineage.explorer.server import static_files


def _script(name: str, payload: Any) -> str:
    text = json.dumps(payload, separators=(",", ":")).replace("</", "<\\/")
    return f"window.__lineageData({json.dumps(name)},{text});\n"


def write_site(explorer: Explorer, out: str | Path) -> dict[str, int]:
    """Write the static explorer into ``out`` (created; an earlier site there is replaced).

    Returns counts: ``assets`` and ``files`` written.
    """
    out = Path(out)
    data = out / "data"
    if data.exists():
        shutil.rmtree(data)
    (data / "a").mkdir(parents=True, exist_ok=True)
    files = 0
    for name, content in static_files().items():
        target = out / ("index.html" if name == "index.html" else f"static/{name}")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content)
        files += 1
    config = {"mode": "static", "title": explorer.title}
    (out / "config.js").write_text(f"window.LINEAGE_CONFIG = {json.dumps(config)};\n")
    index = explorer.index()
    for i, a in enumerate(index["assets"]):
        a["id"] = i
    (data / "index.js").write_text(_script("index", index))
    files += 2
    if explorer.diff is not None:
        (data / "diff.js").write_text(_script("diff", explorer.diff))
        files += 1
    graph = explorer.graph
    for i, key in enumerate(graph.keys):
        assert key_to_str(key) == index["assets"][i]["key"]
        payload = {"detail": explorer.detail(key), "consumers": explorer.consumers(key)}
        (data / "a" / f"{i}.js").write_text(_script(f"a/{i}", payload))
        files += 1
    return {"assets": len(index["assets"]), "files": files}
