//! Notification's gRPC face, through the gateway: for admins the delivery log, resending a
//! message, the dev mailbox and the templates; for every account its own preferences.

use std::sync::Arc;

use shop_auth::Verifier;
use shop_proto::{
    Timestamp,
    notification::v1::{self as pb, notification_service_server::NotificationService},
};
use shop_service_kit::{
    Paging, Refusal,
    auth::Authenticator,
    policy::{GATEWAY, Policy},
};
use tonic::{Request, Response, Status};

use crate::{
    account::Accounts,
    admin::{self, template_ref},
    channels::Mailbox,
    delivery::Delivery,
    domain::{Message, Status as Delivered, now_ms},
    storage::Filter,
    templates::Templates,
};

/// Who may call each RPC (see `shop_service_kit::policy`).
pub const POLICY: Policy = Policy {
    service: pb::notification_service_server::SERVICE_NAME,
    callee: crate::SERVICE,
    rules: &[
        ("ListMessages", GATEWAY),
        ("Resend", GATEWAY),
        ("ListMailbox", GATEWAY),
        ("ListTemplates", GATEWAY),
        ("GetTemplate", GATEWAY),
        ("PreviewTemplate", GATEWAY),
        ("UpdateTemplate", GATEWAY),
        ("ResetTemplate", GATEWAY),
        ("GetPreferences", GATEWAY),
        ("UpdatePreferences", GATEWAY),
    ],
};

pub struct NotificationGrpc {
    auth: Authenticator,
    delivery: Arc<Delivery>,
    /// The dev mailbox, when mail goes there (no SMTP server configured).
    mailbox: Option<Arc<Mailbox>>,
    templates: Arc<Templates>,
    accounts: Accounts,
}

impl NotificationGrpc {
    pub fn new(
        verifier: Arc<Verifier>,
        delivery: Arc<Delivery>,
        mailbox: Option<Arc<Mailbox>>,
        templates: Arc<Templates>,
        accounts: Accounts,
    ) -> Self {
        Self { auth: Authenticator::new(verifier), delivery, mailbox, templates, accounts }
    }

    pub fn server(self) -> pb::notification_service_server::NotificationServiceServer<Self> {
        pb::notification_service_server::NotificationServiceServer::new(self)
    }
}

/// A Unix-ms instant as the contract carries it.
pub(crate) fn timestamp(ms: i64) -> Option<Timestamp> {
    Some(shop_proto::timestamp_ms(ms))
}

fn status_to_proto(status: Delivered) -> pb::MessageStatus {
    match status {
        Delivered::Pending => pb::MessageStatus::Pending,
        Delivered::Sent => pb::MessageStatus::Sent,
        Delivered::Failed => pb::MessageStatus::Failed,
        Delivered::Dead => pb::MessageStatus::Dead,
        Delivered::Suppressed => pb::MessageStatus::Suppressed,
    }
}

fn status_from_proto(status: pb::MessageStatus) -> Option<Delivered> {
    match status {
        pb::MessageStatus::Unspecified => None,
        pb::MessageStatus::Pending => Some(Delivered::Pending),
        pb::MessageStatus::Sent => Some(Delivered::Sent),
        pb::MessageStatus::Failed => Some(Delivered::Failed),
        pb::MessageStatus::Dead => Some(Delivered::Dead),
        pb::MessageStatus::Suppressed => Some(Delivered::Suppressed),
    }
}

/// A message as the log shows it: what happened to it, not what it says (its links are
/// secrets).
fn to_proto(m: &Message) -> pb::Message {
    pb::Message {
        id: m.id.clone(),
        event_id: m.event_id.clone(),
        template: m.template.clone(),
        channel: m.channel.clone(),
        recipient: m.recipient.clone(),
        user_id: m.user_id.clone(),
        status: status_to_proto(m.status).into(),
        attempts: m.attempts,
        provider_message_id: m.provider_message_id.clone().unwrap_or_default(),
        last_error: m.last_error.clone().unwrap_or_default(),
        subject: m.content.subject.clone(),
        created_at: timestamp(m.created_at),
        updated_at: timestamp(m.updated_at),
    }
}

/// Longest address a filter takes.
const MAX_ADDRESS: usize = 320;

#[tonic::async_trait]
impl NotificationService for NotificationGrpc {
    #[tracing::instrument(skip_all)]
    async fn list_messages(
        &self,
        req: Request<pb::ListMessagesRequest>,
    ) -> Result<Response<pb::ListMessagesResponse>, Status> {
        self.auth.admin(&req).await?;
        let r = req.into_inner();
        if r.recipient.len() > MAX_ADDRESS {
            return Err(Refusal::invalid("recipient", "is too long").into());
        }
        let status = pb::MessageStatus::try_from(r.status)
            .map_err(|_| Refusal::invalid("status", "must be pending, sent, failed, dead or suppressed"))?;
        let filter =
            Filter { status: status_from_proto(status), recipient: (!r.recipient.is_empty()).then_some(r.recipient) };
        let paging = Paging::from_proto(r.page)?;
        let page = self.delivery.store.list(&filter, paging.clone()).await.map_err(shop_service_kit::unexpected)?;
        Ok(Response::new(pb::ListMessagesResponse {
            messages: page.items.iter().map(to_proto).collect(),
            page: Some(paging.info_of(&page)),
        }))
    }

