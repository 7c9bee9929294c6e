//! Bulk import over a client stream: progress answered as the file is read.

use shop_proto::catalog::v1 as pb;
use shop_service_kit::Refusal;
use shop_tabular::Format;
use tonic::{Status, Streaming};

use crate::{
    catalog::Catalog,
    error::CatalogError,
    transfer::{Counts, ImportError, Importer, RowError},
};

/// Rows between two progress replies of an import.
const PROGRESS_EVERY: u64 = 1_000;

pub(super) fn file_format(name: &str) -> Result<Format, CatalogError> {
    Format::named(name).ok_or_else(|| Refusal::invalid("format", "must be csv or ndjson").into())
}

fn import_reply(counts: Counts, errors: Vec<RowError>, done: bool) -> pb::ImportProductsReply {
    pb::ImportProductsReply {
        counts: Some(pb::ImportCounts {
            rows: counts.rows,
            created: counts.created,
            updated: counts.updated,
            unchanged: counts.unchanged,
            failed: counts.failed,
        }),
        errors: errors
            .into_iter()
            .map(|e| pb::ImportRowError { row: e.row, field: e.field, message: e.message })
            .collect(),
        done,
    }
}

/// Runs one import to its end, answering progress on `tx`.
pub(super) async fn import(
    catalog: &Catalog,
    caller: shop_auth::Caller,
    format: Format,
    first: Vec<u8>,
    mut inbound: Streaming<pb::ImportProductsRequest>,
    tx: &tokio::sync::mpsc::Sender<Result<pb::ImportProductsReply, Status>>,
) -> Result<(), Status> {
    let refused = |err: ImportError| match err {
        ImportError::Catalog(err) => Status::from(err),
        other => Status::from(CatalogError::from(Refusal::invalid("file", other.to_string()))),
    };
    let mut importer = Importer::start(catalog, caller, format).await?;
    let mut chunk = first;
    let mut reported = 0;
    loop {
        let errors = importer.push(&chunk).await.map_err(refused)?;
        let counts = importer.counts();
        if !errors.is_empty() || counts.rows >= reported + PROGRESS_EVERY {
            reported = counts.rows;
            if tx.send(Ok(import_reply(counts, errors, false))).await.is_err() {
                return Ok(()); // The caller went away: what is written stays.
            }
        }
        match inbound.message().await? {
            Some(next) if next.abort => {
                let detail = "the file was not sent whole; products before its last were written";
                return Err(CatalogError::from(Refusal::invalid("file", detail)).into());
            }
            Some(next) => chunk = next.data,
            None => break,
        }
    }
    let errors = importer.finish().await.map_err(refused)?;
    let counts = importer.counts();
    tracing::info!(
        rows = counts.rows,
        created = counts.created,
        updated = counts.updated,
        unchanged = counts.unchanged,
        failed = counts.failed,
        "products imported"
    );
    let _ = tx.send(Ok(import_reply(counts, errors, true))).await;
    Ok(())
}
