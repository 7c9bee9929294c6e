//! The embedded message store (all-in-one mode and unit tests).

use std::{
    collections::{HashMap, HashSet},
    sync::Mutex,
};

use async_trait::async_trait;
use shop_platform::lock;
use shop_service_kit::{Page, Paging};

use super::{Change, Filter, MessageStore};
use crate::domain::{Message, Outcome};

#[derive(Default)]
pub struct MemoryMessageStore {
    messages: Mutex<HashMap<String, Message>>,
    suppressed: Mutex<HashSet<String>>,
}

#[async_trait]
impl MessageStore for MemoryMessageStore {
    async fn enqueue(&self, message: &Message) -> anyhow::Result<bool> {
        let mut messages = lock(&self.messages);
        if messages.contains_key(&message.id) {
            return Ok(false);
        }
        messages.insert(message.id.clone(), message.clone());
        Ok(true)
    }

    async fn claim(&self, now: i64, lease_ms: i64, limit: usize, only: Option<&str>) -> anyhow::Result<Vec<Message>> {
        let mut messages = lock(&self.messages);
        let mut due: Vec<&mut Message> = messages
            .values_mut()
            .filter(|m| m.next_attempt_at.is_some_and(|at| at <= now) && only.is_none_or(|id| id == m.id))
            .collect();
        due.sort_by_key(|m| m.next_attempt_at);
        Ok(due
            .into_iter()
            .take(limit)
            .map(|m| {
                m.next_attempt_at = Some(now + lease_ms);
                m.attempts += 1;
                m.clone()
            })
            .collect())
    }

    async fn record(&self, id: &str, outcome: &Outcome, now: i64) -> anyhow::Result<()> {
        if let Some(message) = lock(&self.messages).get_mut(id) {
            Change::of(outcome).apply(message, now);
        }
        Ok(())
    }

    async fn get(&self, id: &str) -> anyhow::Result<Option<Message>> {
        Ok(lock(&self.messages).get(id).cloned())
    }

    async fn list(&self, filter: &Filter, paging: Paging) -> anyhow::Result<Page<Message>> {
        let found: Vec<Message> = lock(&self.messages).values().filter(|m| filter.matches(m)).cloned().collect();
        Ok(paging.of(found, |m| (Some(m.created_at), m.id.clone()), true))
    }

    async fn suppress(&self, address: &str, _reason: &str) -> anyhow::Result<()> {
        lock(&self.suppressed).insert(address.to_lowercase());
        Ok(())
    }

    async fn is_suppressed(&self, address: &str) -> anyhow::Result<bool> {
        Ok(lock(&self.suppressed).contains(&address.to_lowercase()))
    }
}
