// The console (/console/): staff sign in with POST /v1/auth/login; /v1/auth/me says who they
// are and their role in each brand. The owner sees the overview across brands (analytics) and
// may switch into any brand; other staff switch between their own brands. A brand's screens
// are requested with its slug in X-Tenant-ID. What the role may not do is not offered: the
// sections and actions come from permissions.json (the spec's "Permission `x`: roles ..."
// lines, checked against openapi.json by the browser test).
import "../common/base.css";
import "./console.css";

import type { BrandhouseClient, Schema } from "@brandhouse/client";

import { client } from "../common/api";
import { errorText, field, h, money, mount, notice, table } from "../common/dom";
import { lineChart } from "./chart";
import permissions from "./permissions.json";

type Permission = keyof typeof permissions;
type Role = Schema<"Role">;
type Me = Schema<"Me">;
type OrderSummary = Schema<"OrderSummary">;

const BASE = "/console/";
const app = document.getElementById("app") as HTMLElement;

let me: Me | undefined;
let brands: { slug: string; name: string; role: Role }[] = [];
let live: EventSource | undefined;

const token = () => sessionStorage.getItem("bh-token");
const anonymous = client();
const signedIn = client({ token });

/** The client for one brand: its slug in X-Tenant-ID. */
function inBrand(slug: string): BrandhouseClient {
  return signedIn.withBrand(slug);
}

function roleIn(slug: string): Role | undefined {
  if (me?.is_owner) return "owner";
  return brands.find((b) => b.slug === slug)?.role;
}

function can(slug: string | undefined, permission: Permission): boolean {
  const role = slug === undefined ? (me?.is_owner ? "owner" : undefined) : roleIn(slug);
  return role !== undefined && (permissions[permission] as string[]).includes(role);
}

/**
 * Live updates of a brand's screen: a stream ticket (the token never goes in a URL), then
 * Server-Sent Events; `onEvent` runs on each of `types`. The returned badge says whether the
 * stream is connected (`data-live`: connecting, on, off). Only one stream is open at a time:
 * the route closes it when the screen changes. Live updates are a convenience: the screen
 * still works (and says "not live") without them.
 */
function liveUpdates(slug: string, types: string[], onEvent: () => void): HTMLElement {
  const badge = h("span", { class: "live", "data-live": "off" }, "not live");
  if (!can(slug, "events.read")) return badge;
  const set = (state: "connecting" | "on" | "off", text: string) => {
    badge.dataset["live"] = state;
    badge.textContent = text;
  };
  set("connecting", "connecting…");
  void inBrand(slug)
    .POST("/v1/admin/events/tickets", { body: {} })
    .then((ticket) => {
      if (!badge.isConnected) return;
      live?.close();
      const stream = new EventSource(ticket.url);
      live = stream;
      stream.onopen = () => set("on", "live");
      stream.onerror = () => {
        stream.close();
        set("off", "not live");
      };
      for (const type of types) stream.addEventListener(type, onEvent);
    })
    .catch(() => set("off", "not live"));
  return badge;
}

// --- routing -----------------------------------------------------------------------------

function go(path: string): void {
  history.pushState(null, "", path);
  void route();
}

document.addEventListener("click", (ev) => {
  const a = (ev.target as Element | null)?.closest?.("a");
  if (!a || a.target || ev.metaKey || ev.ctrlKey || ev.shiftKey || ev.button !== 0) return;
  const url = new URL(a.href, location.href);
  if (url.origin === location.origin && url.pathname.startsWith(BASE)) {
    ev.preventDefault();
    go(url.pathname + url.search);
  }
});
window.addEventListener("popstate", () => void route());

interface Section {
  path: string;
  label: string;
  permission: Permission;
  render: (slug: string, view: HTMLElement) => Promise<void>;
}

const SECTIONS: Section[] = [
  { path: "orders", label: "Orders", permission: "orders.read", render: ordersView },
  { path: "products", label: "Products", permission: "catalog.read", render: productsView },
  { path: "stock", label: "Stock", permission: "stock.read", render: stockView },
  { path: "customers", label: "Customers", permission: "customers.read", render: customersView },
  { path: "inbox", label: "Inbox", permission: "chat.read", render: inboxView },
  { path: "import", label: "Import", permission: "imports.manage", render: importView },
];

