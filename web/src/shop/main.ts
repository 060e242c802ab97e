// The storefront (/shop/): one codebase for every brand. The brand comes from the Host the page
// was served on (the API picks it the same way: no X-Tenant-ID is sent), its look from
// /v1/storefront/theme through CSS variables. Pages: the product list (search, cursor paging),
// a product (variant picker, availability), the cart with checkout (one idempotency key per
// attempt), and the order (read with its order token).
import "../common/base.css";
import "./shop.css";

import { idempotencyHeader, isProblem, newIdempotencyKey, type Schema } from "@brandhouse/client";

import { client } from "../common/api";
import { errorText, field, h, money, mount, notice } from "../common/dom";

type Product = Schema<"StorefrontProduct">;
type Variant = Schema<"StorefrontVariant">;
type Theme = Schema<"StorefrontTheme">;

interface CartLine {
  sku: string;
  quantity: number;
  name: string;
  options: string;
  price_minor: number;
}

const api = client();
const BASE = "/shop/";
const main = document.getElementById("main") as HTMLElement;
const cartLink = document.getElementById("cart-link") as HTMLAnchorElement;
let theme: Theme | undefined;

// --- cart, kept in this origin's localStorage (so per brand host) ---------------------------

function cart(): CartLine[] {
  try {
    const lines = JSON.parse(localStorage.getItem("bh-cart") ?? "[]") as CartLine[];
    return Array.isArray(lines) ? lines : [];
  } catch {
    return [];
  }
}

function saveCart(lines: CartLine[]): void {
  localStorage.setItem("bh-cart", JSON.stringify(lines));
  const count = lines.reduce((n, l) => n + l.quantity, 0);
  cartLink.textContent = `Cart (${count})`;
}

// --- routing -----------------------------------------------------------------------------

function go(path: string): void {
  history.pushState(null, "", path);
  void route();
}

/** Same-origin links inside the app navigate without a reload. */
document.addEventListener("click", (ev) => {
  const a = (ev.target as Element | null)?.closest?.("a");
  if (!a || a.target || ev.metaKey || ev.ctrlKey || ev.shiftKey || ev.button !== 0) return;
  const url = new URL(a.href, location.href);
  if (url.origin === location.origin && url.pathname.startsWith(BASE)) {
    ev.preventDefault();
    go(url.pathname + url.search + url.hash);
  }
});
window.addEventListener("popstate", () => void route());

async function route(): Promise<void> {
  const path = location.pathname.slice(BASE.length);
  const params = new URLSearchParams(location.search);
  const parts = path.split("/").filter(Boolean);
  try {
    if (parts.length === 0) await productList(params.get("q") ?? "");
    else if (parts[0] === "products" && parts[1]) await productPage(Number(parts[1]));
    else if (parts[0] === "cart") await cartPage();
    else if (parts[0] === "orders" && parts[1]) await orderPage(parts[1]);
    else mount(main, h("h1", {}, "Not found"), h("p", {}, h("a", { href: BASE }, "All products")));
  } catch (error) {
    mount(main, notice("error", errorText(error)));
  }
  main.focus({ preventScroll: true });
  window.scrollTo(0, 0);
}

// --- theme -------------------------------------------------------------------------------

async function applyTheme(): Promise<void> {
  theme = await api.GET("/v1/storefront/theme");
  const root = document.documentElement.style;
  const { colors, font_family } = theme.theme;
  // CSSOM, not a style attribute: allowed by the CSP's style-src 'self'.
  root.setProperty("--primary", colors.primary);
  root.setProperty("--secondary", colors.secondary);
  root.setProperty("--background", colors.background);
  root.setProperty("--text", colors.text);
  root.setProperty("--font", font_family);
  document.title = theme.name;
  document.documentElement.dataset["brand"] = theme.slug;
  const brand = document.getElementById("brand-name") as HTMLElement;
  // The logo beside the name (so alt is empty: the name says it); one that fails to load is
  // dropped rather than shown broken.
  const logo = theme.theme.logo_url
    ? h("img", { class: "logo", src: theme.theme.logo_url, alt: "", width: 40, height: 40, onerror: () => logo?.remove() })
    : null;
  mount(brand, logo, h("span", {}, theme.name));
}

// --- pages -------------------------------------------------------------------------------

function price(minor: number, currency: string): HTMLElement {
  return h("span", { class: "price" }, money(minor, currency));
}

