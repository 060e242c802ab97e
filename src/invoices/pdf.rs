//! The invoice PDF: a pure function from an [`InvoiceDocument`] to the bytes of an A4 PDF, with
//! no I/O (the job fetches the logo and stores the result). A credit note is the same document
//! with another title, its own number and the invoice it corrects ([`DocumentKind`]).
//!
//! Written with `pdf-writer` (pure Rust, no dependency outside what the build already had).
//! The text uses two of the 14 standard PDF fonts, Helvetica and Helvetica-Bold, which every
//! reader has, so nothing is embedded and a one-page invoice is a few kilobytes. Their limit:
//! they cover Windows-1252 (Latin script: Western European letters, `€`, `£`, typographic
//! quotes and dashes). Any other character is transliterated to Latin letters (`deunicode`:
//! `Łódź` stays close, Japanese becomes romanised text) and what still has no Windows-1252
//! code is written `?`. Embedding a Unicode font is the way past this, at the cost of tens of
//! kilobytes per file.
//!
//! The output is deterministic (no creation date, no random ids): rendering the same invoice
//! twice gives the same bytes, so a retried job stores the same file.

use chrono::{DateTime, Utc};
use pdf_writer::{Content, Filter, Finish, Name, Pdf, Rect, Ref, Str, TextStr};
use serde::Deserialize;

/// One line of an invoice.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct InvoiceLine {
    pub sku: String,
    /// The product (and option values) as sold.
    pub name: String,
    pub quantity: i32,
    pub unit_price_minor: i64,
    /// The line's tax rate in basis points (1900 = 19 %).
    pub tax_rate_bp: i32,
    pub tax_minor: i64,
    /// `unit_price_minor * quantity`: gross when the brand's prices include tax, net otherwise.
    pub line_total_minor: i64,
    /// The promotions' discount on this line (taken off before its tax).
    #[serde(default)]
    pub discount_minor: i64,
}

/// A postal address as checkout snapshots it on the order. Every field is optional here: the
/// invoice prints what there is.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct Address {
    pub name: Option<String>,
    pub lines: Vec<String>,
    pub city: Option<String>,
    pub postal_code: Option<String>,
    pub region: Option<String>,
    /// ISO 3166-1 alpha-2.
    pub country: Option<String>,
}

impl Address {
    /// The address as printed: name, street lines, `postal code city`, region, country.
    fn printed(&self) -> Vec<String> {
        let mut out: Vec<String> = self.name.iter().cloned().collect();
        out.extend(self.lines.iter().cloned());
        let city: Vec<&str> = [self.postal_code.as_deref(), self.city.as_deref()]
            .into_iter()
            .flatten()
            .filter(|s| !s.trim().is_empty())
            .collect();
        if !city.is_empty() {
            out.push(city.join(" "));
        }
        out.extend(self.region.iter().cloned());
        out.extend(self.country.iter().cloned());
        out.retain(|l| !l.trim().is_empty());
        out
    }
}

/// Who bought, as the order's checkout sent it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Buyer {
    pub name: String,
    pub email: Option<String>,
}

/// The seller, from the brand's invoice settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seller {
    /// The legal name (the brand's display name when none is set).
    pub name: String,
    pub address_lines: Vec<String>,
    pub tax_id: Option<String>,
}

/// Which document is printed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum DocumentKind {
    /// An invoice (`INV-{number}`).
    #[default]
    Invoice,
    /// A credit note (`CN-{number}`, its own series) correcting the invoice `invoice_number`:
    /// its lines and totals are what is credited back.
    CreditNote { invoice_number: i64 },
}

/// Everything an invoice (or a credit note) shows. Built by the service from the order (one
/// SQL file, `sql/invoice_source.sql`), the invoice row and the brand's settings; for a credit
/// note, from the refund ([`crate::invoices::credit_notes`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvoiceDocument {
    pub kind: DocumentKind,
    pub seller: Seller,
    /// The number in the series of its kind.
    pub number: i64,
    pub issued_at: DateTime<Utc>,
    pub order_number: i32,
    /// ISO 4217; amounts are in its minor units.
    pub currency: String,
    pub buyer: Option<Buyer>,
    pub billing_address: Option<Address>,
    pub shipping_address: Option<Address>,
    pub shipping_method: Option<String>,
    /// Whether line prices include tax (then the tax is part of them, not added on top).
    pub prices_include_tax: bool,
    pub lines: Vec<InvoiceLine>,
    pub subtotal_minor: i64,
    /// The promotions' discount, lines and shipping (the total is after it).
    pub discount_minor: i64,
    pub shipping_minor: i64,
    pub tax_minor: i64,
    pub total_minor: i64,
}

/// The invoice's number as printed and in its file name: `INV-42`.
pub fn invoice_label(number: i64) -> String {
    format!("INV-{number}")
}

/// The credit note's number as printed and in its file name: `CN-7`.
pub fn credit_note_label(number: i64) -> String {
    format!("CN-{number}")
}

