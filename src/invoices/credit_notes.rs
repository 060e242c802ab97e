//! Credit notes: every confirmed refund of an invoiced order gets one, numbered in the brand's
//! gapless credit-note series (`CN-{number}`, its own series next to the invoices'), rendered as
//! a PDF by the invoices' renderer and job path into the brand's object storage at
//! `{brand}/credit-notes/YYYY-MM/CN-{number}.pdf`, and downloaded like the invoice.
//!
//! 1. The transaction that records the provider's `refunded` callback
//!    (`orders::returns::refunds::settle`, which covers the refund a cancellation of a paid
//!    order requested as well as line, shipping and free-amount refunds) calls [`issue`] after
//!    the refund is marked refunded, under the order's row lock: the brand's next number from
//!    `app.invoice_counters` (series `credit_note`, the row locked until COMMIT: no gaps, no
//!    number twice, a rollback takes it back), the credit note row (the invoice it corrects,
//!    the refund, the amounts it credits, the object key) and a `render_credit_note` job. One
//!    credit note per refund: the refund is settled once (its callback's event id recorded, the
//!    refund's status checked under the lock), `issue` returns an existing credit note, and the
//!    table's unique key on the refund holds it. An order without an invoice gets none.
//! 2. The job ([`render`]) reads the credit note, the order, the refund and the brand's details,
//!    builds the document ([`credit`]) and renders and stores it as invoices are.
//! 3. Downloads and the listing go through [`super::service`] like the invoice's.
//!
//! **What is credited** ([`credit`]), all in integer minor units: each refunded line with its
//! units and amount (its share of the line's total, tax included), its tax the line's tax in
//! proportion to the amount (half up); the shipping's part with the shipping's tax in the same
//! proportion; a free amount spread over the order's tax rates (and its shipping) in proportion
//! to what each cost the customer (floor, the remainder to the largest), each part's tax in
//! proportion again. The total is the refund's amount exactly; the tax breakdown per rate is
//! the invoice's reversed in proportion.

use chrono::Utc;
use uuid::Uuid;

pub use super::repo::CreditNoteRow;
use super::{
    InvoiceError, InvoiceStatus,
    pdf::{self, Buyer, DocumentKind, InvoiceDocument, InvoiceLine, Seller},
    repo::{self, RefundFacts, Series, Source},
    service::{self, Invoicing, Whose},
};
use crate::{
    db::{DbError, Tx},
    jobs::{self, JobError, JobKind},
    media::store::ObjectKey,
    scope::TenantScope,
};

/// What [`issue`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Issued {
    pub credit_note_id: Uuid,
    pub number: i64,
}

/// What a refund credits, as its credit note prints it (amounts as the brand prices them: with
/// tax when prices include it, net otherwise, like an invoice).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credit {
    pub lines: Vec<InvoiceLine>,
    pub subtotal_minor: i64,
    pub shipping_minor: i64,
    pub tax_minor: i64,
    /// The refund's amount.
    pub total_minor: i64,
}

/// `part x of / whole`, rounded half up; 0 when `whole` is not positive.
fn prorate(part: i64, of: i64, whole: i64) -> i64 {
    if whole <= 0 || part <= 0 || of <= 0 {
        return 0;
    }
    let (part, of, whole) = (i128::from(part), i128::from(of), i128::from(whole));
    // Half up: an exact half only exists for an even whole, where whole / 2 is exact.
    ((part * of + whole / 2) / whole) as i64
}

