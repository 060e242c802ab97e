// Placing an order (`checkout`): one Idempotency-Key per attempt, retried safely; out-of-stock and
// invalid fields come back as typed problems.
import {
  createBrandhouseClient,
  idempotencyHeader,
  isProblem,
  ok,
  withIdempotencyKey,
  type Schema,
} from "@brandhouse/client";

export type CheckoutOutcome =
  | { kind: "placed"; order: Schema<"CheckoutResponse">; replayed: boolean }
  | { kind: "out-of-stock"; unavailable: Schema<"UnavailableItem">[] }
  | { kind: "invalid"; fields: Record<string, string> };

export async function placeOrder(
  baseUrl: string,
  brand: string,
  cart: Schema<"CheckoutLine">[],
  customer: Schema<"CheckoutCustomer">,
): Promise<CheckoutOutcome> {
  const api = createBrandhouseClient({ baseUrl, brand });
  try {
    // A network failure or a 503 retries with the same key: the order is placed at most once.
    const { data, response } = await withIdempotencyKey(async (key) =>
      ok(
        await api.raw.POST("/v1/storefront/checkouts", {
          params: { header: idempotencyHeader(key) },
          body: { lines: cart, customer },
        }),
      ),
    );
    // Keep `data.access_token`: it reads the order later (`X-Order-Token`).
    return {
      kind: "placed",
      order: data,
      replayed: response.headers.get("Idempotent-Replayed") === "true",
    };
  } catch (error) {
    if (isProblem(error, "out-of-stock"))
      return { kind: "out-of-stock", unavailable: error.unavailable };
    if (isProblem(error, "validation")) {
      return {
        kind: "invalid",
        fields: Object.fromEntries(error.fieldErrors.map((e) => [e.field, e.message])),
      };
    }
    throw error; // anything else: show `error.message` and `error.requestId`
  }
}

/** Without the raw response: the throwing method returns the order itself. */
export async function placeOrderSimply(
  baseUrl: string,
  brand: string,
  cart: Schema<"CheckoutLine">[],
) {
  const api = createBrandhouseClient({ baseUrl, brand });
  return withIdempotencyKey((key) =>
    api.POST("/v1/storefront/checkouts", {
      params: { header: idempotencyHeader(key) },
      body: { lines: cart, customer: { name: "Ada Lovelace", email: "ada@example.com" } },
    }),
  );
}
