//! Inventory's gRPC face: callers from their tokens, validation at the edge.

use shop_proto::common::v1::{ImportChunk, ImportReply};
use shop_service_kit::auth::Authenticator;
use shop_service_kit::{Paging, Refusal, import};
use std::{sync::Arc, time::Duration};

use shop_auth::Verifier;
use shop_proto::{
    Timestamp,
    inventory::v1::{self as pb, inventory_service_server::InventoryService},
};
use shop_service_kit::policy::{Allow, GATEWAY, Policy};
use shop_types::{OrderId, Sku};
use tonic::{Request, Response, Status, Streaming, codegen::BoxStream};

use crate::{
    domain::{self, Stock},
    error::InventoryError,
    import::StockImport,
    inventory::Inventory,
};

/// Longest a reservation may be held.
const MAX_TTL: Duration = Duration::from_secs(3600);

/// Who may call each RPC (see `shop_service_kit::policy`).
pub const POLICY: Policy = Policy {
    service: pb::inventory_service_server::SERVICE_NAME,
    callee: crate::SERVICE,
    rules: &[
        ("GetStock", GATEWAY),
        ("SetStock", GATEWAY),
        ("Restock", GATEWAY),
        ("ListLowStock", GATEWAY),
        // Whether SKUs are still low when a digest about them goes out.
        ("GetLevels", Allow::Services(&["notification"])),
        ("GetLedger", GATEWAY),
        ("ImportStock", GATEWAY),
        // Holding, selling and putting back units is the checkout's and the order
        // lifecycle's alone: they decide which order may hold what.
        ("Reserve", ORDER),
        ("Commit", ORDER),
        ("Release", ORDER),
    ],
};

/// Only order.
const ORDER: Allow = Allow::Services(&["order"]);

pub struct InventoryGrpc {
    inventory: Arc<Inventory>,
    auth: Authenticator,
}

impl InventoryGrpc {
    pub fn new(inventory: Arc<Inventory>, verifier: Arc<Verifier>) -> Self {
        Self { inventory, auth: Authenticator::new(verifier) }
    }

    pub fn server(self) -> pb::inventory_service_server::InventoryServiceServer<Self> {
        pb::inventory_service_server::InventoryServiceServer::new(self)
    }
}

/// The most SKUs one `GetLevels` asks for.
const MAX_LEVELS: usize = 100;

fn to_proto(s: &Stock) -> pb::Stock {
    pb::Stock {
        sku: s.sku.clone(),
        on_hand: s.on_hand,
        reserved: s.reserved,
        available: s.available,
        low_stock_threshold: s.low_stock_threshold,
    }
}

/// An order's id, by the one rule for order ids.
fn order_id(raw: &str) -> Result<String, Refusal> {
    Ok(Refusal::check("order_id", OrderId::parse(raw))?.to_string())
}

fn units(field: &str, n: i64) -> Result<i64, InventoryError> {
    domain::units(n).map_err(|message| Refusal::invalid(field, message).into())
}

#[tonic::async_trait]
impl InventoryService for InventoryGrpc {
    #[tracing::instrument(skip_all, fields(sku = %req.get_ref().sku))]
    async fn get_stock(&self, req: Request<pb::GetStockRequest>) -> Result<Response<pb::Stock>, Status> {
        let caller = self.auth.user(&req).await?;
        let stock = self.inventory.stock(&caller, &req.get_ref().sku).await?;
        Ok(Response::new(to_proto(&stock)))
    }

    #[tracing::instrument(skip_all, fields(skus = req.get_ref().skus.len()))]
    async fn get_levels(&self, req: Request<pb::GetLevelsRequest>) -> Result<Response<pb::GetLevelsResponse>, Status> {
        let skus = req.into_inner().skus;
        if skus.len() > MAX_LEVELS {
            return Err(Refusal::invalid("skus", format!("at most {MAX_LEVELS} at once")).into());
        }
        let mut levels = Vec::with_capacity(skus.len());
        for sku in &skus {
            let sku = Refusal::check("skus", Sku::parse(sku))?;
            if let Some(stock) = self.inventory.store.get(sku.as_str()).await.map_err(InventoryError::from)? {
                levels.push(to_proto(&stock));
            }
        }
        Ok(Response::new(pb::GetLevelsResponse { levels }))
    }

    #[tracing::instrument(skip_all, fields(sku = %req.get_ref().sku))]
    async fn set_stock(&self, req: Request<pb::SetStockRequest>) -> Result<Response<pb::Stock>, Status> {
        let caller = self.auth.user(&req).await?;
        let r = req.into_inner();
        let on_hand = r.on_hand.map(|n| units("on_hand", n)).transpose()?;
        let threshold = r.low_stock_threshold.map(|n| units("low_stock_threshold", n)).transpose()?;
        if on_hand.is_none() && threshold.is_none() {
            return Err(Refusal::invalid("body", "set on_hand, low_stock_threshold or both").into());
        }
        let stock = self.inventory.set(&caller, &r.sku, on_hand, threshold).await?;
        Ok(Response::new(to_proto(&stock)))
    }