async function route(): Promise<void> {
  live?.close();
  live = undefined;
  if (!token()) return signInView();
  if (!me) {
    try {
      await loadMe();
    } catch {
      sessionStorage.removeItem("bh-token");
      return signInView();
    }
  }
  const parts = location.pathname.slice(BASE.length).split("/").filter(Boolean);
  const view = h("main", { id: "main", tabindex: -1 });
  if (parts[0] === "brands" && parts[1]) {
    const slug = parts[1];
    const allowed = SECTIONS.filter((s) => can(slug, s.permission));
    const section = allowed.find((s) => s.path === parts[2]) ?? allowed[0];
    if (roleIn(slug) === undefined || section === undefined) {
      shell(undefined, undefined, view);
      mount(view, notice("error", "You have no access to this brand."));
      return;
    }
    shell(slug, section.path, view);
    await guarded(view, () => section.render(slug, view));
  } else if (me?.is_owner) {
    shell(undefined, "overview", view);
    await guarded(view, () => overviewView(view));
  } else {
    const first = brands[0];
    if (first) go(`${BASE}brands/${first.slug}`);
    else {
      shell(undefined, undefined, view);
      mount(view, notice("info", "Your account has no brand yet."));
    }
    return;
  }
  view.focus({ preventScroll: true });
}

async function guarded(view: HTMLElement, run: () => Promise<void>): Promise<void> {
  try {
    await run();
  } catch (error) {
    view.append(notice("error", errorText(error)));
  }
}

async function loadMe(): Promise<void> {
  me = await signedIn.GET("/v1/auth/me");
  brands = me.brands.map((b) => ({ slug: b.slug, name: b.name, role: b.role }));
  if (me.is_owner) {
    // The owner may act in every brand, member or not.
    const all = await signedIn.GET("/v1/admin/brands");
    brands = all.map((b) => ({ slug: b.slug, name: b.name, role: "owner" as Role }));
  }
}

// --- layout ------------------------------------------------------------------------------

function shell(slug: string | undefined, current: string | undefined, view: HTMLElement): void {
  const switcher = h(
    "select",
    {
      id: "brand-switcher",
      onchange: () => {
        const v = switcher.value;
        go(v === "" ? BASE : `${BASE}brands/${v}`);
      },
    },
    me?.is_owner ? h("option", { value: "", selected: slug === undefined }, "All brands (overview)") : null,
    brands.map((b) => h("option", { value: b.slug, selected: b.slug === slug }, b.name)),
  );
  const nav = h("nav", { "aria-label": "Sections" });
  const links: HTMLElement[] = [];
  if (slug === undefined && me?.is_owner) {
    links.push(h("a", { href: BASE, "aria-current": current === "overview" ? "page" : undefined }, "Overview"));
  }
  if (slug !== undefined) {
    for (const s of SECTIONS.filter((x) => can(slug, x.permission))) {
      links.push(
        h("a", { href: `${BASE}brands/${slug}/${s.path}`, "aria-current": s.path === current ? "page" : undefined }, s.label),
      );
    }
  }
  mount(nav, links);
  const role = slug ? roleIn(slug) : me?.is_owner ? "owner" : undefined;
  mount(
    app,
    h("a", { class: "skip", href: "#main" }, "Skip to content"),
    h(
      "header",
      { class: "top" },
      h("strong", { class: "logo" }, "brandhouse"),
      field("Brand", switcher),
      h("span", { class: "who" }, me?.user.display_name ?? "", role ? ` · ${role.replace("_", " ")}` : ""),
      h(
        "button",
        {
          type: "button",
          class: "secondary",
          onclick: () => {
            void signedIn.POST("/v1/auth/logout").catch(() => undefined);
            sessionStorage.removeItem("bh-token");
            me = undefined;
            go(BASE);
          },
        },
        "Sign out",
      ),
    ),
    nav,
    view,
  );
}

// --- sign-in -----------------------------------------------------------------------------