    #[tracing::instrument(skip_all, fields(message_id = %req.get_ref().message_id))]
    async fn resend(&self, req: Request<pb::ResendRequest>) -> Result<Response<pb::Message>, Status> {
        let caller = self.auth.admin(&req).await?;
        let id = req.into_inner().message_id;
        if id.is_empty() || id.len() > 64 {
            return Err(Refusal::invalid("message_id", "is not a message id").into());
        }
        let store = &self.delivery.store;
        let original = store.get(&id).await.map_err(shop_service_kit::unexpected)?;
        let original = original.ok_or_else(|| Status::not_found("message not found"))?;
        let now = now_ms();
        // A new delivery of the same content, recorded on its own.
        let event = format!("resend:{}:{}", original.id, uuid::Uuid::now_v7());
        let mut again =
            Message::new(&event, &original.template, &original.recipient, &original.user_id, original.content, now);
        again.event_id = format!("resend:{}", original.id);
        store.enqueue(&again).await.map_err(shop_service_kit::unexpected)?;
        tracing::info!(admin = %caller.user_id, resent = %original.id, message_id = %again.id, "message resent");
        if let Err(err) = self.delivery.send_now(&again.id).await {
            tracing::warn!(message_id = %again.id, error = format!("{err:#}"), "immediate delivery failed");
        }
        let sent = store.get(&again.id).await.map_err(shop_service_kit::unexpected)?.unwrap_or(again);
        Ok(Response::new(to_proto(&sent)))
    }

    #[tracing::instrument(skip_all)]
    async fn list_mailbox(
        &self,
        req: Request<pb::ListMailboxRequest>,
    ) -> Result<Response<pb::ListMailboxResponse>, Status> {
        self.auth.admin(&req).await?;
        let paging = Paging::from_proto(req.into_inner().page)?;
        let held = self.mailbox.as_ref().map(|m| m.messages()).unwrap_or_default();
        let page = paging.of(held, |m| (Some(m.at), m.id.clone()), true);
        let messages = page
            .items
            .iter()
            .map(|m| pb::MailboxEntry {
                id: m.id.clone(),
                channel: m.channel.clone(),
                to: m.to.clone(),
                subject: m.content.subject.clone(),
                text: m.content.text.clone(),
                html: m.content.html.clone(),
                sent_at: timestamp(m.at),
            })
            .collect();
        Ok(Response::new(pb::ListMailboxResponse { messages, page: Some(paging.info_of(&page)) }))
    }

    #[tracing::instrument(skip_all)]
    async fn list_templates(
        &self,
        req: Request<pb::ListTemplatesRequest>,
    ) -> Result<Response<pb::ListTemplatesResponse>, Status> {
        self.auth.admin(&req).await?;
        let locale = admin::locale(req.into_inner().locale)?;
        Ok(Response::new(pb::ListTemplatesResponse { templates: admin::list(&self.templates, &locale).await? }))
    }

    #[tracing::instrument(skip_all)]
    async fn get_template(&self, req: Request<pb::TemplateRef>) -> Result<Response<pb::Template>, Status> {
        self.auth.admin(&req).await?;
        let (name, locale) = template_ref(Some(req.into_inner()))?;
        Ok(Response::new(admin::describe(&self.templates, &name, &locale).await?))
    }

    #[tracing::instrument(skip_all)]
    async fn preview_template(
        &self,
        req: Request<pb::PreviewTemplateRequest>,
    ) -> Result<Response<pb::Rendered>, Status> {
        self.auth.admin(&req).await?;
        let r = req.into_inner();
        let (name, locale) = template_ref(r.template)?;
        Ok(Response::new(admin::preview(&self.templates, &name, &locale, r.parts).await?))
    }

    #[tracing::instrument(skip_all)]
    async fn update_template(&self, req: Request<pb::UpdateTemplateRequest>) -> Result<Response<pb::Template>, Status> {
        let caller = self.auth.admin(&req).await?;
        let r = req.into_inner();
        let (name, locale) = template_ref(r.template)?;
        let parts = admin::update_parts(r.parts)?;
        admin::save(&self.templates, &name, &locale, Some(parts), &caller.user_id).await?;
        Ok(Response::new(admin::describe(&self.templates, &name, &locale).await?))
    }

    #[tracing::instrument(skip_all)]
    async fn reset_template(&self, req: Request<pb::TemplateRef>) -> Result<Response<pb::Template>, Status> {
        let caller = self.auth.admin(&req).await?;
        let (name, locale) = template_ref(Some(req.into_inner()))?;
        admin::save(&self.templates, &name, &locale, None, &caller.user_id).await?;
        Ok(Response::new(admin::describe(&self.templates, &name, &locale).await?))
    }

    #[tracing::instrument(skip_all)]
    async fn get_preferences(
        &self,
        req: Request<pb::GetPreferencesRequest>,
    ) -> Result<Response<pb::Preferences>, Status> {
        let caller = self.auth.user(&req).await?;
        Ok(Response::new(self.accounts.get(&caller.user_id).await?))
    }

    #[tracing::instrument(skip_all)]
    async fn update_preferences(
        &self,
        req: Request<pb::UpdatePreferencesRequest>,
    ) -> Result<Response<pb::Preferences>, Status> {
        let caller = self.auth.user(&req).await?;
        Ok(Response::new(self.accounts.update(&caller.user_id, req.into_inner()).await?))
    }
}
