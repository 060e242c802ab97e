//! Roles and the permission matrix: the one place that says who may do what.
//!
//! Endpoints ask for a [`Permission`] (an endpoint group); [`Permission::allowed_roles`] is the
//! matrix. README's matrix table is rendered from it ([`matrix_markdown`]) and a test keeps the
//! two identical, and the access tests iterate over it.

use strum::{EnumIter, IntoEnumIterator};

pub use crate::scope::Role;

/// An endpoint group. Every staff endpoint requires exactly one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter)]
pub enum Permission {
    /// Create brands, change their domains, theme, features and activation.
    BrandsManage,
    /// Invite staff to a brand, change their roles and remove them.
    StaffManage,
    /// Disable and enable staff accounts (across every brand).
    AccountsManage,
    /// Read the brand's settings as staff (name, theme, features).
    BrandRead,
    /// Read categories, products, variants and SKUs.
    CatalogRead,
    /// Create and change categories, products, variants and prices.
    CatalogWrite,
    /// Create, change and delete the brand's promotions and promo codes.
    PromotionsWrite,
    /// Bulk CSV imports of the catalog, and their reports.
    ImportsManage,
    /// Upload and delete product images.
    MediaManage,
    /// Create and change the shared warehouse zones.
    ZonesManage,
    /// Read zones, stock, low stock and the ledger.
    StockRead,
    /// Receive, adjust and transfer stock.
    StockWrite,
    /// Read orders.
    OrdersRead,
    /// Mark orders paid, cancel them.
    OrdersManage,
    /// Pick lists and shipping, and receiving returns.
    Fulfilment,
    /// Request a return of units of a shipped order.
    ReturnsRequest,
    /// Approve or reject returns.
    ReturnsManage,
    /// Request refunds.
    RefundsWrite,
    /// Read customers (and the invoices that name them).
    CustomersRead,
    /// The brand's order settings (hold time, payment webhook secret) and customer
    /// notification settings.
    BrandSettings,
    /// Parked background jobs across brands.
    JobsView,
    /// Cross-brand analytics (the BYPASSRLS read models).
    Analytics,
    /// The brand's WhatsApp assistant settings (token, persona, languages; a number only with
    /// the brand's token's proof).
    ChatSettings,
    /// Assign WhatsApp numbers to brands, across brands.
    WhatsAppNumbers,
    /// Read conversations.
    ChatRead,
    /// Reply to customers by hand, hand conversations back to the assistant.
    ChatReply,
    /// The brand's live event feed and its polling list (each role receives its own groups of
    /// events).
    EventsRead,
}

impl Permission {
    /// Every endpoint group, in the matrix's row order.
    pub fn all() -> impl Iterator<Item = Permission> {
        Permission::iter()
    }