impl InvoiceDocument {
    /// The number as printed: `INV-42` or `CN-7`.
    pub fn label(&self) -> String {
        match self.kind {
            DocumentKind::Invoice => invoice_label(self.number),
            DocumentKind::CreditNote { .. } => credit_note_label(self.number),
        }
    }
}

/// A logo the PDF can carry without decoding it: a baseline or progressive JPEG (greyscale or
/// RGB) is embedded as it is; a PNG of 8-bit greyscale or RGB samples without transparency or
/// interlacing keeps its compressed data (the PDF reader undoes the PNG row filters).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Logo {
    width: u32,
    height: u32,
    /// 1 (grey) or 3 (RGB).
    components: u8,
    kind: LogoKind,
    data: Vec<u8>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum LogoKind {
    Jpeg,
    /// Zlib data with PNG row filters.
    PngFlate,
}

/// Why an image cannot be an invoice logo.
pub const LOGO_FORMATS: &str = "a JPEG (greyscale or RGB) or a PNG with 8-bit greyscale or RGB \
                                samples, no transparency and no interlacing";

impl Logo {
    /// Reads the header of a JPEG or PNG; `None` for anything the PDF cannot carry as it is.
    pub fn parse(bytes: &[u8]) -> Option<Logo> {
        if bytes.starts_with(&[0xFF, 0xD8]) {
            Self::jpeg(bytes)
        } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
            Self::png(bytes)
        } else {
            None
        }
    }

    fn jpeg(bytes: &[u8]) -> Option<Logo> {
        let mut i = 2;
        while i + 4 <= bytes.len() {
            if bytes[i] != 0xFF {
                return None;
            }
            let marker = bytes[i + 1];
            if marker == 0xFF {
                i += 1;
                continue;
            }
            let len = usize::from(u16::from_be_bytes([bytes[i + 2], bytes[i + 3]]));
            // Start of frame (baseline, extended, progressive): precision, height, width,
            // components.
            if matches!(marker, 0xC0..=0xC2) {
                let frame = bytes.get(i + 4..i + 10)?;
                let height = u32::from(u16::from_be_bytes([frame[1], frame[2]]));
                let width = u32::from(u16::from_be_bytes([frame[3], frame[4]]));
                let components = frame[5];
                if frame[0] != 8 || width == 0 || height == 0 || !matches!(components, 1 | 3) {
                    return None;
                }
                return Some(Logo {
                    width,
                    height,
                    components,
                    kind: LogoKind::Jpeg,
                    data: bytes.to_vec(),
                });
            }
            if len < 2 {
                return None;
            }
            i += 2 + len;
        }
        None
    }

    fn png(bytes: &[u8]) -> Option<Logo> {
        let mut i = 8;
        let mut header = None;
        let mut data = Vec::new();
        while i + 8 <= bytes.len() {
            let len = u32::from_be_bytes(bytes[i..i + 4].try_into().ok()?) as usize;
            let kind = &bytes[i + 4..i + 8];
            let body = bytes.get(i + 8..i.checked_add(8)?.checked_add(len)?)?;
            match kind {
                b"IHDR" if body.len() == 13 => {
                    let width = u32::from_be_bytes(body[0..4].try_into().ok()?);
                    let height = u32::from_be_bytes(body[4..8].try_into().ok()?);
                    let (depth, colour, interlace) = (body[8], body[9], body[12]);
                    let components = match colour {
                        0 => 1,
                        2 => 3,
                        _ => return None,
                    };
                    if depth != 8 || interlace != 0 || width == 0 || height == 0 {
                        return None;
                    }
                    header = Some((width, height, components));
                }
                // Transparency: a mask the PDF would need decoded samples for.
                b"tRNS" => return None,
                b"IDAT" => data.extend_from_slice(body),
                b"IEND" => break,
                _ => {}
            }
            // Length, type, data, CRC.
            i += 12 + len;
        }
        let (width, height, components) = header?;
        (!data.is_empty()).then_some(Logo {
            width,
            height,
            components,
            kind: LogoKind::PngFlate,
            data,
        })
    }
}

const PAGE_W: f32 = 595.0;
const PAGE_H: f32 = 842.0;
const MARGIN: f32 = 50.0;
const RIGHT: f32 = PAGE_W - MARGIN;
const ROW: f32 = 14.0;
const REGULAR: Name<'static> = Name(b"F1");
const BOLD: Name<'static> = Name(b"F2");
const LOGO: Name<'static> = Name(b"Im1");

#[derive(Clone, Copy, PartialEq, Eq)]
enum Font {
    Regular,
    Bold,
}

