// A thin typed wrapper on openapi-fetch: brand and bearer headers on every request, error
// responses thrown as `ProblemError`. Nothing here names an operation: every path, parameter and
// body type comes from the generated `schema.ts`.
import createClient, {
  type Client,
  type FetchResponse,
  type MaybeOptionalInit,
  type Middleware,
} from "openapi-fetch";
import type {
  HttpMethod,
  MediaType,
  PathsWithMethod,
  RequiredKeysOf,
} from "openapi-typescript-helpers";

import { ProblemError } from "./problem.js";
import type { paths } from "./schema.js";

/** The header that names the brand (its slug) on brand-scoped operations. */
export const TENANT_HEADER = "X-Tenant-ID";

/** A bearer token, or a function returning the current one (read before every request). */
export type TokenSource =
  string | (() => string | null | undefined | Promise<string | null | undefined>);

export interface BrandhouseClientOptions {
  /** The service's origin, e.g. `https://api.example.com` (paths start with `/v1/...`). */
  baseUrl: string;
  /** The brand's slug, sent as `X-Tenant-ID`. Without it the service picks the brand by `Host`. */
  brand?: string | undefined;
  /** A staff token from `POST /v1/auth/login`, sent as `Authorization: Bearer <token>`. */
  token?: TokenSource | undefined;
  /** Extra headers sent with every request. */
  headers?: Record<string, string> | undefined;
  /** Another fetch (tests, server-side rendering); defaults to the global one. */
  fetch?: ((input: Request) => Promise<Response>) | undefined;
}

// openapi-fetch's own rule for the optional/required second argument (not exported by it).
type InitParam<Init> =
  RequiredKeysOf<Init> extends never
    ? [(Init & { [key: string]: unknown })?]
    : [Init & { [key: string]: unknown }];

/** The success branch of an openapi-fetch result. */
export type Success<R> = Extract<R, { error?: never }>;

/** What a successful call returns: the parsed body (`undefined` for 204). */
export type DataOf<R> =
  Success<R> extends { data: infer D } ? ([D] extends [never] ? undefined : D) : never;

/** An openapi-fetch method that resolves to the body of a success and throws `ProblemError`. */
export type ThrowingMethod<M extends HttpMethod> = <
  P extends PathsWithMethod<paths, M>,
  I extends MaybeOptionalInit<paths[P], M>,
>(
  url: P,
  ...init: InitParam<I>
) => Promise<
  paths[P][M] extends infer Op extends Record<string | number, any>
    ? DataOf<FetchResponse<Op, I, MediaType>>
    : never
>;

export interface BrandhouseClient {
  GET: ThrowingMethod<"get">;
  POST: ThrowingMethod<"post">;
  PUT: ThrowingMethod<"put">;
  PATCH: ThrowingMethod<"patch">;
  DELETE: ThrowingMethod<"delete">;
  /** The underlying openapi-fetch client (same headers): `{ data, error, response }`. */
  raw: Client<paths>;
  /** The options this client was made with. */
  readonly options: Readonly<BrandhouseClientOptions>;
  /** The same client for another brand (`undefined`: by `Host`), e.g. to drill into analytics. */
  withBrand(brand: string | undefined): BrandhouseClient;
  /** The same client with another token (`undefined`: anonymous). */
  withToken(token: TokenSource | undefined): BrandhouseClient;
}

/** Creates a client: `createBrandhouseClient({ baseUrl, brand, token })`. */
export function createBrandhouseClient(options: BrandhouseClientOptions): BrandhouseClient {
  const raw = createClient<paths>({
    baseUrl: options.baseUrl.replace(/\/+$/, ""),
    ...(options.headers === undefined ? {} : { headers: options.headers }),
    ...(options.fetch === undefined ? {} : { fetch: options.fetch }),
  });
  raw.use(authMiddleware(options));
  return {
    GET: throwing(raw, "GET"),
    POST: throwing(raw, "POST"),
    PUT: throwing(raw, "PUT"),
    PATCH: throwing(raw, "PATCH"),
    DELETE: throwing(raw, "DELETE"),
    raw,
    options,
    withBrand: (brand) => createBrandhouseClient({ ...options, brand }),
    withToken: (token) => createBrandhouseClient({ ...options, token }),
  };
}

/**
 * Returns a raw openapi-fetch result when it is a success (narrowed: `data` and `response`), and
 * throws `ProblemError` for an error response. For the raw client when the response's headers
 * matter: `const { data, response } = ok(await api.raw.POST(...))`.
 */
export function ok<R extends { error?: unknown; response: Response }>(result: R): Success<R> {
  const { response } = result;
  // 304 is not an error: a conditional GET whose cached copy is still good.
  if (!response.ok && response.status !== 304) throw ProblemError.from(result.error, response);
  return result as Success<R>;
}

function authMiddleware(options: BrandhouseClientOptions): Middleware {
  return {
    async onRequest({ request }) {
      // A header given for one call (`params.header`) wins over the client's.
      if (options.brand !== undefined && !request.headers.has(TENANT_HEADER)) {
        request.headers.set(TENANT_HEADER, options.brand);
      }
      const token = typeof options.token === "function" ? await options.token() : options.token;
      if (token != null && token !== "" && !request.headers.has("Authorization")) {
        request.headers.set("Authorization", `Bearer ${token}`);
      }
      return request;
    },
  };
}

type LooseRequest = (
  method: string,
  url: string,
  init?: unknown,
) => Promise<{ data?: unknown; error?: unknown; response: Response }>;

function throwing<M extends HttpMethod>(
  raw: Client<paths>,
  method: Uppercase<M>,
): ThrowingMethod<M> {
  const request = raw.request as unknown as LooseRequest;
  const call = async (url: string, init?: unknown): Promise<unknown> => {
    const result = await request(method, url, init);
    ok(result);
    return result.data;
  };
  return call as unknown as ThrowingMethod<M>;
}
