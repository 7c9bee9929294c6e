//! The in-process bus for the all-in-one mode and unit tests: same routing, redelivery and
//! dead-letter behaviour as the RabbitMQ bus, without a broker.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
};

use async_trait::async_trait;
use shop_platform::Shutdown;
use tokio::sync::mpsc;

use crate::{BusError, BusSettings, Envelope, EventBus, Handler, Listener, Subscription, dispatch, hear, topic};

struct Message {
    event: Envelope,
    deliveries: u32,
}

/// Where events of some types go.
struct Route {
    patterns: Vec<String>,
    tx: mpsc::UnboundedSender<Message>,
}

impl Route {
    fn offer(&self, event: &Envelope) {
        if self.patterns.iter().any(|p| topic::matches(p, &event.r#type)) {
            let _ = self.tx.send(Message { event: event.clone(), deliveries: 0 });
        }
    }
}

struct Queue {
    route: Route,
    rx: Arc<tokio::sync::Mutex<mpsc::UnboundedReceiver<Message>>>,
    dead: Vec<Envelope>,
}

/// An event bus inside one process. Queues outlive their subscriptions, as durable
/// broker queues do.
#[derive(Clone, Default)]
pub struct InProcessBus {
    settings: BusSettings,
    queues: Arc<Mutex<HashMap<String, Queue>>>,
    /// Listeners' queues, which go with their subscription.
    listeners: Arc<Mutex<HashMap<String, Route>>>,
}

impl InProcessBus {
    pub fn new(settings: BusSettings) -> Self {
        Self { settings, queues: Arc::default(), listeners: Arc::default() }
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
            queue.route.offer(event);
        }
        for route in shop_platform::lock(&self.listeners).values() {
            route.offer(event);
        }
        Ok(())
    }

    async fn subscribe(&self, consumer: &str, patterns: &[&str], handler: Handler) -> Result<Subscription, BusError> {
        let (tx, rx) = {
            let mut queues = self.queues();
            let queue = queues.entry(consumer.to_owned()).or_insert_with(|| {
                let (tx, rx) = mpsc::unbounded_channel();
                let route = Route { patterns: Vec::new(), tx };
                Queue { route, rx: Arc::new(tokio::sync::Mutex::new(rx)), dead: Vec::new() }
            });
            for p in patterns {
                if !queue.route.patterns.iter().any(|q| q == p) {
                    queue.route.patterns.push((*p).to_owned());
                }
            }
            (queue.route.tx.clone(), queue.rx.clone())
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

    async fn listen(&self, patterns: &[&str], listener: Arc<dyn Listener>) -> Result<Subscription, BusError> {
        let name = uuid::Uuid::now_v7().to_string();
        let (tx, mut rx) = mpsc::unbounded_channel();
        let route = Route { patterns: patterns.iter().map(|p| (*p).to_owned()).collect(), tx };
        let listeners = self.listeners.clone();
        shop_platform::lock(&listeners).insert(name.clone(), route);
        if let Err(err) = listener.resync().await {
            shop_platform::lock(&listeners).remove(&name);
            return Err(BusError::Resync(format!("{err:#}")));
        }
        let stop = Shutdown::new();
        let watch = stop.clone();
        let settings = self.settings.clone();
        let task = tokio::spawn(async move {
            loop {
                let msg = tokio::select! {
                    biased;
                    () = watch.wait() => break,
                    msg = rx.recv() => match msg { Some(m) => m, None => break },
                };
                hear(listener.as_ref(), &msg.event, &settings).await;
            }
            shop_platform::lock(&listeners).remove(&name);
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
