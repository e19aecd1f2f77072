"""`paperbot fetch` as a user runs it: a subprocess against loopback servers."""

from __future__ import annotations

import asyncio
import json
import os
import sys

from aiohttp import web

from tests.bot.sources.conftest import SEED, load


async def serve(app: web.Application) -> tuple[web.AppRunner, str]:
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    return runner, f"http://127.0.0.1:{port}"


async def paperbot(tmp_path, *args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    full_env = {**os.environ, "PAPERBOT_DB": str(tmp_path / "fetch.db"), **(env or {})}
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot.cli", *args, env=full_env, cwd=tmp_path,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), 60)
    return proc.returncode or 0, out.decode(), err.decode()


async def test_fetch_from_a_markdown_url_and_the_hf_api_stores_the_papers(tmp_path):
    items = load("daily_papers_2024-06-28.json")
    seen: list[str] = []

    async def daily_papers(request: web.Request) -> web.Response:
        seen.append(request.query_string)
        if request.query.get("p", "0") != "0":
            return web.json_response([])
        if request.query.get("date") == "2024-06-28":
            return web.json_response(items)
        return web.json_response({"error": "Invalid date"}, status=400)

    async def markdown(request: web.Request) -> web.Response:
        if request.match_info["day"] != "2024-06-28":
            raise web.HTTPNotFound()
        return web.Response(text=SEED.read_text(encoding="utf-8"), content_type="text/markdown")

    app = web.Application()
    app.router.add_get("/api/daily_papers", daily_papers)
    app.router.add_get("/digests/daily-papers-{day}.md", markdown)
    runner, base = await serve(app)
    try:
        code, out, err = await paperbot(tmp_path, "fetch", "--date", "2024-06-28",
                                        "--source", base + "/digests/daily-papers-{date}.md")
        assert code == 0, err
        assert "2024-06-28: 9 added, 0 updated, 0 unchanged" in out

        code, out, err = await paperbot(tmp_path, "fetch", "--date", "2024-06-28", "--json",
                                        env={"PAPERBOT_HF_API": base + "/api", "PAPERBOT_SOURCES": "hf"})
        assert code == 0, err
        (entry,) = json.loads(out)
        assert entry["status"] == "ingested" and entry["date"] == "2024-06-28"
        assert entry["added"] + entry["updated"] + entry["unchanged"] == len(items)
        assert any("date=2024-06-28" in q for q in seen)

        code, out, err = await paperbot(tmp_path, "digest", "--date", "2024-06-28", "--json")
        assert code == 0
        stored = json.loads(out)
        assert {"2406.18629"} <= {p["arxiv_id"] for p in stored["papers"]}

        # a failing source (400) exits 1 with the URL and keeps what was stored
        code, out, err = await paperbot(tmp_path, "fetch", "--date", "2024-06-30",
                                        env={"PAPERBOT_HF_API": base + "/api", "PAPERBOT_SOURCES": "hf"})
        assert code == 1
        assert "failed" in out and "/api/daily_papers" in out
        code, out, _ = await paperbot(tmp_path, "digest", "--date", "2024-06-28", "--json")
        assert json.loads(out)["papers"] == stored["papers"]
    finally:
        await runner.cleanup()