    /// The matrix.
    pub fn allowed_roles(self) -> &'static [Role] {
        use Role::*;
        match self {
            Permission::BrandsManage => &[Owner],
            Permission::StaffManage => &[Owner, BrandManager],
            Permission::AccountsManage => &[Owner],
            Permission::BrandRead => &[Owner, BrandManager, Warehouse, Support],
            Permission::CatalogRead => &[Owner, BrandManager, Warehouse, Support],
            Permission::CatalogWrite => &[Owner, BrandManager],
            Permission::PromotionsWrite => &[Owner, BrandManager],
            Permission::ImportsManage => &[Owner, BrandManager],
            Permission::MediaManage => &[Owner, BrandManager],
            Permission::ZonesManage => &[Owner],
            Permission::StockRead => &[Owner, BrandManager, Warehouse, Support],
            Permission::StockWrite => &[Owner, BrandManager, Warehouse],
            Permission::OrdersRead => &[Owner, BrandManager, Warehouse, Support],
            Permission::OrdersManage => &[Owner, BrandManager],
            Permission::Fulfilment => &[Owner, BrandManager, Warehouse],
            Permission::ReturnsRequest => &[Owner, BrandManager, Support],
            Permission::ReturnsManage => &[Owner, BrandManager],
            Permission::RefundsWrite => &[Owner, BrandManager],
            Permission::CustomersRead => &[Owner, BrandManager, Support],
            Permission::BrandSettings => &[Owner, BrandManager],
            Permission::JobsView => &[Owner],
            Permission::Analytics => &[Owner],
            Permission::ChatSettings => &[Owner, BrandManager],
            Permission::WhatsAppNumbers => &[Owner],
            Permission::ChatRead => &[Owner, BrandManager, Support],
            Permission::ChatReply => &[Owner, BrandManager, Support],
            Permission::EventsRead => &[Owner, BrandManager, Warehouse, Support],
        }
    }

    pub fn allows(self, role: Role) -> bool {
        self.allowed_roles().contains(&role)
    }

    /// The group's name in docs and operation descriptions.
    pub fn name(self) -> &'static str {
        match self {
            Permission::BrandsManage => "brands.manage",
            Permission::StaffManage => "staff.manage",
            Permission::AccountsManage => "accounts.manage",
            Permission::BrandRead => "brand.read",
            Permission::CatalogRead => "catalog.read",
            Permission::CatalogWrite => "catalog.write",
            Permission::PromotionsWrite => "promotions.write",
            Permission::ImportsManage => "imports.manage",
            Permission::MediaManage => "media.manage",
            Permission::ZonesManage => "zones.manage",
            Permission::StockRead => "stock.read",
            Permission::StockWrite => "stock.write",
            Permission::OrdersRead => "orders.read",
            Permission::OrdersManage => "orders.manage",
            Permission::Fulfilment => "fulfilment",
            Permission::ReturnsRequest => "returns.request",
            Permission::ReturnsManage => "returns.manage",
            Permission::RefundsWrite => "refunds.write",
            Permission::CustomersRead => "customers.read",
            Permission::BrandSettings => "brand.settings",
            Permission::JobsView => "jobs.view",
            Permission::Analytics => "analytics",
            Permission::ChatSettings => "chat.settings",
            Permission::WhatsAppNumbers => "whatsapp.numbers",
            Permission::ChatRead => "chat.read",
            Permission::ChatReply => "chat.reply",
            Permission::EventsRead => "events.read",
        }
    }

    /// What the group covers, for the README table.
    pub fn endpoints(self) -> &'static str {
        match self {
            Permission::BrandsManage => {
                "`POST/GET /v1/admin/brands`, `GET/PATCH /v1/admin/brands/{slug}`"
            }
            Permission::StaffManage => {
                "`GET /v1/admin/staff`, `PATCH/DELETE /v1/admin/staff/{user_id}`, `GET/POST /v1/admin/staff/invitations`, `DELETE /v1/admin/staff/invitations/{id}`"
            }
            Permission::AccountsManage => "`POST /v1/admin/accounts/{user_id}/disable`, `/enable`",
            Permission::BrandRead => "`GET /v1/admin/brand`",
            Permission::CatalogRead => {
                "`GET /v1/admin/categories`, `GET /v1/admin/products[/{number}]`, `GET /v1/admin/products/{number}/media`, `GET /v1/admin/skus/{sku}`, `GET /v1/admin/promotions[/{id}]`, `GET /v1/admin/locales`, `GET /v1/admin/products/{number}/translations`, `GET /v1/admin/categories/{code}/translations`"
            }
            Permission::CatalogWrite => {
                "`POST/PATCH/DELETE` on `/v1/admin/categories[/{code}]` and `/v1/admin/products[/{number}]`, `PATCH /v1/admin/variants/{sku}`, `PUT /v1/admin/locales`, `PUT/DELETE /v1/admin/products/{number}/translations/{locale}`, `PUT /v1/admin/categories/{code}/translations/{locale}`"
            }
            Permission::PromotionsWrite => {
                "`POST /v1/admin/promotions`, `PATCH/DELETE /v1/admin/promotions/{id}`"
            }
            Permission::ImportsManage => "`POST /v1/admin/imports`, `GET /v1/admin/imports/{id}`",
            Permission::MediaManage => {
                "`POST /v1/admin/products/{number}/media`, `DELETE /v1/admin/products/{number}/media/{name}`"
            }
            Permission::ZonesManage => "`POST /v1/admin/zones`, `PATCH /v1/admin/zones/{code}`",
            Permission::StockRead => {
                "`GET /v1/admin/zones`, `GET /v1/admin/stock`, `GET /v1/admin/stock/low`, `GET /v1/admin/stock/movements`"
            }
            Permission::StockWrite => "`POST /v1/admin/stock/receive`, `/adjust`, `/transfer`",
            Permission::OrdersRead => {
                "`GET /v1/admin/orders[/{number}]`, `GET /v1/admin/orders/{number}/shipments`, \
                 `/returns`, `/refunds`, `GET /v1/admin/returns/{id}`, `GET /v1/admin/refunds/{id}`"
            }
            Permission::OrdersManage => "`POST /v1/admin/orders/{number}/mark-paid`, `/cancel`",
            Permission::Fulfilment => {
                "`GET /v1/admin/fulfilment/pick-list`, `POST /v1/admin/orders/{number}/ship`, \
                 `POST /v1/admin/orders/{number}/shipments`, `POST /v1/admin/returns/{id}/receive`"
            }
            Permission::ReturnsRequest => "`POST /v1/admin/orders/{number}/returns`",
            Permission::ReturnsManage => "`POST /v1/admin/returns/{id}/approve`, `/reject`",
            Permission::RefundsWrite => "`POST /v1/admin/orders/{number}/refunds`",
            Permission::CustomersRead => {
                "`GET /v1/admin/customers`, `GET /v1/admin/orders/{number}/invoice`, \
                 `GET /v1/admin/orders/{number}/credit-notes[/{credit_note}]`"
            }
            Permission::BrandSettings => {
                "`GET/PATCH /v1/admin/brand/order-settings`, `GET/PATCH /v1/admin/brand/notification-settings`, `GET/PATCH /v1/admin/brand/invoice-settings`, `/v1/admin/webhooks[/{id}[/deliveries]]`, `/v1/admin/shipping-methods[/{code}]`, `/v1/admin/tax-rates[/{country}/{tax_class}]`"
            }
            Permission::JobsView => "`GET /v1/admin/jobs/parked`",
            Permission::Analytics => {
                "`GET /v1/admin/analytics/overview`, `/timeseries`, `/inventory`, `/top-products`, `/promotions`, `/net-revenue`, `GET /v1/admin/events/company/stream`"
            }
            Permission::ChatSettings => "`GET/PATCH /v1/admin/chat/settings`",
            Permission::WhatsAppNumbers => {
                "`GET /v1/admin/whatsapp-numbers`, `PUT/DELETE /v1/admin/brands/{slug}/whatsapp-number`"
            }
            Permission::ChatRead => "`GET /v1/admin/conversations[/{id}]`",
            Permission::ChatReply => "`POST /v1/admin/conversations/{id}/reply`, `/handback`",
            Permission::EventsRead => {
                "`GET /v1/admin/events`, `GET /v1/admin/events/stream`, `POST /v1/admin/events/tickets`"
            }
        }
    }
}

/// README's permission matrix, rendered from [`Permission::allowed_roles`].
pub fn matrix_markdown() -> String {
    let mut out = String::from("| endpoint group | endpoints |");
    for role in Role::all() {
        out.push_str(&format!(" {role} |"));
    }
    out.push_str("\n|---|---|");
    for _ in Role::all() {
        out.push_str("---|");
    }
    for p in Permission::all() {
        out.push_str(&format!("\n| `{}` | {} |", p.name(), p.endpoints()));
        for role in Role::all() {
            out.push_str(if p.allows(role) { " yes |" } else { " - |" });
        }
    }
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_owner_may_do_everything() {
        for p in Permission::all() {
            assert!(p.allows(Role::Owner), "{p:?}");
        }
    }

    #[test]
    fn readme_shows_the_matrix_of_the_code() {
        let readme = include_str!("../../README.md");
        let matrix = matrix_markdown();
        assert!(
            readme.contains(&matrix),
            "README.md's permission matrix differs from the code; paste this:\n{matrix}"
        );
    }
}