/// Advance widths (thousandths of the font size) of the printable ASCII characters, from the
/// fonts' Adobe metrics; other Windows-1252 characters are taken as 556 (most accented letters
/// are within a few percent of it). Enough to right-align amounts and shorten long names.
const HELVETICA: [u16; 95] = [
    278, 278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333, 278, 278, 556, 556, 556,
    556, 556, 556, 556, 556, 556, 556, 278, 278, 584, 584, 584, 556, 1015, 667, 667, 722, 722, 667,
    611, 778, 722, 278, 500, 667, 556, 833, 722, 778, 667, 778, 722, 667, 611, 722, 667, 944, 667,
    667, 611, 278, 278, 278, 469, 556, 333, 556, 556, 500, 556, 556, 278, 556, 556, 222, 222, 500,
    222, 833, 556, 556, 556, 556, 333, 500, 278, 556, 500, 722, 500, 500, 500, 334, 260, 334, 584,
];
const HELVETICA_BOLD: [u16; 95] = [
    278, 333, 474, 556, 556, 889, 722, 238, 333, 333, 389, 584, 278, 333, 278, 278, 556, 556, 556,
    556, 556, 556, 556, 556, 556, 556, 333, 333, 584, 584, 584, 611, 975, 722, 722, 722, 722, 667,
    611, 778, 722, 278, 556, 722, 611, 833, 722, 778, 667, 778, 722, 667, 611, 722, 667, 944, 667,
    667, 611, 333, 278, 333, 584, 556, 333, 556, 611, 556, 611, 556, 333, 611, 611, 278, 278, 556,
    278, 889, 611, 611, 611, 611, 389, 556, 333, 611, 556, 778, 556, 556, 500, 389, 280, 389, 584,
];

/// The Windows-1252 code of a character, if it has one.
fn win_ansi(c: char) -> Option<u8> {
    let code = u32::from(c);
    if (0x20..=0x7E).contains(&code) || (0xA0..=0xFF).contains(&code) {
        return u8::try_from(code).ok();
    }
    Some(match c {
        '€' => 0x80,
        '‚' => 0x82,
        'ƒ' => 0x83,
        '„' => 0x84,
        '…' => 0x85,
        '†' => 0x86,
        '‡' => 0x87,
        'ˆ' => 0x88,
        '‰' => 0x89,
        'Š' => 0x8A,
        '‹' => 0x8B,
        'Œ' => 0x8C,
        'Ž' => 0x8E,
        '‘' => 0x91,
        '’' => 0x92,
        '“' => 0x93,
        '”' => 0x94,
        '•' => 0x95,
        '–' => 0x96,
        '—' => 0x97,
        '˜' => 0x98,
        '™' => 0x99,
        'š' => 0x9A,
        '›' => 0x9B,
        'œ' => 0x9C,
        'ž' => 0x9E,
        'Ÿ' => 0x9F,
        _ => return None,
    })
}

/// `text` in Windows-1252 for the standard fonts: control characters become spaces, other
/// characters without a code are transliterated, and what is left becomes `?`.
pub fn encode(text: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len());
    for c in text.chars() {
        if c.is_control() {
            out.push(b' ');
        } else if let Some(b) = win_ansi(c) {
            out.push(b);
        } else {
            let latin = deunicode::deunicode_char(c).unwrap_or("?");
            out.extend(latin.chars().map(|l| win_ansi(l).unwrap_or(b'?')));
        }
    }
    out
}

/// The width of encoded text at `size` points.
fn width(bytes: &[u8], font: Font, size: f32) -> f32 {
    let table = match font {
        Font::Regular => &HELVETICA,
        Font::Bold => &HELVETICA_BOLD,
    };
    let units: u32 = bytes
        .iter()
        .map(|&b| match b {
            0x20..=0x7E => u32::from(table[usize::from(b - 0x20)]),
            _ => 556,
        })
        .sum();
    units as f32 * size / 1000.0
}

/// Encoded text cut to `max` points wide, ending in `...` when it was cut.
fn fit(text: &str, font: Font, size: f32, max: f32) -> Vec<u8> {
    let mut bytes = encode(text);
    if width(&bytes, font, size) <= max {
        return bytes;
    }
    let ellipsis = width(b"...", font, size);
    while !bytes.is_empty() && width(&bytes, font, size) + ellipsis > max {
        bytes.pop();
    }
    bytes.extend_from_slice(b"...");
    bytes
}

/// Digits grouped by thousands with `,`, and the currency's decimals after `.`: `1,234.50`.
pub fn amount(minor: i64, currency: &str) -> String {
    let exponent = crate::chat::reply::currency_exponent(currency);
    let scale = 10_u64.pow(exponent);
    let magnitude = minor.unsigned_abs();
    let (units, fraction) = (magnitude / scale, magnitude % scale);
    let digits = units.to_string();
    let mut out = String::new();
    if minor < 0 {
        out.push('-');
    }
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    if exponent > 0 {
        out.push_str(&format!(".{fraction:0width$}", width = exponent as usize));
    }
    out
}

