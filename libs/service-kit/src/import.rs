//! Bulk imports over a client stream: a CSV or NDJSON file arrives in chunks, each record is
//! written as soon as it is whole, and progress and refused rows go back as they happen.
//! A service says how one of its files is read and written ([`Import`]); the stream, its
//! format, progress and an upload that broke off are handled here, once.

use async_trait::async_trait;
use shop_proto::common::v1::{ImportChunk, ImportCounts, ImportReply, ImportRowError};
use shop_tabular::Format;
use tonic::{Status, Streaming, codegen::BoxStream};
use tracing::Instrument;

use crate::{Refusal, auth::Authenticator};

/// Rows between two progress replies of an import.
pub const PROGRESS_EVERY: u64 = 1_000;

/// Reads one file of records as it arrives, writing each record once it is whole.
#[async_trait]
pub trait Import: Send + 'static {
    /// Reads `chunk` and writes the records it completes; the rows refused.
    async fn push(&mut self, chunk: &[u8]) -> Result<Vec<ImportRowError>, Status>;
    /// Ends the file: writes its last record; the rows refused.
    async fn finish(&mut self) -> Result<Vec<ImportRowError>, Status>;
    /// What the import has done so far.
    fn counts(&self) -> ImportCounts;
    /// Logs the outcome (the service's own words for what it imported).
    fn done(&self) {
        let c = self.counts();
        tracing::info!(
            rows = c.rows,
            created = c.created,
            updated = c.updated,
            unchanged = c.unchanged,
            failed = c.failed,
            "import finished"
        );
    }
}

/// The file format a stream's first chunk names, and its data.
async fn open(inbound: &mut Streaming<ImportChunk>) -> Result<(Format, Vec<u8>), Status> {
    let first = inbound.message().await?.unwrap_or_default();
    Ok((format(&first.format)?, first.data))
}

/// The file format `name` names (`csv` or `ndjson`), for an import or an export.
pub fn format(name: &str) -> Result<Format, Status> {
    let unknown = || shop_platform::ApiError::from(Refusal::invalid("format", "must be csv or ndjson"));
    Format::named(name).ok_or_else(|| Status::from(unknown()))
}

/// Takes an import call: its caller and the file's format go to `start`, which refuses
/// (a caller who may not import) or gives the import, run as the file arrives.
pub async fn accept<I, F, Fut>(
    auth: &Authenticator,
    req: tonic::Request<Streaming<ImportChunk>>,
    start: F,
) -> Result<tonic::Response<BoxStream<ImportReply>>, Status>
where
    I: Import,
    F: FnOnce(shop_auth::Caller, Format) -> Fut,
    Fut: std::future::Future<Output = Result<I, Status>>,
{
    let caller = auth.user(&req).await.map_err(|refused| Status::from(shop_platform::ApiError::from(refused)))?;
    let mut inbound = req.into_inner();
    let (format, first) = open(&mut inbound).await?;
    // Refused before anything is read.
    let import = start(caller, format).await?;
    Ok(tonic::Response::new(serve(import, first, inbound)))
}

/// Runs `import` over the rest of `inbound` (after its `first` data) in a task of its
/// own, answering as it goes: a reply with the refused rows whenever some are, progress
/// every [`PROGRESS_EVERY`] rows, and last the counts with `done` (or the error that
/// stopped it; what was written before stays).
pub fn serve(import: impl Import, first: Vec<u8>, inbound: Streaming<ImportChunk>) -> BoxStream<ImportReply> {
    let (tx, rx) = tokio::sync::mpsc::channel(16);
    let work = async move {
        if let Err(status) = run(import, first, inbound, &tx).await {
            let _ = tx.send(Err(status)).await;
        }
    };
    tokio::spawn(work.instrument(tracing::Span::current()));
    Box::pin(tokio_stream::wrappers::ReceiverStream::new(rx))
}

fn reply(counts: ImportCounts, errors: Vec<ImportRowError>, done: bool) -> ImportReply {
    ImportReply { counts: Some(counts), errors, done }
}

async fn run(
    mut import: impl Import,
    first: Vec<u8>,
    mut inbound: Streaming<ImportChunk>,
    tx: &tokio::sync::mpsc::Sender<Result<ImportReply, Status>>,
) -> Result<(), Status> {
    let mut chunk = first;
    let mut reported = 0;
    loop {
        let errors = import.push(&chunk).await?;
        let counts = import.counts();
        if !errors.is_empty() || counts.rows >= reported + PROGRESS_EVERY {
            reported = counts.rows;
            if tx.send(Ok(reply(counts, errors, false))).await.is_err() {
                return Ok(()); // The caller went away: what is written stays.
            }
        }
        match inbound.message().await? {
            Some(next) if next.abort => {
                let detail = "the file was not sent whole; records before its last were written";
                return Err(shop_platform::ApiError::from(Refusal::invalid("file", detail)).into());
            }
            Some(next) => chunk = next.data,
            None => break,
        }
    }
    let errors = import.finish().await?;
    import.done();
    let _ = tx.send(Ok(reply(import.counts(), errors, true))).await;
    Ok(())
}
