"""The load side of bench/events.sh (Python's standard library only, loopback only).

Opens STREAMS live event streams spread over the brands, measures the server's memory before and
after they open, then places storefront checkouts at RATE per second across the brands for SECS
seconds and times each order.created event's arrival on every open stream of its brand.

The checkouts are an open loop: one is due every 1/RATE s whatever the previous ones are doing,
and its latency counts from when it was due (a queue in this client counts against the server,
not hidden by it). Two latencies per delivery: from the checkout's answer (the order committed
just before the answer left: COMMIT to delivery, give or take the answer's trip over loopback)
and from when the checkout was due (the whole path a watching dashboard sees).

Environment: BASE_URL (http://127.0.0.1:PORT), TOKEN (a staff token that may read every brand's
stream: the owner's), SKUS_FILE (lines "brand-slug sku"), SERVER_PID, STREAMS (100), RATE (200),
SECS (10), CONNECTIONS (64, keep-alive connections for the checkouts). Prints one
"RESULT key=value ..." line.
"""

import asyncio
import json
import os
import re
import time
from urllib.parse import urlsplit

BASE = urlsplit(os.environ["BASE_URL"])
HOST, PORT = BASE.hostname, BASE.port
TOKEN = os.environ["TOKEN"]
PID = os.environ["SERVER_PID"]
STREAMS = int(os.environ.get("STREAMS", "100"))
RATE = max(1, int(os.environ.get("RATE", "200")))
SECS = float(os.environ.get("SECS", "10"))
CONNECTIONS = int(os.environ.get("CONNECTIONS", "64"))
SUBJECT = re.compile(rb'"subject":"(\d+)"')

placed = {}  # (brand, number) -> (due, answered)
arrivals = []  # (brand, number, arrival)
failed = 0