/// A rate in basis points as a percentage: `19%`, `7.5%`, `10.25%`.
pub fn rate(bp: i32) -> String {
    let (whole, rest) = (bp / 100, (bp % 100).abs());
    match rest {
        0 => format!("{whole}%"),
        r if r % 10 == 0 => format!("{whole}.{}%", r / 10),
        r => format!("{whole}.{r:02}%"),
    }
}

/// One tax rate's share of the invoice: the net amount taxed at it and the tax.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TaxRow {
    pub rate_bp: i32,
    pub net_minor: i64,
    pub tax_minor: i64,
}

/// The tax breakdown per rate, lowest rate first, from the lines; tax on shipping (the
/// invoice's tax beyond its lines') is a row of its own (`rate_bp` of `None`).
pub fn tax_breakdown(doc: &InvoiceDocument) -> (Vec<TaxRow>, i64) {
    let mut rows: Vec<TaxRow> = Vec::new();
    for line in &doc.lines {
        // Tax is charged on what is left after the line's discount.
        let charged = line.line_total_minor - line.discount_minor;
        let net = if doc.prices_include_tax {
            charged - line.tax_minor
        } else {
            charged
        };
        match rows.iter_mut().find(|r| r.rate_bp == line.tax_rate_bp) {
            Some(r) => {
                r.net_minor += net;
                r.tax_minor += line.tax_minor;
            }
            None => rows.push(TaxRow {
                rate_bp: line.tax_rate_bp,
                net_minor: net,
                tax_minor: line.tax_minor,
            }),
        }
    }
    rows.sort_by_key(|r| r.rate_bp);
    let lines_tax: i64 = rows.iter().map(|r| r.tax_minor).sum();
    (rows, doc.tax_minor - lines_tax)
}

/// Pages being written, top to bottom.
struct Canvas {
    pages: Vec<Content>,
    page: Content,
    y: f32,
    label: String,
}

impl Canvas {
    fn new(label: String) -> Self {
        Self {
            pages: Vec::new(),
            page: Content::new(),
            y: PAGE_H - MARGIN,
            label,
        }
    }

    fn text(&mut self, font: Font, size: f32, x: f32, y: f32, bytes: &[u8]) {
        let name = match font {
            Font::Regular => REGULAR,
            Font::Bold => BOLD,
        };
        self.page.begin_text();
        self.page.set_font(name, size);
        self.page.next_line(x, y);
        self.page.show(Str(bytes));
        self.page.end_text();
    }

    /// Text starting at `x`, at most `max` points wide.
    fn left(&mut self, font: Font, size: f32, x: f32, y: f32, text: &str, max: f32) {
        let bytes = fit(text, font, size, max);
        self.text(font, size, x, y, &bytes);
    }

    /// Text ending at `right`.
    fn right(&mut self, font: Font, size: f32, right: f32, y: f32, text: &str) {
        let bytes = encode(text);
        let x = right - width(&bytes, font, size);
        self.text(font, size, x, y, &bytes);
    }

    fn rule(&mut self, x1: f32, x2: f32, y: f32) {
        self.page.set_line_width(0.5);
        self.page.move_to(x1, y);
        self.page.line_to(x2, y);
        self.page.stroke();
    }

    /// Starts a new page when less than `needed` points are left above the bottom margin.
    fn ensure(&mut self, needed: f32) {
        if self.y - needed >= MARGIN + ROW {
            return;
        }
        let done = std::mem::replace(&mut self.page, Content::new());
        self.pages.push(done);
        self.y = PAGE_H - MARGIN;
        let label = format!("{} (continued)", self.label);
        self.left(Font::Bold, 10.0, MARGIN, self.y, &label, RIGHT - MARGIN);
        self.y -= 2.0 * ROW;
    }

    /// Every page, each with its footer (`INV-42 · page 1 of 2`).
    fn finish(mut self) -> Vec<Content> {
        let last = std::mem::replace(&mut self.page, Content::new());
        self.pages.push(last);
        let count = self.pages.len();
        let label = self.label.clone();
        let mut pages = Vec::with_capacity(count);
        for (i, page) in std::mem::take(&mut self.pages).into_iter().enumerate() {
            self.page = page;
            let footer = format!("{label} \u{b7} page {} of {count}", i + 1);
            self.right(Font::Regular, 8.0, RIGHT, MARGIN - 20.0, &footer);
            pages.push(std::mem::replace(&mut self.page, Content::new()));
        }
        pages
    }
}

