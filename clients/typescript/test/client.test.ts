// What a frontend relies on, against a fake fetch: the brand and token headers, problems thrown as
// ProblemError with their fields, and checkout retries that reuse one Idempotency-Key.
import assert from "node:assert/strict";
import { test } from "node:test";

import {
  createBrandhouseClient,
  isProblem,
  ProblemError,
  withIdempotencyKey,
} from "../src/index.js";

type Reply = { status: number; body?: unknown; headers?: Record<string, string> };

/** A fetch that records each request and answers from `replies` in turn (the last one repeats). */
function fakeFetch(...replies: (Reply | Error)[]) {
  const requests: Request[] = [];
  const fetch = async (request: Request): Promise<Response> => {
    requests.push(request);
    const reply = replies[Math.min(requests.length, replies.length) - 1];
    if (reply === undefined) throw new Error("no reply");
    if (reply instanceof Error) throw reply;
    const isProblemBody = reply.status >= 400 && typeof reply.body === "object";
    const text =
      reply.body === undefined
        ? null
        : typeof reply.body === "string"
          ? reply.body
          : JSON.stringify(reply.body);
    const contentType = isProblemBody
      ? "application/problem+json"
      : "application/json; charset=utf-8";
    return new Response(text, {
      status: reply.status,
      headers: { "content-type": contentType, ...reply.headers },
    });
  };
  return { fetch, requests };
}

const outOfStock = {
  type: "urn:problem:brandhouse:out-of-stock",
  title: "Out of stock",
  status: 409,
  detail: "FBX-1: 3 requested, 1 available",
  request_id: "req-42",
  unavailable: [{ sku: "FBX-1", requested: 3, available: 1 }],
};

const cart = {
  lines: [{ sku: "FBX-1", quantity: 3 }],
  customer: { name: "Ada", email: "ada@example.com" },
};

test("every request carries the brand and the current token; a per-call brand wins", async () => {
  const { fetch, requests } = fakeFetch({ status: 200, body: { items: [] } });
  let token = "tok-1";
  const api = createBrandhouseClient({
    baseUrl: "http://api.test/",
    brand: "fbx",
    token: () => token,
    fetch,
  });

  await api.GET("/v1/storefront/products", { params: { query: { cursor: "c1", limit: 5 } } });
  token = "tok-2";
  await api.GET("/v1/storefront/products", { headers: { "X-Tenant-ID": "other" } });
  await api.withBrand("third").withToken(undefined).GET("/v1/storefront/products");

  const [first, second, third] = requests;
  assert.equal(first?.url, "http://api.test/v1/storefront/products?cursor=c1&limit=5");
  assert.equal(first?.headers.get("X-Tenant-ID"), "fbx");
  assert.equal(first?.headers.get("Authorization"), "Bearer tok-1");
  assert.equal(second?.headers.get("X-Tenant-ID"), "other");
  assert.equal(second?.headers.get("Authorization"), "Bearer tok-2");
  assert.equal(third?.headers.get("X-Tenant-ID"), "third");
  assert.equal(third?.headers.get("Authorization"), null);
});

test("a problem+json response is thrown as a ProblemError with its fields", async () => {
  const { fetch } = fakeFetch({ status: 409, body: outOfStock });
  const api = createBrandhouseClient({ baseUrl: "http://api.test", brand: "fbx", fetch });

  const error = await api
    .POST("/v1/storefront/checkouts", {
      params: { header: { "Idempotency-Key": "k1" } },
      body: cart,
    })
    .then(
      () => assert.fail("resolved"),
      (e: unknown) => e,
    );

  assert.ok(isProblem(error, "out-of-stock"));
  assert.equal(error.status, 409);
  assert.equal(error.kind, "out-of-stock");
  assert.equal(error.requestId, "req-42");
  assert.deepEqual(error.unavailable, outOfStock.unavailable);
  assert.deepEqual(error.fieldErrors, []);
  assert.equal(error.message, "Out of stock: FBX-1: 3 requested, 1 available");
});

test("a 422 names its fields; the request id falls back to the x-request-id header", async () => {
  const problem = {
    type: "urn:problem:brandhouse:validation",
    title: "Invalid request",
    status: 422,
    errors: [{ field: "lines[0].quantity", message: "must be 1 to 1000" }],
  };
  const { fetch } = fakeFetch({ status: 422, body: problem, headers: { "x-request-id": "hdr-7" } });
  const api = createBrandhouseClient({ baseUrl: "http://api.test", fetch });

  const error = await api
    .POST("/v1/auth/login", { body: { email: "a@b.c", password: "x" } })
    .catch((e: unknown) => e);
  assert.ok(error instanceof ProblemError && error.is("validation"));
  assert.deepEqual(error.fieldErrors, problem.errors);
  assert.equal(error.requestId, "hdr-7");
});

test("an error that is not a problem document (a proxy's 502) is a ProblemError too", async () => {
  const { fetch } = fakeFetch({ status: 502, body: "<html>Bad gateway</html>" });
  const api = createBrandhouseClient({ baseUrl: "http://api.test", fetch });

  const error = await api.GET("/v1/auth/me").catch((e: unknown) => e);
  assert.ok(error instanceof ProblemError);
  assert.equal(error.type, "about:blank");
  assert.equal(error.status, 502);
  assert.equal(error.detail, "<html>Bad gateway</html>");
});

test("a 204 resolves to undefined", async () => {
  const { fetch, requests } = fakeFetch({ status: 204 });
  const api = createBrandhouseClient({ baseUrl: "http://api.test", token: "t", fetch });
  assert.equal(await api.POST("/v1/auth/logout"), undefined);
  assert.equal(requests[0]?.method, "POST");
});

test("checkout retries a 503 and a network failure with one key, after Retry-After", async () => {
  const placed = { id: "o1", number: 7 };
  const unavailable = {
    type: "urn:problem:brandhouse:unavailable",
    title: "Service unavailable",
    status: 503,
  };
  const { fetch, requests } = fakeFetch(
    { status: 503, body: unavailable, headers: { "retry-after": "2" } },
    new TypeError("fetch failed"),
    { status: 201, body: placed },
  );
  const api = createBrandhouseClient({ baseUrl: "http://api.test", brand: "fbx", fetch });
  const pauses: number[] = [];

  const order = await withIdempotencyKey(
    (key) =>
      api.POST("/v1/storefront/checkouts", {
        params: { header: { "Idempotency-Key": key } },
        body: cart,
      }),
    { baseDelayMs: 100, sleep: async (ms) => void pauses.push(ms) },
  );

  assert.deepEqual(order, placed);
  const keys = requests.map((r) => r.headers.get("Idempotency-Key"));
  assert.equal(keys.length, 3);
  const [first] = keys;
  assert.ok(typeof first === "string" && first.length > 0);
  assert.equal(new Set(keys).size, 1);
  assert.deepEqual(pauses, [2000, 200]);
});

test("checkout does not retry a problem the client must fix (409 out of stock)", async () => {
  const { fetch, requests } = fakeFetch({ status: 409, body: outOfStock });
  const api = createBrandhouseClient({ baseUrl: "http://api.test", brand: "fbx", fetch });

  await assert.rejects(
    withIdempotencyKey(
      (key) =>
        api.POST("/v1/storefront/checkouts", {
          params: { header: { "Idempotency-Key": key } },
          body: cart,
        }),
      { sleep: async () => undefined },
    ),
    (e: unknown) => isProblem(e, "out-of-stock"),
  );
  assert.equal(requests.length, 1);
});