def rss_mib():
    with open(f"/proc/{PID}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


def percentile(values, p):
    if not values:
        return float("nan")
    values = sorted(values)
    rank = max(1, min(len(values), -(-len(values) * p // 100)))
    return values[int(rank) - 1]


async def read_head(reader):
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {}
    for line in lines[1:]:
        if ":" in line:
            k, v = line.split(":", 1)
            headers[k.strip().lower()] = v.strip()
    return status, headers


async def read_body(reader, headers):
    if headers.get("transfer-encoding", "").lower() == "chunked":
        body = b""
        while True:
            size = int((await reader.readline()).split(b";")[0], 16)
            chunk = await reader.readexactly(size + 2)
            if size == 0:
                return body
            body += chunk[:-2]
    return await reader.readexactly(int(headers.get("content-length", "0")))


async def stream(brand, slug, ready, stop):
    reader, writer = await asyncio.open_connection(HOST, PORT)
    writer.write(
        (
            f"GET /v1/admin/events/stream HTTP/1.1\r\nHost: {HOST}:{PORT}\r\n"
            f"Authorization: Bearer {TOKEN}\r\nX-Tenant-ID: {slug}\r\n"
            "Accept: text/event-stream\r\n\r\n"
        ).encode()
    )
    await writer.drain()
    status, headers = await read_head(reader)
    if status != 200:
        raise RuntimeError(f"stream for {slug}: HTTP {status}")
    chunked = headers.get("transfer-encoding", "").lower() == "chunked"
    ready.set_result(None)
    buffer = b""
    try:
        while not stop.is_set():
            if chunked:
                size = int((await reader.readline()).split(b";")[0], 16)
                data = await reader.readexactly(size + 2)
                data = data[:-2]
                if size == 0:
                    return
            else:
                data = await reader.read(65536)
                if not data:
                    return
            now = time.perf_counter()
            buffer += data
            *frames, buffer = buffer.split(b"\n\n")
            for frame in frames:
                if b"event: order.created" not in frame:
                    continue
                m = SUBJECT.search(frame)
                if m:
                    arrivals.append((brand, int(m.group(1)), now))
    except (asyncio.CancelledError, ConnectionError, asyncio.IncompleteReadError):
        pass
    finally:
        writer.close()


async def checkout_worker(queue):
    global failed
    reader = writer = None
    while True:
        job = await queue.get()
        if job is None:
            break
        brand, slug, sku, key, due = job
        body = json.dumps(
            {
                "lines": [{"sku": sku, "quantity": 1}],
                "customer": {"name": "Bench", "email": f"{key}@bench.test"},
                # Every demo brand ships to Germany with `standard` (README, "Delivery and tax").
                "shipping_address": {
                    "name": "Bench",
                    "line1": "Invalidenstrasse 117",
                    "city": "Berlin",
                    "postal_code": "10115",
                    "country": "DE",
                },
                "shipping_method": "standard",
            }
        ).encode()
        request = (
            f"POST /v1/storefront/checkouts HTTP/1.1\r\nHost: {HOST}:{PORT}\r\n"
            f"X-Tenant-ID: {slug}\r\nIdempotency-Key: {key}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
        ).encode() + body
        try:
            if writer is None:
                reader, writer = await asyncio.open_connection(HOST, PORT)
            writer.write(request)
            await writer.drain()
            status, headers = await read_head(reader)
            answer = await read_body(reader, headers)
            answered = time.perf_counter()
            if headers.get("connection", "").lower() == "close":
                writer.close()
                writer = None
            if status == 201:
                placed[(brand, json.loads(answer)["number"])] = (due, answered)
            else:
                failed += 1
        except (ConnectionError, asyncio.IncompleteReadError):
            failed += 1
            writer = None


async def main():
    skus = {}
    with open(os.environ["SKUS_FILE"]) as f:
        for line in f:
            slug, _, sku = line.strip().partition(" ")
            if sku:
                skus.setdefault(slug, []).append(sku)
    brands = sorted(skus)
    assert brands, "no SKUs"

    rss_before = rss_mib()
    stop = asyncio.Event()
    readers = []
    for i in range(STREAMS):
        ready = asyncio.get_running_loop().create_future()
        brand = i % len(brands)
        readers.append(asyncio.create_task(stream(brand, brands[brand], ready, stop)))
        await ready
    await asyncio.sleep(1)
    rss_streams = rss_mib()

    queue = asyncio.Queue()
    workers = [asyncio.create_task(checkout_worker(queue)) for _ in range(CONNECTIONS)]
    started = time.perf_counter()
    n = 0
    while True:
        due = started + n / RATE
        if due - started >= SECS:
            break
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        brand = n % len(brands)
        sku = skus[brands[brand]][(n * 7919) % len(skus[brands[brand]])]
        queue.put_nowait((brand, brands[brand], sku, f"events-bench-{os.getpid()}-{n}", due))
        n += 1
    for _ in workers:
        queue.put_nowait(None)
    await asyncio.gather(*workers)
    elapsed = time.perf_counter() - started
    await asyncio.sleep(2)  # stragglers: the last orders' events still on their way
    rss_after = rss_mib()
    stop.set()
    for r in readers:
        r.cancel()
    await asyncio.gather(*readers, return_exceptions=True)

    per_brand = [sum(1 for i in range(STREAMS) if i % len(brands) == b) for b in range(len(brands))]
    expected = sum(per_brand[b] for (b, _) in placed)
    from_answer, from_due, unknown, early = [], [], 0, 0
    for brand, number, at in arrivals:
        times = placed.get((brand, number))
        if times is None:
            unknown += 1
            continue
        due, answered = times
        from_due.append((at - due) * 1e3)
        if at < answered:
            early += 1
        from_answer.append(max(0.0, at - answered) * 1e3)
    print(
        "RESULT orders=%d orders_per_s=%.1f failed_checkouts=%d deliveries=%d expected=%d "
        "unknown=%d early=%d commit_p50_ms=%.2f commit_p99_ms=%.2f request_p50_ms=%.2f "
        "request_p99_ms=%.2f rss_before_mib=%.1f rss_streams_mib=%.1f rss_after_mib=%.1f "
        "kib_per_stream=%.1f"
        % (
            len(placed),
            len(placed) / elapsed,
            failed,
            len(arrivals),
            expected,
            unknown,
            early,
            percentile(from_answer, 50),
            percentile(from_answer, 99),
            percentile(from_due, 50),
            percentile(from_due, 99),
            rss_before,
            rss_streams,
            rss_after,
            (rss_streams - rss_before) * 1024 / max(1, STREAMS),
        )
    )


asyncio.run(main())
