// A few DOM helpers. Text always goes in as text nodes (never innerHTML), so data from the API
// cannot become markup; with the CSP, no inline script or style attribute is ever needed.

type Attrs = Record<string, string | number | boolean | undefined | ((ev: Event) => void)>;
type Child = Node | string | number | null | undefined | false;

/** `h("button", { type: "submit", onclick: f }, "Save")` */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Attrs = {},
  ...children: (Child | Child[])[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === false) continue;
    if (typeof value === "function") {
      el.addEventListener(key.replace(/^on/, ""), value);
    } else if (value === true) {
      el.setAttribute(key, "");
    } else {
      el.setAttribute(key, String(value));
    }
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    el.append(typeof child === "object" ? child : String(child));
  }
  return el;
}

/** Replaces the children of `el`. */
export function mount(el: Element, ...children: (Child | Child[])[]): void {
  el.replaceChildren();
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    el.append(typeof child === "object" ? child : String(child));
  }
}

/** A labelled input: `<label>Email <input name=email></label>`. */
export function field(label: string, input: HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement): HTMLLabelElement {
  return h("label", { class: "field" }, h("span", {}, label), input);
}

/** A table with a caption, headers and rows. */
export function table(caption: string, headers: string[], rows: (Child | Child[])[][]): HTMLTableElement {
  return h(
    "table",
    {},
    h("caption", {}, caption),
    h("thead", {}, h("tr", {}, headers.map((x) => h("th", { scope: "col" }, x)))),
    h("tbody", {}, rows.map((r) => h("tr", {}, r.map((c) => h("td", {}, c))))),
  );
}

/**
 * Integer minor units to a display string: `money(2990, "EUR")` -> "€29.90". The decimal is
 * built with integer arithmetic and given to Intl as a string (exact), never as a float.
 */
export function money(minor: number, currency: string): string {
  const digits = currencyDigits(currency);
  const sign = minor < 0 ? "-" : "";
  const abs = String(Math.abs(minor)).padStart(digits + 1, "0");
  const decimal = digits === 0 ? abs : `${abs.slice(0, -digits)}.${abs.slice(-digits)}`;
  const format = new Intl.NumberFormat("en", { style: "currency", currency }).format as unknown as (v: string) => string;
  return format(`${sign}${decimal}`);
}

/** The ISO 4217 minor-unit exponent (JPY 0, EUR 2), as the browser knows it. */
export function currencyDigits(currency: string): number {
  return new Intl.NumberFormat("en", { style: "currency", currency }).resolvedOptions().maximumFractionDigits ?? 2;
}

/** An error as a line for the user: a problem's title and detail, with its request id. */
export function errorText(error: unknown): string {
  if (error && typeof error === "object" && "title" in error) {
    const p = error as { title?: string; detail?: string; requestId?: string };
    return [p.title, p.detail].filter(Boolean).join(": ") + (p.requestId ? ` (request ${p.requestId})` : "");
  }
  return error instanceof Error ? error.message : String(error);
}

/** A live region for status messages (screen readers announce them). */
export function notice(kind: "error" | "info", text: string): HTMLElement {
  return h("p", { class: `notice ${kind}`, role: kind === "error" ? "alert" : "status" }, text);
}
