// A storefront's product list, page by page with the cursor (`listStorefrontProducts`).
import { createBrandhouseClient, type BrandhouseClient, type Schema } from "@brandhouse/client";

type Product = Schema<"StorefrontProduct">;

/** Every active product of the client's brand, one page at a time, in product-number order. */
export async function* allProducts(
  api: BrandhouseClient,
  filter: { category?: string; q?: string; zone?: string } = {},
): AsyncGenerator<Product[]> {
  let cursor: string | undefined;
  do {
    const page = await api.GET("/v1/storefront/products", {
      params: { query: { ...filter, limit: 50, ...(cursor === undefined ? {} : { cursor }) } },
    });
    yield page.items;
    // Absent (or null) on the last page.
    cursor = page.next_cursor ?? undefined;
  } while (cursor !== undefined);
}

/** A price in minor units as the shopper reads it, e.g. 1999 EUR -> "€19.99". */
export function formatPrice(minor: number, currency: string, locale = "en"): string {
  const format = new Intl.NumberFormat(locale, { style: "currency", currency });
  const digits = format.resolvedOptions().maximumFractionDigits ?? 2;
  return format.format(minor / 10 ** digits);
}

export async function printCatalog(baseUrl: string, brand: string): Promise<void> {
  const api = createBrandhouseClient({ baseUrl, brand });
  for await (const products of allProducts(api, { category: "HAIR" })) {
    for (const p of products) {
      const inStock = p.variants.filter((v) => v.available > 0).length;
      console.log(
        `${p.number} ${p.name}: ${formatPrice(p.price_minor, p.currency)}, ${inStock} in stock`,
      );
    }
  }
}
