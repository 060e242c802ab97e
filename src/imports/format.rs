//! The CSV import format: one row per product (README, "CSV import"), read and checked without
//! touching the database. Every problem is collected with its line and column; nothing stops
//! at the first one.
//!
//! Columns (header names case-insensitive, any order):
//! `handle`, `category`, `name`, `price` (required); `description`, `status`,
//! `option1_name`/`option1_values` .. `option3_name`/`option3_values`, `stock_<ZONE>`
//! (optional). Option values are separated by `|`, each `Value` or `Value=CODE`. A stock cell is
//! a number (units of every variant the import creates) or `Value/Value=n|...` per variant.
//! `name@<locale>` and `description@<locale>` (`name@es`, `description@pt-BR`) carry the
//! product's text in another of the brand's locales; an empty cell leaves that field as it was.
//! UTF-8 with or without a byte-order mark; `,` or `;` as the delimiter (whichever the header
//! line uses more); fields may be quoted (`"a, b"`, `""` for a quote, line breaks inside).

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use crate::{
    catalog::{
        status::ProductStatus,
        variants::{self, Axis, AxisValue},
    },
    types::{CategoryCode, Description, DisplayName, Handle, Locale, ZoneCode},
};

/// A product's text in one locale, from the `name@<locale>`/`description@<locale>` columns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TranslatedCells {
    /// Canonical BCP 47 tag.
    pub locale: String,
    /// `None`: no column or an empty cell (the translation keeps its name).
    pub name: Option<String>,
    pub description: Option<String>,
}

/// One problem of an import file. `line` is the file's line where the record starts (the
/// header is line 1); `column` names the header column, or is absent for a whole-row problem.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RowError {
    pub line: u64,
    pub column: Option<String>,
    pub message: String,
}

impl RowError {
    fn new(line: u64, column: Option<&str>, message: impl Into<String>) -> Self {
        Self {
            line,
            column: column.map(str::to_owned),
            message: message.into(),
        }
    }
}

/// The most units one stock cell may receive.
pub const MAX_STOCK: i32 = 1_000_000;

/// Units of stock for the variants an import creates, in one zone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StockCell {
    /// The same number for every new variant.
    Each(i32),
    /// By combination key (`variants::combination_key`).
    PerVariant(HashMap<String, i32>),
}

impl StockCell {
    /// Units for the variant with combination `key`.
    pub fn units_for(&self, key: &str) -> i32 {
        match self {
            StockCell::Each(n) => *n,
            StockCell::PerVariant(map) => map.get(key).copied().unwrap_or(0),
        }
    }
}

/// A valid product row.
#[derive(Debug, Clone)]
pub struct ProductRow {
    pub line: u64,
    pub handle: String,
    pub category: String,
    pub name: String,
    /// `None` when the file has no `description` column (an existing product keeps its own).
    pub description: Option<String>,
    pub price_minor: i64,
    /// `None` when the column is absent or the cell empty (new: `draft`; existing: kept).
    pub status: Option<ProductStatus>,
    /// `None` when the file has no option columns (an existing product keeps its axes).
    pub axes: Option<Vec<Axis>>,
    /// Zone code and units, for the variants this import creates.
    pub stock: Vec<(String, StockCell)>,
    /// The product's text in other locales (non-empty cells only).
    pub translations: Vec<TranslatedCells>,
}