/// The seller block (left, under the logo) and the invoice's identity (right).
fn header(c: &mut Canvas, doc: &InvoiceDocument, logo: Option<&Logo>) {
    let top = PAGE_H - MARGIN;
    let mut y = top;
    if let Some(logo) = logo {
        // Fit in 150 x 50 points, keeping the aspect ratio.
        let scale = (150.0 / logo.width as f32).min(50.0 / logo.height as f32);
        let (w, h) = (logo.width as f32 * scale, logo.height as f32 * scale);
        c.page.save_state();
        c.page.transform([w, 0.0, 0.0, h, MARGIN, top - h]);
        c.page.x_object(LOGO);
        c.page.restore_state();
        y -= h + 16.0;
    } else {
        y -= 12.0;
    }
    c.left(Font::Bold, 13.0, MARGIN, y, &doc.seller.name, 280.0);
    y -= ROW + 2.0;
    for line in &doc.seller.address_lines {
        c.left(Font::Regular, 9.0, MARGIN, y, line, 280.0);
        y -= 12.0;
    }
    if let Some(tax_id) = &doc.seller.tax_id {
        c.left(
            Font::Regular,
            9.0,
            MARGIN,
            y,
            &format!("Tax ID: {tax_id}"),
            280.0,
        );
        y -= 12.0;
    }
    let date = doc.issued_at.format("%Y-%m-%d");
    let facts = match doc.kind {
        DocumentKind::Invoice => {
            c.right(Font::Bold, 20.0, RIGHT, top - 16.0, "INVOICE");
            vec![
                format!("Invoice number: {}", doc.label()),
                format!("Invoice date: {date}"),
                format!("Order: #{}", doc.order_number),
                format!("Currency: {}", doc.currency),
            ]
        }
        DocumentKind::CreditNote { invoice_number } => {
            c.right(Font::Bold, 20.0, RIGHT, top - 16.0, "CREDIT NOTE");
            vec![
                format!("Credit note number: {}", doc.label()),
                format!("Credit note date: {date}"),
                format!("Corrects invoice: {}", invoice_label(invoice_number)),
                format!("Order: #{}", doc.order_number),
                format!("Currency: {}", doc.currency),
            ]
        }
    };
    let mut fy = top - 38.0;
    for fact in &facts {
        c.right(Font::Regular, 9.0, RIGHT, fy, fact);
        fy -= 12.0;
    }
    c.y = y.min(fy) - 14.0;
}

/// "Bill to" and "Ship to", side by side, when the order has them.
fn parties(c: &mut Canvas, doc: &InvoiceDocument) {
    let mut bill: Vec<String> = match (&doc.billing_address, &doc.buyer) {
        (Some(address), _) => address.printed(),
        (None, Some(buyer)) => vec![buyer.name.clone()],
        (None, None) => Vec::new(),
    };
    if let Some(email) = doc.buyer.as_ref().and_then(|b| b.email.as_ref()) {
        bill.push(email.clone());
    }
    let mut ship: Vec<String> = doc
        .shipping_address
        .as_ref()
        .map(Address::printed)
        .unwrap_or_default();
    if let Some(method) = &doc.shipping_method {
        ship.push(format!("Shipping: {method}"));
    }
    if bill.is_empty() && ship.is_empty() {
        return;
    }
    let rows = bill.len().max(ship.len()) as f32;
    c.ensure(ROW + rows * 12.0);
    let mut y = c.y;
    if !bill.is_empty() {
        c.left(Font::Bold, 9.0, MARGIN, y, "Bill to", 200.0);
    }
    if !ship.is_empty() {
        c.left(Font::Bold, 9.0, 310.0, y, "Ship to", 200.0);
    }
    y -= 12.0;
    for i in 0..bill.len().max(ship.len()) {
        if let Some(l) = bill.get(i) {
            c.left(Font::Regular, 9.0, MARGIN, y, l, 240.0);
        }
        if let Some(l) = ship.get(i) {
            c.left(Font::Regular, 9.0, 310.0, y, l, 235.0);
        }
        y -= 12.0;
    }
    c.y = y - 14.0;
}

/// The lines table: SKU, item, quantity, unit price, tax rate, amount.
fn lines(c: &mut Canvas, doc: &InvoiceDocument) {
    let heading = |c: &mut Canvas| {
        let y = c.y;
        c.left(Font::Bold, 9.0, MARGIN, y, "SKU", 95.0);
        c.left(Font::Bold, 9.0, 150.0, y, "Item", 160.0);
        c.right(Font::Bold, 9.0, 350.0, y, "Qty");
        c.right(Font::Bold, 9.0, 420.0, y, "Unit price");
        c.right(Font::Bold, 9.0, 470.0, y, "Tax");
        c.right(Font::Bold, 9.0, RIGHT, y, "Amount");
        c.rule(MARGIN, RIGHT, y - 4.0);
        c.y -= ROW + 4.0;
    };
    c.ensure(3.0 * ROW);
    heading(c);
    for line in &doc.lines {
        if c.y - ROW < MARGIN + ROW {
            c.ensure(2.0 * ROW);
            heading(c);
        }
        let y = c.y;
        c.left(Font::Regular, 9.0, MARGIN, y, &line.sku, 95.0);
        c.left(Font::Regular, 9.0, 150.0, y, &line.name, 160.0);
        c.right(Font::Regular, 9.0, 350.0, y, &line.quantity.to_string());
        let unit = amount(line.unit_price_minor, &doc.currency);
        c.right(Font::Regular, 9.0, 420.0, y, &unit);
        c.right(Font::Regular, 9.0, 470.0, y, &rate(line.tax_rate_bp));
        let total = amount(line.line_total_minor, &doc.currency);
        c.right(Font::Regular, 9.0, RIGHT, y, &total);
        c.y -= ROW;
    }
    c.rule(MARGIN, RIGHT, c.y + ROW - 4.0);
    c.y -= 8.0;
}