    #[tracing::instrument(skip_all, fields(sku = %req.get_ref().sku))]
    async fn restock(&self, req: Request<pb::RestockRequest>) -> Result<Response<pb::Stock>, Status> {
        let caller = self.auth.user(&req).await?;
        let r = req.into_inner();
        if !(1..=domain::MAX_UNITS).contains(&r.quantity) {
            return Err(Refusal::invalid("quantity", format!("must be from 1 to {}", domain::MAX_UNITS)).into());
        }
        let stock = self.inventory.restock(&caller, &r.sku, r.quantity).await?;
        Ok(Response::new(to_proto(&stock)))
    }

    #[tracing::instrument(skip_all, fields(order_id = %req.get_ref().order_id))]
    async fn reserve(&self, req: Request<pb::ReserveRequest>) -> Result<Response<pb::ReserveResponse>, Status> {
        self.auth.user(&req).await?;
        let r = req.into_inner();
        let order = order_id(&r.order_id)?;
        let raw: Vec<(String, i64)> = r.lines.iter().map(|l| (l.sku.clone(), l.quantity)).collect();
        let lines = domain::lines(&raw).map_err(|e| Refusal::invalid("lines", e))?;
        // How long to hold is the caller's decision (order's checkout); only its bounds are ours.
        let ttl = Duration::from_secs(u64::from(r.ttl_seconds));
        if ttl.is_zero() || ttl > MAX_TTL {
            return Err(Refusal::invalid("ttl_seconds", format!("from 1 to {} seconds", MAX_TTL.as_secs())).into());
        }
        let reservation = self.inventory.reserve(&order, &lines, ttl).await?;
        Ok(Response::new(pb::ReserveResponse {
            order_id: reservation.order_id,
            expires_at: Some(Timestamp { seconds: reservation.expires_at, nanos: 0 }),
        }))
    }

    #[tracing::instrument(skip_all, fields(order_id = %req.get_ref().order_id))]
    async fn commit(&self, req: Request<pb::CommitRequest>) -> Result<Response<pb::CommitResponse>, Status> {
        self.auth.user(&req).await?;
        self.inventory.commit(&order_id(&req.get_ref().order_id)?).await?;
        Ok(Response::new(pb::CommitResponse {}))
    }

    #[tracing::instrument(skip_all, fields(order_id = %req.get_ref().order_id))]
    async fn release(&self, req: Request<pb::ReleaseRequest>) -> Result<Response<pb::ReleaseResponse>, Status> {
        self.auth.user(&req).await?;
        self.inventory.release(&order_id(&req.get_ref().order_id)?).await?;
        Ok(Response::new(pb::ReleaseResponse {}))
    }

    #[tracing::instrument(skip_all, fields(sku = %req.get_ref().sku))]
    async fn get_ledger(&self, req: Request<pb::GetLedgerRequest>) -> Result<Response<pb::Ledger>, Status> {
        let caller = self.auth.user(&req).await?;
        let r = req.into_inner();
        let paging = Paging::from_proto(r.page)?;
        let (found, held) = self.inventory.ledger(&caller, &r.sku, paging.clone()).await?;
        let page = paging.info_of(&found);
        let entries = found
            .items
            .into_iter()
            .map(|e| pb::LedgerEntry {
                on_hand_delta: e.on_hand_delta,
                reserved_delta: e.reserved_delta,
                reason: e.reason,
                order_id: e.order_id.unwrap_or_default(),
                at: Some(Timestamp {
                    seconds: e.at.div_euclid(1_000_000),
                    nanos: i32::try_from(e.at.rem_euclid(1_000_000) * 1_000).unwrap_or(0),
                }),
            })
            .collect();
        Ok(Response::new(pb::Ledger { sku: r.sku, entries, held, page: Some(page) }))
    }

    #[tracing::instrument(skip_all)]
    async fn list_low_stock(
        &self,
        req: Request<pb::ListLowStockRequest>,
    ) -> Result<Response<pb::ListLowStockResponse>, Status> {
        let caller = self.auth.user(&req).await?;
        let paging = Paging::from_proto(req.into_inner().page)?;
        let low = self.inventory.low(&caller, paging.clone()).await?;
        let page = paging.info_of(&low);
        Ok(Response::new(pb::ListLowStockResponse {
            items: low.items.iter().map(to_proto).collect(),
            page: Some(page),
        }))
    }

    #[tracing::instrument(skip_all)]
    async fn import_stock(
        &self,
        req: Request<Streaming<ImportChunk>>,
    ) -> Result<Response<BoxStream<ImportReply>>, Status> {
        let inventory = self.inventory.clone();
        import::accept(
            &self.auth,
            req,
            |caller, format| async move { Ok(StockImport::start(inventory, caller, format)?) },
        )
        .await
    }
}
