// The browser tests of the console and the storefront: Debian's chromium (CHROMIUM), headless,
// driven by playwright-core, against a `brandhouse demo` server (BASE_URL) on a throwaway
// database. scripts/web-test.sh starts both. Every request the pages make must stay on the
// server (loopback): anything else fails the run, as does any console error or page error.
import assert from "node:assert/strict";
import { createHmac, randomUUID } from "node:crypto";
import { mkdirSync, readFileSync } from "node:fs";
import { test } from "node:test";

import { chromium } from "playwright-core";

const BASE = process.env.BASE_URL ?? "http://127.0.0.1:8080";
const PORT = new URL(BASE).port;
const OUT = process.env.WEB_TEST_OUT ?? "test-output";
mkdirSync(OUT, { recursive: true });
const shopUrl = (slug) => `http://${slug}.localhost:${PORT}/shop/`;
const OWNER = ["owner@brandhouse.demo", "demo-owner-2026"];
const MANAGER = ["manager@fiber-x.demo", "demo-manager-2026"];
const WAREHOUSE = ["warehouse@fiber-x.demo", "demo-warehouse-2026"];
const SUPPORT = ["support@fiber-x.demo", "demo-support-2026"];
const BRANDS = { "fiber-x": "FBX-", suzume: "SZM-", showstopper: "SHS-" };

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
  headless: true,
  // *.localhost is loopback; nothing else resolves, so no page can reach another host.
  args: ["--host-resolver-rules=MAP *.localhost 127.0.0.1, MAP * ~NOTFOUND, EXCLUDE 127.0.0.1", "--no-sandbox"],
});
// Closed by the last test ("the browser closes"): the root's `after` hook only runs once the
// event loop drains, which the browser's open pipe delays.

/** A fresh context and page that records console errors and off-server requests. */
async function openPage() {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  page.problems = [];
  page.on("console", (m) => m.type() === "error" && page.problems.push(`console: ${m.text()} at ${m.location().url}`));
  page.on("response", (r) => r.status() >= 400 && page.problems.push(`${r.status()} from ${r.url()}`));
  page.on("pageerror", (e) => page.problems.push(`page error: ${e.message}`));
  page.on("request", (r) => {
    const host = new URL(r.url()).hostname;
    if (!(host === "127.0.0.1" || host === "localhost" || host.endsWith(".localhost"))) {
      page.problems.push(`third-party request: ${r.url()}`);
    }
  });
  page.setDefaultTimeout(15_000);
  return page;
}

async function done(page) {
  assert.deepEqual(page.problems, [], "no console errors, page errors or third-party requests");
  await page.context().close();
}

async function signIn(page, [email, password]) {
  await page.goto(`${BASE}/console/`);
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.locator("#brand-switcher").waitFor();
}