/// A parsed file: the valid rows and every problem found.
#[derive(Debug, Default)]
pub struct ParsedFile {
    pub rows: Vec<ProductRow>,
    pub errors: Vec<RowError>,
    /// Data records in the file (valid or not).
    pub records: u64,
    /// Zone codes named by `stock_<ZONE>` columns, upper case.
    pub zones: Vec<String>,
    /// Every well-formed category code a record names, with its line (valid rows or not), so
    /// unknown categories are reported even on rows with other problems.
    pub categories_named: Vec<(u64, String)>,
    /// Locales named by translated columns (canonical tags) with the column's header name.
    pub locales_named: Vec<(String, String)>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Column {
    Handle,
    Category,
    Name,
    Description,
    Price,
    Status,
    OptionName(usize),
    OptionValues(usize),
    Stock(String),
    /// `name@<locale>` (true) or `description@<locale>` (false); the tag as written.
    Translated(bool, String),
}

const KNOWN: &str = "handle, category, name, description, price, status, option1_name, \
                     option1_values, option2_name, option2_values, option3_name, option3_values, \
                     stock_<ZONE>, name@<locale>, description@<locale>";

fn column_of(name: &str) -> Option<Column> {
    Some(match name {
        "handle" => Column::Handle,
        "category" => Column::Category,
        "name" => Column::Name,
        "description" => Column::Description,
        "price" => Column::Price,
        "status" => Column::Status,
        other => {
            if let Some((field, tag)) = other.split_once('@') {
                return match field {
                    "name" => Some(Column::Translated(true, tag.to_owned())),
                    "description" => Some(Column::Translated(false, tag.to_owned())),
                    _ => None,
                };
            }
            if let Some(zone) = other.strip_prefix("stock_") {
                return Some(Column::Stock(zone.to_ascii_uppercase()));
            }
            let rest = other.strip_prefix("option")?;
            let (n, what) = rest.split_once('_')?;
            let n: usize = n
                .parse()
                .ok()
                .filter(|n| (1..=variants::MAX_AXES).contains(n))?;
            match what {
                "name" => Column::OptionName(n),
                "values" => Column::OptionValues(n),
                _ => return None,
            }
        }
    })
}

/// `,` or `;`, whichever the first line (outside quotes) uses more; `,` on a tie.
pub fn sniff_delimiter(bytes: &[u8]) -> u8 {
    let (mut commas, mut semicolons, mut quoted) = (0usize, 0usize, false);
    for &b in bytes {
        match b {
            b'"' => quoted = !quoted,
            b'\n' | b'\r' if !quoted => break,
            b',' if !quoted => commas += 1,
            b';' if !quoted => semicolons += 1,
            _ => {}
        }
    }
    if semicolons > commas { b';' } else { b',' }
}

/// A price in the currency's major units (`18.90`, `18,90`, `1890` for JPY) as minor units,
/// exactly (no floating point).
pub fn parse_price(raw: &str, exponent: u32) -> Result<i64, String> {
    let s = raw.trim();
    if s.is_empty() {
        return Err("required".into());
    }
    let (whole, frac) = match s.find(['.', ',']) {
        Some(i) => (&s[..i], &s[i + 1..]),
        None => (s, ""),
    };
    let digits = |p: &str| p.bytes().all(|b| b.is_ascii_digit());
    if whole.is_empty()
        || !digits(whole)
        || !digits(frac)
        || (s.len() > whole.len() && frac.is_empty())
    {
        return Err(format!(
            "{s:?} is not an amount like 18.90 (digits, one decimal separator, no sign or thousands separator)"
        ));
    }
    if frac.len() > exponent as usize {
        return Err(format!(
            "{s:?} has more than {exponent} decimals for this brand's currency"
        ));
    }
    let scale = 10i64.pow(exponent);
    let whole: i64 = whole.parse().map_err(|_| format!("{s:?} is too large"))?;
    let frac_minor: i64 = if frac.is_empty() {
        0
    } else {
        frac.parse::<i64>()
            .map_err(|_| format!("{s:?} is not an amount"))?
            * 10i64.pow(exponent - frac.len() as u32)
    };
    let minor = whole
        .checked_mul(scale)
        .and_then(|w| w.checked_add(frac_minor))
        .filter(|m| *m <= 1_000_000_000_000)
        .ok_or_else(|| format!("{s:?} is too large"))?;
    Ok(minor)
}

fn parse_units(s: &str) -> Option<i32> {
    s.trim()
        .parse::<i32>()
        .ok()
        .filter(|n| (0..=MAX_STOCK).contains(n))
}

/// Line numbers of byte offsets. The csv crate's own line counter lags behind with `\r\n`
/// endings, so records are located by their byte offset instead.
struct Lines<'a> {
    bytes: &'a [u8],
    newlines: Vec<usize>,
}

impl<'a> Lines<'a> {
    fn new(bytes: &'a [u8]) -> Self {
        Self {
            bytes,
            newlines: bytes
                .iter()
                .enumerate()
                .filter_map(|(i, b)| (*b == b'\n').then_some(i))
                .collect(),
        }
    }

    /// The 1-based line of the record whose reading started at `byte` (the reader may stand
    /// on the previous line's terminator).
    fn of(&self, position: Option<&::csv::Position>) -> u64 {
        let Some(position) = position else {
            return 0;
        };
        let mut start = usize::try_from(position.byte()).unwrap_or(usize::MAX);
        while start < self.bytes.len() && matches!(self.bytes[start], b'\r' | b'\n') {
            start += 1;
        }
        (self.newlines.partition_point(|&n| n < start) + 1) as u64
    }
}