/// The credit of `refund` against the order as invoiced (`source`): see the module doc.
pub(crate) fn credit(source: &Source, refund: &RefundFacts) -> Credit {
    let inclusive = source.prices_include_tax;
    // The Amount column: gross when prices include tax, net otherwise.
    let priced = |gross: i64, tax: i64| if inclusive { gross } else { gross - tax };
    let mut lines = Vec::new();
    let mut tax_total = 0i64;
    for r in &refund.lines {
        let Some(l) = source.lines.iter().find(|l| l.id == r.order_line_id) else {
            continue;
        };
        let tax = prorate(r.amount_minor, l.line.tax_minor, l.charged_minor).min(r.amount_minor);
        tax_total += tax;
        lines.push(InvoiceLine {
            sku: l.line.sku.clone(),
            name: l.line.name.clone(),
            quantity: r.quantity,
            unit_price_minor: l.line.unit_price_minor,
            tax_rate_bp: l.line.tax_rate_bp,
            tax_minor: tax,
            line_total_minor: priced(r.amount_minor, tax),
            discount_minor: 0,
        });
    }
    // The order's shipping as charged: its total beyond the lines', and its tax.
    let lines_charged: i64 = source.lines.iter().map(|l| l.charged_minor).sum();
    let lines_tax: i64 = source.lines.iter().map(|l| l.line.tax_minor).sum();
    let order_shipping = (source.total_minor - lines_charged).max(0);
    let order_shipping_tax = (source.tax_minor - lines_tax).clamp(0, order_shipping);
    let mut shipping = refund.shipping_minor;
    let mut shipping_tax = prorate(refund.shipping_minor, order_shipping_tax, order_shipping)
        .min(refund.shipping_minor);
    if refund.free_minor > 0 {
        // What the customer paid per tax rate (`None`: the shipping), lowest rate first.
        let mut buckets: Vec<(Option<i32>, i64, i64)> = Vec::new();
        for l in &source.lines {
            match buckets.iter_mut().find(|b| b.0 == Some(l.line.tax_rate_bp)) {
                Some(b) => {
                    b.1 += l.charged_minor;
                    b.2 += l.line.tax_minor;
                }
                None => buckets.push((Some(l.line.tax_rate_bp), l.charged_minor, l.line.tax_minor)),
            }
        }
        buckets.sort_by_key(|b| b.0);
        if order_shipping > 0 {
            buckets.push((None, order_shipping, order_shipping_tax));
        }
        buckets.retain(|b| b.1 > 0);
        let whole: i64 = buckets.iter().map(|b| b.1).sum();
        let mut shares: Vec<i64> = if whole > 0 {
            buckets
                .iter()
                .map(|b| {
                    (i128::from(refund.free_minor) * i128::from(b.1) / i128::from(whole)) as i64
                })
                .collect()
        } else {
            // Nothing was charged (cannot be refunded; kept total): one untaxed part.
            buckets = vec![(Some(0), 0, 0)];
            vec![0]
        };
        let rest = refund.free_minor - shares.iter().sum::<i64>();
        let largest = (0..buckets.len())
            .max_by_key(|&i| (buckets[i].1, std::cmp::Reverse(i)))
            .unwrap_or(0);
        shares[largest] += rest;
        for ((rate, gross, tax), share) in buckets.into_iter().zip(shares) {
            if share == 0 {
                continue;
            }
            let part_tax = prorate(share, tax, gross).min(share);
            match rate {
                Some(rate_bp) => {
                    tax_total += part_tax;
                    let amount = priced(share, part_tax);
                    lines.push(InvoiceLine {
                        sku: String::new(),
                        name: format!("Amount refunded ({} tax rate)", pdf::rate(rate_bp)),
                        quantity: 1,
                        unit_price_minor: amount,
                        tax_rate_bp: rate_bp,
                        tax_minor: part_tax,
                        line_total_minor: amount,
                        discount_minor: 0,
                    });
                }
                None => {
                    shipping += share;
                    shipping_tax += part_tax;
                }
            }
        }
    }
    Credit {
        subtotal_minor: lines.iter().map(|l| l.line_total_minor).sum(),
        shipping_minor: priced(shipping, shipping_tax),
        tax_minor: tax_total + shipping_tax,
        total_minor: refund.amount_minor,
        lines,
    }
}

/// The job's ref: the credit note id.
pub fn job_ref(credit_note_id: Uuid) -> String {
    credit_note_id.to_string()
}

