//! Which brand a WhatsApp business number belongs to.
//!
//! Meta's webhook names the business number (`metadata.phone_number_id`), not the brand, so the
//! number alone decides which brand an event's customer and conversation land in. A number
//! therefore routes only with proof that it is the brand's:
//!
//! - the company owner assigned it ([`assign`]). The owner is told the truth, including which
//!   brand already holds a number (409);
//! - or the brand's own Graph API access token reads it ([`verify`], then [`claim`]): Meta shows
//!   a number only to tokens of the WhatsApp Business Account it belongs to. A brand whose token
//!   cannot read the number and a brand whose verified number another brand holds get the same
//!   422 ([`NUMBER_NOT_VERIFIED`]): no answer tells a brand that another brand uses a number.
//!   The reason ([`NumberRefusal`]) is kept in the audit trail, which only the owner reads.
//!
//! The database draws the same line: the API role writes `app.whatsapp_numbers` only through
//! two functions that each write one brand's row, the transaction's own brand's or, outside any
//! brand, the one the owner names (`sql/V13__whatsapp_number_proof.sql`, `policies/60_chat.sql`).

use chrono::{DateTime, Utc};
use uuid::Uuid;

pub use super::service::NUMBER_NOT_VERIFIED;
use super::{
    graph::{GraphClient, GraphError},
    repo,
    service::ChatError,
    status::{NumberProof, NumberRefusal},
};
use crate::{
    audit,
    db::{Db, DbError, Tx},
    scope::{Actor, TenantScope},
    types::PhoneNumberId,
};

/// Asks the Graph API whether `token` reads `number`: `Ok(true)` when Meta answers with that
/// very id, `Ok(false)` when there is no token or Meta refuses (a number of another WhatsApp
/// Business Account, an unknown number, a bad token) or names another id. A Graph API that
/// cannot answer now (timeouts, 5xx, rate limits) is `Upstream`: worth a retry, and no verdict.
pub async fn verify(
    graph: &GraphClient,
    number: &str,
    token: Option<&str>,
) -> Result<bool, ChatError> {
    let Some(token) = token.filter(|t| !t.is_empty()) else {
        return Ok(false);
    };
    match graph.phone_number(number, token).await {
        Ok(found) => Ok(found.id == number),
        Err(GraphError::Permanent {
            http_status, code, ..
        }) => {
            tracing::info!(
                graph.http_status = http_status,
                graph.error_code = code,
                "the brand's token does not read the WhatsApp number"
            );
            Ok(false)
        }
        Err(e) => Err(ChatError::Upstream(format!(
            "the Graph API could not verify the WhatsApp number: {e}"
        ))),
    }
}

/// The brand's claim on a number its token read ([`verify`]), in the brand's transaction;
/// lets the brand's previous number go. Refused, changing nothing, when another brand holds
/// the number.
pub async fn claim(tx: &Tx<'_>, scope: &TenantScope, number: &str) -> Result<(), ChatError> {
    let holder = repo::prove_number(tx, scope.tenant_id(), number, NumberProof::Token).await?;
    if holder != Some(scope.tenant_id()) {
        return Err(ChatError::NumberRefused(NumberRefusal::HeldByAnotherBrand));
    }
    audit::record(
        tx,
        "chat.number.verify",
        number,
        serde_json::json!({ "proof": NumberProof::Token.as_str() }),
    )
    .await?;
    Ok(())
}

/// Lets the brand's own number go, in the brand's transaction (it routes nothing from then on).
pub async fn release(tx: &Tx<'_>, scope: &TenantScope) -> Result<(), DbError> {
    if let Some(number) = repo::release_number(tx, scope.tenant_id()).await? {
        audit::record(tx, "chat.number.release", &number, serde_json::json!({})).await?;
    }
    Ok(())
}

/// Records a refused claim in a transaction of its own (the refused change was rolled back), so
/// the owner sees attempts on numbers in the audit trail. The brand is not told the reason.
pub async fn record_refusal(
    db: &Db,
    scope: &TenantScope,
    number: &str,
    refusal: NumberRefusal,
) -> Result<(), DbError> {
    tracing::warn!(
        reason = refusal.as_str(),
        "a brand's claim on a WhatsApp number was refused"
    );
    db.tenant_tx(scope, async |tx| {
        audit::record(
            tx,
            "chat.number.refused",
            number,
            serde_json::json!({ "reason": refusal.as_str() }),
        )
        .await
    })
    .await
}

/// A brand's number as the company owner sees it.
#[derive(Debug, Clone)]
pub struct NumberRow {
    pub phone_number_id: String,
    /// The brand's slug.
    pub brand: String,
    /// `None`: claimed before numbers had to be proved; it routes nothing.
    pub proof: Option<NumberProof>,
    pub proved_at: Option<DateTime<Utc>>,
}

impl From<repo::NumberRow> for NumberRow {
    fn from(r: repo::NumberRow) -> Self {
        Self {
            phone_number_id: r.phone_number_id,
            brand: r.brand,
            proof: r.proof,
            proved_at: r.proved_at,
        }
    }
}

/// Every brand's number (the company owner's view).
pub async fn list(db: &Db, actor: &Actor) -> Result<Vec<NumberRow>, ChatError> {
    let rows = db
        .global_tx(actor, async |tx| repo::numbers(tx).await)
        .await?;
    Ok(rows.into_iter().map(Into::into).collect())
}

/// The brand `slug`'s id, outside any brand's transaction.
async fn brand_id(tx: &Tx<'_>, slug: &str) -> Result<Uuid, ChatError> {
    repo::brand_by_slug(tx, slug)
        .await?
        .ok_or(ChatError::NotFound("no such brand"))
}

/// The company owner assigns `number` to the brand `slug` (its previous number, if any, is let
/// go), audited. A number another brand holds is a 409 naming that brand: the owner releases it
/// there first.
pub async fn assign(
    db: &Db,
    actor: &Actor,
    slug: &str,
    number: &PhoneNumberId,
) -> Result<NumberRow, ChatError> {
    db.global_tx(actor, async |tx| {
        let brand = brand_id(tx, slug).await?;
        let holder = repo::prove_number(tx, brand, number.as_str(), NumberProof::Owner).await?;
        if let Some(other) = holder.filter(|h| *h != brand) {
            let other = repo::brand_slug(tx, other).await?.unwrap_or_default();
            return Err(ChatError::Conflict(format!(
                "this WhatsApp number is assigned to the brand {other}: release it there first"
            )));
        }
        audit::record_for_brand(
            tx,
            brand,
            "whatsapp.number.assign",
            number.as_str(),
            serde_json::json!({ "proof": NumberProof::Owner.as_str() }),
        )
        .await?;
        repo::numbers(tx)
            .await?
            .into_iter()
            .find(|n| n.phone_number_id == number.as_str())
            .map(Into::into)
            .ok_or(ChatError::NotFound("the number vanished"))
    })
    .await
}

/// The company owner lets the brand `slug`'s number go (it routes nothing from then on),
/// audited. A brand without a number: nothing happens.
pub async fn unassign(db: &Db, actor: &Actor, slug: &str) -> Result<(), ChatError> {
    db.global_tx(actor, async |tx| {
        let brand = brand_id(tx, slug).await?;
        if let Some(number) = repo::release_number(tx, brand).await? {
            audit::record_for_brand(
                tx,
                brand,
                "whatsapp.number.release",
                &number,
                serde_json::json!({}),
            )
            .await?;
        }
        Ok(())
    })
    .await
}