/// Two translated columns that are one column once their names are normalised (case, `_` for
/// `-` in the tag: `name@es` and `name@ES`, `description@pt_BR` and `description@pt-br`): the
/// message naming both as written, the first such pair. Checked at upload (a 422) so the
/// two are never merged or one silently dropped; the background import reports it too.
pub fn duplicate_translated_columns(bytes: &[u8]) -> Option<String> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let mut reader = ::csv::ReaderBuilder::new()
        .delimiter(sniff_delimiter(bytes))
        .has_headers(false)
        .flexible(true)
        .from_reader(bytes);
    let mut record = ::csv::ByteRecord::new();
    if !reader.read_byte_record(&mut record).ok()? {
        return None;
    }
    let mut seen: Vec<(String, String)> = Vec::new();
    for field in record.iter() {
        let Ok(raw) = std::str::from_utf8(field) else {
            continue;
        };
        let raw = raw.trim();
        let Some((field, tag)) = raw.split_once('@') else {
            continue;
        };
        let Ok(locale) = Locale::parse(tag) else {
            continue;
        };
        let normalised = format!("{}@{}", field.to_lowercase(), locale.as_str());
        if let Some((first, _)) = seen.iter().find(|(_, n)| *n == normalised) {
            return Some(format!(
                "columns `{first}` and `{raw}` are the same column `{normalised}` once \
                 normalised: keep one"
            ));
        }
        seen.push((raw.to_owned(), normalised));
    }
    None
}

/// Reads and checks a whole file. `exponent` is the number of decimals of the brand's currency.
pub fn parse(bytes: &[u8], exponent: u32) -> ParsedFile {
    let mut out = ParsedFile::default();
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    if bytes.iter().all(|b| b.is_ascii_whitespace()) {
        out.errors.push(RowError::new(1, None, "the file is empty"));
        return out;
    }
    let lines = Lines::new(bytes);
    let mut reader = ::csv::ReaderBuilder::new()
        .delimiter(sniff_delimiter(bytes))
        .has_headers(false)
        .flexible(true)
        .from_reader(bytes);
    let mut record = ::csv::ByteRecord::new();

    // The header.
    match reader.read_byte_record(&mut record) {
        Ok(true) => {}
        Ok(false) => {
            out.errors.push(RowError::new(1, None, "the file is empty"));
            return out;
        }
        Err(e) => {
            out.errors
                .push(RowError::new(1, None, format!("unreadable CSV: {e}")));
            return out;
        }
    }
    let header_line = lines.of(record.position()).max(1);
    let (columns, names) = read_header(&record, header_line, &mut out.errors);
    out.zones = columns
        .iter()
        .filter_map(|c| match c {
            Some(Column::Stock(z)) => Some(z.clone()),
            _ => None,
        })
        .collect();
    out.locales_named = columns
        .iter()
        .zip(&names)
        .filter_map(|(c, name)| match c {
            Some(Column::Translated(_, tag)) => {
                Some((Locale::parse(tag).ok()?.into_string(), name.clone()))
            }
            _ => None,
        })
        .collect();
    let Some(layout) = layout(&columns, header_line, &mut out.errors) else {
        return out;
    };
    if !out.errors.is_empty() {
        return out;
    }

    let mut first_line_of: HashMap<String, u64> = HashMap::new();
    loop {
        match reader.read_byte_record(&mut record) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => {
                let line = lines.of(e.position());
                out.errors
                    .push(RowError::new(line, None, format!("unreadable CSV: {e}")));
                break;
            }
        }
        let line = lines.of(record.position());
        if record.iter().all(|f| f.iter().all(u8::is_ascii_whitespace)) {
            continue; // a blank line, or a row of empty cells (spreadsheets leave them)
        }
        out.records += 1;
        read_record(
            &mut out,
            &mut first_line_of,
            &Problems::at_line(line, &names),
            &record,
            &layout,
            exponent,
        );
    }
    out
}

/// The header's columns (`None` for an unknown or unreadable name) and their names, each
/// problem reported.
fn read_header(
    record: &::csv::ByteRecord,
    header_line: u64,
    errors: &mut Vec<RowError>,
) -> (Vec<Option<Column>>, Vec<String>) {
    let mut columns: Vec<Option<Column>> = Vec::with_capacity(record.len());
    let mut names: Vec<String> = Vec::with_capacity(record.len());
    for field in record.iter() {
        let Ok(raw) = std::str::from_utf8(field) else {
            errors.push(RowError::new(
                header_line,
                None,
                "a header name is not valid UTF-8",
            ));
            columns.push(None);
            names.push(String::new());
            continue;
        };
        let name = raw.trim().to_lowercase();
        let column = column_of(&name);
        match &column {
            None if name.is_empty() => errors.push(RowError::new(
                header_line,
                None,
                format!("column {} has no name", names.len() + 1),
            )),
            None => errors.push(RowError::new(
                header_line,
                Some(&name),
                format!("unknown column; the columns are {KNOWN}"),
            )),
            Some(Column::Stock(zone)) if ZoneCode::parse(zone).is_err() => {
                errors.push(RowError::new(
                    header_line,
                    Some(&name),
                    "not a zone code (stock_ then 2 to 16 letters, digits or '-')",
                ))
            }
            Some(Column::Translated(_, tag)) if Locale::parse(tag).is_err() => {
                errors.push(RowError::new(
                    header_line,
                    Some(&name),
                    "not a BCP 47 language tag after '@' (name@es, description@pt-BR)",
                ))
            }
            Some(c) if columns.iter().any(|o| same_column(o.as_ref(), c)) => errors.push(
                RowError::new(header_line, Some(&name), "the column appears twice"),
            ),
            Some(_) => {}
        }
        columns.push(column);
        names.push(name);
    }
    (columns, names)
}

