//! Low stock, told to whom it concerns — the SKU's vendor and every admin — in digests: at
//! most one per recipient per period (`digest_every_secs`), the first low SKU of a quiet
//! period waiting `digest_gather_secs` for others to join it.

use std::{
    collections::BTreeSet,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use async_trait::async_trait;
use minijinja::context;
use shop_messaging::{Envelope, kind};
use shop_platform::lock;
use shop_proto::{
    common::v1::PageRequest,
    events::v1::StockLevel,
    identity::v1::{ListContactsRequest, Role},
    inventory::v1::{GetLevelsRequest, Stock, inventory_service_client::InventoryServiceClient},
};
use shop_service_kit::{Consumer, Upstream};

use crate::{
    domain::now_ms,
    events::Notices,
    storage::{DigestLine, DigestStore},
};

/// The events [`StockMail`] reads.
pub const STOCK_EVENTS: [&str; 1] = [kind::STOCK_LOW];

/// The template of a digest.
const DIGEST: &str = "stock_low_digest";

/// Every admin's user id, from identity (a page at a time).
async fn admins(notices: &Notices) -> anyhow::Result<Vec<String>> {
    let mut found = Vec::new();
    let mut cursor = String::new();
    loop {
        let page = Some(PageRequest { per_page: 100, cursor: cursor.clone(), ..PageRequest::default() });
        let request = ListContactsRequest { role: Role::Admin.into(), page };
        let reply = notices.identity.clone().list_contacts(request).await?.into_inner();
        found.extend(reply.contacts.into_iter().map(|c| c.user_id));
        cursor = reply.page.map(|p| p.next_cursor).unwrap_or_default();
        if cursor.is_empty() {
            return Ok(found);
        }
    }
}

/// How long the list of admins is reused: a bulk import that takes a thousand SKUs low
/// asks identity once, not a thousand times.
const ADMINS_FOR: Duration = Duration::from_secs(60);

/// Puts each low SKU on the digests of its vendor and of every admin.
pub struct StockMail {
    notices: Arc<Notices>,
    digests: Arc<dyn DigestStore>,
    /// The admins as last read, and when.
    admins: Mutex<Option<(Instant, Vec<String>)>>,
}

impl StockMail {
    pub fn new(notices: Arc<Notices>, digests: Arc<dyn DigestStore>) -> Self {
        Self { notices, digests, admins: Mutex::new(None) }
    }

    async fn admins(&self) -> anyhow::Result<Vec<String>> {
        if let Some((_, admins)) = lock(&self.admins).as_ref().filter(|(at, _)| at.elapsed() < ADMINS_FOR) {
            return Ok(admins.clone());
        }
        let admins = admins(&self.notices).await?;
        *lock(&self.admins) = Some((Instant::now(), admins.clone()));
        Ok(admins)
    }
}

#[async_trait]
impl Consumer for StockMail {
    type Event = StockLevel;

    async fn consume(&self, about: &Envelope, level: StockLevel) -> anyhow::Result<()> {
        let mut recipients: BTreeSet<String> = self.admins().await?.into_iter().collect();
        if !level.vendor_id.is_empty() {
            recipients.insert(level.vendor_id.clone());
        }
        for recipient in recipients {
            let line = DigestLine {
                recipient,
                event_id: about.event_id.clone(),
                sku: level.sku.clone(),
                available: level.available,
                threshold: level.threshold,
                at: now_ms(),
            };
            self.digests.add(&line).await?;
        }
        Ok(())
    }
}

/// Sends the digests that are due (a periodic task).
pub struct Digests {
    pub notices: Arc<Notices>,
    pub store: Arc<dyn DigestStore>,
    pub inventory: InventoryServiceClient<Upstream>,
    pub gather: Duration,
    pub every: Duration,
}

fn ms(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX / 4)
}

/// The most SKUs inventory is asked about at once.
const LEVELS_PER_CALL: usize = 100;

impl Digests {
    pub async fn round(&self) -> anyhow::Result<()> {
        let now = now_ms();
        for recipient in self.store.due(now, ms(self.gather), ms(self.every)).await? {
            let Some((batch, lines)) = self.store.open(&recipient).await? else { continue };
            let low = self.still_low(&lines).await?;
            // A recipient who declined digests is sent none: its lines are closed unsent.
            let wanted = !low.is_empty() && self.notices.preferences.get(&recipient).await?.stock_digest;
            let contact = if wanted { self.notices.contact(&recipient).await? } else { None };
            if let Some(contact) = &contact {
                let shown: Vec<minijinja::Value> = low
                    .iter()
                    .map(|s| context! { sku => &s.sku, available => s.available, threshold => s.low_stock_threshold })
                    .collect();
                let link = self.notices.page("/admin/inventory");
                // The batch names the message: a digest sent again after a crash is recorded once.
                let data = context! { lines => shown };
                self.notices.notify(&format!("digest:{batch}"), DIGEST, contact, data, link).await?;
            }
            self.store.close(&recipient, &batch, now_ms(), contact.is_some()).await?;
        }
        Ok(())
    }

    /// The SKUs of `lines` that are low now (one each, as inventory counts them now): one
    /// restocked since is not reported.
    async fn still_low(&self, lines: &[DigestLine]) -> anyhow::Result<Vec<Stock>> {
        let skus: BTreeSet<&str> = lines.iter().map(|l| l.sku.as_str()).collect();
        let skus: Vec<String> = skus.into_iter().map(str::to_owned).collect();
        let mut low = Vec::new();
        for chunk in skus.chunks(LEVELS_PER_CALL) {
            let request = GetLevelsRequest { skus: chunk.to_vec() };
            let levels = self.inventory.clone().get_levels(request).await?.into_inner().levels;
            low.extend(levels.into_iter().filter(|s| s.available <= s.low_stock_threshold));
        }
        Ok(low)
    }
}
