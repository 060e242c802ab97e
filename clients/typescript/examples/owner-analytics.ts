// The owner's cross-brand figures (`login`, `getAnalyticsOverview`), then one brand's own view.
import { createBrandhouseClient, isProblem, type BrandhouseClient } from "@brandhouse/client";

/** Signs in and returns a client carrying the staff token. */
export async function signIn(
  baseUrl: string,
  email: string,
  password: string,
): Promise<BrandhouseClient> {
  const api = createBrandhouseClient({ baseUrl });
  try {
    const { token } = await api.POST("/v1/auth/login", { body: { email, password } });
    return api.withToken(token);
  } catch (error) {
    if (isProblem(error, "rate-limited")) {
      throw new Error(`too many attempts: try again in ${error.retryAfterSeconds ?? "a few"} s`);
    }
    throw error;
  }
}

/** Last 30 days per brand, and totals per currency; the best brand drilled into by its slug. */
export async function ownerReport(
  api: BrandhouseClient,
  from: string,
  to: string,
): Promise<string[]> {
  const overview = await api.GET("/v1/admin/analytics/overview", {
    params: { query: { from, to } },
  });
  const lines = overview.brands.map(
    (b) =>
      `${b.slug}: ${b.order_count} orders, ${b.revenue_minor} ${b.currency} (minor units), ` +
      `${b.new_customers} new customers`,
  );
  for (const t of overview.totals)
    lines.push(`${t.currency}: ${t.revenue_minor} over ${t.brands} brand(s)`);

  const best = [...overview.brands].sort((a, b) => b.revenue_minor - a.revenue_minor)[0];
  if (best !== undefined) {
    // The same token, scoped to one brand by `X-Tenant-ID`.
    const brand = await api.withBrand(best.slug).GET("/v1/admin/brand");
    lines.push(`best: ${brand.name} (${brand.slug})`);
  }
  return lines;
}