function signInView(): void {
  const email = h("input", { type: "email", name: "email", autocomplete: "username", required: true, maxlength: 254 });
  const password = h("input", { type: "password", name: "password", autocomplete: "current-password", required: true, maxlength: 1024 });
  const status = h("div", { role: "status" });
  mount(
    app,
    h(
      "main",
      { id: "main", class: "sign-in" },
      h("h1", {}, "brandhouse console"),
      h(
        "form",
        {
          onsubmit: async (ev: Event) => {
            ev.preventDefault();
            mount(status, notice("info", "Signing in…"));
            try {
              const login = await anonymous.POST("/v1/auth/login", { body: { email: email.value, password: password.value } });
              sessionStorage.setItem("bh-token", login.token);
              me = undefined;
              await route();
            } catch (error) {
              mount(status, notice("error", errorText(error)));
            }
          },
        },
        field("Email", email),
        field("Password", password),
        h("button", { type: "submit" }, "Sign in"),
      ),
      status,
    ),
  );
  email.focus();
}

// --- overview (owner) --------------------------------------------------------------------

function isoDate(d: Date): string {
  return d.toISOString().slice(0, 10);
}

async function overviewView(view: HTMLElement): Promise<void> {
  const to = new Date();
  const from = new Date(to.getTime() - 29 * 86_400_000);
  const range = { from: isoDate(from), to: isoDate(to) };
  mount(view, h("h1", {}, "All brands"), h("p", { role: "status" }, "Loading…"));
  const [overview, series, top, inventory] = await Promise.all([
    signedIn.GET("/v1/admin/analytics/overview", { params: { query: range } }),
    signedIn.GET("/v1/admin/analytics/timeseries", { params: { query: { ...range, interval: "day" } } }),
    signedIn.GET("/v1/admin/analytics/top-products", { params: { query: { ...range, limit: 5 } } }),
    signedIn.GET("/v1/admin/analytics/inventory"),
  ]);
  const open = (slug: string, name: string) => h("a", { href: `${BASE}brands/${slug}/orders` }, name);
  mount(
    view,
    h("h1", {}, "All brands"),
    h("p", {}, `${range.from} to ${range.to}`),
    h(
      "ul",
      { class: "totals", "aria-label": "Totals per currency" },
      overview.totals.map((t) =>
        h(
          "li",
          { class: "kpi" },
          h("span", { class: "kpi-value" }, money(t.revenue_minor, t.currency)),
          h("span", {}, `${t.order_count} orders · ${t.units_sold} units · ${t.brands} brand(s)`),
        ),
      ),
    ),
    h(
      "table",
      { id: "brand-revenue" },
      h("caption", {}, "Revenue per brand"),
      h("thead", {}, h("tr", {}, ["Brand", "Revenue", "Orders", "Units", "Average order", "New customers"].map((x) => h("th", { scope: "col" }, x)))),
      h(
        "tbody",
        {},
        overview.brands.map((b) =>
          h(
            "tr",
            { "data-brand": b.slug },
            h("th", { scope: "row" }, open(b.slug, b.name)),
            h("td", { class: "num revenue" }, money(b.revenue_minor, b.currency)),
            h("td", { class: "num" }, b.order_count),
            h("td", { class: "num" }, b.units_sold),
            h("td", { class: "num" }, money(b.average_order_value_minor, b.currency)),
            h("td", { class: "num" }, b.new_customers),
          ),
        ),
      ),
    ),
    h(
      "figure",
      { class: "chart" },
      lineChart(
        series.series.map((s) => ({ label: s.slug, points: s.points.map((p) => ({ x: p.start.slice(0, 10), y: p.order_count })) })),
        "Orders per day",
      ),
      h("figcaption", {}, "Orders per day and brand (paid orders)"),
    ),
    h(
      "div",
      { class: "columns" },
      h(
        "section",
        {},
        h("h2", {}, "Top products"),
        top.map((b) =>
          table(
            b.slug,
            ["#", "Product", "Units", "Revenue"],
            b.products.map((p) => [p.rank, p.name, p.units, money(p.revenue_minor, b.currency)]),
          ),
        ),
      ),
      h(
        "section",
        {},
        h("h2", {}, "Inventory health"),
        table(
          "SKUs per brand",
          ["Brand", "Active SKUs", "Low", "Out of stock", "Reserved units"],
          inventory.map((i) => [open(i.slug, i.name), i.active_skus, i.low_stock_skus, i.out_of_stock_skus, i.reserved_units]),
        ),
      ),
    ),
  );
}

// --- orders ------------------------------------------------------------------------------

