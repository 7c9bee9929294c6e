//! What the notification service hears, and the notice each event becomes: a link mailed
//! to an account (welcome and verification, password reset), a changed password, an
//! order paid, shipped, cancelled or refunded. Recipients and orders are read from their
//! owners over gRPC (events carry no addresses); each notice is recorded once per (event,
//! template, recipient), then sent at once — or by the retry loop when that fails.

use std::sync::Arc;

use async_trait::async_trait;
use minijinja::{Value, context};
use shop_messaging::{Envelope, kind};
use shop_proto::{
    common::v1::{Address, Money},
    events::v1::{EmailLink, IdentityLinked, OrderEvent, PasswordChanged},
    identity::v1::{Contact, GetContactRequest, identity_service_client::IdentityServiceClient},
    order::v1::{GetOrderRequest, Order, order_service_client::OrderServiceClient},
};
use shop_service_kit::{Consumer, Upstream};

use crate::{
    delivery::Delivery,
    domain::{Content, Message, SMS, now_ms},
    sms::international,
    storage::PreferenceStore,
    templates::{FALLBACK_LOCALE, Templates, money},
};

/// The events each consumer reads (one durable queue each).
pub const LINK_EVENTS: [&str; 3] =
    [kind::VERIFICATION_REQUESTED, kind::PASSWORD_RESET_REQUESTED, kind::EMAIL_CHANGE_REQUESTED];
/// What happened to an account's sign-in: a new password, a second factor turned on (both
/// carry the account alone).
pub const PASSWORD_EVENTS: [&str; 2] = [kind::PASSWORD_CHANGED, kind::MFA_ENABLED];
/// A provider's identity linked to an account.
pub const IDENTITY_EVENTS: [&str; 1] = [kind::IDENTITY_LINKED];
pub const ORDER_EVENTS: [&str; 4] =
    [kind::ORDER_PAID, kind::ORDER_SHIPPED, kind::ORDER_CANCELLED, kind::ORDER_REFUNDED];

/// The shop as its mail names it.
#[derive(Debug, Clone)]
pub struct Site {
    pub name: String,
    /// Where the shop's pages are (no trailing slash).
    pub url: String,
}

pub struct Notices {
    pub templates: Arc<Templates>,
    pub delivery: Arc<Delivery>,
    pub preferences: Arc<dyn PreferenceStore>,
    pub identity: IdentityServiceClient<Upstream>,
    pub orders: OrderServiceClient<Upstream>,
    pub site: Site,
}

impl Notices {
    /// Whom to write to about `user_id`; none when the account is gone.
    pub async fn contact(&self, user_id: &str) -> anyhow::Result<Option<Contact>> {
        match self.identity.clone().get_contact(GetContactRequest { user_id: user_id.to_owned() }).await {
            Ok(contact) => Ok(Some(contact.into_inner())),
            Err(status) if status.code() == tonic::Code::NotFound => Ok(None),
            Err(status) => Err(anyhow::anyhow!("identity GetContact: {status}")),
        }
    }

    /// Records the mail `template` renders for `contact` about event `event_id` (once per
    /// event, template and address), and sends it.
    pub async fn notify(
        &self,
        event_id: &str,
        template: &str,
        contact: &Contact,
        data: Value,
        link: String,
    ) -> anyhow::Result<()> {
        let mut content = self.render(template, contact, data, &link).await?;
        content.link = Some(link);
        self.send(Message::new(event_id, template, &contact.email, &contact.user_id, content, now_ms())).await
    }

    /// Records the text message `template` renders for `contact` about event `event_id`, to
    /// `phone` (in international form), and sends it.
    pub async fn text(
        &self,
        event_id: &str,
        template: &str,
        (contact, phone): (&Contact, &str),
        data: Value,
        link: String,
    ) -> anyhow::Result<()> {
        let content = self.render(template, contact, data, &link).await?;
        self.send(Message::new(event_id, template, phone, &contact.user_id, content, now_ms()).via(SMS)).await
    }