/// The tax per rate, then subtotal, discount (when there is one), shipping, tax and total.
fn totals(c: &mut Canvas, doc: &InvoiceDocument) {
    let (rows, shipping_tax) = tax_breakdown(doc);
    let needed = (rows.len() as f32 + 7.0) * ROW;
    c.ensure(needed);
    let label_x = 330.0;
    let mut y = c.y;
    c.left(Font::Bold, 9.0, label_x, y, "Tax rate", 80.0);
    c.right(Font::Bold, 9.0, 470.0, y, "Net");
    c.right(Font::Bold, 9.0, RIGHT, y, "Tax");
    y -= ROW;
    for r in &rows {
        c.left(Font::Regular, 9.0, label_x, y, &rate(r.rate_bp), 80.0);
        c.right(
            Font::Regular,
            9.0,
            470.0,
            y,
            &amount(r.net_minor, &doc.currency),
        );
        c.right(
            Font::Regular,
            9.0,
            RIGHT,
            y,
            &amount(r.tax_minor, &doc.currency),
        );
        y -= ROW;
    }
    if shipping_tax != 0 {
        c.left(Font::Regular, 9.0, label_x, y, "on shipping", 80.0);
        c.right(
            Font::Regular,
            9.0,
            RIGHT,
            y,
            &amount(shipping_tax, &doc.currency),
        );
        y -= ROW;
    }
    c.rule(label_x, RIGHT, y + ROW - 4.0);
    y -= 6.0;
    let tax_label = if doc.prices_include_tax {
        "Tax included"
    } else {
        "Tax"
    };
    let discount = (doc.discount_minor != 0).then_some(("Discount", -doc.discount_minor));
    let rows = [
        Some(("Subtotal", doc.subtotal_minor)),
        discount,
        Some(("Shipping", doc.shipping_minor)),
        Some((tax_label, doc.tax_minor)),
    ];
    for (label, value) in rows.into_iter().flatten() {
        c.left(Font::Regular, 10.0, label_x, y, label, 120.0);
        c.right(Font::Regular, 10.0, RIGHT, y, &amount(value, &doc.currency));
        y -= ROW;
    }
    c.rule(label_x, RIGHT, y + ROW - 4.0);
    y -= 4.0;
    let total_label = match doc.kind {
        DocumentKind::Invoice => format!("Total ({})", doc.currency),
        DocumentKind::CreditNote { .. } => format!("Total credited ({})", doc.currency),
    };
    c.left(Font::Bold, 11.0, label_x, y, &total_label, 120.0);
    c.right(
        Font::Bold,
        11.0,
        RIGHT,
        y,
        &amount(doc.total_minor, &doc.currency),
    );
    y -= 2.0 * ROW;
    let settled = match doc.kind {
        DocumentKind::Invoice => "Paid in full.".to_owned(),
        DocumentKind::CreditNote { invoice_number } => format!(
            "Credits the amounts above against invoice {}; refunded to the original payment.",
            invoice_label(invoice_number)
        ),
    };
    let note = if doc.prices_include_tax {
        format!("Prices include tax. {settled}")
    } else {
        settled
    };
    c.left(Font::Regular, 8.0, MARGIN, y, &note, RIGHT - MARGIN);
    c.y = y - ROW;
}