const STATUSES = ["pending_payment", "paid", "partially_shipped", "shipped", "cancelled", "expired", "payment_conflict"] as const;

async function ordersView(slug: string, view: HTMLElement): Promise<void> {
  const api = inBrand(slug);
  const filter = h(
    "select",
    { name: "status" },
    h("option", { value: "" }, "any"),
    STATUSES.map((s) => h("option", { value: s }, s.replace(/_/g, " "))),
  );
  const list = h("div");
  const status = h("div", { role: "status" });

  async function load(): Promise<void> {
    const query = filter.value ? { status: filter.value as OrderSummary["status"], limit: 50 } : { limit: 50 };
    const page = await api.GET("/v1/admin/orders", { params: { query } });
    mount(
      list,
      h(
        "table",
        { id: "orders" },
        h("caption", {}, "Orders"),
        h("thead", {}, h("tr", {}, ["Number", "Status", "Customer", "Total", "Created", "Actions"].map((x) => h("th", { scope: "col" }, x)))),
        h("tbody", {}, page.items.map((o) => orderRow(o))),
      ),
    );
  }

  function orderRow(o: OrderSummary): HTMLElement {
    const actions: HTMLElement[] = [];
    const act = (label: string, run: () => Promise<unknown>) =>
      h(
        "button",
        {
          type: "button",
          class: "secondary",
          "data-action": label.toLowerCase().replace(/ /g, "-"),
          onclick: async () => {
            try {
              await run();
              mount(status, notice("info", `Order ${o.number}: ${label.toLowerCase()} done.`));
              await load();
            } catch (error) {
              mount(status, notice("error", `Order ${o.number}: ${errorText(error)}`));
            }
          },
        },
        label,
      );
    const path = { params: { path: { number: o.number } } };
    if (can(slug, "orders.manage") && (o.status === "pending_payment" || o.status === "payment_conflict")) {
      actions.push(act("Mark paid", () => api.POST("/v1/admin/orders/{number}/mark-paid", path)));
    }
    if (can(slug, "fulfilment") && (o.status === "paid" || o.status === "partially_shipped")) {
      actions.push(act("Ship", () => api.POST("/v1/admin/orders/{number}/ship", path)));
    }
    if (can(slug, "orders.manage") && (o.status === "pending_payment" || o.status === "paid" || o.status === "payment_conflict")) {
      actions.push(act("Cancel", () => api.POST("/v1/admin/orders/{number}/cancel", path)));
    }
    return h(
      "tr",
      { "data-order": o.number, "data-status": o.status },
      h("td", {}, o.number),
      h("td", { class: "status" }, o.status.replace(/_/g, " ")),
      h("td", {}, o.customer_name ?? "", h("br"), h("small", {}, o.customer_email ?? "")),
      h("td", { class: "num" }, money(o.total_minor, o.currency)),
      h("td", {}, new Date(o.created_at).toLocaleString()),
      h("td", { class: "actions" }, actions),
    );
  }

  filter.addEventListener("change", () => void load().catch((e) => mount(status, notice("error", errorText(e)))));
  mount(view, h("h1", {}, "Orders"), field("Status", filter), status, list);
  await load();
  // Any order event reloads the list.
  const badge = liveUpdates(
    slug,
    ["order.created", "order.paid", "order.payment_conflict", "order.cancelled", "order.expired", "order.shipped", "shipment.created"],
    () => void load().catch(() => undefined),
  );
  view.querySelector("h1")?.append(" ", badge);
}

// --- products ----------------------------------------------------------------------------

async function productsView(slug: string, view: HTMLElement): Promise<void> {
  const api = inBrand(slug);
  const body = h("tbody");
  const more = h("button", { type: "button", class: "secondary" }, "More products");
  let cursor: string | undefined;
  async function load(): Promise<void> {
    const page = await api.GET("/v1/admin/products", { params: { query: { limit: 25, ...(cursor ? { cursor } : {}) } } });
    for (const p of page.items) {
      body.append(
        h(
          "tr",
          {},
          h("td", {}, p.number),
          h("td", {}, p.name, h("br"), h("small", {}, `${p.category_code ?? ""} · ${p.status}`)),
          h("td", { class: "num" }, money(p.base_price_minor, p.currency)),
          h(
            "td",
            {},
            h(
              "ul",
              { class: "skus" },
              (p.variants ?? []).map((v) =>
                h("li", {}, h("code", {}, v.sku), " ", v.options.map((o) => o.value).join(" / "), " ", money(v.price_minor, p.currency)),
              ),
            ),
          ),
        ),
      );
    }
    cursor = page.next_cursor ?? undefined;
    more.hidden = cursor === undefined;
  }
  more.addEventListener("click", () => void load());
  mount(
    view,
    h("h1", {}, "Products"),
    h(
      "table",
      { id: "products" },
      h("caption", {}, "Products with their variants and SKUs"),
      h("thead", {}, h("tr", {}, ["#", "Product", "Price", "Variants and SKUs"].map((x) => h("th", { scope: "col" }, x)))),
      body,
    ),
    more,
  );
  await load();
}