/// Whether `other` is column `c`: translated columns compare their canonical tags
/// (`name@es_mx` is `name@es-MX`).
fn same_column(other: Option<&Column>, c: &Column) -> bool {
    match (other, c) {
        (Some(Column::Translated(f1, t1)), Column::Translated(f2, t2)) => {
            f1 == f2
                && match (Locale::parse(t1), Locale::parse(t2)) {
                    (Ok(a), Ok(b)) => a == b,
                    _ => t1 == t2,
                }
        }
        (other, c) => other == Some(c),
    }
}

/// Where each column is; `None` when a required column is missing (reported, as is an option
/// name without its values or the reverse).
fn layout(
    columns: &[Option<Column>],
    header_line: u64,
    errors: &mut Vec<RowError>,
) -> Option<Layout> {
    let index = |c: &Column| columns.iter().position(|o| o.as_ref() == Some(c));
    let required = (
        index(&Column::Handle),
        index(&Column::Category),
        index(&Column::Name),
        index(&Column::Price),
    );
    for (found, name) in [
        (required.0, "handle"),
        (required.1, "category"),
        (required.2, "name"),
        (required.3, "price"),
    ] {
        if found.is_none() {
            errors.push(RowError::new(
                header_line,
                Some(name),
                "required column is missing",
            ));
        }
    }
    for n in 1..=variants::MAX_AXES {
        match (
            index(&Column::OptionName(n)).is_some(),
            index(&Column::OptionValues(n)).is_some(),
        ) {
            (true, false) => errors.push(RowError::new(
                header_line,
                Some(&format!("option{n}_values")),
                format!("required with option{n}_name"),
            )),
            (false, true) => errors.push(RowError::new(
                header_line,
                Some(&format!("option{n}_name")),
                format!("required with option{n}_values"),
            )),
            _ => {}
        }
    }
    let (Some(handle), Some(category), Some(name), Some(price)) = required else {
        return None;
    };
    Some(Layout {
        handle,
        category,
        name,
        price,
        description: index(&Column::Description),
        status: index(&Column::Status),
        options: (1..=variants::MAX_AXES)
            .filter_map(|n| {
                Some((
                    n,
                    index(&Column::OptionName(n))?,
                    index(&Column::OptionValues(n))?,
                ))
            })
            .collect(),
        stock: columns
            .iter()
            .enumerate()
            .filter_map(|(i, c)| match c {
                Some(Column::Stock(z)) => Some((i, z.clone())),
                _ => None,
            })
            .collect(),
        translations: columns
            .iter()
            .enumerate()
            .filter_map(|(i, c)| match c {
                Some(Column::Translated(is_name, tag)) => {
                    Some((i, *is_name, Locale::parse(tag).ok()?.into_string()))
                }
                _ => None,
            })
            .collect(),
    })
}

/// Checks one data record and keeps its row when it has no problem; a handle seen before is
/// reported against its first line.
fn read_record(
    out: &mut ParsedFile,
    first_line_of: &mut HashMap<String, u64>,
    at: &Problems<'_>,
    record: &::csv::ByteRecord,
    layout: &Layout,
    exponent: u32,
) {
    let (line, names) = (at.line, at.names);
    if record.len() != names.len() {
        out.errors.push(RowError::new(
            line,
            None,
            format!(
                "{} fields, but the header has {} (a missing delimiter or an unclosed quote?)",
                record.len(),
                names.len()
            ),
        ));
        return;
    }
    let mut fields: Vec<&str> = Vec::with_capacity(names.len());
    let mut utf8_ok = true;
    for (i, f) in record.iter().enumerate() {
        match std::str::from_utf8(f) {
            Ok(s) => fields.push(s),
            Err(_) => {
                out.errors
                    .push(RowError::new(line, Some(&names[i]), "not valid UTF-8"));
                fields.push("");
                utf8_ok = false;
            }
        }
    }
    let category = fields[layout.category].trim().to_ascii_uppercase();
    if CategoryCode::parse(&category).is_ok() {
        out.categories_named.push((line, category));
    }
    let before = out.errors.len();
    let row = parse_row(
        &fields,
        layout,
        exponent,
        &mut at.collect_into(&mut out.errors),
    );
    if let Some(row) = &row {
        match first_line_of.get(&row.handle) {
            Some(first) => out.errors.push(RowError::new(
                line,
                Some(&names[layout.handle]),
                format!(
                    "handle {:?} appears twice (first on line {first})",
                    row.handle
                ),
            )),
            None => {
                first_line_of.insert(row.handle.clone(), line);
            }
        }
    }
    if let Some(row) = row
        && utf8_ok
        && out.errors.len() == before
    {
        out.rows.push(row);
    }
}

