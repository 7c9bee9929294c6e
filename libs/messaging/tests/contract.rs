//! One contract suite for every bus, outbox and inbox implementation: the in-process ones
//! and the real RabbitMQ / MongoDB ones must behave the same.

use std::{
    sync::{
        Arc, Mutex,
        atomic::{AtomicBool, AtomicU32, Ordering},
    },
    time::Duration,
};

use async_trait::async_trait;
use shop_messaging::{
    BusError, BusSettings, Envelope, EventBus, EventHandler, InProcessBus, Listener, RabbitBus,
    inbox::{Deduplicate, InboxStore, MemoryInbox, MongoInbox},
    new_event,
    outbox::{MemoryOutbox, MongoOutbox, OutboxStore, Relay},
};
use shop_platform::Shutdown;
use shop_proto::events::v1::ReservationExpired;
use shop_test_support::{amqp_url, eventually, mongo_url, proxy::Proxy, require, unique};

const WAIT: Duration = Duration::from_secs(15);

fn settings() -> BusSettings {
    BusSettings { max_deliveries: 3, prefetch: 8, retry_delay: Duration::from_millis(20) }
}

/// A fresh routing namespace so concurrent tests on one broker never see each other.
struct Topic {
    consumer: String,
    event_type: String,
    pattern: String,
}

fn topic() -> Topic {
    let ns = unique("t");
    Topic { consumer: unique("c"), event_type: format!("{ns}.happened"), pattern: format!("{ns}.*") }
}

fn event(t: &Topic, order: &str) -> Envelope {
    new_event(&t.event_type, "tests", &ReservationExpired { order_id: order.into() })
}

/// Records what it sees; fails the first `fail_first` deliveries.
#[derive(Default)]
struct Recorder {
    seen: Mutex<Vec<String>>,
    calls: AtomicU32,
    fail_first: u32,
}

impl Recorder {
    fn failing(n: u32) -> Arc<Self> {
        Arc::new(Self { fail_first: n, ..Self::default() })
    }

    fn seen(&self) -> Vec<String> {
        self.seen.lock().unwrap().clone()
    }
}

#[async_trait]
impl EventHandler for Recorder {
    async fn handle(&self, event: &Envelope) -> anyhow::Result<()> {
        let call = self.calls.fetch_add(1, Ordering::SeqCst) + 1;
        if call <= self.fail_first {
            anyhow::bail!("failing on purpose ({call})");
        }
        let order = <ReservationExpired as prost::Message>::decode(event.payload.as_slice())?.order_id;
        self.seen.lock().unwrap().push(order);
        Ok(())
    }
}

async fn published_events_reach_the_subscriber(bus: Arc<dyn EventBus>) {
    let t = topic();
    let rec = Recorder::failing(0);
    let sub = bus.subscribe(&t.consumer, &[&t.pattern], Arc::new(rec.clone())).await.unwrap();
    for n in 0..3 {
        bus.publish(&event(&t, &format!("o{n}"))).await.unwrap();
    }
    let other = new_event("elsewhere.happened", "tests", &ReservationExpired::default());
    bus.publish(&other).await.unwrap();
    assert!(eventually(WAIT, || async { rec.seen().len() == 3 }).await, "got {:?}", rec.seen());
    assert_eq!(rec.seen(), ["o0", "o1", "o2"]);
    sub.stop().await;
}

async fn a_failed_event_is_redelivered(bus: Arc<dyn EventBus>) {
    let t = topic();
    let rec = Recorder::failing(1);
    let sub = bus.subscribe(&t.consumer, &[&t.pattern], Arc::new(rec.clone())).await.unwrap();
    bus.publish(&event(&t, "o1")).await.unwrap();
    assert!(eventually(WAIT, || async { rec.seen() == ["o1"] }).await);
    assert_eq!(rec.calls.load(Ordering::SeqCst), 2);
    assert!(bus.take_dead_letters(&t.consumer, 10).await.unwrap().is_empty());
    sub.stop().await;
}

