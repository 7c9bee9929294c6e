//! Order's gRPC face. Carts are served now; checkout and the order lifecycle answer
//! UNIMPLEMENTED until they land.

use std::sync::Arc;

use shop_auth::{Caller, Verifier};
use shop_platform::{ApiError, ErrorKind};
use shop_proto::{
    catalog::v1::{GetProductsRequest, PricedSku, catalog_service_client::CatalogServiceClient},
    common::v1::Money,
    order::v1::{self as pb, order_service_server::OrderService},
};
use tonic::{Request, Response, Status, transport::Channel};

use crate::cart::{CartError, CartStore, MAX_QUANTITY};

pub struct OrderGrpc {
    carts: Arc<dyn CartStore>,
    catalog: CatalogServiceClient<Channel>,
    verifier: Arc<Verifier>,
}

fn invalid(field: &str, message: impl Into<String>) -> Status {
    ApiError::invalid_field(field, message).into()
}

fn cart_error(err: CartError) -> Status {
    match err {
        CartError::TooMany => ApiError::invalid_field("quantity", err.to_string()).with_code("cart_limit").into(),
        CartError::TooManyLines => ApiError::new(ErrorKind::Conflict, err.to_string()).with_code("cart_limit").into(),
        CartError::Unexpected(e) => ApiError::internal(&e).into(),
    }
}

impl OrderGrpc {
    pub fn new(carts: Arc<dyn CartStore>, catalog: CatalogServiceClient<Channel>, verifier: Arc<Verifier>) -> Self {
        Self { carts, catalog, verifier }
    }

    pub fn server(self) -> pb::order_service_server::OrderServiceServer<Self> {
        pb::order_service_server::OrderServiceServer::new(self)
    }

    async fn caller<T>(&self, req: &Request<T>) -> Result<Caller, Status> {
        self.verifier
            .caller(req.metadata())
            .await
            .map_err(|_| ApiError::new(ErrorKind::Unauthenticated, "authentication required").into())
    }

    /// Current catalog prices of `skus`, forwarding the caller's token.
    async fn prices(&self, caller: &Caller, skus: Vec<String>) -> Result<Vec<PricedSku>, Status> {
        if skus.is_empty() {
            return Ok(Vec::new());
        }
        let request = caller.authorize(Request::new(GetProductsRequest { skus }));
        Ok(self.catalog.clone().get_products(request).await?.into_inner().items)
    }

    /// The cart priced now: lines of SKUs still for sale, and the subtotal.
    async fn priced(&self, caller: &Caller) -> Result<pb::Cart, Status> {
        let lines = self.carts.lines(&caller.user_id).await.map_err(cart_error)?;
        let prices = self.prices(caller, lines.iter().map(|(s, _)| s.clone()).collect()).await?;
        let mut out = Vec::new();
        let (mut subtotal, mut currency) = (0i64, String::new());
        for (sku, quantity) in lines {
            let Some(item) = prices.iter().find(|p| p.sku == sku && p.purchasable) else { continue };
            let price = item.price.clone().unwrap_or_default();
            let total = price.amount.saturating_mul(quantity);
            subtotal = subtotal.saturating_add(total);
            currency.clone_from(&price.currency);
            out.push(pb::CartLine {
                sku,
                product_id: item.product_id.clone(),
                name: item.name.clone(),
                quantity,
                line_total: Some(Money { amount: total, currency: price.currency.clone() }),
                unit_price: Some(price),
            });
        }
        Ok(pb::Cart { lines: out, subtotal: Some(Money { amount: subtotal, currency }) })
    }

    fn quantity(q: i64, allow_zero: bool) -> Result<i64, Status> {
        let low = i64::from(!allow_zero);
        if (low..=MAX_QUANTITY).contains(&q) {
            Ok(q)
        } else {
            Err(invalid("quantity", format!("must be from {low} to {MAX_QUANTITY}")))
        }
    }
}

#[tonic::async_trait]
impl OrderService for OrderGrpc {
    async fn get_cart(&self, req: Request<pb::GetCartRequest>) -> Result<Response<pb::Cart>, Status> {
        let caller = self.caller(&req).await?;
        Ok(Response::new(self.priced(&caller).await?))
    }

    #[tracing::instrument(skip_all, fields(sku = %req.get_ref().sku))]
    async fn add_cart_item(&self, req: Request<pb::AddCartItemRequest>) -> Result<Response<pb::Cart>, Status> {
        let caller = self.caller(&req).await?;
        let r = req.into_inner();
        let quantity = Self::quantity(r.quantity, false)?;
        let priced = self.prices(&caller, vec![r.sku.clone()]).await?;
        match priced.iter().find(|p| p.sku == r.sku) {
            None => return Err(ApiError::not_found("product with this SKU").into()),
            Some(p) if !p.purchasable => {
                return Err(ApiError::new(ErrorKind::Conflict, "this product is not for sale")
                    .with_code("not_for_sale")
                    .into());
            }
            Some(_) => {}
        }
        self.carts.add(&caller.user_id, &r.sku, quantity).await.map_err(cart_error)?;
        Ok(Response::new(self.priced(&caller).await?))
    }

    #[tracing::instrument(skip_all, fields(sku = %req.get_ref().sku))]
    async fn update_cart_item(&self, req: Request<pb::UpdateCartItemRequest>) -> Result<Response<pb::Cart>, Status> {
        let caller = self.caller(&req).await?;
        let r = req.into_inner();
        let quantity = Self::quantity(r.quantity, true)?;
        let present = self.carts.lines(&caller.user_id).await.map_err(cart_error)?.iter().any(|(s, _)| *s == r.sku);
        if !present {
            return Err(ApiError::not_found("cart line").into());
        }
        self.carts.set(&caller.user_id, &r.sku, quantity).await.map_err(cart_error)?;
        Ok(Response::new(self.priced(&caller).await?))
    }

    #[tracing::instrument(skip_all, fields(sku = %req.get_ref().sku))]
    async fn remove_cart_item(&self, req: Request<pb::RemoveCartItemRequest>) -> Result<Response<pb::Cart>, Status> {
        let caller = self.caller(&req).await?;
        self.carts.remove(&caller.user_id, &req.get_ref().sku).await.map_err(cart_error)?;
        Ok(Response::new(self.priced(&caller).await?))
    }
}