/// Where each column of the file is.
struct Layout {
    handle: usize,
    category: usize,
    name: usize,
    price: usize,
    description: Option<usize>,
    status: Option<usize>,
    /// (axis number, name column, values column)
    options: Vec<(usize, usize, usize)>,
    stock: Vec<(usize, String)>,
    /// (column, is the name (else the description), canonical locale)
    translations: Vec<(usize, bool, String)>,
}

/// The line a record starts on and the header's names: where a problem is reported.
#[derive(Clone, Copy)]
struct Problems<'a> {
    line: u64,
    names: &'a [String],
}

impl<'a> Problems<'a> {
    fn at_line(line: u64, names: &'a [String]) -> Self {
        Self { line, names }
    }

    fn collect_into<'e>(self, errors: &'e mut Vec<RowError>) -> RowProblems<'a, 'e> {
        RowProblems { at: self, errors }
    }
}

/// Collects one record's problems.
struct RowProblems<'a, 'e> {
    at: Problems<'a>,
    errors: &'e mut Vec<RowError>,
}

impl RowProblems<'_, '_> {
    /// A problem of the cell in column `i`.
    fn cell(&mut self, i: usize, message: impl Into<String>) {
        self.errors.push(RowError::new(
            self.at.line,
            Some(&self.at.names[i]),
            message,
        ));
    }

    /// A problem of the whole row.
    fn row(&mut self, message: impl Into<String>) {
        self.errors.push(RowError::new(self.at.line, None, message));
    }

    fn count(&self) -> usize {
        self.errors.len()
    }
}

fn parse_row(
    fields: &[&str],
    cols: &Layout,
    exponent: u32,
    report: &mut RowProblems<'_, '_>,
) -> Option<ProductRow> {
    let before = report.count();
    let handle = fields[cols.handle].trim().to_owned();
    if handle.is_empty() {
        report.cell(cols.handle, "required");
    } else if Handle::parse(&handle).is_err() {
        report.cell(
            cols.handle,
            format!(
                "{handle:?}: lowercase letters and digits in hyphen-separated words, at most 120 characters"
            ),
        );
    }
    let category = fields[cols.category].trim().to_ascii_uppercase();
    if category.is_empty() {
        report.cell(cols.category, "required");
    } else if CategoryCode::parse(&category).is_err() {
        report.cell(
            cols.category,
            format!("{category:?}: a category code is 2 to 8 letters or digits"),
        );
    }
    let name = fields[cols.name].trim().to_owned();
    if let Err(e) = DisplayName::parse(&name) {
        report.cell(cols.name, e.into_message());
    }
    let description = cols.description.map(|i| fields[i].trim().to_owned());
    if let (Some(i), Some(d)) = (cols.description, &description)
        && let Err(e) = Description::parse(d)
    {
        report.cell(i, e.into_message());
    }
    let price_minor = match parse_price(fields[cols.price], exponent) {
        Ok(p) => p,
        Err(message) => {
            report.cell(cols.price, message);
            0
        }
    };
    let status = match cols.status.map(|i| (i, fields[i].trim().to_lowercase())) {
        None => None,
        Some((_, s)) if s.is_empty() => None,
        Some((i, s)) => match ProductStatus::parse(&s) {
            Ok(status) => Some(status),
            Err(e) => {
                report.cell(i, format!("{s:?}: {e}"));
                None
            }
        },
    };
    let translations = read_translations(fields, cols, report);
    let (axes, axis_columns) = read_axes(fields, cols, report);
    let axes_before = report.count();
    if !axes.is_empty() {
        report_axis_problems(&axes, &axis_columns, report);
    }
    let axes_ok = report.count() == axes_before;
    let stock = read_stock(fields, cols, &axes, axes_ok, report);

    let has_options = !cols.options.is_empty();
    let valid = report.count() == before;
    if !valid && Handle::parse(&handle).is_err() {
        return None;
    }
    // A row with problems still returns its handle, so duplicates are reported against valid
    // first rows only.
    Some(ProductRow {
        line: report.at.line,
        handle,
        category,
        name,
        description,
        price_minor,
        status,
        axes: (valid && has_options).then_some(axes),
        stock: if valid { stock } else { Vec::new() },
        translations,
    })
}

