//! Variant generation: a product's option axes (colour x size ...) give the cartesian product
//! of their values as variants. Updating the axes adds the missing combinations, deactivates
//! (never deletes) the ones no longer offered, and reactivates ones offered again; a kept
//! variant keeps its SKU. A product without axes has one default variant.

use poem_openapi::Object;
use serde::{Deserialize, Serialize};

use super::sku;
use crate::{
    error::{FieldError, FieldErrors},
    types::{Nullable, Text},
};

pub const MAX_AXES: usize = 3;
pub const MAX_VALUES_PER_AXIS: usize = 50;
pub const MAX_VARIANTS: usize = 500;

/// One option axis of a product, e.g. Colour with its values.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Object)]
#[oai(rename = "OptionAxis")]
pub struct Axis {
    pub name: String,
    pub values: Vec<AxisValue>,
}

/// A value of an axis, optionally with the code its SKUs carry (`Black` -> `BLK`; 1 to 8
/// uppercase letters or digits). Without one, a short code is derived from the value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Object)]
#[oai(rename = "OptionAxisValue")]
pub struct AxisValue {
    pub value: String,
    #[serde(default, skip_serializing_if = "Nullable::is_null")]
    pub code: Nullable<String>,
}

/// One option of a variant, e.g. Colour = Black.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Object)]
#[oai(rename = "VariantOption")]
pub struct OptionValue {
    pub axis: String,
    pub value: String,
}

/// One combination of axis values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Combination {
    /// Identifies the combination within a product regardless of axis order and letter case.
    pub key: String,
    pub options: Vec<OptionValue>,
    pub codes: Vec<String>,
}

fn norm(s: &str) -> String {
    s.trim().to_lowercase()
}

/// The identity of a combination: `axis=value` pairs, normalised and sorted by axis.
pub fn combination_key(options: &[OptionValue]) -> String {
    let mut parts: Vec<String> = options
        .iter()
        .map(|o| format!("{}={}", norm(&o.axis), norm(&o.value)))
        .collect();
    parts.sort();
    parts.join("|")
}

/// Checks axes; `field` prefixes the error paths (e.g. `axes`).
pub fn validate_axes(axes: &[Axis], field: &str) -> Vec<FieldError> {
    let mut errors = Vec::new();
    if axes.len() > MAX_AXES {
        errors.push(FieldError::new(field, format!("at most {MAX_AXES} axes")));
    }
    let mut names: Vec<String> = Vec::new();
    let mut total: usize = 1;
    for (i, axis) in axes.iter().enumerate() {
        let at = format!("{field}[{i}]");
        errors.check(format!("{at}.name"), Text::<1, 50>::parse(&axis.name));
        if names.contains(&norm(&axis.name)) {
            errors.push(FieldError::new(
                format!("{at}.name"),
                "axis names must differ",
            ));
        }
        names.push(norm(&axis.name));
        if axis.values.is_empty() || axis.values.len() > MAX_VALUES_PER_AXIS {
            errors.push(FieldError::new(
                format!("{at}.values"),
                format!("1 to {MAX_VALUES_PER_AXIS} values"),
            ));
        }
        total = total.saturating_mul(axis.values.len().max(1));
        let mut seen: Vec<String> = Vec::new();
        let mut codes: Vec<&str> = Vec::new();
        for (j, v) in axis.values.iter().enumerate() {
            let vat = format!("{at}.values[{j}]");
            errors.check(format!("{vat}.value"), Text::<1, 100>::parse(&v.value));
            if seen.contains(&norm(&v.value)) {
                errors.push(FieldError::new(
                    format!("{vat}.value"),
                    "listed twice on this axis",
                ));
            }
            seen.push(norm(&v.value));
            if let Some(code) = &*v.code {
                if !sku::is_valid_code(code) {
                    errors.push(FieldError::new(
                        format!("{vat}.code"),
                        "1 to 8 uppercase letters or digits",
                    ));
                } else if codes.contains(&code.as_str()) {
                    errors.push(FieldError::new(
                        format!("{vat}.code"),
                        "used twice on this axis",
                    ));
                }
                codes.push(code);
            }
        }
    }
    if total > MAX_VARIANTS {
        errors.push(FieldError::new(
            field,
            format!("{total} combinations; at most {MAX_VARIANTS} variants per product"),
        ));
    }
    errors
}