async function api(path, { brand, token, method = "GET", body, headers: extra = {}, expect = 200 } = {}) {
  const headers = { ...extra };
  if (brand) headers["X-Tenant-ID"] = brand;
  if (token) headers.Authorization = `Bearer ${token}`;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const res = await fetch(`${BASE}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  assert.equal(res.status, expect, `${method} ${path}: ${await res.clone().text()}`);
  return res.status === 204 ? null : res.json();
}

/** A staff token from the API's own login (for setting up what a test then sees in the page). */
async function login([email, password]) {
  return (await api("/v1/auth/login", { method: "POST", body: { email, password } })).token;
}

/** An order placed at Fiber X's storefront through the API; returns its number. */
async function placeOrder(customer) {
  const products = await api("/v1/storefront/products?limit=50", { brand: "fiber-x" });
  const variant = products.items.flatMap((p) => p.variants).find((v) => v.available > 2);
  const order = await api("/v1/storefront/checkouts", {
    brand: "fiber-x",
    method: "POST",
    expect: 201,
    headers: { "Idempotency-Key": randomUUID() },
    body: {
      lines: [{ sku: variant.sku, quantity: 1 }],
      customer: { name: customer, email: "live@example.com" },
      shipping_address: { name: customer, line1: "Torstraße 1", postal_code: "10119", city: "Berlin", country: "DE" },
      shipping_method: "standard",
    },
  });
  return order.number;
}

test("pages and assets are served with their types, caching and a CSP without inline script", async () => {
  for (const app of ["console", "shop"]) {
    const page = await fetch(`${BASE}/${app}/`);
    assert.equal(page.status, 200);
    assert.equal(page.headers.get("content-type"), "text/html; charset=utf-8");
    assert.equal(page.headers.get("cache-control"), "no-cache");
    const csp = page.headers.get("content-security-policy");
    assert.match(csp, /script-src 'self'/);
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
    const html = await page.text();
    assert.doesNotMatch(html, /<script(?![^>]*\bsrc=)[^>]*>/, "no inline <script> in index.html");
    const js = html.match(/src="(\/[^"]+\.js)"/)[1];
    const asset = await fetch(`${BASE}${js}`);
    assert.equal(asset.status, 200);
    assert.equal(asset.headers.get("content-type"), "text/javascript; charset=utf-8");
    assert.equal(asset.headers.get("cache-control"), "public, max-age=31536000, immutable");
    await asset.arrayBuffer();
    // A deep link is the app's page; a missing asset is a 404 problem, not the page.
    const deep = await fetch(`${BASE}/${app}/brands/fiber-x/orders`);
    assert.equal(deep.status, 200);
    assert.equal(await deep.text(), html);
    const missing = await fetch(`${BASE}/${app}/assets/nope.js`);
    assert.equal(missing.status, 404);
    assert.equal(missing.headers.get("content-type"), "application/problem+json");
    assert.equal((await missing.json()).status, 404);
    const post = await fetch(`${BASE}/${app}/`, { method: "POST" });
    assert.equal(post.status, 405);
    await post.arrayBuffer();
  }
  const first = await fetch(`${BASE}/shop/`);
  await first.arrayBuffer();
  const again = await fetch(`${BASE}/shop/`, { headers: { "If-None-Match": first.headers.get("etag") } });
  assert.equal(again.status, 304);
  await again.arrayBuffer();
});

test("the CSP holds: an injected inline script does not run", async () => {
  const page = await openPage();
  const violations = [];
  page.on("console", (m) => m.type() === "error" && violations.push(m.text()));
  await page.goto(shopUrl("fiber-x"));
  await page.locator(".card").first().waitFor();
  const ran = await page.evaluate(async () => {
    const seen = new Promise((resolve) => document.addEventListener("securitypolicyviolation", (e) => resolve(e.violatedDirective)));
    const s = document.createElement("script");
    s.textContent = "window.__injected = true";
    document.body.append(s);
    const img = document.createElement("div");
    img.innerHTML = '<img src="x" onerror="window.__injected = true">';
    document.body.append(img);
    return { injected: window.__injected === true, directive: await seen };
  });
  assert.equal(ran.injected, false, "inline script must not execute");
  assert.match(ran.directive, /script-src/);
  await page.context().close();
});

test("the owner signs in, sees every brand's revenue, switches brand and ships an order", async () => {
  const page = await openPage();
  await signIn(page, OWNER);
  const rows = page.locator("#brand-revenue tbody tr");
  await rows.first().waitFor();
  const shown = await rows.evaluateAll((trs) => trs.map((tr) => tr.dataset.brand));
  assert.deepEqual(shown.sort(), ["fiber-x", "showstopper", "suzume"]);
  for (const slug of shown) {
    const revenue = await page.locator(`#brand-revenue tr[data-brand="${slug}"] .revenue`).textContent();
    assert.match(revenue, /[0-9]/);
  }
  await page.locator("svg.line-chart polyline").first().waitFor();
  await page.screenshot({ path: `${OUT}/console-overview.png`, fullPage: true });

  // Switch into Suzume with the brand switcher, then Fiber X: X-Tenant-ID follows.
  const tenants = [];
  page.on("request", (r) => r.url().includes("/v1/admin/orders") && tenants.push(r.headers()["x-tenant-id"]));
  await page.locator("#brand-switcher").selectOption("suzume");
  await page.locator("#orders tbody tr").first().waitFor();
  await page.locator("#brand-switcher").selectOption("fiber-x");
  await page.waitForURL(/brands\/fiber-x/);
  await page.locator("#orders tbody tr").first().waitFor();
  assert.ok(tenants.includes("suzume") && tenants.includes("fiber-x"), `tenants seen: ${tenants}`);

  const paid = page.locator('#orders tr[data-status="paid"]').first();
  const number = await paid.getAttribute("data-order");
  await paid.getByRole("button", { name: "Ship" }).click();
  await page.locator(`#orders tr[data-order="${number}"][data-status="shipped"]`).waitFor();
  await page.screenshot({ path: `${OUT}/console-orders.png`, fullPage: true });
  await done(page);
});