    async fn render(&self, template: &str, contact: &Contact, data: Value, link: &str) -> anyhow::Result<Content> {
        let locale = if contact.locale.is_empty() { FALLBACK_LOCALE } else { contact.locale.as_str() };
        let data = context! { shop => &self.site.name, name => &contact.first_name, link => link, ..data };
        self.templates.render(template, locale, &data).await
    }

    async fn send(&self, message: Message) -> anyhow::Result<()> {
        if !self.delivery.store.enqueue(&message).await? {
            // A redelivered event: its notice is recorded (and sent, or being retried).
            return Ok(());
        }
        if let Err(err) = self.delivery.send_now(&message.id).await {
            // Recorded: the retry loop sends it.
            tracing::warn!(message_id = %message.id, error = format!("{err:#}"), "immediate delivery failed");
        }
        Ok(())
    }

    pub fn page(&self, path: &str) -> String {
        format!("{}{path}", self.site.url)
    }

    async fn order(&self, id: &str) -> anyhow::Result<Option<Order>> {
        match self.orders.clone().read_order(GetOrderRequest { id: id.to_owned() }).await {
            Ok(order) => Ok(Some(order.into_inner())),
            Err(status) if status.code() == tonic::Code::NotFound => Ok(None),
            Err(status) => Err(anyhow::anyhow!("order ReadOrder: {status}")),
        }
    }
}

/// How long from now until `expires_at` (Unix seconds), as people say it.
fn lasting(expires_at: i64) -> String {
    let seconds = (expires_at - now_ms() / 1000).max(60);
    match seconds {
        s if s >= 2 * 3600 => format!("{} hours", (s + 1800) / 3600),
        s => format!("{} minutes", (s + 30) / 60),
    }
}

fn shown(amount: Option<&Money>) -> String {
    amount.map(|m| money(m.amount, &m.currency)).unwrap_or_default()
}

fn address(a: &Address) -> Value {
    context! {
        name => &a.name, line1 => &a.line1, line2 => &a.line2, city => &a.city,
        region => &a.region, postal_code => &a.postal_code, country => &a.country,
    }
}

fn order_data(order: &Order) -> Value {
    let lines: Vec<Value> = order
        .lines
        .iter()
        .map(|l| {
            context! {
                name => &l.name, sku => &l.sku, quantity => l.quantity,
                unit_price => shown(l.unit_price.as_ref()), line_total => shown(l.line_total.as_ref()),
            }
        })
        .collect();
    context! {
        id => &order.id,
        number => order.id.split('-').next().unwrap_or(&order.id).to_uppercase(),
        lines => lines,
        total => shown(order.total.as_ref()),
        address => order.shipping_address.as_ref().map(address),
    }
}

/// Links mailed to an account: the welcome (with the first verification link), a new
/// verification link, a password reset link.
pub struct LinkMail(pub Arc<Notices>);

#[async_trait]
impl Consumer for LinkMail {
    type Event = EmailLink;

    async fn consume(&self, about: &Envelope, link: EmailLink) -> anyhow::Result<()> {
        let notices = &self.0;
        let Some(contact) = notices.contact(&link.user_id).await? else { return Ok(()) };
        if about.r#type == kind::EMAIL_CHANGE_REQUESTED {
            // The link goes to the new address; the current one is told.
            let moving = Contact { email: link.new_email.clone(), ..contact.clone() };
            let url = notices.page(&format!("/confirm-email?token={}", link.token));
            let data = context! { expires => lasting(link.expires_at) };
            notices.notify(&about.event_id, "confirm_email_change", &moving, data, url).await?;
            let data = context! { new_email => &link.new_email };
            let url = notices.page("/forgot-password");
            return notices.notify(&about.event_id, "email_change_notice", &contact, data, url).await;
        }
        let (template, page) = match (about.r#type.as_str(), link.welcome) {
            (kind::PASSWORD_RESET_REQUESTED, _) => ("password_reset", "/reset-password"),
            (_, true) => ("welcome", "/verify-email"),
            (_, false) => ("verify_email", "/verify-email"),
        };
        let url = notices.page(&format!("{page}?token={}", link.token));
        let data = context! { expires => lasting(link.expires_at) };
        notices.notify(&about.event_id, template, &contact, data, url).await
    }
}