/// Renders `doc` (with `logo`, if any) as a PDF.
pub fn render(doc: &InvoiceDocument, logo: Option<&Logo>) -> Vec<u8> {
    let label = doc.label();
    let mut canvas = Canvas::new(label.clone());
    header(&mut canvas, doc, logo);
    parties(&mut canvas, doc);
    lines(&mut canvas, doc);
    totals(&mut canvas, doc);
    let pages = canvas.finish();

    let mut pdf = Pdf::new();
    let catalog = Ref::new(1);
    let tree = Ref::new(2);
    let regular = Ref::new(3);
    let bold = Ref::new(4);
    let info = Ref::new(5);
    let image = Ref::new(6);
    let first_page = 7;
    let page_ids: Vec<Ref> = (0..pages.len())
        .map(|i| Ref::new(first_page + 2 * i as i32))
        .collect();
    pdf.catalog(catalog).pages(tree);
    pdf.pages(tree)
        .kids(page_ids.iter().copied())
        .count(page_ids.len() as i32);
    pdf.document_info(info)
        .title(TextStr(&match doc.kind {
            DocumentKind::Invoice => format!("Invoice {label}"),
            DocumentKind::CreditNote { .. } => format!("Credit note {label}"),
        }))
        .producer(TextStr("brandhouse"));
    for (font, id) in [(&b"Helvetica"[..], regular), (b"Helvetica-Bold", bold)] {
        pdf.type1_font(id)
            .base_font(Name(font))
            .encoding_predefined(Name(b"WinAnsiEncoding"));
    }
    if let Some(logo) = logo {
        let mut x = pdf.image_xobject(image, &logo.data);
        x.width(logo.width as i32);
        x.height(logo.height as i32);
        if logo.components == 1 {
            x.color_space().device_gray();
        } else {
            x.color_space().device_rgb();
        }
        x.bits_per_component(8);
        match logo.kind {
            LogoKind::Jpeg => {
                x.filter(Filter::DctDecode);
            }
            LogoKind::PngFlate => {
                x.filter(Filter::FlateDecode);
                x.decode_parms()
                    .predictor(pdf_writer::types::Predictor::PngOptimum)
                    .colors(i32::from(logo.components))
                    .bits_per_component(8)
                    .columns(logo.width as i32);
            }
        }
        x.finish();
    }
    for (page_id, content) in page_ids.iter().zip(pages) {
        let content_id = Ref::new(page_id.get() + 1);
        let mut page = pdf.page(*page_id);
        page.media_box(Rect::new(0.0, 0.0, PAGE_W, PAGE_H));
        page.parent(tree);
        page.contents(content_id);
        let mut resources = page.resources();
        resources.fonts().pair(REGULAR, regular).pair(BOLD, bold);
        if logo.is_some() {
            resources.x_objects().pair(LOGO, image);
        }
        resources.finish();
        page.finish();
        pdf.stream(content_id, &content.finish());
    }
    pdf.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(lines: usize) -> InvoiceDocument {
        InvoiceDocument {
            kind: DocumentKind::Invoice,
            seller: Seller {
                name: "Fiber X GmbH".into(),
                address_lines: vec!["Torstraße 1".into(), "10119 Berlin".into()],
                tax_id: Some("DE123456789".into()),
            },
            number: 42,
            issued_at: "2026-12-06T10:00:00Z".parse().unwrap(),
            order_number: 1001,
            currency: "EUR".into(),
            buyer: Some(Buyer {
                name: "Ana Buyer".into(),
                email: Some("ana@example.test".into()),
            }),
            billing_address: None,
            shipping_address: Some(Address {
                name: Some("Ana Buyer".into()),
                lines: vec!["Calle Mayor 1".into()],
                city: Some("Madrid".into()),
                postal_code: Some("28013".into()),
                region: None,
                country: Some("ES".into()),
            }),
            shipping_method: Some("Standard".into()),
            prices_include_tax: true,
            lines: (0..lines)
                .map(|i| InvoiceLine {
                    sku: format!("FBX-HAIR-{i:04}"),
                    name: format!("Argan Oil {i}"),
                    quantity: 2,
                    unit_price_minor: 1190,
                    tax_rate_bp: if i % 2 == 0 { 1900 } else { 700 },
                    tax_minor: if i % 2 == 0 { 380 } else { 156 },
                    line_total_minor: 2380,
                    discount_minor: 0,
                })
                .collect(),
            subtotal_minor: 2380 * lines as i64,
            discount_minor: 0,
            shipping_minor: 0,
            tax_minor: (0..lines).map(|i| if i % 2 == 0 { 380 } else { 156 }).sum(),
            total_minor: 2380 * lines as i64,
        }
    }

    /// A discounted line is taxed on what is left: the breakdown's net is after the discount,
    /// and the totals print a discount row, so subtotal - discount + shipping + tax = total.
    #[test]
    fn a_discount_lowers_the_taxed_net_and_is_printed() {
        let mut d = doc(1);
        d.prices_include_tax = false;
        d.lines[0].discount_minor = 380;
        d.lines[0].tax_minor = 380; // 19 % of 2000
        d.discount_minor = 380;
        d.tax_minor = 380;
        d.total_minor = 2380 - 380 + 380;
        let (rows, shipping_tax) = tax_breakdown(&d);
        assert_eq!(rows[0].net_minor, 2000);
        assert_eq!(shipping_tax, 0);
        assert_eq!(
            d.subtotal_minor - d.discount_minor + d.shipping_minor + d.tax_minor,
            d.total_minor
        );
        let text = String::from_utf8_lossy(&render(&d, None)).into_owned();
        assert!(text.contains("Discount"), "the PDF names the discount");
    }

    #[test]
    fn amounts_use_the_currencys_decimals() {
        assert_eq!(amount(123_450, "EUR"), "1,234.50");
        assert_eq!(amount(5, "EUR"), "0.05");
        assert_eq!(amount(-1_890, "USD"), "-18.90");
        assert_eq!(amount(1_890, "JPY"), "1,890");
        assert_eq!(amount(1_234_567, "KWD"), "1,234.567");
        assert_eq!(amount(i64::MIN, "EUR"), "-92,233,720,368,547,758.08");
    }

    #[test]
    fn rates_are_percentages() {
        assert_eq!(rate(1900), "19%");
        assert_eq!(rate(750), "7.5%");
        assert_eq!(rate(1025), "10.25%");
        assert_eq!(rate(0), "0%");
    }

    #[test]
    fn text_outside_windows_1252_is_transliterated() {
        assert_eq!(encode("Straße €5"), b"Stra\xdfe \x805");
        assert_eq!(encode("Łódź"), b"L\xf3dz");
        assert_eq!(encode("a\u{0}b\nc"), b"a b c");
        assert!(
            encode("雀")
                .iter()
                .all(|b| b.is_ascii_alphanumeric() || *b == b' ')
        );
        assert!(
            encode("ok \u{1F600}")
                .iter()
                .all(|b| (0x20..0x7F).contains(b))
        );
    }

    #[test]
    fn long_text_is_cut_to_its_column() {
        let long = "A very long product name that cannot fit in its column at all";
        let cut = fit(long, Font::Regular, 9.0, 100.0);
        assert!(cut.ends_with(b"..."));
        assert!(width(&cut, Font::Regular, 9.0) <= 100.0);
        assert_eq!(fit("Short", Font::Regular, 9.0, 100.0), b"Short");
    }

    #[test]
    fn the_tax_breakdown_groups_lines_by_rate_and_names_tax_on_shipping() {
        let mut d = doc(3);
        let (rows, shipping) = tax_breakdown(&d);
        assert_eq!(
            rows,
            [
                TaxRow {
                    rate_bp: 700,
                    net_minor: 2380 - 156,
                    tax_minor: 156
                },
                TaxRow {
                    rate_bp: 1900,
                    net_minor: 2 * (2380 - 380),
                    tax_minor: 760
                },
            ]
        );
        assert_eq!(shipping, 0);
        d.tax_minor += 95;
        d.prices_include_tax = false;
        let (rows, shipping) = tax_breakdown(&d);
        assert_eq!(rows[0].net_minor, 2380);
        assert_eq!(shipping, 95);
    }

    #[test]
    fn a_pdf_starts_and_ends_as_a_pdf_and_long_invoices_get_more_pages() {
        let one = render(&doc(3), None);
        assert!(one.starts_with(b"%PDF-"));
        assert!(one.trim_ascii_end().ends_with(b"%%EOF"));
        let count = |pdf: &[u8]| {
            let text = String::from_utf8_lossy(pdf);
            text.matches("/Type /Page").count() - text.matches("/Type /Pages").count()
        };
        let many = render(&doc(150), None);
        assert!(count(&many) > count(&one), "{} pages", count(&many));
        // Deterministic: a retried render stores the same bytes.
        assert_eq!(render(&doc(3), None), one);
    }

    #[test]
    fn logos_are_read_from_their_headers() {
        // A 2x1 8-bit RGB PNG: signature, IHDR, IDAT, IEND (CRCs are not checked here).
        let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
        let chunk = |kind: &[u8], body: &[u8]| {
            let mut c = (body.len() as u32).to_be_bytes().to_vec();
            c.extend_from_slice(kind);
            c.extend_from_slice(body);
            c.extend_from_slice(&[0, 0, 0, 0]);
            c
        };
        png.extend(chunk(b"IHDR", &[0, 0, 0, 2, 0, 0, 0, 1, 8, 2, 0, 0, 0]));
        png.extend(chunk(b"IDAT", &[0x78, 0x9c, 1, 2, 3]));
        png.extend(chunk(b"IEND", &[]));
        let logo = Logo::parse(&png).unwrap();
        assert_eq!((logo.width, logo.height, logo.components), (2, 1, 3));
        assert_eq!(logo.data, [0x78, 0x9c, 1, 2, 3]);
        // With an alpha channel (colour type 6): not carried.
        let mut alpha = png.clone();
        alpha[8 + 8 + 9] = 6;
        assert_eq!(Logo::parse(&alpha), None);
        // A JPEG's start of frame: 8-bit, 3 x 4, 3 components.
        let jpeg = [
            0xFF, 0xD8, 0xFF, 0xE0, 0, 4, 0, 0, 0xFF, 0xC0, 0, 11, 8, 0, 4, 0, 3, 3, 1, 0x11, 0,
        ];
        let logo = Logo::parse(&jpeg).unwrap();
        assert_eq!((logo.width, logo.height, logo.components), (3, 4, 3));
        assert_eq!(Logo::parse(b"RIFF....WEBP"), None);
        assert_eq!(Logo::parse(&[0xFF, 0xD8, 0xFF]), None);
        let rendered = render(&doc(1), Some(&logo));
        assert!(String::from_utf8_lossy(&rendered).contains("/DCTDecode"));
    }
}