async fn an_event_failing_every_time_is_dead_lettered(bus: Arc<dyn EventBus>) {
    let t = topic();
    let rec = Recorder::failing(u32::MAX);
    let sub = bus.subscribe(&t.consumer, &[&t.pattern], Arc::new(rec.clone())).await.unwrap();
    let poison = event(&t, "poison");
    assert_eq!(bus.dead_letter_count(&t.consumer).await.unwrap(), 0);
    bus.publish(&poison).await.unwrap();
    // Counted while it waits (what `messaging_dead_letters` reports), then taken.
    let counted = eventually(WAIT, || async { bus.dead_letter_count(&t.consumer).await.unwrap() == 1 }).await;
    assert!(counted, "the dead letter is counted");
    let mut dead = Vec::new();
    let deadline = tokio::time::Instant::now() + WAIT;
    while dead.is_empty() && tokio::time::Instant::now() < deadline {
        dead.extend(bus.take_dead_letters(&t.consumer, 10).await.unwrap());
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(dead.len(), 1);
    assert_eq!(dead[0].event_id, poison.event_id);
    assert_eq!(rec.calls.load(Ordering::SeqCst), settings().max_deliveries);
    assert_eq!(bus.dead_letter_count(&t.consumer).await.unwrap(), 0, "none left once taken");
    sub.stop().await;
}

/// A [`Recorder`] that also counts its resyncs.
#[derive(Default)]
struct Replica {
    heard: Recorder,
    resyncs: AtomicU32,
}

#[async_trait]
impl EventHandler for Replica {
    async fn handle(&self, event: &Envelope) -> anyhow::Result<()> {
        self.heard.handle(event).await
    }
}

#[async_trait]
impl Listener for Replica {
    async fn resync(&self) -> anyhow::Result<()> {
        self.resyncs.fetch_add(1, Ordering::SeqCst);
        Ok(())
    }
}

async fn every_listener_hears_every_event_while_it_listens(bus: Arc<dyn EventBus>) {
    let t = topic();
    let (a, b) = (Arc::new(Replica::default()), Arc::new(Replica::default()));
    let sub_a = bus.listen(&[&t.pattern], a.clone()).await.unwrap();
    let sub_b = bus.listen(&[&t.pattern], b.clone()).await.unwrap();
    assert_eq!(a.resyncs.load(Ordering::SeqCst), 1, "resynced before listening");
    // A durable consumer beside them still gets its own copy.
    let durable = Recorder::failing(0);
    let sub_c = bus.subscribe(&t.consumer, &[&t.pattern], Arc::new(durable.clone())).await.unwrap();
    for n in 0..3 {
        bus.publish(&event(&t, &format!("o{n}"))).await.unwrap();
    }
    bus.publish(&new_event("elsewhere.happened", "tests", &ReservationExpired::default())).await.unwrap();
    let all = || async { a.heard.seen().len() == 3 && b.heard.seen().len() == 3 && durable.seen().len() == 3 };
    assert!(eventually(WAIT, all).await, "a {:?} b {:?}", a.heard.seen(), b.heard.seen());
    assert_eq!(a.heard.seen(), ["o0", "o1", "o2"]);
    assert_eq!(b.heard.seen(), ["o0", "o1", "o2"]);
    // A stopped listener's queue is gone: nothing waits for it, the others go on.
    sub_b.stop().await;
    bus.publish(&event(&t, "later")).await.unwrap();
    assert!(eventually(WAIT, || async { a.heard.seen().len() == 4 }).await);
    let again = Arc::new(Replica::default());
    let sub_again = bus.listen(&[&t.pattern], again.clone()).await.unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(again.heard.seen().is_empty(), "a new listener starts empty: {:?}", again.heard.seen());
    assert_eq!(b.heard.seen().len(), 3);
    for sub in [sub_a, sub_c, sub_again] {
        sub.stop().await;
    }
}

async fn a_listener_retries_a_failed_event(bus: Arc<dyn EventBus>) {
    let t = topic();
    let replica = Arc::new(Replica { heard: Recorder { fail_first: 1, ..Recorder::default() }, ..Replica::default() });
    let sub = bus.listen(&[&t.pattern], replica.clone()).await.unwrap();
    bus.publish(&event(&t, "o1")).await.unwrap();
    assert!(eventually(WAIT, || async { replica.heard.seen() == ["o1"] }).await);
    assert_eq!(replica.heard.calls.load(Ordering::SeqCst), 2);
    sub.stop().await;
}

async fn the_inbox_ignores_a_duplicate(bus: Arc<dyn EventBus>, inbox: Arc<dyn InboxStore>) {
    let t = topic();
    let rec = Recorder::failing(0);
    let handler = Deduplicate::new(&t.consumer, inbox, rec.clone());
    let sub = bus.subscribe(&t.consumer, &[&t.pattern], Arc::new(handler)).await.unwrap();
    let once = event(&t, "once");
    bus.publish(&once).await.unwrap();
    bus.publish(&once).await.unwrap();
    bus.publish(&event(&t, "after")).await.unwrap();
    assert!(eventually(WAIT, || async { rec.seen().len() >= 2 }).await);
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(rec.seen(), ["once", "after"]);
    sub.stop().await;
}

async fn the_inbox_records_each_event_once(inbox: Arc<dyn InboxStore>) {
    let (consumer, id) = (unique("c"), unique("e"));
    assert!(!inbox.seen(&consumer, &id).await.unwrap());
    assert!(inbox.record(&consumer, &id).await.unwrap());
    assert!(!inbox.record(&consumer, &id).await.unwrap());
    assert!(inbox.seen(&consumer, &id).await.unwrap());
    assert!(!inbox.seen(&unique("other"), &id).await.unwrap());
}

/// Writes events while the broker is unreachable, then lets it come back.
async fn the_outbox_delivers_events_written_during_an_outage(
    consumer_bus: Arc<dyn EventBus>,
    relay_bus: Arc<dyn EventBus>,
    outbox: Arc<dyn OutboxStore>,
    write: impl AsyncFn(Vec<Envelope>),
    broker: &dyn Switch,
) {
    let t = topic();
    let rec = Recorder::failing(0);
    let sub = consumer_bus.subscribe(&t.consumer, &[&t.pattern], Arc::new(rec.clone())).await.unwrap();
    broker.set(false);
    let stop = Shutdown::new();
    let relay = Relay::start(outbox.clone(), relay_bus, stop.clone());
    let written: Vec<Envelope> = (0..5).map(|n| event(&t, &format!("o{n}"))).collect();
    let first = written[0].event_id.clone();
    write(written).await;
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert!(rec.seen().is_empty(), "nothing can arrive while the broker is down");
    assert_eq!(outbox.pending(100).await.unwrap().len(), 5);
    // The backlog and its oldest event's age (`messaging_outbox_…`).
    let (waiting, oldest) = outbox.backlog().await.unwrap();
    assert_eq!((waiting, oldest.as_deref()), (5, Some(first.as_str())));
    let age = shop_messaging::outbox::age_of(&first).unwrap();
    assert!(age >= Duration::from_millis(700) && age < Duration::from_secs(60), "{age:?}");
    broker.set(true);
    assert!(eventually(WAIT, || async { rec.seen().len() == 5 }).await, "got {:?}", rec.seen());
    assert_eq!(rec.seen(), ["o0", "o1", "o2", "o3", "o4"]);
    assert!(eventually(WAIT, || async { outbox.pending(100).await.unwrap().is_empty() }).await);
    assert_eq!(outbox.backlog().await.unwrap(), (0, None));
    stop.trigger();
    relay.join().await;
    sub.stop().await;
}

trait Switch {
    fn set(&self, up: bool);
}

/// An in-process bus that can be made unreachable.
struct Switchable {
    bus: InProcessBus,
    up: AtomicBool,
}

impl Switch for Switchable {
    fn set(&self, up: bool) {
        self.up.store(up, Ordering::SeqCst);
    }
}

#[async_trait]
impl EventBus for Switchable {
    async fn publish(&self, event: &Envelope) -> Result<(), BusError> {
        if !self.up.load(Ordering::SeqCst) {
            return Err(BusError::Unavailable("switched off".into()));
        }
        self.bus.publish(event).await
    }
    async fn subscribe(
        &self,
        c: &str,
        p: &[&str],
        h: Arc<dyn EventHandler>,
    ) -> Result<shop_messaging::Subscription, BusError> {
        self.bus.subscribe(c, p, h).await
    }
    async fn listen(&self, p: &[&str], l: Arc<dyn Listener>) -> Result<shop_messaging::Subscription, BusError> {
        self.bus.listen(p, l).await
    }
    async fn take_dead_letters(&self, c: &str, max: usize) -> Result<Vec<Envelope>, BusError> {
        self.bus.take_dead_letters(c, max).await
    }
    async fn dead_letter_count(&self, c: &str) -> Result<u64, BusError> {
        self.bus.dead_letter_count(c).await
    }
    async fn ready(&self) -> bool {
        self.up.load(Ordering::SeqCst)
    }
}

impl Switch for Proxy {
    fn set(&self, up: bool) {
        if up { self.up() } else { self.down() }
    }
}

mod in_process {
    use super::*;

    fn bus() -> Arc<dyn EventBus> {
        Arc::new(InProcessBus::new(settings()))
    }

    #[tokio::test]
    async fn the_outbox_delivers_events_written_during_an_outage() {
        let inner = InProcessBus::new(settings());
        let broker = Arc::new(Switchable { bus: inner.clone(), up: AtomicBool::new(true) });
        let outbox = MemoryOutbox::default();
        let writer = outbox.clone();
        super::the_outbox_delivers_events_written_during_an_outage(
            Arc::new(inner),
            broker.clone(),
            Arc::new(outbox),
            async |events| writer.add(events),
            broker.as_ref(),
        )
        .await;
    }

    shop_test_support::contract_tests!(
        published_events_reach_the_subscriber(bus()),
        a_failed_event_is_redelivered(bus()),
        an_event_failing_every_time_is_dead_lettered(bus()),
        every_listener_hears_every_event_while_it_listens(bus()),
        a_listener_retries_a_failed_event(bus()),
        the_inbox_ignores_a_duplicate(bus(), Arc::new(MemoryInbox::default())),
        the_inbox_records_each_event_once(Arc::new(MemoryInbox::default())),
    );
}

mod real {
    use super::*;

    fn bus() -> Arc<dyn EventBus> {
        require("RabbitMQ", &amqp_url());
        Arc::new(RabbitBus::new(&amqp_url(), settings()))
    }

    async fn db() -> mongodb::Database {
        require("MongoDB", &mongo_url());
        shop_storage::connect(&mongo_url(), &unique("messaging")).await.unwrap()
    }

    #[tokio::test]
    async fn the_inbox_forgets_event_ids_after_its_retention() {
        let db = db().await;
        MongoInbox::open(&db).await.unwrap();
        let kept = shop_test_support::ttl(&db, "inbox", "at").await;
        assert_eq!(kept, Some(shop_messaging::inbox::RETENTION));
    }

    #[tokio::test]
    async fn the_outbox_delivers_events_written_during_an_outage() {
        let consumer_bus = bus();
        let target = amqp_url();
        let host = target.split('@').nth(1).and_then(|h| h.split('/').next()).unwrap_or("127.0.0.1:5672");
        let proxy = Proxy::start(host, true).await;
        let relay_bus =
            Arc::new(RabbitBus::new(&format!("amqp://guest:guest@127.0.0.1:{}/%2f", proxy.port), settings()));
        let outbox = MongoOutbox::new(&db().await);
        let writer = outbox.clone();
        super::the_outbox_delivers_events_written_during_an_outage(
            consumer_bus,
            relay_bus,
            Arc::new(outbox),
            async |events| writer.add(&events).await.unwrap(),
            &proxy,
        )
        .await;
    }

    #[tokio::test]
    async fn a_listener_resyncs_after_losing_its_connection() {
        let publisher = bus();
        let target = amqp_url();
        let host = target.split('@').nth(1).and_then(|h| h.split('/').next()).unwrap_or("127.0.0.1:5672");
        let proxy = Proxy::start(host, true).await;
        let listening: Arc<dyn EventBus> =
            Arc::new(RabbitBus::new(&format!("amqp://guest:guest@127.0.0.1:{}/%2f", proxy.port), settings()));
        let t = topic();
        let replica = Arc::new(Replica::default());
        let sub = listening.listen(&[&t.pattern], replica.clone()).await.unwrap();
        publisher.publish(&event(&t, "before")).await.unwrap();
        assert!(eventually(WAIT, || async { replica.heard.seen() == ["before"] }).await);
        proxy.down();
        tokio::time::sleep(Duration::from_millis(300)).await;
        proxy.up();
        // Back on a new queue, after a resync that repairs what the gap lost.
        assert!(eventually(WAIT, || async { replica.resyncs.load(Ordering::SeqCst) == 2 }).await, "resynced again");
        publisher.publish(&event(&t, "after")).await.unwrap();
        assert!(eventually(WAIT, || async { replica.heard.seen() == ["before", "after"] }).await);
        sub.stop().await;
    }

    shop_test_support::contract_tests!(
        published_events_reach_the_subscriber(bus()),
        a_failed_event_is_redelivered(bus()),
        an_event_failing_every_time_is_dead_lettered(bus()),
        every_listener_hears_every_event_while_it_listens(bus()),
        a_listener_retries_a_failed_event(bus()),
        the_inbox_ignores_a_duplicate(bus(), Arc::new(MongoInbox::open(&db().await).await.unwrap())),
        the_inbox_records_each_event_once(Arc::new(MongoInbox::open(&db().await).await.unwrap())),
    );
}
