"""Regenerate docs/screenshots/: the main pages, on the demo data of `./dev up`, in Debian's
Chromium at phone (375 px) and desktop (1280 px) width.

    .venv/bin/python scripts/screenshots.py [OUTPUT_DIR]

It serves a fresh sandbox database (a temporary SQLite file) seeded exactly as
`refundkit serve --sandbox --demo` seeds it, with the sandbox clock started on a fixed day so
the pictures do not change from one run to the next.
"""

from __future__ import annotations

import os
import socket
import sys
import tempfile
import threading
from datetime import UTC, datetime
from pathlib import Path

import uvicorn
from playwright.sync_api import Page, sync_playwright

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]  # fmt: skip
PHONE, DESKTOP = {"width": 375, "height": 812}, {"width": 1280, "height": 900}
START = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def serve(app: object) -> str:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    started = threading.Event()
    original = server.startup

    async def startup(sockets: list[socket.socket] | None = None) -> None:
        await original(sockets)
        started.set()

    server.startup = startup  # type: ignore[method-assign]
    threading.Thread(target=server.run, daemon=True).start()
    if not started.wait(30):
        raise SystemExit("the server did not start")
    return f"http://127.0.0.1:{port}"


def main() -> None:
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "docs" / "screenshots"
    out.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="refundkit-shots-"))
    os.environ["REFUNDKIT_EVIDENCE_DIR"] = str(work / "evidence")

    from refundkit.entrypoints.api.app import create_app
    from refundkit.entrypoints.bootstrap import build
    from refundkit.entrypoints.cli.demo import TRY, seed
    from refundkit.entrypoints.cli.demo_images import sample_photo
    from refundkit.service import transactions

    runtime = build(url=f"sqlite:///{work / 'demo.sqlite3'}", sandbox=True, sandbox_start=START)
    data = seed(runtime.deps, "rk_screenshots", runtime.sandbox_clock)
    assert data is not None
    logins = [{"name": a.user.name, "role": a.user.role.value, "email": a.user.email,
               "password": a.password, "try": TRY.get(a.user.email, "")}
              for a in data.accounts]  # fmt: skip
    password = {a.user.email: a.password for a in data.accounts}
    base = serve(create_app(runtime.deps, demo_logins=logins))

    def dispute_of(label: str) -> str:
        order_id = data.orders[label]
        found = transactions.run(runtime.deps, lambda uow: uow.disputes.for_order(order_id))
        return f"/disputes/{found[-1].id}"

    photo = work / "cracked-shade.png"
    photo.write_bytes(sample_photo())
    shots = [
        ("sign-in", None, "/sign-in", (DESKTOP,)),
        ("buyer-orders", "ana", "/orders", (PHONE, DESKTOP)),
        ("buyer-order", "ana", f"/orders/{data.orders['dispute_window_open']}", (PHONE, DESKTOP)),
        ("open-dispute", "ana", f"/orders/{data.orders['dispute_window_open']}/dispute/new",
         (PHONE, DESKTOP)),
        ("dispute-thread", "ben", dispute_of("dispute_negotiating"), (PHONE, DESKTOP)),
        ("buyer-refund", "ben", f"/orders/{data.orders['dispute_agent_decided']}", (PHONE,)),
        ("seller-queue", "gadgets", "/seller", (DESKTOP, PHONE)),
        ("agent-queue", "agent", "/agent", (DESKTOP,)),
        ("agent-case", "agent", dispute_of("dispute_damaged"), (DESKTOP,)),
        ("dashboard", "admin", "/dashboard", (DESKTOP, PHONE)),
        ("messages", "ben", "/messages", (PHONE,)),
    ]  # fmt: skip
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        for name, who, path, sizes in shots:
            for size in sizes:
                context = browser.new_context(viewport=size, base_url=base)
                page = context.new_page()
                if who is not None:
                    sign_in(page, f"{who}@demo.refundkit", password[f"{who}@demo.refundkit"])
                page.goto(path)
                if name == "open-dispute":
                    fill_dispute(page, str(photo))
                width = "phone" if size is PHONE else "desktop"
                target = out / f"{name}-{width}.png"
                page.screenshot(path=str(target), full_page=True)
                print(target.relative_to(ROOT) if target.is_relative_to(ROOT) else target)
                context.close()
        browser.close()
    runtime.close()


def sign_in(page: Page, email: str, password: str) -> None:
    page.goto("/sign-in")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(lambda url: "/sign-in" not in url)


def fill_dispute(page: Page, photo: str) -> None:
    page.get_by_label("What went wrong").select_option("damaged")
    page.get_by_label("Yes, I received it").check()
    page.get_by_label("Describe the problem").fill("The shade arrived cracked; photo attached.")
    page.get_by_label("Photos, video or documents").set_input_files(photo)
    page.locator("#evidence-preview img").wait_for()


if __name__ == "__main__":
    main()