async function productList(q: string): Promise<void> {
  const search = h("input", { type: "search", name: "q", value: q, maxlength: 200, autocomplete: "off" });
  const grid = h("ul", { class: "grid", "aria-label": "Products" });
  const more = h("button", { type: "button", class: "secondary" }, "More products");
  const status = h("p", { role: "status", class: "count" });
  let cursor: string | undefined;
  let shown = 0;

  async function load(): Promise<void> {
    more.disabled = true;
    const page = await api.GET("/v1/storefront/products", {
      params: { query: { limit: 12, ...(q ? { q } : {}), ...(cursor ? { cursor } : {}) } },
    });
    for (const p of page.items) grid.append(card(p));
    shown += page.items.length;
    cursor = page.next_cursor ?? undefined;
    more.hidden = cursor === undefined;
    more.disabled = false;
    status.textContent = shown === 0 ? "No products found." : `${shown} products shown`;
  }
  more.addEventListener("click", () => void load().catch((e) => status.replaceChildren(errorText(e))));

  mount(
    main,
    h("h1", {}, q ? `Search: ${q}` : "All products"),
    h(
      "form",
      {
        role: "search",
        class: "search",
        onsubmit: (ev: Event) => {
          ev.preventDefault();
          const value = search.value.trim();
          go(value ? `${BASE}?q=${encodeURIComponent(value)}` : BASE);
        },
      },
      field("Search products", search),
      h("button", { type: "submit" }, "Search"),
    ),
    status,
    grid,
    more,
  );
  await load();
}

function card(p: Product): HTMLElement {
  const available = p.variants.reduce((n, v) => n + v.available, 0);
  return h(
    "li",
    { class: "card", "data-number": p.number },
    h("a", { href: `${BASE}products/${p.number}` }, h("h2", {}, p.name)),
    h("p", { class: "category" }, p.category?.name ?? ""),
    price(p.price_minor, p.currency),
    h("p", { class: available > 0 ? "stock in" : "stock out" }, available > 0 ? "In stock" : "Sold out"),
  );
}

function optionsText(v: Variant): string {
  return v.options.map((o) => `${o.axis}: ${o.value}`).join(", ");
}

async function productPage(number: number): Promise<void> {
  if (!Number.isSafeInteger(number) || number < 1) throw new Error("No such product");
  let p: Product;
  try {
    p = await api.GET("/v1/storefront/products/{number}", { params: { path: { number } } });
  } catch (error) {
    if (isProblem(error, "not-found")) {
      mount(main, h("h1", {}, "Product not found"), h("p", {}, h("a", { href: BASE }, "All products")));
      return;
    }
    throw error;
  }
  const picker = h("fieldset", { class: "variants" }, h("legend", {}, "Choose a variant"));
  p.variants.forEach((v, i) => {
    const id = `variant-${i}`;
    picker.append(
      h(
        "div",
        { class: "variant" },
        h("input", {
          type: "radio",
          name: "sku",
          id,
          value: v.sku,
          checked: i === p.variants.findIndex((x) => x.available > 0),
          disabled: v.available <= 0,
        }),
        h(
          "label",
          { for: id },
          optionsText(v) || v.sku,
          " — ",
          money(v.price_minor, p.currency),
          " · ",
          v.available > 0 ? `${v.available} available` : "sold out",
        ),
      ),
    );
  });
  const qty = h("input", { type: "number", name: "quantity", min: 1, max: 99, value: 1, required: true });
  const status = h("p", { role: "status" });
  const form = h(
    "form",
    {
      onsubmit: (ev: Event) => {
        ev.preventDefault();
        const sku = (form.querySelector("input[name=sku]:checked") as HTMLInputElement | null)?.value;
        const v = p.variants.find((x) => x.sku === sku);
        const quantity = Number(qty.value);
        if (!v || !Number.isInteger(quantity) || quantity < 1) {
          status.textContent = "Choose a variant and a quantity.";
          return;
        }
        const lines = cart();
        const line = lines.find((l) => l.sku === v.sku);
        if (line) line.quantity += quantity;
        else lines.push({ sku: v.sku, quantity, name: p.name, options: optionsText(v), price_minor: v.price_minor });
        saveCart(lines);
        status.textContent = `Added ${quantity} × ${p.name} to the cart.`;
      },
    },
    picker,
    field("Quantity", qty),
    h("button", { type: "submit", disabled: !p.variants.some((v) => v.available > 0) }, "Add to cart"),
  );
  mount(
    main,
    h("p", {}, h("a", { href: BASE }, "← All products")),
    h("h1", {}, p.name),
    h("p", { class: "category" }, p.category?.name ?? ""),
    h("p", {}, p.description ?? ""),
    price(p.price_minor, p.currency),
    form,
    status,
    h("p", {}, h("a", { href: `${BASE}cart` }, "Go to the cart")),
  );
}