// --- stock -------------------------------------------------------------------------------

async function stockView(slug: string, view: HTMLElement): Promise<void> {
  const api = inBrand(slug);
  const zones = await api.GET("/v1/admin/zones");
  const zoneFilter = h("select", { name: "zone" }, h("option", { value: "" }, "all zones"), zones.map((z) => h("option", { value: z.code }, `${z.code} · ${z.name}`)));
  const skuFilter = h("input", { type: "search", name: "sku", maxlength: 64 });
  const list = h("div");
  const status = h("div", { role: "status" });

  async function load(): Promise<void> {
    const query = { limit: 100, ...(zoneFilter.value ? { zone: zoneFilter.value } : {}), ...(skuFilter.value.trim() ? { sku: skuFilter.value.trim() } : {}) };
    const rows = await api.GET("/v1/admin/stock", { params: { query } });
    mount(
      list,
      h(
        "table",
        { id: "stock" },
        h("caption", {}, "Stock by zone"),
        h("thead", {}, h("tr", {}, ["SKU", "Zone", "On hand", "Reserved", "Available"].map((x) => h("th", { scope: "col" }, x)))),
        h(
          "tbody",
          {},
          rows.map((r) =>
            h(
              "tr",
              { "data-sku": r.sku, "data-zone": r.zone },
              h("td", {}, h("code", {}, r.sku)),
              h("td", {}, r.zone),
              h("td", { class: "num on-hand" }, r.on_hand),
              h("td", { class: "num" }, r.reserved),
              h("td", { class: "num available" }, r.available),
            ),
          ),
        ),
      ),
    );
  }

  // Stock alerts: the variants below their reorder threshold, refreshed live on `stock.low`
  // (and whenever orders reserve, release or ship units).
  const alerts = h("section", { id: "low-stock", "aria-live": "polite" });
  async function loadAlerts(): Promise<void> {
    const low = await api.GET("/v1/admin/stock/low");
    mount(
      alerts,
      h("h2", {}, "Stock alerts"),
      low.length === 0
        ? h("p", {}, "No variant is below its reorder threshold.")
        : h(
            "ul",
            { class: "alerts" },
            low.map((l) =>
              h(
                "li",
                { "data-sku": l.sku },
                h("code", {}, l.sku),
                ` ${l.product_name}: ${l.available} available, reorder below ${l.reorder_threshold}`,
              ),
            ),
          ),
    );
  }
  zoneFilter.addEventListener("change", () => void load());
  const filters = h(
    "form",
    { class: "inline", role: "search", onsubmit: (ev: Event) => (ev.preventDefault(), void load()) },
    field("Zone", zoneFilter),
    field("SKU", skuFilter),
    h("button", { type: "submit" }, "Filter"),
  );

  let form: HTMLElement | null = null;
  if (can(slug, "stock.write")) {
    const sku = h("input", { name: "sku", required: true, maxlength: 64 });
    const zone = h("select", { name: "zone" }, zones.map((z) => h("option", { value: z.code }, z.code)));
    const amount = h("input", { type: "number", name: "amount", required: true, step: 1, value: 1 });
    const reason = h("input", { name: "reason", maxlength: 200 });
    const kind = h("select", { name: "kind" }, h("option", { value: "receive" }, "Receive (add units)"), h("option", { value: "adjust" }, "Adjust (+/- units)"));
    form = h(
      "form",
      {
        class: "stock-form",
        onsubmit: async (ev: Event) => {
          ev.preventDefault();
          const n = Number(amount.value);
          if (!Number.isSafeInteger(n)) return mount(status, notice("error", "The amount must be a whole number."));
          const base = { sku: sku.value.trim(), zone: zone.value, ...(reason.value.trim() ? { reason: reason.value.trim() } : {}) };
          try {
            if (kind.value === "receive") await api.POST("/v1/admin/stock/receive", { body: { ...base, quantity: n } });
            else await api.POST("/v1/admin/stock/adjust", { body: { ...base, delta: n } });
            skuFilter.value = base.sku;
            await Promise.all([load(), loadAlerts()]);
            mount(status, notice("info", `${base.sku} in ${base.zone}: ${kind.value} ${n} done.`));
          } catch (error) {
            mount(status, notice("error", errorText(error)));
          }
        },
      },
      h("h2", {}, "Receive or adjust"),
      field("Action", kind),
      field("SKU", sku),
      field("Zone", zone),
      field("Units", amount),
      field("Reason (optional)", reason),
      h("button", { type: "submit" }, "Save"),
    );
  }
  mount(view, h("h1", {}, "Stock"), alerts, filters, status, form, list);
  await Promise.all([load(), loadAlerts()]);
  const badge = liveUpdates(slug, ["stock.low", "order.created", "order.cancelled", "order.expired", "shipment.created"], () => {
    void loadAlerts().catch(() => undefined);
    void load().catch(() => undefined);
  });
  view.querySelector("h1")?.append(" ", badge);
}