/// Every combination of the axes' values, in axis order (the first axis varies slowest).
/// No axes: the single default combination (empty key, no options, no codes).
pub fn combinations(axes: &[Axis]) -> Vec<Combination> {
    let codes: Vec<Vec<String>> = axes
        .iter()
        .map(|a| {
            sku::axis_codes(
                &a.values
                    .iter()
                    .map(|v| (v.value.trim().to_owned(), v.code.clone().into_inner()))
                    .collect::<Vec<_>>(),
            )
        })
        .collect();
    let mut out = vec![Combination {
        key: String::new(),
        options: Vec::new(),
        codes: Vec::new(),
    }];
    for (axis, axis_codes) in axes.iter().zip(&codes) {
        let mut next = Vec::with_capacity(out.len() * axis.values.len());
        for combo in &out {
            for (value, code) in axis.values.iter().zip(axis_codes) {
                let mut c = combo.clone();
                c.options.push(OptionValue {
                    axis: axis.name.trim().to_owned(),
                    value: value.value.trim().to_owned(),
                });
                c.codes.push(code.clone());
                next.push(c);
            }
        }
        out = next;
    }
    for c in &mut out {
        c.key = combination_key(&c.options);
    }
    out
}

/// A variant that exists already.
#[derive(Debug, Clone)]
pub struct Existing {
    pub id: uuid::Uuid,
    pub key: String,
    pub sku: String,
    pub is_active: bool,
}

/// A variant to create.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewVariant {
    pub key: String,
    pub options: Vec<OptionValue>,
    pub sku: String,
    pub position: i32,
}

/// What to do to a product's variants so they match its axes.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Plan {
    pub insert: Vec<NewVariant>,
    pub activate: Vec<uuid::Uuid>,
    pub deactivate: Vec<uuid::Uuid>,
    /// Kept variants and their position in the new order.
    pub positions: Vec<(uuid::Uuid, i32)>,
}

/// Plans the change from `existing` variants to the combinations of `axes`. New SKUs never
/// repeat one the product has issued before: a clash gets a digit on its last code.
pub fn plan(stem: &str, axes: &[Axis], existing: &[Existing]) -> Plan {
    let mut plan = Plan::default();
    let wanted = combinations(axes);
    let mut issued: Vec<String> = existing.iter().map(|e| e.sku.clone()).collect();
    for (position, combo) in wanted.iter().enumerate() {
        let position = position as i32;
        match existing.iter().find(|e| e.key == combo.key) {
            Some(e) => {
                if !e.is_active {
                    plan.activate.push(e.id);
                }
                plan.positions.push((e.id, position));
            }
            None => {
                let mut candidate = sku::sku(stem, &combo.codes);
                let mut n = 2;
                while issued.contains(&candidate) {
                    let mut codes = combo.codes.clone();
                    match codes.last_mut() {
                        Some(last) => last.push_str(&n.to_string()),
                        None => codes.push(n.to_string()),
                    }
                    candidate = sku::sku(stem, &codes);
                    n += 1;
                }
                issued.push(candidate.clone());
                plan.insert.push(NewVariant {
                    key: combo.key.clone(),
                    options: combo.options.clone(),
                    sku: candidate,
                    position,
                });
            }
        }
    }
    for e in existing {
        if e.is_active && !wanted.iter().any(|w| w.key == e.key) {
            plan.deactivate.push(e.id);
        }
    }
    plan
}

#[cfg(test)]
mod tests {
    use super::*;

    fn axis(name: &str, values: &[&str]) -> Axis {
        Axis {
            name: name.into(),
            values: values
                .iter()
                .map(|v| AxisValue {
                    value: (*v).into(),
                    code: Nullable::NULL,
                })
                .collect(),
        }
    }

    fn existing_from(plan: &Plan) -> Vec<Existing> {
        plan.insert
            .iter()
            .map(|n| Existing {
                id: uuid::Uuid::new_v4(),
                key: n.key.clone(),
                sku: n.sku.clone(),
                is_active: true,
            })
            .collect()
    }

    #[test]
    fn three_colours_by_two_sizes_make_six_variants() {
        let axes = [
            axis("Colour", &["Black", "Blue", "Blackberry"]),
            axis("Size", &["250 ml", "500 ml"]),
        ];
        let plan = plan("FBX-HAIR-0042", &axes, &[]);
        let skus: Vec<&str> = plan.insert.iter().map(|v| v.sku.as_str()).collect();
        assert_eq!(
            skus,
            [
                "FBX-HAIR-0042-BLACK-250ML",
                "FBX-HAIR-0042-BLACK-500ML",
                "FBX-HAIR-0042-BLUE-250ML",
                "FBX-HAIR-0042-BLUE-500ML",
                "FBX-HAIR-0042-BLCK-250ML",
                "FBX-HAIR-0042-BLCK-500ML",
            ]
        );
    }