test("a Fiber X brand manager sees no Suzume data and no owner-only screen", async () => {
  const page = await openPage();
  // Everything the API sends this page: none of it may be Suzume's.
  const bodies = [];
  const tenants = new Set();
  page.on("request", (r) => r.url().includes("/v1/") && tenants.add(r.headers()["x-tenant-id"]));
  page.on("response", (r) => {
    // The event stream never ends: its events are checked by the pages they reload.
    if (r.url().includes("/v1/") && !(r.headers()["content-type"] ?? "").startsWith("text/event-stream")) {
      bodies.push(r.text().catch(() => ""));
    }
  });
  await signIn(page, MANAGER);
  await page.waitForURL(/brands\/fiber-x/);
  const options = await page.locator("#brand-switcher option").evaluateAll((os) => os.map((o) => o.value));
  assert.deepEqual(options, ["fiber-x"], "only their own brand, no overview");
  assert.equal(await page.getByRole("link", { name: "Overview" }).count(), 0);
  // Straight to another brand's URL: refused in the page, and no Suzume data arrives.
  await page.goto(`${BASE}/console/brands/suzume/orders`);
  await page.getByText("You have no access to this brand.").waitFor();
  assert.equal(await page.locator("#orders").count(), 0);
  await page.goto(`${BASE}/console/`);
  await page.waitForURL(/brands\/fiber-x/);
  assert.equal(await page.locator("#brand-revenue").count(), 0);
  await page.locator("#orders tbody tr").first().waitFor();
  assert.ok(!tenants.has("suzume"), `brands asked for: ${[...tenants]}`);
  const seen = (await Promise.all(bodies)).join("\n");
  assert.match(seen, /"fiber-x"/, "the page did receive Fiber X's data");
  assert.doesNotMatch(seen, /SZM-|"suzume"|Suzume/, "no Suzume data reached the page");
  await done(page);
});

test("a warehouse user is not offered what the role may not do", async () => {
  const page = await openPage();
  await signIn(page, WAREHOUSE);
  await page.locator("#orders tbody tr").first().waitFor();
  const nav = await page.locator("nav a").allTextContents();
  assert.deepEqual(nav, ["Orders", "Products", "Stock"]);
  assert.equal(await page.getByRole("button", { name: "Mark paid" }).count(), 0);
  assert.equal(await page.getByRole("button", { name: "Cancel" }).count(), 0);
  assert.ok((await page.getByRole("button", { name: "Ship" }).count()) > 0, "fulfilment is theirs");
  await page.getByRole("link", { name: "Stock" }).click();
  await page.getByRole("heading", { name: "Receive or adjust" }).waitFor();
  await done(page);
});

test("a support user gets the inbox but no stock form, import or order actions", async () => {
  const page = await openPage();
  await signIn(page, SUPPORT);
  await page.locator("#orders tbody tr").first().waitFor();
  assert.deepEqual(await page.locator("nav a").allTextContents(), ["Orders", "Products", "Stock", "Customers", "Inbox"]);
  assert.equal(await page.locator("#orders button").count(), 0, "no order action is theirs");
  await page.getByRole("link", { name: "Stock" }).click();
  await page.locator("#stock tbody tr").first().waitFor();
  assert.equal(await page.getByRole("heading", { name: "Receive or adjust" }).count(), 0);
  await done(page);
});

test("an order placed elsewhere appears in the open order list without a reload", async () => {
  const page = await openPage();
  await signIn(page, MANAGER);
  await page.locator("#orders tbody tr").first().waitFor();
  await page.locator('[data-live="on"]').waitFor();
  await page.evaluate(() => (window.__sameDocument = true));
  const number = await placeOrder("Live Lena");
  const row = page.locator(`#orders tr[data-order="${number}"]`);
  await row.waitFor();
  assert.equal(await row.getAttribute("data-status"), "pending_payment");
  assert.ok(await page.evaluate(() => window.__sameDocument === true), "the page was not reloaded");
  await done(page);
});