// --- customers ---------------------------------------------------------------------------

async function customersView(slug: string, view: HTMLElement): Promise<void> {
  const api = inBrand(slug);
  const q = h("input", { type: "search", name: "q", maxlength: 200 });
  const list = h("div");
  async function load(): Promise<void> {
    const rows = await api.GET("/v1/admin/customers", { params: { query: q.value.trim() ? { q: q.value.trim() } : {} } });
    mount(
      list,
      table("Customers", ["Name", "Email", "Phone", "Orders", "Since"], rows.map((c) => [c.name ?? "", c.email ?? "", c.phone ?? "", c.order_count, c.created_at.slice(0, 10)])),
    );
  }
  mount(
    view,
    h("h1", {}, "Customers"),
    h("form", { role: "search", class: "inline", onsubmit: (ev: Event) => (ev.preventDefault(), void load()) }, field("Search", q), h("button", { type: "submit" }, "Search")),
    list,
  );
  await load();
}

// --- WhatsApp inbox ----------------------------------------------------------------------

async function inboxView(slug: string, view: HTMLElement): Promise<void> {
  const api = inBrand(slug);
  const list = h("div", { class: "inbox-list" });
  const detail = h("section", { class: "conversation", "aria-live": "polite" });

  async function loadList(): Promise<void> {
    const conversations = await api.GET("/v1/admin/conversations");
    mount(
      list,
      conversations.length === 0
        ? h("p", {}, "No conversations yet.")
        : h(
            "ul",
            { class: "inbox" },
            conversations.map((c) =>
              h(
                "li",
                { "data-conversation": c.id, "data-state": c.state },
                h(
                  "button",
                  {
                    type: "button",
                    class: "secondary",
                    onclick: () => void openConversation(c.id).catch((e) => mount(detail, notice("error", errorText(e)))),
                  },
                  `${c.customer_name ?? c.wa_id} · ${c.state}`,
                ),
                h("br"),
                h("small", {}, c.last_message ?? ""),
              ),
            ),
          ),
    );
  }

  /** After a reply or a hand-back: the conversation and the list (its state changed). */
  async function refresh(id: string): Promise<void> {
    await Promise.all([openConversation(id), loadList()]);
  }

  let shown: string | undefined;
  async function openConversation(id: string): Promise<void> {
    shown = id;
    const c = await api.GET("/v1/admin/conversations/{id}", { params: { path: { id } } });
    const status = h("div", { role: "status" });
    const text = h("textarea", { name: "text", rows: 3, required: true, maxlength: 4096 });
    mount(
      detail,
      h("h2", {}, c.conversation.customer_name ?? c.conversation.wa_id),
      h(
        "p",
        { class: "state", "data-state": c.conversation.state },
        `Answered by: ${c.conversation.state === "human" ? "staff" : "the assistant"}`,
        c.conversation.window_open ? "" : " · the 24-hour window is closed",
      ),
      h(
        "ol",
        { class: "messages" },
        c.messages.map((m) =>
          h("li", { class: `msg ${m.author}` }, h("small", {}, `${m.author} · ${new Date(m.created_at).toLocaleString()}`), h("p", {}, m.body ?? `(${m.kind})`)),
        ),
      ),
      can(slug, "chat.reply")
        ? [
            h(
              "form",
              {
                onsubmit: async (ev: Event) => {
                  ev.preventDefault();
                  try {
                    await api.POST("/v1/admin/conversations/{id}/reply", { params: { path: { id } }, body: { text: text.value } });
                    await refresh(id);
                  } catch (error) {
                    mount(status, notice("error", errorText(error)));
                  }
                },
              },
              field("Reply", text),
              h("button", { type: "submit" }, "Send reply"),
            ),
            c.conversation.state === "human"
              ? h(
                  "button",
                  {
                    type: "button",
                    class: "secondary",
                    onclick: async () => {
                      try {
                        await api.POST("/v1/admin/conversations/{id}/handback", { params: { path: { id } } });
                        await refresh(id);
                      } catch (error) {
                        mount(status, notice("error", errorText(error)));
                      }
                    },
                  },
                  "Hand back to the assistant",
                )
              : null,
          ]
        : null,
      status,
    );
  }

  mount(view, h("h1", {}, "WhatsApp inbox"), h("div", { class: "columns" }, list, detail));
  await loadList();
  // A customer's new message or a handoff: the list, and the open conversation, again.
  const badge = liveUpdates(slug, ["conversation.message", "conversation.handoff"], () => {
    void loadList().catch(() => undefined);
    if (shown !== undefined && !detail.contains(document.activeElement)) void openConversation(shown).catch(() => undefined);
  });
  view.querySelector("h1")?.append(" ", badge);
}

