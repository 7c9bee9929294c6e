//! The in-process bus for the all-in-one mode and unit tests: same routing, redelivery and
//! dead-letter behaviour as the RabbitMQ bus, without a broker.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
};

use async_trait::async_trait;
use shop_platform::Shutdown;
use tokio::sync::mpsc;

use crate::{BusError, BusSettings, Envelope, EventBus, Handler, Subscription, dispatch, topic};

struct Message {
    event: Envelope,
    deliveries: u32,
}

struct Queue {
    patterns: Vec<String>,
    tx: mpsc::UnboundedSender<Message>,
    rx: Arc<tokio::sync::Mutex<mpsc::UnboundedReceiver<Message>>>,
    dead: Vec<Envelope>,
}

/// An event bus inside one process. Queues outlive their subscriptions, as durable
/// broker queues do.
#[derive(Clone, Default)]
pub struct InProcessBus {
    settings: BusSettings,
    queues: Arc<Mutex<HashMap<String, Queue>>>,
}

impl InProcessBus {
    pub fn new(settings: BusSettings) -> Self {
        Self { settings, queues: Arc::default() }
    }

    fn queues(&self) -> std::sync::MutexGuard<'_, HashMap<String, Queue>> {
        // A panic while holding this lock leaves the map itself consistent.
        shop_platform::lock(&self.queues)
    }
}

#[async_trait]
impl EventBus for InProcessBus {
    async fn publish(&self, event: &Envelope) -> Result<(), BusError> {
        for queue in self.queues().values() {
            if queue.patterns.iter().any(|p| topic::matches(p, &event.r#type)) {
                let _ = queue.tx.send(Message { event: event.clone(), deliveries: 0 });
            }
        }
        Ok(())
    }

    async fn subscribe(&self, consumer: &str, patterns: &[&str], handler: Handler) -> Result<Subscription, BusError> {
        let (tx, rx) = {
            let mut queues = self.queues();
            let queue = queues.entry(consumer.to_owned()).or_insert_with(|| {
                let (tx, rx) = mpsc::unbounded_channel();
                Queue { patterns: Vec::new(), tx, rx: Arc::new(tokio::sync::Mutex::new(rx)), dead: Vec::new() }
            });
            for p in patterns {
                if !queue.patterns.iter().any(|q| q == p) {
                    queue.patterns.push((*p).to_owned());
                }
            }
            (queue.tx.clone(), queue.rx.clone())
        };
        let stop = Shutdown::new();
        let bus = self.clone();
        let consumer = consumer.to_owned();
        let watch = stop.clone();
        let task = tokio::spawn(async move {
            let mut rx = rx.lock().await;
            loop {
                let mut msg = tokio::select! {
                    biased;
                    () = watch.wait() => return,
                    msg = rx.recv() => match msg { Some(m) => m, None => return },
                };
                msg.deliveries += 1;
                if dispatch(&consumer, handler.as_ref(), &msg.event).await.is_ok() {
                    continue;
                }
                if msg.deliveries >= bus.settings.max_deliveries {
                    tracing::warn!(consumer, event_id = %msg.event.event_id, "event dead-lettered");
                    if let Some(q) = bus.queues().get_mut(&consumer) {
                        q.dead.push(msg.event);
                    }
                } else {
                    tokio::time::sleep(bus.settings.retry_delay).await;
                    let _ = tx.send(msg);
                }
            }
        });
        Ok(Subscription::new(stop, task))
    }

    async fn take_dead_letters(&self, consumer: &str, max: usize) -> Result<Vec<Envelope>, BusError> {
        Ok(self
            .queues()
            .get_mut(consumer)
            .map(|q| {
                let n = max.min(q.dead.len());
                q.dead.drain(..n).collect()
            })
            .unwrap_or_default())
    }

    async fn dead_letter_count(&self, consumer: &str) -> Result<u64, BusError> {
        Ok(self.queues().get(consumer).map_or(0, |q| q.dead.len() as u64))
    }

    async fn ready(&self) -> bool {
        true
    }
}