/// The row's translated cells by locale, each checked like the product's own name or
/// description; empty cells are left out.
fn read_translations(
    fields: &[&str],
    cols: &Layout,
    report: &mut RowProblems<'_, '_>,
) -> Vec<TranslatedCells> {
    let mut out: Vec<TranslatedCells> = Vec::new();
    for (i, is_name, locale) in &cols.translations {
        let cell = fields[*i].trim();
        if cell.is_empty() {
            continue;
        }
        let checked = if *is_name {
            DisplayName::parse(cell).map(|_| ())
        } else {
            Description::parse(cell).map(|_| ())
        };
        if let Err(e) = checked {
            report.cell(*i, e.into_message());
            continue;
        }
        let at = match out.iter().position(|t| &t.locale == locale) {
            Some(at) => at,
            None => {
                out.push(TranslatedCells {
                    locale: locale.clone(),
                    name: None,
                    description: None,
                });
                out.len() - 1
            }
        };
        if *is_name {
            out[at].name = Some(cell.to_owned());
        } else {
            out[at].description = Some(cell.to_owned());
        }
    }
    out
}

/// The option axes, in column order (an axis with neither name nor values is absent), with the
/// (name, values) columns of each.
fn read_axes(
    fields: &[&str],
    cols: &Layout,
    report: &mut RowProblems<'_, '_>,
) -> (Vec<Axis>, Vec<(usize, usize)>) {
    let mut axes: Vec<Axis> = Vec::new();
    let mut axis_columns: Vec<(usize, usize)> = Vec::new();
    for &(n, name_i, values_i) in &cols.options {
        let axis_name = fields[name_i].trim();
        let values_raw = fields[values_i].trim();
        match (axis_name.is_empty(), values_raw.is_empty()) {
            (true, true) => continue,
            (true, false) => {
                report.cell(name_i, format!("required when option{n}_values is set"));
                continue;
            }
            (false, true) => {
                report.cell(values_i, "at least one value");
                continue;
            }
            (false, false) => {}
        }
        let mut values = Vec::new();
        for (k, piece) in values_raw.split('|').enumerate() {
            let piece = piece.trim();
            if piece.is_empty() {
                report.cell(
                    values_i,
                    format!("value {} is empty (two '|' in a row?)", k + 1),
                );
                continue;
            }
            let (value, code) = match piece.rsplit_once('=') {
                Some((v, c)) => (v.trim(), Some(c.trim().to_ascii_uppercase())),
                None => (piece, None),
            };
            values.push(AxisValue {
                value: value.to_owned(),
                code: code.into(),
            });
        }
        axes.push(Axis {
            name: axis_name.to_owned(),
            values,
        });
        axis_columns.push((name_i, values_i));
    }
    (axes, axis_columns)
}

/// The axes' problems, each on the column it comes from: `axes[i].name`,
/// `axes[i].values[k].code`, or `axes` (too many combinations).
fn report_axis_problems(
    axes: &[Axis],
    axis_columns: &[(usize, usize)],
    report: &mut RowProblems<'_, '_>,
) {
    for e in variants::validate_axes(axes, "axes") {
        let (column, message) = match e.field.strip_prefix("axes[") {
            None => (axis_columns.last().map(|c| c.1), e.message),
            Some(rest) => {
                let (i, rest) = rest.split_once(']').unwrap_or(("0", ""));
                let i: usize = i.parse().unwrap_or(0);
                let (name_i, values_i) = axis_columns[i.min(axis_columns.len() - 1)];
                if rest == ".name" {
                    (Some(name_i), e.message)
                } else if let Some(v) = rest.strip_prefix(".values[") {
                    let (k, what) = v.split_once(']').unwrap_or(("0", ""));
                    let k: usize = k.parse().unwrap_or(0);
                    let value = axes[i].values.get(k).map_or("", |v| v.value.as_str());
                    let what = what.trim_start_matches('.');
                    (
                        Some(values_i),
                        format!("value {} ({value:?}) {what}: {}", k + 1, e.message),
                    )
                } else {
                    (Some(values_i), e.message)
                }
            }
        };
        match column {
            Some(i) => report.cell(i, message),
            None => report.row(message),
        }
    }
}

