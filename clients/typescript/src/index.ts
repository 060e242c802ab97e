// @brandhouse/client: typed access to the brandhouse API (types generated from
// openapi/openapi.json into schema.ts; regenerate with `make ts-client-write`).
export {
  createBrandhouseClient,
  ok,
  TENANT_HEADER,
  type BrandhouseClient,
  type BrandhouseClientOptions,
  type DataOf,
  type Success,
  type ThrowingMethod,
  type TokenSource,
} from "./client.js";
export {
  IDEMPOTENCY_HEADER,
  idempotencyHeader,
  newIdempotencyKey,
  withIdempotencyKey,
  type RetryOptions,
} from "./idempotency.js";
export {
  isProblem,
  PROBLEM_TYPE_PREFIX,
  ProblemError,
  type FieldError,
  type Problem,
  type ProblemKind,
  type UnavailableItem,
} from "./problem.js";
export type { components, operations, paths } from "./schema.js";

import type { components } from "./schema.js";

/** A schema of the spec by name: `Schema<"StorefrontProduct">`. */
export type Schema<Name extends keyof components["schemas"]> = components["schemas"][Name];
