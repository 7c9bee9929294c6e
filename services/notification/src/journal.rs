//! The delivery journal: a message is written to a local file at the last moment before
//! the mail server takes it (before the final `.` of its text, see `crate::smtp`), ahead
//! of its record in the database. A process killed before its record was updated — the
//! window where a sent message would look unsent and go out again — finds it in the
//! journal when it starts again, and records it sent before it sends anything. The file lives on the pod's own volume (`SHOP_DELIVERY_JOURNAL`):
//! it outlives the process, which is what a crash takes.

use std::{
    fs::OpenOptions,
    io::Write,
    path::{Path, PathBuf},
    sync::Mutex,
};

use shop_platform::lock;

use crate::{
    domain::{Outcome, Status, now_ms},
    storage::MessageStore,
};

/// The journal is read back and emptied past this size (while running; at start always).
const COMPACT_AT: u64 = 1 << 20;

pub struct Journal {
    path: PathBuf,
    /// One writer at a time: each entry is one line.
    writing: Mutex<()>,
}

impl Journal {
    pub fn open(path: &Path) -> anyhow::Result<Self> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)
                .map_err(|e| anyhow::anyhow!("the delivery journal's directory {}: {e}", dir.display()))?;
        }
        OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .map_err(|e| anyhow::anyhow!("the delivery journal {}: {e}", path.display()))?;
        Ok(Self { path: path.to_owned(), writing: Mutex::new(()) })
    }

    /// Notes that message `id` is being handed over (one `write`: once it returns, the
    /// kernel has it, whatever happens to this process).
    pub fn accepted(&self, id: &str, provider_message_id: &str) -> anyhow::Result<()> {
        let _one = lock(&self.writing);
        let mut file = OpenOptions::new().append(true).open(&self.path)?;
        file.write_all(format!("{id}\t{provider_message_id}\n").as_bytes())?;
        Ok(())
    }

    /// Records every journaled message sent in `store` (those not settled yet), then empties
    /// the journal. At start always; while running once it has grown past its size.
    pub async fn replay(&self, store: &dyn MessageStore, always: bool) -> anyhow::Result<usize> {
        let size = std::fs::metadata(&self.path).map(|m| m.len()).unwrap_or(0);
        if !always && size < COMPACT_AT {
            return Ok(0);
        }
        let text = std::fs::read_to_string(&self.path)?;
        let mut recorded = 0;
        for entry in text.lines() {
            let Some((id, provider_message_id)) = entry.split_once('\t') else { continue };
            let pending = store.get(id).await?.is_some_and(|m| m.status == Status::Pending);
            if pending {
                let sent = Outcome::Sent { provider_message_id: provider_message_id.to_owned() };
                store.record(id, &sent, now_ms()).await?;
                recorded += 1;
            }
        }
        let _one = lock(&self.writing);
        // What was appended since the read is recorded by its own sender, still running.
        std::fs::write(&self.path, b"")?;
        if recorded > 0 {
            tracing::info!(recorded, "messages sent before a restart recorded from the delivery journal");
        }
        Ok(recorded)
    }
}