// --- CSV import --------------------------------------------------------------------------

async function importView(slug: string, view: HTMLElement): Promise<void> {
  const api = inBrand(slug);
  const file = h("input", { type: "file", name: "file", accept: ".csv,text/csv", required: true });
  const dryRun = h("input", { type: "checkbox", name: "dry_run" });
  const progress = h("progress", { max: 1, value: 0, "aria-label": "Import progress" });
  const status = h("div", { role: "status" });

  async function follow(id: string): Promise<void> {
    for (;;) {
      const job = await api.GET("/v1/admin/imports/{id}", { params: { path: { id } } });
      const total = job.rows_total ?? 0;
      progress.max = Math.max(total, 1);
      progress.value = job.state === "validating" ? job.rows_validated : job.rows_applied;
      mount(
        status,
        notice(
          job.state === "failed" ? "error" : "info",
          `${job.file_name}: ${job.state} · ${job.rows_validated}/${total} validated · ${job.rows_applied} applied · ${job.error_count} error(s)` +
            (job.failure ? ` · ${job.failure}` : ""),
        ),
        job.errors.length ? table("Row errors", ["Line", "Column", "Message"], job.errors.slice(0, 50).map((e) => [e.line, e.column ?? "", e.message])) : null,
      );
      if (job.state === "done" || job.state === "failed") return;
      await new Promise((r) => setTimeout(r, 700));
    }
  }

  mount(
    view,
    h("h1", {}, "CSV import"),
    h(
      "form",
      {
        onsubmit: async (ev: Event) => {
          ev.preventDefault();
          const chosen = file.files?.[0];
          if (!chosen) return;
          const body = new FormData();
          body.append("file", chosen);
          if (dryRun.checked) body.append("dry_run", "true");
          try {
            // Multipart: the raw client with the browser's own body and boundary.
            const { data, error, response } = await api.raw.POST("/v1/admin/imports", {
              body: body as never,
              bodySerializer: (b: unknown) => b as FormData,
            });
            if (!response.ok || !data) throw error ?? new Error(`HTTP ${response.status}`);
            await follow(data.id);
          } catch (error) {
            mount(status, notice("error", errorText(error)));
          }
        },
      },
      field("CSV file", file),
      h("label", { class: "check" }, dryRun, " Dry run (validate only)"),
      h("button", { type: "submit" }, "Import"),
    ),
    progress,
    status,
  );
}

void route();