/// Issues the credit note of a confirmed refund inside the transaction that confirms it (call
/// it after the refund is marked refunded, under the order's row lock): the brand's next
/// credit-note number, the row with the amounts it credits and its object key, and the
/// `render_credit_note` job. A refund that has a credit note keeps it (no new number); `None`
/// when the order has no invoice (nothing to correct) or the refund is not the order's or not
/// refunded. Errors
/// roll the confirmation back with the number.
pub async fn issue(
    tx: &Tx<'_>,
    scope: &TenantScope,
    order_id: Uuid,
    refund_id: Uuid,
) -> Result<Option<Issued>, DbError> {
    let tenant = scope.tenant_id();
    if let Some((credit_note_id, number)) =
        repo::credit_note_for_refund(tx, tenant, refund_id).await?
    {
        return Ok(Some(Issued {
            credit_note_id,
            number,
        }));
    }
    let Some((invoice_id, _)) = repo::invoice_for_order(tx, tenant, order_id).await? else {
        return Ok(None);
    };
    let Some(refund) = repo::refund(tx, tenant, refund_id)
        .await?
        .filter(|r| r.order_id == order_id && r.status == "refunded")
    else {
        return Ok(None);
    };
    let Some(source) = repo::source(tx, tenant, order_id).await? else {
        return Ok(None);
    };
    let credit = credit(&source, &refund);
    let (number, issued_at) = repo::next_number(tx, tenant, Series::CreditNote).await?;
    let key = ObjectKey::credit_note(scope, number, issued_at);
    let credit_note_id = repo::insert_credit_note(
        tx,
        tenant,
        &repo::NewCreditNote {
            number,
            invoice_id,
            order_id,
            refund_id,
            issued_at,
            currency: &refund.currency,
            subtotal_minor: credit.subtotal_minor,
            shipping_minor: credit.shipping_minor,
            tax_minor: credit.tax_minor,
            total_minor: credit.total_minor,
            object_key: key.as_str(),
        },
    )
    .await?;
    jobs::enqueue(
        tx,
        JobKind::RenderCreditNote,
        &job_ref(credit_note_id),
        Utc::now(),
    )
    .await?;
    Ok(Some(Issued {
        credit_note_id,
        number,
    }))
}

/// The `render_credit_note` job: renders a credit note's PDF with the invoices' renderer and
/// stores it at its key, then marks it rendered. Idempotent as the invoice's job is.
pub async fn render(
    invoicing: &Invoicing,
    scope: &TenantScope,
    credit_note_id: Uuid,
) -> Result<(), JobError> {
    let tenant = scope.tenant_id();
    let found = invoicing
        .db
        .tenant_tx(scope, async |tx| {
            let Some((note, order_id)) = repo::credit_note(tx, tenant, credit_note_id).await?
            else {
                return Ok::<_, DbError>(None);
            };
            let Some(refund) = repo::refund(tx, tenant, note.refund_id).await? else {
                return Ok(None);
            };
            let Some(source) = repo::source(tx, tenant, order_id).await? else {
                return Ok(None);
            };
            let settings = repo::settings(tx, tenant).await?;
            Ok(Some((note, refund, source, settings)))
        })
        .await?;
    let Some((note, refund, source, settings)) = found else {
        return Err(JobError::Permanent("no such credit note".into()));
    };
    if note.status == InvoiceStatus::Rendered {
        return Ok(());
    }
    let credit = credit(&source, &refund);
    let doc = InvoiceDocument {
        kind: DocumentKind::CreditNote {
            invoice_number: note.invoice_number,
        },
        seller: Seller {
            name: settings
                .legal_name
                .unwrap_or_else(|| scope.tenant().name.clone()),
            address_lines: settings.address_lines,
            tax_id: settings.tax_id,
        },
        number: note.number,
        issued_at: note.issued_at,
        order_number: source.order_number,
        currency: note.currency,
        buyer: Some(Buyer {
            name: source.customer_name,
            email: source.customer_email,
        }),
        billing_address: source.billing_address,
        shipping_address: source.shipping_address,
        shipping_method: source.shipping_method,
        prices_include_tax: source.prices_include_tax,
        lines: credit.lines,
        // The figures the credit note was issued with (the same computation).
        subtotal_minor: note.subtotal_minor,
        discount_minor: 0,
        shipping_minor: note.shipping_minor,
        tax_minor: note.tax_minor,
        total_minor: note.total_minor,
    };
    let size = service::render_and_store(
        invoicing,
        scope,
        &note.object_key,
        &doc,
        settings.logo_key.as_deref(),
    )
    .await?;
    invoicing
        .db
        .tenant_tx(scope, async |tx| {
            repo::mark_credit_note_rendered(tx, tenant, credit_note_id, size).await
        })
        .await?;
    Ok(())
}

