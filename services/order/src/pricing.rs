//! Prices come from catalog, never from the client: carts and checkouts price their lines
//! here, by one rule — SKUs no longer for sale are set apart, and every line of one cart
//! or order is in one currency.

use shop_auth::Caller;
use shop_proto::catalog::v1::{GetProductsRequest, PricedSku, catalog_service_client::CatalogServiceClient};
use shop_service_kit::Upstream;
use shop_types::{Currency, Money};
use tonic::Request;

use crate::{domain::OrderLine, error::OrderError};

/// Lines priced now.
#[derive(Debug, Default)]
pub struct Priced {
    /// The lines still for sale, in the cart's order.
    pub lines: Vec<OrderLine>,
    /// SKUs that are not for sale any more.
    pub unavailable: Vec<String>,
    /// The one currency of every line; empty when there are none.
    pub currency: String,
    /// What the lines come to, in minor units of `currency`.
    pub subtotal: i64,
}

#[derive(Clone)]
pub struct Pricing {
    catalog: CatalogServiceClient<Upstream>,
}

impl Pricing {
    pub fn new(catalog: CatalogServiceClient<Upstream>) -> Self {
        Self { catalog }
    }

    /// Catalog's answer for `skus` (unknown SKUs are left out), asked with the caller's token.
    pub async fn lookup(&self, caller: &Caller, skus: Vec<String>) -> Result<Vec<PricedSku>, OrderError> {
        if skus.is_empty() {
            return Ok(Vec::new());
        }
        let request = caller.authorize(Request::new(GetProductsRequest { skus }));
        Ok(self.catalog.clone().get_products(request).await?.into_inner().items)
    }

    /// `(sku, quantity)` lines priced now.
    pub async fn price(&self, caller: &Caller, cart: &[(String, i64)]) -> Result<Priced, OrderError> {
        let items = self.lookup(caller, cart.iter().map(|(sku, _)| sku.clone()).collect()).await?;
        let mut priced = Priced::default();
        let mut totals = Vec::new();
        for (sku, quantity) in cart {
            let Some(item) = items.iter().find(|p| &p.sku == sku && p.purchasable) else {
                priced.unavailable.push(sku.clone());
                continue;
            };
            let price = item.price.clone().unwrap_or_default();
            let currency =
                Currency::parse(&price.currency).map_err(|e| anyhow::anyhow!("catalog priced {sku}: {e}"))?;
            totals.push(Money { amount: price.amount, currency }.times(*quantity));
            priced.lines.push(OrderLine {
                sku: sku.clone(),
                product_id: item.product_id.clone(),
                name: item.name.clone(),
                quantity: *quantity,
                unit_price: price.amount,
                vendor_id: item.vendor_id.clone(),
                category_ids: item.category_ids.clone(),
            });
        }
        if let Some(total) = Money::sum(&totals).map_err(|_| OrderError::MixedCurrencies)? {
            (priced.currency, priced.subtotal) = (total.currency.to_string(), total.amount);
        }
        Ok(priced)
    }
}