async function cartPage(): Promise<void> {
  const lines = cart();
  const currency = theme?.currency ?? "EUR";
  if (lines.length === 0) {
    mount(main, h("h1", {}, "Your cart"), h("p", {}, "The cart is empty. "), h("a", { href: BASE }, "Shop products"));
    return;
  }
  const subtotal = lines.reduce((n, l) => n + l.price_minor * l.quantity, 0);
  const rows = lines.map((l) =>
    h(
      "tr",
      {},
      h("td", {}, l.name, h("br"), h("small", {}, l.options || l.sku)),
      h("td", { class: "num" }, l.quantity),
      h("td", { class: "num" }, money(l.price_minor * l.quantity, currency)),
      h(
        "td",
        {},
        h(
          "button",
          {
            type: "button",
            class: "secondary",
            "aria-label": `Remove ${l.name}`,
            onclick: () => {
              saveCart(cart().filter((x) => x.sku !== l.sku));
              void cartPage();
            },
          },
          "Remove",
        ),
      ),
    ),
  );
  const input = (name: string, attrs: Record<string, string | number | boolean> = {}) =>
    h("input", { name, required: true, ...attrs });
  const country = h("select", { name: "country" }, ["DE", "AT", "FR", "NL", "ES", "IT", "GB", "CH"].map((c) => h("option", { value: c }, c)));
  const methods = h("fieldset", { class: "methods" }, h("legend", {}, "Shipping method"));
  const status = h("div", { role: "status" });

  async function loadMethods(): Promise<void> {
    const quotes = await api.GET("/v1/storefront/shipping-methods", {
      params: { query: { country: country.value, subtotal_minor: subtotal } },
    });
    mount(methods, h("legend", {}, "Shipping method"));
    quotes.forEach((q, i) =>
      methods.append(
        h(
          "div",
          {},
          h("input", { type: "radio", name: "shipping_method", id: `m-${q.code}`, value: q.code, checked: i === 0 }),
          h("label", { for: `m-${q.code}` }, `${q.name} — ${money(q.price_minor, currency)}`),
        ),
      ),
    );
    if (quotes.length === 0) methods.append(h("p", {}, "No shipping to this country."));
  }
  country.addEventListener("change", () => void loadMethods().catch((e) => mount(status, notice("error", errorText(e)))));

  const form = h(
    "form",
    { class: "checkout", onsubmit: (ev: Event) => void placeOrder(ev, form, lines, status) },
    h("h2", {}, "Checkout"),
    field("Name", input("name", { autocomplete: "name", maxlength: 200 })),
    field("Email", input("email", { type: "email", autocomplete: "email", maxlength: 254 })),
    field("Street and number", input("line1", { autocomplete: "address-line1", maxlength: 200 })),
    field("Postal code", input("postal_code", { autocomplete: "postal-code", maxlength: 20 })),
    field("City", input("city", { autocomplete: "address-level2", maxlength: 100 })),
    field("Country", country),
    methods,
    h("button", { type: "submit" }, "Place order"),
  );
  mount(
    main,
    h("h1", {}, "Your cart"),
    h(
      "table",
      {},
      h("caption", { class: "visually-hidden" }, "Cart"),
      h("thead", {}, h("tr", {}, ["Product", "Quantity", "Amount", ""].map((x) => h("th", { scope: "col" }, x)))),
      h("tbody", {}, rows),
      h("tfoot", {}, h("tr", {}, h("th", { scope: "row", colspan: 2 }, "Subtotal"), h("td", { class: "num" }, money(subtotal, currency)), h("td"))),
    ),
    form,
    status,
  );
  await loadMethods();
}

