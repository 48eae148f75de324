"""How long the main pages take to render, on the demo data of `./dev up` (SQLite).

    .venv/bin/python scripts/bench_pages.py [REQUESTS_PER_PAGE]

Prints, per page, the median and the 95th percentile of the time to answer a GET over
HTTP on 127.0.0.1 (signed in, one request at a time, after one warm-up request).
"""

from __future__ import annotations

import os
import re
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).parent))
from screenshots import serve

START = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def signed_in(base: str, email: str, password: str) -> httpx.Client:
    client = httpx.Client(base_url=base, timeout=30)
    page = client.get("/sign-in")
    token = re.search(r'name="sign_in_token" value="([^"]+)"', page.text)
    assert token is not None
    answer = client.post("/sign-in", data={"sign_in_token": token.group(1), "email": email,
                                            "password": password})  # fmt: skip
    assert answer.status_code in (200, 303), answer.status_code
    return client


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 50
    work = Path(tempfile.mkdtemp(prefix="refundkit-bench-"))
    os.environ["REFUNDKIT_EVIDENCE_DIR"] = str(work / "evidence")

    from refundkit.entrypoints.api.app import create_app
    from refundkit.entrypoints.bootstrap import build
    from refundkit.entrypoints.cli.demo import seed
    from refundkit.service import transactions

    runtime = build(url=f"sqlite:///{work / 'demo.sqlite3'}", sandbox=True, sandbox_start=START)
    data = seed(runtime.deps, "rk_bench", runtime.sandbox_clock)
    assert data is not None
    password = {a.user.email.split("@")[0]: a.password for a in data.accounts}
    base = serve(create_app(runtime.deps))
    damaged = data.orders["dispute_damaged"]
    case = transactions.run(runtime.deps, lambda uow: uow.disputes.for_order(damaged))[0].id
    pages = [
        ("ana", "/orders", "buyer: my orders"),
        ("ana", f"/orders/{data.orders['dispute_window_open']}", "buyer: an order"),
        ("ana", f"/orders/{data.orders['dispute_window_open']}/dispute/new", "buyer: open dispute"),
        ("dev", f"/disputes/{case}", "buyer: a dispute"),
        ("gadgets", "/seller", "seller: my work"),
        ("agent", "/agent", "agent: queue"),
        ("agent", f"/disputes/{case}", "agent: a case"),
        ("admin", "/dashboard", "operator: dashboard"),
    ]  # fmt: skip
    print(f"{'page':<24} {'median ms':>10} {'p95 ms':>8}   ({n} GETs each, SQLite, 1 client)")
    clients: dict[str, httpx.Client] = {}
    for who, path, label in pages:
        client = clients.get(who) or signed_in(base, f"{who}@demo.refundkit", password[who])
        clients[who] = client
        assert client.get(path).status_code == 200
        times = []
        for _ in range(n):
            began = time.perf_counter()
            answer = client.get(path)
            times.append((time.perf_counter() - began) * 1000)
            assert answer.status_code == 200
        times.sort()
        p95 = times[max(0, int(len(times) * 0.95) - 1)]
        print(f"{label:<24} {statistics.median(times):>10.1f} {p95:>8.1f}")
    runtime.close()


if __name__ == "__main__":
    main()
