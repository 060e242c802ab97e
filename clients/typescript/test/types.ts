// Type-level checks of the wrapper (compiled by `tsc --noEmit`, never run): the throwing methods
// keep openapi-fetch's typing of paths, parameters, bodies and results.
import { createBrandhouseClient, type Schema } from "../src/index.js";

type Equal<A, B> =
  (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
function assertType<T extends true>(): T | undefined {
  return undefined;
}

const api = createBrandhouseClient({ baseUrl: "http://127.0.0.1:8080", brand: "demo" });

export async function typeChecks(): Promise<void> {
  const page = await api.GET("/v1/storefront/products", { params: { query: { limit: 10 } } });
  assertType<Equal<typeof page, Schema<"StorefrontProductPage">>>();

  // No init needed when nothing is required.
  const me = await api.GET("/v1/auth/me");
  assertType<Equal<typeof me, Schema<"Me">>>();

  // A 204 resolves to undefined, not to never.
  const gone = await api.POST("/v1/auth/logout");
  assertType<Equal<typeof gone, undefined>>();

  const body = { lines: [{ sku: "X", quantity: 1 }], customer: { name: "A", email: "a@b.c" } };
  // @ts-expect-error checkout requires the Idempotency-Key header parameter
  await api.POST("/v1/storefront/checkouts", { body });
  const order = await api.POST("/v1/storefront/checkouts", {
    params: { header: { "Idempotency-Key": "k" } },
    body,
  });
  assertType<Equal<typeof order, Schema<"CheckoutResponse">>>();

  // @ts-expect-error unknown path
  await api.GET("/v1/storefront/nope");
  // @ts-expect-error unknown query parameter
  await api.GET("/v1/storefront/products", { params: { query: { page: 2 } } });
  // @ts-expect-error GET has no body on this path
  await api.POST("/v1/storefront/products");

  const raw = await api.raw.GET("/v1/storefront/products");
  if (raw.error !== undefined) assertType<Equal<typeof raw.error, Schema<"Problem">>>();
}