test("stock: a stock alert arrives live; receive and adjust through the form", async () => {
  const token = await login(MANAGER);
  const stock = await api("/v1/admin/stock?zone=BER&limit=1", { brand: "fiber-x", token });
  const sku = stock[0].sku;
  const levels = await api(`/v1/admin/stock?sku=${encodeURIComponent(sku)}`, { brand: "fiber-x", token });
  const available = levels.filter((l) => l.sku === sku).reduce((n, l) => n + l.available, 0);
  // At the threshold: not low yet; one unit less crosses it.
  await api(`/v1/admin/variants/${encodeURIComponent(sku)}`, { brand: "fiber-x", token, method: "PATCH", body: { reorder_threshold: available } });

  const page = await openPage();
  await signIn(page, MANAGER);
  await page.goto(`${BASE}/console/brands/fiber-x/stock`);
  await page.locator("#stock tbody tr").first().waitFor();
  await page.locator('[data-live="on"]').waitFor();
  assert.equal(await page.locator(`#low-stock li[data-sku="${sku}"]`).count(), 0);
  await api("/v1/admin/stock/adjust", { brand: "fiber-x", token, method: "POST", body: { sku, zone: "BER", delta: -1, reason: "breakage" } });
  await page.locator(`#low-stock li[data-sku="${sku}"]`).waitFor();
  await page.screenshot({ path: `${OUT}/console-stock.png`, fullPage: true });

  const onHand = async () => Number(await page.locator(`#stock tr[data-sku="${sku}"][data-zone="BER"] .on-hand`).textContent());
  const form = page.locator("form.stock-form");
  await form.getByLabel("Action").selectOption("receive");
  await form.getByLabel("SKU").fill(sku);
  await form.getByLabel("Zone").selectOption("BER");
  await form.getByLabel("Units", { exact: true }).fill("5");
  await form.getByRole("button", { name: "Save" }).click();
  await page.getByText(`${sku} in BER: receive 5 done.`).waitFor();
  const received = await onHand();
  await page.locator(`#low-stock li[data-sku="${sku}"]`).waitFor({ state: "detached" });
  await form.getByLabel("Action").selectOption("adjust");
  await form.getByLabel("Units", { exact: true }).fill("-2");
  await form.getByLabel("Reason (optional)").fill("counted");
  await form.getByRole("button", { name: "Save" }).click();
  await page.getByText(`${sku} in BER: adjust -2 done.`).waitFor();
  assert.equal(await onHand(), received - 2);
  await done(page);
});

test("customers are listed and searched", async () => {
  const page = await openPage();
  await signIn(page, MANAGER);
  await page.goto(`${BASE}/console/brands/fiber-x/customers`);
  const rows = page.locator("table tbody tr");
  await rows.first().waitFor();
  assert.ok((await rows.allTextContents()).some((r) => r.includes("Ana Weber")));
  await page.getByLabel("Search").fill("Weber");
  await page.getByRole("button", { name: "Search" }).click();
  await page.waitForFunction(() => [...document.querySelectorAll("table tbody tr")].every((tr) => tr.textContent.includes("Weber")));
  assert.ok((await rows.count()) >= 1);
  await done(page);
});

test("a CSV import shows its progress and lands in the catalog", async () => {
  const csv = [
    "handle,category,name,description,price,status,option1_name,option1_values,option2_name,option2_values,stock_BER",
    "web-test-scalp-oil,HAIR,Web Test Scalp Oil,A light scalp oil.,12.50,active,Size,50 ml=50ML|100 ml=100ML,,,7",
    "web-test-clip,STYL,Web Test Clip,A hair clip.,4.00,active,,,,,15",
  ].join("\n");
  const page = await openPage();
  await signIn(page, MANAGER);
  await page.goto(`${BASE}/console/brands/fiber-x/import`);
  await page.getByLabel("CSV file").setInputFiles({ name: "web-test.csv", mimeType: "text/csv", buffer: Buffer.from(csv) });
  await page.getByRole("button", { name: "Import" }).click();
  const summary = page.locator(".notice", { hasText: "web-test.csv: done" });
  await summary.waitFor();
  assert.match(await summary.textContent(), /2\/2 validated · 2 applied · 0 error/);
  const progress = page.getByLabel("Import progress");
  assert.equal(await progress.evaluate((p) => p.value), await progress.evaluate((p) => p.max));
  await page.screenshot({ path: `${OUT}/console-import.png`, fullPage: true });
  const token = await login(MANAGER);
  const products = await api("/v1/admin/products?category=HAIR&limit=100", { brand: "fiber-x", token });
  assert.ok(products.items.some((p) => p.name === "Web Test Scalp Oil"), "the imported product is in the catalog");
  await done(page);
});

