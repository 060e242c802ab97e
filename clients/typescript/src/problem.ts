// Errors as the service sends them: RFC 9457 `application/problem+json` (src/error.rs), thrown
// by the client as `ProblemError`.
import type { components } from "./schema.js";

export type Problem = components["schemas"]["Problem"];
export type FieldError = components["schemas"]["FieldError"];
export type UnavailableItem = components["schemas"]["UnavailableItem"];

/** Every problem `type` is this prefix plus a kind (README, "Errors, logs and traces"). */
export const PROBLEM_TYPE_PREFIX = "urn:problem:brandhouse:";

/** The documented kinds (`type` is `PROBLEM_TYPE_PREFIX + kind`): stable, safe to switch on. */
export type ProblemKind =
  | "bad-request"
  | "unauthorized"
  | "forbidden"
  | "not-found"
  | "method-not-allowed"
  | "conflict"
  | "out-of-stock"
  | "payload-too-large"
  | "unsupported-media-type"
  | "validation"
  | "rate-limited"
  | "internal"
  | "unavailable";

/** An error response of the service (or of something in front of it), thrown by the client. */
export class ProblemError extends Error {
  override readonly name = "ProblemError";
  /** The problem document; synthesised (`type: "about:blank"`) when the body was not one. */
  readonly problem: Problem;
  /** The HTTP response, when there was one. */
  readonly response: Response | undefined;

  constructor(problem: Problem, response?: Response) {
    const detail = problem.detail ?? undefined;
    super(detail === undefined ? problem.title : `${problem.title}: ${detail}`);
    this.problem = problem;
    this.response = response;
  }

  /** Reads an error response; `body` is the response body as openapi-fetch parsed it. */
  static from(body: unknown, response: Response): ProblemError {
    if (isProblemDocument(body)) return new ProblemError(body, response);
    const text = typeof body === "string" ? body.trim().slice(0, 500) : "";
    const problem: Problem = {
      type: "about:blank",
      title: response.statusText || `HTTP ${response.status}`,
      status: response.status,
      ...(text === "" ? {} : { detail: text }),
    };
    return new ProblemError(problem, response);
  }

  get status(): number {
    return this.problem.status;
  }

  get type(): string {
    return this.problem.type;
  }

  get title(): string {
    return this.problem.title;
  }

  /** The documented kind (`"out-of-stock"`...), or the whole `type` for a foreign one. */
  get kind(): ProblemKind | (string & {}) {
    const type = this.problem.type;
    return type.startsWith(PROBLEM_TYPE_PREFIX) ? type.slice(PROBLEM_TYPE_PREFIX.length) : type;
  }

  get detail(): string | undefined {
    return this.problem.detail ?? undefined;
  }

  /** Quote it when reporting a problem: the body's `request_id`, else `x-request-id`. */
  get requestId(): string | undefined {
    return this.problem.request_id ?? this.response?.headers.get("x-request-id") ?? undefined;
  }

  /** The invalid fields of a 422 (`validation`), each with its message; empty otherwise. */
  get fieldErrors(): FieldError[] {
    return this.problem.errors ?? [];
  }

  /** Per SKU, the units requested and available, for an `out-of-stock` 409; empty otherwise. */
  get unavailable(): UnavailableItem[] {
    return this.problem.unavailable ?? [];
  }

  /** Seconds to wait before retrying (429, 503), from the `Retry-After` header. */
  get retryAfterSeconds(): number | undefined {
    return parseRetryAfter(this.response?.headers.get("retry-after") ?? null);
  }

  /** Whether this is a problem of the given documented kind. */
  is(kind: ProblemKind): boolean {
    return this.problem.type === PROBLEM_TYPE_PREFIX + kind;
  }
}

/** Narrows an unknown caught value to a `ProblemError`, optionally of one kind. */
export function isProblem(error: unknown, kind?: ProblemKind): error is ProblemError {
  return error instanceof ProblemError && (kind === undefined || error.is(kind));
}

function isProblemDocument(body: unknown): body is Problem {
  if (typeof body !== "object" || body === null) return false;
  const b = body as Record<string, unknown>;
  return typeof b.type === "string" && typeof b.title === "string" && typeof b.status === "number";
}

function parseRetryAfter(value: string | null): number | undefined {
  if (value === null || value.trim() === "") return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed);
  const at = Date.parse(trimmed);
  return Number.isNaN(at) ? undefined : Math.max(0, Math.ceil((at - Date.now()) / 1000));
}