/// The stock cells: a number for every new variant, or `Value/Value=units` per variant.
fn read_stock(
    fields: &[&str],
    cols: &Layout,
    axes: &[Axis],
    axes_ok: bool,
    report: &mut RowProblems<'_, '_>,
) -> Vec<(String, StockCell)> {
    let mut stock = Vec::new();
    let has_options = !cols.options.is_empty();
    for (i, zone) in &cols.stock {
        let cell = fields[*i].trim();
        if cell.is_empty() {
            continue;
        }
        if let Some(n) = parse_units(cell) {
            if n > 0 {
                stock.push((zone.clone(), StockCell::Each(n)));
            }
            continue;
        }
        if !cell.contains('=') {
            report.cell(
                *i,
                format!("{cell:?}: a number of units (0 to {MAX_STOCK}), or Value/Value=units per variant separated by '|'"),
            );
            continue;
        }
        if !has_options || !axes_ok {
            if !has_options {
                report.cell(*i, "units per variant need the option columns");
            }
            continue;
        }
        let map = units_per_variant(cell, *i, axes, report);
        stock.push((zone.clone(), StockCell::PerVariant(map)));
    }
    stock
}

/// A `Value/Value=units|...` cell of column `i`, by combination key.
fn units_per_variant(
    cell: &str,
    i: usize,
    axes: &[Axis],
    report: &mut RowProblems<'_, '_>,
) -> HashMap<String, i32> {
    // Combinations by their values joined with '/', normalised like combination keys.
    let combos = variants::combinations(axes);
    let by_values: HashMap<String, &str> = combos
        .iter()
        .map(|c| {
            let values: Vec<String> = c
                .options
                .iter()
                .map(|o| o.value.trim().to_lowercase())
                .collect();
            (values.join("/"), c.key.as_str())
        })
        .collect();
    let mut map = HashMap::new();
    for part in cell.split('|') {
        let Some((key, units)) = part.rsplit_once('=') else {
            report.cell(i, format!("{part:?}: Value/Value=units"));
            continue;
        };
        let wanted: Vec<String> = key.split('/').map(|v| v.trim().to_lowercase()).collect();
        match (by_values.get(&wanted.join("/")), parse_units(units)) {
            (Some(k), Some(n)) => {
                map.insert((*k).to_owned(), n);
            }
            (None, _) => report.cell(
                i,
                format!("{:?} is not a variant of this product (values in option order, separated by '/')", key.trim()),
            ),
            (_, None) => report.cell(i, format!("{:?}: 0 to {MAX_STOCK} units", units.trim())),
        }
    }
    map
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::Nullable;

    fn lines_and_columns(errors: &[RowError]) -> Vec<(u64, Option<&str>)> {
        errors
            .iter()
            .map(|e| (e.line, e.column.as_deref()))
            .collect()
    }

    #[test]
    fn prices_are_parsed_exactly() {
        assert_eq!(parse_price("18.90", 2), Ok(1890));
        assert_eq!(parse_price("18,9", 2), Ok(1890));
        assert_eq!(parse_price("18", 2), Ok(1800));
        assert_eq!(parse_price(" 0.05 ", 2), Ok(5));
        assert_eq!(parse_price("1890", 0), Ok(1890));
        assert_eq!(parse_price("1.234", 3), Ok(1234));
        for bad in [
            "",
            "-1",
            "1.",
            ".5",
            "1.234",
            "1,000.00",
            "abc",
            "1e3",
            "99999999999999",
        ] {
            assert!(parse_price(bad, 2).is_err(), "{bad}");
        }
        assert!(parse_price("18.9", 0).is_err());
    }

    #[test]
    fn delimiters_are_sniffed_from_the_header_line() {
        assert_eq!(sniff_delimiter(b"handle,name,price\n"), b',');
        assert_eq!(sniff_delimiter(b"handle;name;price\r\na,b,c,d"), b';');
        assert_eq!(sniff_delimiter(b"\"a;b;c\",d\n"), b',');
    }

    #[test]
    fn a_well_formed_file_parses_with_bom_semicolons_quotes_and_header_case() {
        let file = "\u{feff}Handle;CATEGORY;Name;Description;Price;Status;Option1_Name;Option1_Values;Stock_BER\r\n\
                    silk-shampoo;hair;\"Silk; Repair\";\"Says \"\"hi\"\"\nover lines\";18,90;active;Size;250 ml=250ML|500 ml;5\r\n\
                    ;;;;;;;;\r\n\
                    clay;styl;Matte Clay;;12;;;;\r\n";
        let parsed = parse(file.as_bytes(), 2);
        assert_eq!(parsed.errors, []);
        assert_eq!(parsed.records, 2);
        assert_eq!(parsed.zones, ["BER"]);
        let first = &parsed.rows[0];
        assert_eq!(first.line, 2);
        assert_eq!(first.category, "HAIR");
        assert_eq!(first.name, "Silk; Repair");
        assert_eq!(
            first.description.as_deref(),
            Some("Says \"hi\"\nover lines")
        );
        assert_eq!(first.price_minor, 1890);
        let axes = first.axes.as_ref().unwrap();
        assert_eq!(axes[0].values[0].code.as_deref(), Some("250ML"));
        assert_eq!(axes[0].values[1].code, Nullable::NULL);
        assert_eq!(first.stock, [("BER".to_owned(), StockCell::Each(5))]);
        let second = &parsed.rows[1];
        assert_eq!(second.line, 5, "the quoted line break counts");
        assert_eq!(second.axes.as_deref(), Some(&[][..]));
        assert_eq!(second.status, None);
    }

    #[test]
    fn every_problem_is_reported_with_its_line_and_column() {
        let file = "handle,category,name,price,status,option1_name,option1_values,stock_BER\n\
                    ok-one,HAIR,Fine,1.00,active,Colour,Red|Blue,Red=2|Blue=3\n\
                    Bad Handle,HAIR,Fine,1.00,,,,\n\
                    two,hair!,,-3,live,,Red,\n\
                    ok-one,HAIR,Again,1.00,,,,\n\
                    three,HAIR,X,1,,Colour,Red|red|Green=gr n,Purple=1\n\
                    five,HAIR,X,1,,Colour,Red,Purple=1\n\
                    four,HAIR,X\n";
        let parsed = parse(file.as_bytes(), 2);
        assert_eq!(
            lines_and_columns(&parsed.errors),
            [
                (3, Some("handle")),
                (4, Some("category")),
                (4, Some("name")),
                (4, Some("price")),
                (4, Some("status")),
                (4, Some("option1_name")),
                (5, Some("handle")),
                (6, Some("option1_values")),
                (6, Some("option1_values")),
                (7, Some("stock_ber")),
                (8, None),
            ],
            "{:#?}",
            parsed.errors
        );
        assert_eq!(parsed.rows.len(), 1);
        assert_eq!(parsed.records, 7);
        let StockCell::PerVariant(map) = &parsed.rows[0].stock[0].1 else {
            panic!("per-variant stock");
        };
        assert_eq!(map.get("colour=blue"), Some(&3));
    }

    #[test]
    fn the_example_file_in_the_repository_is_valid() {
        let parsed = parse(include_bytes!("../../seed/example-import.csv"), 2);
        assert_eq!(parsed.errors, []);
        assert_eq!(parsed.rows.len(), 5);
        assert_eq!(parsed.zones, ["BER", "HAM"]);
        let curl = &parsed.rows[2];
        assert_eq!(curl.axes.as_ref().unwrap().len(), 2);
        let StockCell::PerVariant(ber) = &curl.stock[0].1 else {
            panic!("per-variant stock");
        };
        assert_eq!(ber.get("hold=strong|size=150 ml"), Some(&3));
        assert_eq!(parsed.rows[4].line, 6);
    }

    #[test]
    fn header_problems_stop_before_the_rows() {
        let parsed = parse(
            b"Handle,nme,price,price,stock_b@d,option2_name\nx,y,1,2,3,4\n",
            2,
        );
        let got: Vec<(Option<&str>, &str)> = parsed
            .errors
            .iter()
            .map(|e| (e.column.as_deref(), e.message.as_str()))
            .collect();
        assert_eq!(got.len(), 6, "{got:#?}");
        assert!(parsed.errors.iter().all(|e| e.line == 1));
        assert!(parsed.rows.is_empty());
        assert_eq!(parse(b"", 2).errors.len(), 1);
        assert_eq!(parse(b"\xEF\xBB\xBF\n", 2).errors.len(), 1);
    }

    #[test]
    fn translated_columns_equal_once_normalised_are_found_at_upload() {
        let message = duplicate_translated_columns(b"handle,name,name@es,price,NAME@ES\n").unwrap();
        assert!(message.contains("`name@es` and `NAME@ES`"), "{message}");
        assert!(
            duplicate_translated_columns(
                "\u{feff}a;description@pt_BR;description@pt-br\n".as_bytes()
            )
            .is_some()
        );
        assert_eq!(
            duplicate_translated_columns(b"name@es,description@es,name@ja\n"),
            None
        );
        let parsed = parse(
            b"handle,category,name,price,name@es_mx,name@es-MX\nx,HAIR,X,1.00,a,b\n",
            2,
        );
        assert!(
            parsed
                .errors
                .iter()
                .any(|e| e.message.contains("appears twice")),
            "{:?}",
            parsed.errors
        );
    }
}