test("the WhatsApp inbox: support replies to a customer and hands back to the assistant", async () => {
  // Fiber X's WhatsApp number (checked against the fake Graph API) and its own Meta app secret,
  // then a customer's message through the brand's signed webhook.
  const secret = "web-test-app-secret";
  const number = "106540352242922";
  const manager = await login(MANAGER);
  await api("/v1/admin/chat/settings", {
    brand: "fiber-x",
    token: manager,
    method: "PATCH",
    body: { phone_number_id: number, access_token: "web-test-token", app_secret: secret },
  });
  const body = JSON.stringify({
    object: "whatsapp_business_account",
    entry: [{ id: "1", changes: [{ field: "messages", value: {
      messaging_product: "whatsapp",
      metadata: { display_phone_number: "15550001111", phone_number_id: number },
      contacts: [{ profile: { name: "Iris Inbox" }, wa_id: "34600123456" }],
      messages: [{ from: "34600123456", id: `wamid.WEB${Date.now()}`, timestamp: String(Math.floor(Date.now() / 1000)), type: "text", text: { body: "Does the curl cream work on fine hair?" } }],
    } }] }],
  });
  const signature = `sha256=${createHmac("sha256", secret).update(body).digest("hex")}`;
  const hook = await fetch(`${BASE}/v1/webhooks/whatsapp/fiber-x`, {
    method: "POST",
    headers: { "Content-Type": "application/json", "X-Hub-Signature-256": signature },
    body,
  });
  assert.equal(hook.status, 200, await hook.text());

  const page = await openPage();
  await signIn(page, SUPPORT);
  await page.getByRole("link", { name: "Inbox" }).click();
  await page.getByRole("button", { name: /Iris Inbox/ }).click();
  // The list's preview shows the same text until the assistant has answered: the conversation's own.
  await page.locator(".conversation .msg.customer", { hasText: "Does the curl cream work on fine hair?" }).waitFor();
  await page.getByLabel("Reply").fill("Hi Iris, Sara here: yes, use a pea-sized amount.");
  await page.getByRole("button", { name: "Send reply" }).click();
  await page.locator(".conversation .msg.staff", { hasText: "Sara here" }).waitFor();
  await page.locator('.conversation .state[data-state="human"]').waitFor();
  await page.locator('.inbox li[data-state="human"]').waitFor();
  await page.screenshot({ path: `${OUT}/console-inbox.png`, fullPage: true });
  await page.getByRole("button", { name: "Hand back to the assistant" }).click();
  await page.locator('.conversation .state[data-state="bot"]').waitFor();
  assert.equal(await page.getByRole("button", { name: "Hand back to the assistant" }).count(), 0);
  await done(page);
});

test("the permissions the console uses are the spec's", async () => {
  const spec = JSON.parse(readFileSync(new URL("../../openapi/openapi.json", import.meta.url)));
  const used = JSON.parse(readFileSync(new URL("../src/console/permissions.json", import.meta.url)));
  const declared = {};
  for (const ops of Object.values(spec.paths)) {
    for (const op of Object.values(ops)) {
      const m = /Permission `([\w.]+)`: roles? ([\w, ]+)\./.exec(op.description ?? "");
      if (m) declared[m[1]] = m[2].split(",").map((r) => r.trim());
    }
  }
  for (const [permission, roles] of Object.entries(used)) assert.deepEqual(roles, declared[permission], permission);
});

