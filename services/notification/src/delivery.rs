//! Delivery: each message is claimed (held by one sender for a lease), sent through the
//! channel, and its outcome recorded — sent, retried later with a doubling wait, refused for
//! good (not retried), or set aside after the last attempt. A sender that dies mid-send
//! leaves the message to the next claim once its lease has passed.

use std::{sync::Arc, time::Duration};

use futures::{StreamExt, stream};
use prometheus::{IntCounterVec, Opts, Registry};

use crate::{
    channels::{Channel, Outgoing, SendError},
    domain::{EMAIL, Message, Outcome, SMS, now_ms},
    journal::Journal,
    storage::MessageStore,
};

/// When to try again, and when to stop.
#[derive(Debug, Clone, Copy)]
pub struct Retry {
    pub max_attempts: u32,
    pub base: Duration,
    pub max: Duration,
}

impl Retry {
    /// The wait after the `attempts`-th failed attempt: `base`, doubling, at most `max`.
    pub fn wait(&self, attempts: u32) -> Duration {
        let doublings = attempts.saturating_sub(1).min(30);
        self.base.saturating_mul(1 << doublings).min(self.max)
    }
}

/// Messages by outcome (and template), as Prometheus counts them.
#[derive(Clone)]
pub struct DeliveryMetrics {
    outcomes: IntCounterVec,
}

impl DeliveryMetrics {
    pub fn new(registry: Option<&Registry>) -> anyhow::Result<Self> {
        let opts = Opts::new("shop_notification_deliveries_total", "Delivery attempts by template and outcome");
        let outcomes = IntCounterVec::new(opts, &["template", "outcome"])?;
        if let Some(registry) = registry {
            registry.register(Box::new(outcomes.clone()))?;
        }
        Ok(Self { outcomes })
    }
}

/// Where each channel's messages go.
pub struct Channels {
    pub email: Arc<dyn Channel>,
    pub sms: Arc<dyn Channel>,
}

impl Channels {
    fn of(&self, channel: &str) -> Option<&dyn Channel> {
        match channel {
            EMAIL => Some(self.email.as_ref()),
            SMS => Some(self.sms.as_ref()),
            _ => None,
        }
    }
}

pub struct Delivery {
    pub store: Arc<dyn MessageStore>,
    pub channels: Channels,
    pub retry: Retry,
    pub lease: Duration,
    pub concurrency: usize,
    pub metrics: DeliveryMetrics,
    /// Where accepted messages are noted before their record is updated (none: a crash in
    /// between may send one again).
    pub journal: Option<Journal>,
}

fn ms(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX / 4)
}

impl Delivery {
    /// Sends the message `id` now if it is due (just recorded, or asked again).
    pub async fn send_now(&self, id: &str) -> anyhow::Result<()> {
        for message in self.store.claim(now_ms(), ms(self.lease), 1, Some(id)).await? {
            self.attempt(message).await?;
        }
        Ok(())
    }

    /// One round of the retry loop: every message due, a few at a time. How many were
    /// attempted.
    pub async fn round(&self) -> anyhow::Result<usize> {
        if let Some(journal) = &self.journal {
            journal.replay(self.store.as_ref(), false).await?;
        }
        let mut attempted = 0;
        loop {
            let batch = self.store.claim(now_ms(), ms(self.lease), self.concurrency.max(1) * 4, None).await?;
            if batch.is_empty() {
                return Ok(attempted);
            }
            attempted += batch.len();
            let results: Vec<anyhow::Result<()>> = stream::iter(batch)
                .map(|message| self.attempt(message))
                .buffer_unordered(self.concurrency.max(1))
                .collect()
                .await;
            results.into_iter().collect::<anyhow::Result<()>>()?;
        }
    }

    /// Sends one claimed message and records how it went.
    async fn attempt(&self, message: Message) -> anyhow::Result<()> {
        let outcome = if self.store.is_suppressed(&message.recipient).await? {
            Outcome::Suppressed
        } else {
            let commit = |provider_message_id: &str| {
                if let Some(journal) = &self.journal
                    && let Err(err) = journal.accepted(&message.id, provider_message_id)
                {
                    tracing::warn!(message_id = %message.id, error = %err, "the delivery journal cannot be written");
                }
            };
            let outgoing = Outgoing {
                id: &message.id,
                channel: &message.channel,
                to: &message.recipient,
                content: &message.content,
                commit: &commit,
            };
            let sent = match self.channels.of(&message.channel) {
                Some(channel) => channel.send(outgoing).await,
                None => Err(SendError::Permanent(format!("no channel {}", message.channel))),
            };
            match sent {
                Ok(provider_message_id) => Outcome::Sent { provider_message_id },
                Err(SendError::Transient(error)) if message.attempts < self.retry.max_attempts => {
                    Outcome::Retry { error, at: now_ms() + ms(self.retry.wait(message.attempts)) }
                }
                Err(SendError::Transient(error)) => Outcome::Dead { error },
                Err(SendError::Permanent(error)) => Outcome::Failed { error },
                Err(SendError::Bounced(error)) => {
                    self.store.suppress(&message.recipient, &error).await?;
                    Outcome::Failed { error }
                }
            }
        };
        let label = match &outcome {
            Outcome::Sent { .. } => "sent",
            Outcome::Retry { .. } => "retry",
            Outcome::Failed { .. } => "failed",
            Outcome::Dead { .. } => "dead",
            Outcome::Suppressed => "suppressed",
        };
        match &outcome {
            Outcome::Sent { .. } | Outcome::Suppressed => {}
            Outcome::Retry { error, .. } => {
                tracing::info!(message_id = %message.id, attempts = message.attempts, error, "delivery failed; retrying later");
            }
            Outcome::Failed { error } | Outcome::Dead { error } => {
                tracing::warn!(message_id = %message.id, template = %message.template, attempts = message.attempts, error, status = label, "message not delivered");
            }
        }
        self.metrics.outcomes.with_label_values(&[message.template.as_str(), label]).inc();
        self.store.record(&message.id, &outcome, now_ms()).await
    }
}