    #[test]
    fn a_product_without_axes_has_one_default_variant() {
        let plan = plan("SHS-STYL-0007", &[], &[]);
        assert_eq!(plan.insert.len(), 1);
        assert_eq!(plan.insert[0].sku, "SHS-STYL-0007");
        assert_eq!(plan.insert[0].key, "");
    }

    #[test]
    fn changing_axes_keeps_skus_adds_missing_and_deactivates_dropped() {
        let first = plan(
            "FBX-HAIR-0042",
            &[
                axis("Colour", &["Black", "Blue"]),
                axis("Size", &["250 ml"]),
            ],
            &[],
        );
        let existing = existing_from(&first);
        // Axes reordered, a value renamed in case only, a size added, Blue dropped.
        let second = plan(
            "FBX-HAIR-0042",
            &[axis("Size", &["250 ML", "1 l"]), axis("colour", &["black"])],
            &existing,
        );
        let black_250 = existing
            .iter()
            .find(|e| e.sku == "FBX-HAIR-0042-BLACK-250ML")
            .unwrap()
            .clone();
        let blue_250 = existing
            .iter()
            .find(|e| e.sku == "FBX-HAIR-0042-BLUE-250ML")
            .unwrap()
            .clone();
        assert_eq!(second.positions, [(black_250.id, 0)]);
        assert_eq!(second.deactivate, [blue_250.id]);
        assert_eq!(second.insert.len(), 1);
        assert_eq!(second.insert[0].sku, "FBX-HAIR-0042-1L-BLACK");

        // Blue comes back: reactivated with its old SKU, nothing inserted.
        let mut existing = existing;
        existing.extend(existing_from(&second));
        for e in &mut existing {
            if e.id == blue_250.id {
                e.is_active = false;
            }
        }
        let third = plan(
            "FBX-HAIR-0042",
            &[
                axis("Colour", &["Black", "Blue"]),
                axis("Size", &["250 ml"]),
            ],
            &existing,
        );
        assert!(third.insert.is_empty());
        assert_eq!(third.activate, [blue_250.id]);
    }

    #[test]
    fn a_new_combination_never_reuses_an_issued_sku() {
        let first = plan("FBX-HAIR-0042", &[axis("Colour", &["Red"])], &[]);
        let existing = existing_from(&first);
        // "Red!" is a different value whose derived code is also RED.
        let second = plan("FBX-HAIR-0042", &[axis("Colour", &["Red!"])], &existing);
        assert_eq!(second.insert[0].sku, "FBX-HAIR-0042-RED2");
        assert_eq!(second.deactivate.len(), 1);
    }

    #[test]
    fn unicode_values_get_ascii_skus() {
        let plan = plan(
            "SZM-SKIN-0003",
            &[axis("Scent", &["桜 Sakura", "Matcha 抹茶", "Crème brûlée"])],
            &[],
        );
        for v in &plan.insert {
            assert!(v.sku.is_ascii(), "{}", v.sku);
        }
        assert_eq!(plan.insert[0].options[0].value, "桜 Sakura");
    }

    #[test]
    fn axes_are_validated() {
        let mut bad = vec![axis("Colour", &["Black", "black"]), axis("colour", &[])];
        bad[0].values[0].code = Nullable(Some("blk".into()));
        let fields: Vec<String> = validate_axes(&bad, "axes")
            .into_iter()
            .map(|e| e.field)
            .collect();
        assert_eq!(
            fields,
            [
                "axes[0].values[0].code",
                "axes[0].values[1].value",
                "axes[1].name",
                "axes[1].values"
            ]
        );
        let big = vec![axis("A", &["1"; 1]); 1];
        assert!(validate_axes(&big, "axes").is_empty());
        let values: Vec<String> = (0..30).map(|i| i.to_string()).collect();
        let refs: Vec<&str> = values.iter().map(String::as_str).collect();
        let too_many = vec![axis("A", &refs), axis("B", &refs)];
        assert_eq!(validate_axes(&too_many, "axes").len(), 1);
    }
}