async function rgb(hex) {
  const n = parseInt(hex.slice(1), 16);
  return `rgb(${(n >> 16) & 255}, ${(n >> 8) & 255}, ${n & 255})`;
}

for (const [slug, prefix] of Object.entries(BRANDS)) {
  test(`the ${slug} storefront wears its theme, shows only its products and checks out`, async () => {
    const theme = await api("/v1/storefront/theme", { brand: slug });
    const own = await api("/v1/storefront/products?limit=100", { brand: slug });
    const page = await openPage();
    await page.goto(shopUrl(slug));
    await page.locator(".card").first().waitFor();
    // The theme through CSS variables: the header's computed colour is the brand's primary.
    const header = await page.locator(".shop-header").evaluate((el) => getComputedStyle(el).backgroundColor);
    assert.equal(header, await rgb(theme.theme.colors.primary));
    assert.equal(await page.title(), theme.name);
    // The theme's logo, served by brandhouse, is shown in the header.
    const logo = page.locator(".shop-header img.logo");
    await logo.waitFor();
    assert.equal(await logo.getAttribute("src"), theme.theme.logo_url);
    assert.ok(await logo.evaluate((img) => img.complete && img.naturalWidth > 0), "the logo loaded");
    const names = await page.locator(".card h2").allTextContents();
    const ownNames = new Set(own.items.map((p) => p.name));
    assert.ok(names.length > 0 && names.every((n) => ownNames.has(n)), "only the brand's own products");
    await page.screenshot({ path: `${OUT}/shop-${slug}.png`, fullPage: false });

    // Search, then a product with stock: its variants are all this brand's SKUs.
    const product = own.items.find((p) => p.variants.some((v) => v.available > 0));
    await page.getByLabel("Search products").fill(product.name.split(" ")[0]);
    await page.getByRole("button", { name: "Search" }).click();
    await page.locator(".card").first().waitFor();
    await page.goto(`${shopUrl(slug)}products/${product.number}`);
    await page.locator("input[name=sku]").first().waitFor();
    const skus = await page.locator("input[name=sku]").evaluateAll((is) => is.map((i) => i.value));
    assert.ok(skus.length > 0 && skus.every((s) => s.startsWith(prefix)), `${slug} SKUs: ${skus}`);
    if (slug === "showstopper") return done(page);

    await page.getByRole("button", { name: "Add to cart" }).click();
    await page.getByText(/Added 1/).waitFor();
    await page.getByRole("link", { name: /Cart \(1\)/ }).click();
    await page.getByLabel("Name").fill("Ana García");
    await page.getByLabel("Email").fill(`ana+${slug}@example.com`);
    await page.getByLabel("Street and number").fill("Invalidenstraße 117");
    await page.getByLabel("Postal code").fill("10115");
    await page.getByLabel("City").fill("Berlin");
    await page.locator("input[name=shipping_method]").first().waitFor();
    // Keyboard only from here: the submit button is reachable and works with Enter.
    await page.getByRole("button", { name: "Place order" }).focus();
    await page.keyboard.press("Enter");
    await page.getByRole("heading", { name: /^Order \d+/ }).waitFor();
    assert.equal(await page.locator("[data-status]").getAttribute("data-status"), "pending_payment");
    await page.screenshot({ path: `${OUT}/shop-${slug}-order.png`, fullPage: true });
    // The order link carries the order token and works in a fresh browser.
    const link = await page.locator("a.order-link").getAttribute("href");
    const other = await openPage();
    await other.goto(link);
    await other.getByRole("heading", { name: /^Order \d+/ }).waitFor();
    await done(other);
    await done(page);
  });
}

test("every field has a label", async () => {
  const page = await openPage();
  await page.goto(`${BASE}/console/`);
  await page.getByLabel("Email").waitFor();
  const unlabelled = await page.evaluate(() =>
    [...document.querySelectorAll("input, select, textarea")].filter((e) => e.labels.length === 0 && !e.getAttribute("aria-label")).length,
  );
  assert.equal(unlabelled, 0);
  await page.keyboard.press("Tab");
  assert.equal(await page.evaluate(() => document.activeElement?.getAttribute("name")), "password", "email has focus first, Tab moves on");
  await done(page);
});

test("the browser closes", async () => {
  await browser.close();
});