/// An order's credit notes, in number order: 404 when there is no such order (or, for the
/// customer, the token is wrong or expired); none yet is an empty list.
pub async fn list(
    invoicing: &Invoicing,
    scope: &TenantScope,
    whose: Whose<'_>,
) -> Result<Vec<CreditNoteRow>, InvoiceError> {
    let tenant = scope.tenant_id();
    let (number, order_id) = whose.order(scope)?;
    let found = invoicing
        .db
        .tenant_read(scope, || {
            async |tx| {
                let Some((id, created_at)) = repo::order_ref(tx, tenant, number, order_id).await?
                else {
                    return Ok::<_, DbError>(None);
                };
                Ok(Some((
                    created_at,
                    repo::order_credit_notes(tx, tenant, id).await?,
                )))
            }
        })
        .await?;
    match found {
        Some((created_at, notes)) if !whose.expired(created_at) => Ok(notes),
        _ => Err(InvoiceError::NotFound("no such order")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::invoices::repo::{RefundedLine, SourceLine};

    fn line(id: u128, rate: i32, amount: i64, tax: i64, inclusive: bool) -> SourceLine {
        SourceLine {
            id: Uuid::from_u128(id),
            charged_minor: if inclusive { amount } else { amount + tax },
            line: InvoiceLine {
                sku: format!("SKU-{id}"),
                name: format!("Item {id}"),
                quantity: 2,
                unit_price_minor: amount / 2,
                tax_rate_bp: rate,
                tax_minor: tax,
                line_total_minor: amount,
                discount_minor: 0,
            },
        }
    }

    /// Prices include tax: 19 % line 2380 (tax 380), 7 % line 1070 (tax 70), shipping 595
    /// (tax 95). Total 4045, tax 545.
    fn order(inclusive: bool) -> Source {
        let lines = if inclusive {
            vec![line(1, 1900, 2380, 380, true), line(2, 700, 1070, 70, true)]
        } else {
            vec![
                line(1, 1900, 2000, 380, false),
                line(2, 700, 1000, 70, false),
            ]
        };
        Source {
            order_number: 1001,
            currency: "EUR".into(),
            customer_name: "Ana".into(),
            customer_email: None,
            subtotal_minor: 0,
            shipping_minor: 0,
            discount_minor: 0,
            tax_minor: 545,
            total_minor: 4045,
            prices_include_tax: inclusive,
            shipping_address: None,
            billing_address: None,
            shipping_method: None,
            lines,
        }
    }

    fn refund(lines: Vec<RefundedLine>, shipping: i64, free: i64) -> RefundFacts {
        let lines_minor = lines.iter().map(|l| l.amount_minor).sum::<i64>();
        RefundFacts {
            order_id: Uuid::nil(),
            status: "refunded".into(),
            currency: "EUR".into(),
            amount_minor: lines_minor + shipping + free,
            shipping_minor: shipping,
            free_minor: free,
            lines,
        }
    }

    fn document(source: &Source, credit: &Credit) -> InvoiceDocument {
        InvoiceDocument {
            kind: DocumentKind::CreditNote { invoice_number: 42 },
            seller: Seller {
                name: "Fiber X GmbH".into(),
                address_lines: vec![],
                tax_id: None,
            },
            number: 7,
            issued_at: "2026-12-06T10:00:00Z".parse().unwrap(),
            order_number: source.order_number,
            currency: "EUR".into(),
            buyer: None,
            billing_address: None,
            shipping_address: None,
            shipping_method: None,
            prices_include_tax: source.prices_include_tax,
            lines: credit.lines.clone(),
            subtotal_minor: credit.subtotal_minor,
            discount_minor: 0,
            shipping_minor: credit.shipping_minor,
            tax_minor: credit.tax_minor,
            total_minor: credit.total_minor,
        }
    }

    /// Whatever is refunded, the credit's figures add up to the refund's amount, and the tax
    /// breakdown of its document reverses the invoice's per rate.
    #[test]
    fn a_credit_adds_up_to_the_refund_and_reverses_tax_per_rate() {
        for inclusive in [true, false] {
            let source = order(inclusive);
            // The whole order (as a cancellation refunds it): every line, the shipping.
            let whole = refund(
                vec![
                    RefundedLine {
                        order_line_id: Uuid::from_u128(1),
                        quantity: 2,
                        amount_minor: 2380,
                    },
                    RefundedLine {
                        order_line_id: Uuid::from_u128(2),
                        quantity: 2,
                        amount_minor: 1070,
                    },
                ],
                595,
                0,
            );
            let c = credit(&source, &whole);
            assert_eq!(c.total_minor, 4045);
            assert_eq!(c.tax_minor, 545, "all the tax is reversed");
            let sum = if inclusive {
                c.subtotal_minor + c.shipping_minor
            } else {
                c.subtotal_minor + c.shipping_minor + c.tax_minor
            };
            assert_eq!(sum, c.total_minor);
            let (rows, shipping_tax) = pdf::tax_breakdown(&document(&source, &c));
            assert_eq!(
                rows.iter()
                    .map(|r| (r.rate_bp, r.net_minor, r.tax_minor))
                    .collect::<Vec<_>>(),
                [(700, 1000, 70), (1900, 2000, 380)]
            );
            assert_eq!(shipping_tax, 95);

            // One unit of the 19 % line: half its tax.
            let one = refund(
                vec![RefundedLine {
                    order_line_id: Uuid::from_u128(1),
                    quantity: 1,
                    amount_minor: 1190,
                }],
                0,
                0,
            );
            let c = credit(&source, &one);
            assert_eq!((c.lines.len(), c.tax_minor, c.shipping_minor), (1, 190, 0));
            assert_eq!(c.lines[0].quantity, 1);

            // A free amount of 1000 spread over 19 %, 7 % and the shipping by what each cost.
            let free = refund(vec![], 0, 1000);
            let c = credit(&source, &free);
            let sum = if inclusive {
                c.subtotal_minor + c.shipping_minor
            } else {
                c.subtotal_minor + c.shipping_minor + c.tax_minor
            };
            assert_eq!(sum, 1000);
            let (rows, shipping_tax) = pdf::tax_breakdown(&document(&source, &c));
            // 2380/4045 of 1000 = 588 (+1 rest: the largest), its tax 588.x * 380 / 2380.
            assert_eq!(rows.len(), 2);
            assert_eq!(rows[1].rate_bp, 1900);
            assert_eq!(rows[1].tax_minor, prorate(589, 380, 2380));
            assert_eq!(shipping_tax, prorate(147, 95, 595));
        }
    }

    #[test]
    fn the_pdf_names_the_credit_note_the_invoice_and_the_total() {
        let source = order(true);
        let c = credit(&source, &refund(vec![], 595, 0));
        let bytes = pdf::render(&document(&source, &c), None);
        let text = String::from_utf8_lossy(&bytes);
        for expected in ["CREDIT NOTE", "CN-7", "INV-42", "5.95", "Credit note CN-7"] {
            assert!(text.contains(expected), "{expected}");
        }
    }

    #[test]
    fn proration_rounds_half_up_and_never_divides_by_zero() {
        assert_eq!(prorate(1, 1, 2), 1);
        assert_eq!(prorate(1, 1, 3), 0);
        assert_eq!(prorate(2, 1, 3), 1);
        assert_eq!(prorate(5, 7, 0), 0);
        assert_eq!(prorate(i64::MAX, i64::MAX, i64::MAX), i64::MAX);
    }
}
