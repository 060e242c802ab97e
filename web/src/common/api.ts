// The generated client (clients/typescript), pointed at the origin that served this page.
import { createBrandhouseClient, type BrandhouseClient } from "@brandhouse/client";

export function client(options: { brand?: string; token?: () => string | null } = {}): BrandhouseClient {
  return createBrandhouseClient({ baseUrl: window.location.origin, ...options });
}
