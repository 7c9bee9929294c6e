//! Payment's gRPC face: callers from their tokens, validation at the edge.

use std::sync::Arc;

use shop_auth::{Caller, Verifier};
use shop_platform::settings::Secret;
use shop_proto::{
    Timestamp,
    common::v1::Money,
    payment::v1::{self as pb, payment_service_server::PaymentService},
};
use shop_service_kit::policy::{Allow, GATEWAY, Policy};
use shop_service_kit::{Paging, Refusal, auth::Authenticator};
use shop_types::{OrderId, PaymentToken};
use tonic::{Request, Response, Status};

use crate::{
    domain::{Payment, PaymentStatus},
    error::PaymentError,
    payments::Payments,
    webhook,
};

/// Who may call each RPC (see `shop_service_kit::policy`).
pub const POLICY: Policy = Policy {
    service: pb::payment_service_server::SERVICE_NAME,
    callee: crate::SERVICE,
    rules: &[
        // Money moves only through order, whose state decides what may be charged or
        // refunded (users refund through order's cancel and refund).
        ("Charge", ORDER),
        ("Refund", ORDER),
        ("GetPayment", GATEWAY),
        ("ListPayments", GATEWAY),
        ("HandleWebhook", GATEWAY),
    ],
};

/// Only order.
const ORDER: Allow = Allow::Services(&["order"]);

pub struct PaymentGrpc {
    payments: Arc<Payments>,
    auth: Authenticator,
    webhook_secret: Option<Secret>,
}

impl PaymentGrpc {
    pub fn new(payments: Arc<Payments>, verifier: Arc<Verifier>, webhook_secret: Option<Secret>) -> Self {
        Self { payments, auth: Authenticator::new(verifier), webhook_secret }
    }

    pub fn server(self) -> pb::payment_service_server::PaymentServiceServer<Self> {
        pb::payment_service_server::PaymentServiceServer::new(self)
    }

    /// The order's payment, if `caller` was the one charged or is an admin; another user's
    /// payment is "not found".
    async fn visible(&self, caller: &Caller, order_id: &str) -> Result<Payment, PaymentError> {
        let payment = self.payments.payment(order_id).await?;
        if caller.is_admin() || payment.user_id == caller.user_id { Ok(payment) } else { Err(PaymentError::NotFound) }
    }
}

const fn status(s: PaymentStatus) -> pb::PaymentStatus {
    match s {
        PaymentStatus::Pending => pb::PaymentStatus::Unspecified,
        PaymentStatus::Succeeded => pb::PaymentStatus::Succeeded,
        PaymentStatus::Failed => pb::PaymentStatus::Failed,
        PaymentStatus::PartiallyRefunded => pb::PaymentStatus::PartiallyRefunded,
        PaymentStatus::Refunded => pb::PaymentStatus::Refunded,
    }
}

fn to_proto(p: &Payment) -> pb::Payment {
    pb::Payment {
        id: p.order_id.clone(),
        order_id: p.order_id.clone(),
        status: status(p.status).into(),
        amount: Some(Money { amount: p.amount, currency: p.currency.clone() }),
        refunded: Some(Money { amount: p.refunded, currency: p.currency.clone() }),
        failure_code: p.failure_code.clone().unwrap_or_default(),
        created_at: Some(Timestamp { seconds: p.created_at, nanos: 0 }),
    }
}

/// An order's id, by the one rule for order ids.
fn order_id(raw: &str) -> Result<String, Refusal> {
    Ok(Refusal::check("order_id", OrderId::parse(raw))?.to_string())
}

#[tonic::async_trait]
impl PaymentService for PaymentGrpc {
    #[tracing::instrument(skip_all, fields(order_id = %req.get_ref().order_id))]
    async fn charge(&self, req: Request<pb::ChargeRequest>) -> Result<Response<pb::Payment>, Status> {
        let caller = self.auth.user(&req).await?;
        let r = req.into_inner();
        let order = order_id(&r.order_id)?;
        let amount = r.amount.unwrap_or_default();
        let amount = Refusal::check("amount", shop_types::Money::positive(amount.amount, &amount.currency))?;
        let token = Refusal::check("payment_token", PaymentToken::parse(&r.payment_token))?;
        let (currency, token) = (amount.currency.as_str(), token.as_str());
        let payment = self.payments.charge(&order, &caller.user_id, amount.amount, currency, token).await?;
        Ok(Response::new(to_proto(&payment)))
    }

    #[tracing::instrument(skip_all, fields(order_id = %req.get_ref().order_id))]
    async fn refund(&self, req: Request<pb::RefundRequest>) -> Result<Response<pb::Payment>, Status> {
        let caller = self.auth.user(&req).await?;
        let r = req.into_inner();
        let order = order_id(&r.order_id)?;
        self.visible(&caller, &order).await?;
        if r.idempotency_key.is_empty() || r.idempotency_key.len() > 255 {
            return Err(Refusal::invalid("idempotency_key", "1 to 255 characters").into());
        }
        let payment = self.payments.refund(&order, r.amount.map(|m| m.amount), &r.idempotency_key).await?;
        Ok(Response::new(to_proto(&payment)))
    }

    #[tracing::instrument(skip_all, fields(order_id = %req.get_ref().order_id))]
    async fn get_payment(&self, req: Request<pb::GetPaymentRequest>) -> Result<Response<pb::Payment>, Status> {
        let caller = self.auth.user(&req).await?;
        let payment = self.visible(&caller, &order_id(&req.get_ref().order_id)?).await?;
        Ok(Response::new(to_proto(&payment)))
    }

    #[tracing::instrument(skip_all)]
    async fn list_payments(
        &self,
        req: Request<pb::ListPaymentsRequest>,
    ) -> Result<Response<pb::ListPaymentsResponse>, Status> {
        self.auth.admin(&req).await?;
        let paging = Paging::from_proto(req.into_inner().page)?;
        let found = self.payments.list(paging.clone()).await?;
        Ok(Response::new(pb::ListPaymentsResponse {
            payments: found.items.iter().map(to_proto).collect(),
            page: Some(paging.info_of(&found)),
        }))
    }

    #[tracing::instrument(skip_all)]
    async fn handle_webhook(
        &self,
        req: Request<pb::HandleWebhookRequest>,
    ) -> Result<Response<pb::HandleWebhookResponse>, Status> {
        let secret = self.webhook_secret.as_ref().ok_or(PaymentError::Webhook(webhook::WebhookError::BadSignature))?;
        let r = req.into_inner();
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        let event =
            webhook::verify(secret.expose().as_bytes(), &r.signature, &r.payload, now).map_err(PaymentError::from)?;
        self.payments.webhook(&event).await?;
        Ok(Response::new(pb::HandleWebhookResponse {}))
    }
}