/// "Your password was changed" (by the account, or through a reset link); "a second factor
/// now protects your account".
pub struct PasswordMail(pub Arc<Notices>);

#[async_trait]
impl Consumer for PasswordMail {
    type Event = PasswordChanged;

    async fn consume(&self, about: &Envelope, changed: PasswordChanged) -> anyhow::Result<()> {
        let notices = &self.0;
        let Some(contact) = notices.contact(&changed.user_id).await? else { return Ok(()) };
        let url = notices.page("/forgot-password");
        let template = if about.r#type == kind::MFA_ENABLED { "mfa_enabled" } else { "password_changed" };
        notices.notify(&about.event_id, template, &contact, context! {}, url).await
    }
}

/// "Sign in with <provider> now opens your account": a link the account did not make is
/// someone else's way in.
pub struct IdentityMail(pub Arc<Notices>);

#[async_trait]
impl Consumer for IdentityMail {
    type Event = IdentityLinked;

    async fn consume(&self, about: &Envelope, linked: IdentityLinked) -> anyhow::Result<()> {
        let notices = &self.0;
        let Some(contact) = notices.contact(&linked.user_id).await? else { return Ok(()) };
        let url = notices.page("/account/security");
        notices
            .notify(&about.event_id, "identity_linked", &contact, context! { provider => linked.provider }, url)
            .await
    }
}

/// An order's customer told that it was paid, shipped, cancelled or refunded.
pub struct OrderMail(pub Arc<Notices>);

#[async_trait]
impl Consumer for OrderMail {
    type Event = OrderEvent;

    async fn consume(&self, about: &Envelope, event: OrderEvent) -> anyhow::Result<()> {
        let notices = &self.0;
        let Some(order) = notices.order(&event.order_id).await? else { return Ok(()) };
        let charged = order.payment.as_ref().is_some_and(|p| matches!(p.status.as_str(), "succeeded" | "refunded"));
        let template = match about.r#type.as_str() {
            kind::ORDER_PAID => "order_confirmation",
            kind::ORDER_SHIPPED => "order_shipped",
            // A checkout that failed (declined, out of stock) was answered at once: the
            // customer hears of a cancellation only when they had paid.
            kind::ORDER_CANCELLED if !charged => return Ok(()),
            kind::ORDER_CANCELLED => "order_cancelled",
            kind::ORDER_REFUNDED => "order_refunded",
            _ => return Ok(()),
        };
        let Some(contact) = notices.contact(&order.user_id).await? else { return Ok(()) };
        let amount = if event.total.is_some() { shown(event.total.as_ref()) } else { shown(order.total.as_ref()) };
        let data = context! {
            order => order_data(&order),
            amount => if template == "order_cancelled" || template == "order_refunded" { amount } else { String::new() },
            reason => &event.reason,
            carrier => order.shipment.as_ref().map(|s| s.carrier.as_str()).unwrap_or_default(),
            tracking_number => order.shipment.as_ref().map(|s| s.tracking_number.as_str()).unwrap_or_default(),
        };
        let url = notices.page(&format!("/account/orders/{}", order.id));
        notices.notify(&about.event_id, template, &contact, data.clone(), url.clone()).await?;
        if template == "order_shipped" && notices.preferences.get(&contact.user_id).await?.shipping_sms {
            // To the number on the parcel, else the account's own.
            let on_parcel = order.shipping_address.as_ref().and_then(|a| international(&a.phone));
            match on_parcel.or_else(|| international(&contact.phone)) {
                Some(phone) => {
                    notices.text(&about.event_id, "order_shipped_sms", (&contact, &phone), data, url).await?
                }
                None => {
                    tracing::info!(order_id = %order.id, "shipping text wanted, but no number in international form")
                }
            }
        }
        Ok(())
    }
}