async function placeOrder(ev: Event, form: HTMLFormElement, lines: CartLine[], status: HTMLElement): Promise<void> {
  ev.preventDefault();
  const data = new FormData(form);
  const text = (k: string) => String(data.get(k) ?? "").trim();
  // One key per checkout attempt: a retry after a lost response reuses it and gets the same
  // order; a changed cart starts a new attempt.
  const attempt = JSON.stringify([lines, ...["name", "email", "line1", "postal_code", "city", "country", "shipping_method"].map(text)]);
  let key = sessionStorage.getItem("bh-checkout-key");
  if (!key || sessionStorage.getItem("bh-checkout-attempt") !== attempt) {
    key = newIdempotencyKey();
    sessionStorage.setItem("bh-checkout-key", key);
    sessionStorage.setItem("bh-checkout-attempt", attempt);
  }
  const button = form.querySelector("button[type=submit]") as HTMLButtonElement;
  button.disabled = true;
  mount(status, notice("info", "Placing the order…"));
  try {
    const method = text("shipping_method");
    const order = await api.POST("/v1/storefront/checkouts", {
      params: { header: idempotencyHeader(key) },
      body: {
        lines: lines.map((l) => ({ sku: l.sku, quantity: l.quantity })),
        customer: { name: text("name"), email: text("email") },
        shipping_address: {
          name: text("name"),
          line1: text("line1"),
          postal_code: text("postal_code"),
          city: text("city"),
          country: text("country"),
        },
        ...(method ? { shipping_method: method } : {}),
      },
    });
    sessionStorage.removeItem("bh-checkout-key");
    sessionStorage.removeItem("bh-checkout-attempt");
    sessionStorage.setItem(`bh-order-token:${order.id}`, order.access_token);
    saveCart([]);
    go(`${BASE}orders/${order.id}`);
  } catch (error) {
    button.disabled = false;
    if (isProblem(error, "out-of-stock")) {
      const items = error.unavailable.map((u) => `${u.sku}: ${u.available} of ${u.requested} available`);
      mount(status, notice("error", `Not enough stock. ${items.join("; ")}`));
    } else if (isProblem(error, "validation")) {
      mount(status, notice("error", error.fieldErrors.map((f) => `${f.field}: ${f.message}`).join("; ") || errorText(error)));
    } else {
      mount(status, notice("error", errorText(error)));
    }
  }
}

async function orderPage(id: string): Promise<void> {
  const fromHash = new URLSearchParams(location.hash.slice(1)).get("token");
  const token = fromHash ?? sessionStorage.getItem(`bh-order-token:${id}`);
  if (!token) {
    mount(main, h("h1", {}, "Order"), notice("error", "This order's link has no access token."));
    return;
  }
  const order = await api.GET("/v1/storefront/orders/{id}", {
    params: { path: { id }, header: { "X-Order-Token": token } },
  });
  const share = `${location.origin}${BASE}orders/${order.id}#token=${encodeURIComponent(token)}`;
  mount(
    main,
    h("h1", {}, `Order ${order.number}`),
    h("p", { class: "order-status" }, "Status: ", h("strong", { "data-status": order.status }, order.status.replace(/_/g, " "))),
    h(
      "table",
      {},
      h("caption", {}, "Items"),
      h("thead", {}, h("tr", {}, ["SKU", "Quantity", "Amount"].map((x) => h("th", { scope: "col" }, x)))),
      h(
        "tbody",
        {},
        order.lines.map((l) =>
          h("tr", {}, h("td", {}, l.sku), h("td", { class: "num" }, l.quantity), h("td", { class: "num" }, money(l.line_total_minor, order.currency))),
        ),
      ),
    ),
    h(
      "dl",
      { class: "totals" },
      h("dt", {}, "Subtotal"),
      h("dd", {}, money(order.subtotal_minor, order.currency)),
      h("dt", {}, "Shipping"),
      h("dd", {}, money(order.shipping_minor, order.currency)),
      h("dt", {}, order.prices_include_tax ? "Included tax" : "Tax"),
      h("dd", {}, money(order.tax_minor, order.currency)),
      h("dt", {}, "Total"),
      h("dd", { class: "total" }, money(order.total_minor, order.currency)),
    ),
    h("p", {}, "Keep this link to see the order later: ", h("a", { href: share, class: "order-link" }, "order link")),
  );
}

// --- start -------------------------------------------------------------------------------

saveCart(cart());
applyTheme()
  .then(route)
  .catch((error) => mount(main, notice("error", `This shop is not available: ${errorText(error)}`)));
