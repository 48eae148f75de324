"""One API process against two, on PostgreSQL (docs/operations.md "Beyond one database").

    .venv/bin/python scripts/scale_apis.py [POSTGRES_URL] [SECONDS] [CLIENTS]

Makes a scratch database, starts ``refundkit serve --no-worker`` once with one process and
once with two (each on its own port; clients spread over them), and drives CLIENTS threads
for SECONDS each: every request a new order (POST /v1/orders, one transaction with its
events and timers) or a read of one (GET /v1/orders/{id}), half and half. Prints requests
per second and p50/p99 for each set-up. Figures depend on the machine's other load.
"""

from __future__ import annotations

import os
import socket
import statistics
import subprocess
import sys
import threading
import time
import uuid

import httpx
import sqlalchemy as sa

KEY = "pk_scale"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start(url: str, port: int) -> subprocess.Popen[bytes]:
    env = {**os.environ, "REFUNDKIT_DATABASE_URL": url, "REFUNDKIT_PLATFORM_KEY": KEY}
    process = subprocess.Popen(
        [sys.executable, "-m", "refundkit.entrypoints.cli.main", "serve", "--sandbox",
         "--no-worker", "--port", str(port)], env=env,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    while True:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/readyz").status_code == 200:
                return process
        except httpx.TransportError:
            pass
        if process.poll() is not None:
            raise SystemExit("an API process died on start")
        time.sleep(0.1)


def drive(bases: list[str], seconds: float, clients: int) -> tuple[float, float, float]:
    auth = {"Authorization": f"Bearer {KEY}"}
    setup = httpx.Client(base_url=bases[0], headers=auth, timeout=30)
    people = []
    for role in ("buyer", "seller"):
        email = f"{role}-{uuid.uuid4().hex[:6]}@scale.test"
        person = {"role": role, "name": role, "email": email, "country": "DE"}
        people.append(setup.post("/v1/users", json=person).json())
    body = {"buyer_id": people[0]["id"], "seller_id": people[1]["id"], "currency": "USD",
            "items": [{"sku": "s", "title": "Lamp", "quantity": 1, "unit_price": "30.00"}],
            "shipping_fee": "0.00", "payment_method": "card",
            "ship_to": {"country": "DE", "city": "Berlin", "postcode": "10115"},
            "promised_delivery_days": 20}  # fmt: skip
    first = setup.post("/v1/orders", json=body).json()["id"]
    latencies: list[float] = []
    lock = threading.Lock()
    stop = time.monotonic() + seconds

    def client(n: int) -> None:
        http = httpx.Client(base_url=bases[n % len(bases)], headers=auth, timeout=30)
        mine: list[float] = []
        i = 0
        while time.monotonic() < stop:
            began = time.perf_counter()
            if i % 2:
                answer = http.get(f"/v1/orders/{first}")
            else:
                answer = http.post("/v1/orders", json=body)
            assert answer.status_code in (200, 201), answer.text
            mine.append(time.perf_counter() - began)
            i += 1
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    latencies.sort()
    p99 = latencies[int(len(latencies) * 0.99) - 1]
    return len(latencies) / seconds, statistics.median(latencies) * 1000, p99 * 1000


def main() -> None:
    admin_url = sys.argv[1] if len(sys.argv) > 1 else "postgresql://root@127.0.0.1:5432/test"
    seconds = float(sys.argv[2]) if len(sys.argv) > 2 else 20
    clients = int(sys.argv[3]) if len(sys.argv) > 3 else 8
    from refundkit.adapters.db.engine import create_engine, normalize_url

    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    name = f"refundkit_scale_{uuid.uuid4().hex[:8]}"
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    url = sa.make_url(normalize_url(admin_url)).set(database=name)
    rendered = url.render_as_string(hide_password=False)
    print(f"cpu cores: {os.cpu_count()}, load before: {os.getloadavg()[0]:.1f}")
    try:
        for count in (1, 2):
            ports = [free_port() for _ in range(count)]
            started = [start(rendered, p) for p in ports]
            try:
                rate, p50, p99 = drive([f"http://127.0.0.1:{p}" for p in ports], seconds, clients)
            finally:
                for process in started:
                    process.terminate()
                    process.wait(timeout=60)
            print(f"{count} API process(es), {clients} clients, {seconds:.0f} s: "
                  f"{rate:.1f} req/s, p50 {p50:.0f} ms, p99 {p99:.0f} ms, "
                  f"load {os.getloadavg()[0]:.1f}")  # fmt: skip
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    main()
