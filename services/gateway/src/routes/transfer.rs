//! Bulk import and export: files streamed through, never held whole — products (catalog)
//! and stock levels (inventory).
//!
//! An import answers `application/x-ndjson`, a line at a time as the file is read:
//! `{"error": {row, field, message}}` for each row refused (the first
//! [`MAX_ERROR_LINES`]; later ones are only counted), `{"progress": counts}` now and then,
//! and last `{"done": counts}` — or `{"aborted": problem}` when the import could not go on
//! (rows before it stay written).

use std::future::Future;

use actix_web::{HttpRequest, HttpResponse, get, http::header, post, web};
use bytes::Bytes;
use futures::StreamExt;
use serde::{Deserialize, Serialize};
use shop_proto::{
    catalog::v1 as pb,
    common::v1::{ImportChunk, ImportReply},
};
use shop_tabular::Format;
use tokio_stream::wrappers::ReceiverStream;
use utoipa::{IntoParams, ToSchema};

use shop_auth::Caller;

use crate::{
    auth::Authenticated,
    error::{Problem, ProblemBody},
    state::State,
};

/// Refused rows an import reports one by one.
pub const MAX_ERROR_LINES: usize = 1_000;

/// What an import has done so far.
#[derive(Serialize, ToSchema)]
pub struct ImportCounts {
    /// Data rows read.
    pub rows: u64,
    /// Records created, updated, found already as the file says.
    pub created: u64,
    pub updated: u64,
    pub unchanged: u64,
    /// Rows of records not written.
    pub failed: u64,
}

impl From<shop_proto::common::v1::ImportCounts> for ImportCounts {
    fn from(c: shop_proto::common::v1::ImportCounts) -> Self {
        Self { rows: c.rows, created: c.created, updated: c.updated, unchanged: c.unchanged, failed: c.failed }
    }
}

/// One refused row (data rows count from 1; a CSV header is row 0).
#[derive(Serialize, ToSchema)]
pub struct ImportRowError {
    pub row: u64,
    pub field: String,
    pub message: String,
}

/// One line of an import's answer: exactly one of the fields is present.
#[derive(Serialize, ToSchema)]
pub struct ImportLine {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<ImportRowError>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub progress: Option<ImportCounts>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub done: Option<ImportCounts>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub aborted: Option<ProblemBody>,
}

impl ImportLine {
    fn bytes(&self) -> Bytes {
        let mut line = serde_json::to_vec(self).unwrap_or_default();
        line.push(b'\n');
        Bytes::from(line)
    }
}

const EMPTY: ImportLine = ImportLine { error: None, progress: None, done: None, aborted: None };

/// The lines one reply of the importing service makes.
fn lines(reply: ImportReply, reported: &mut usize) -> Vec<Bytes> {
    let mut out = Vec::new();
    for e in reply.errors {
        if *reported < MAX_ERROR_LINES {
            let error = ImportRowError { row: e.row, field: e.field, message: e.message };
            out.push(ImportLine { error: Some(error), ..EMPTY }.bytes());
        }
        *reported += 1;
    }
    let counts = ImportCounts::from(reply.counts.unwrap_or_default());
    let line = if reply.done {
        ImportLine { done: Some(counts), ..EMPTY }
    } else {
        ImportLine { progress: Some(counts), ..EMPTY }
    };
    out.push(line.bytes());
    out
}

/// Streams the uploaded file (`body`, CSV or NDJSON by its content type) to the import
/// RPC `call` opens, and its replies back as NDJSON lines.
async fn import<F, Fut>(
    caller: &Caller,
    request: &HttpRequest,
    mut body: web::Payload,
    call: F,
) -> Result<HttpResponse, Problem>
where
    F: FnOnce(tonic::Request<ReceiverStream<ImportChunk>>) -> Fut,
    Fut: Future<Output = Result<tonic::Response<tonic::Streaming<ImportReply>>, tonic::Status>>,
{
    let content_type = request.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    let Some(format) = Format::named(content_type) else {
        return Err(Problem::for_status(actix_web::http::StatusCode::UNSUPPORTED_MEDIA_TYPE));
    };
    let (tx, rx) = tokio::sync::mpsc::channel(8);
    let first = ImportChunk { format: format.name().to_owned(), ..Default::default() };
    // Room for one message: this cannot wait.
    let _ = tx.try_send(first);
    // The upload is read here, as the service takes it.
    actix_web::rt::spawn(async move {
        while let Some(chunk) = body.next().await {
            let message = match chunk {
                Ok(data) => ImportChunk { data: data.to_vec(), ..Default::default() },
                Err(err) => {
                    tracing::warn!(error = %err, "an import's upload broke off");
                    ImportChunk { abort: true, ..Default::default() }
                }
            };
            let abort = message.abort;
            if tx.send(message).await.is_err() || abort {
                return;
            }
        }
    });
    let replies = call(caller.authorize(tonic::Request::new(ReceiverStream::new(rx)))).await?.into_inner();
    let mut reported = 0;
    let answer = replies.flat_map(move |reply| {
        let out = match reply {
            Ok(reply) => lines(reply, &mut reported),
            Err(status) => {
                let problem = Problem::from(status);
                vec![ImportLine { aborted: Some(problem.body()), ..EMPTY }.bytes()]
            }
        };
        futures::stream::iter(out.into_iter().map(Ok::<_, actix_web::Error>))
    });
    Ok(HttpResponse::Ok().content_type("application/x-ndjson").streaming(answer))
}

/// Imports products from a CSV (`text/csv`) or NDJSON (`application/x-ndjson`) file,
/// upserting by SKU: a vendor its own products, an admin anyone's. Streamed both ways;
/// the file's columns and rules are in the catalog's documentation (`transfer` module).
#[utoipa::path(tag = "admin", security(("bearer" = ["vendor", "admin"])),
    request_body(content = String, content_type = "text/csv",
        description = "A CSV file (header row; one row per variant) or, as application/x-ndjson, one product a line."),
    responses(
        (status = 200, description = "Progress as it goes, one JSON object a line", body = ImportLine, content_type = "application/x-ndjson"),
        (status = 400, body = ProblemBody, content_type = "application/problem+json"),
        (status = 403, body = ProblemBody, content_type = "application/problem+json"),
        (status = 415, description = "neither CSV nor NDJSON", body = ProblemBody, content_type = "application/problem+json"),
    ))]
#[post("/admin/products/import")]
pub async fn import_products(
    state: web::Data<State>,
    Authenticated(caller): Authenticated,
    request: HttpRequest,
    body: web::Payload,
) -> Result<HttpResponse, Problem> {
    let mut catalog = state.clients.catalog.clone();
    import(&caller, &request, body, |call| async move { catalog.import_products(call).await }).await
}

/// Sets stock levels from a CSV (`text/csv`: columns `sku`, `on_hand`,
/// `low_stock_threshold`; either number may be left empty) or NDJSON
/// (`{"sku", "on_hand", "low_stock_threshold"}` a line) file, a row at a time: a vendor
/// its own SKUs, an admin any. A row that says what the stock already is changes nothing;
/// a row refused (unknown SKU, someone else's, on hand below the units reserved) is
/// reported and the next one read.
#[utoipa::path(tag = "admin", security(("bearer" = ["vendor", "admin"])),
    request_body(content = String, content_type = "text/csv",
        description = "A CSV file (header `sku,on_hand,low_stock_threshold`) or, as application/x-ndjson, one SKU a line."),
    responses(
        (status = 200, description = "Progress as it goes, one JSON object a line", body = ImportLine, content_type = "application/x-ndjson"),
        (status = 400, body = ProblemBody, content_type = "application/problem+json"),
        (status = 403, body = ProblemBody, content_type = "application/problem+json"),
        (status = 415, description = "neither CSV nor NDJSON", body = ProblemBody, content_type = "application/problem+json"),
    ))]
#[post("/admin/inventory/import")]
pub async fn import_stock(
    state: web::Data<State>,
    Authenticated(caller): Authenticated,
    request: HttpRequest,
    body: web::Payload,
) -> Result<HttpResponse, Problem> {
    let mut inventory = state.clients.inventory.clone();
    import(&caller, &request, body, |call| async move { inventory.import_stock(call).await }).await
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ExportParams {
    /// `csv` (default) or `ndjson`: what import reads back.
    pub format: Option<String>,
}

/// Exports products as CSV or NDJSON, streamed: a vendor its own, an admin every product.
/// Importing the file again changes nothing.
#[utoipa::path(tag = "admin", params(ExportParams), security(("bearer" = ["vendor", "admin"])),
    responses(
        (status = 200, description = "The products, in id order", body = String, content_type = "text/csv"),
        (status = 400, body = ProblemBody, content_type = "application/problem+json"),
        (status = 403, body = ProblemBody, content_type = "application/problem+json"),
    ))]
#[get("/admin/products/export")]
pub async fn export_products(
    state: web::Data<State>,
    Authenticated(caller): Authenticated,
    query: web::Query<ExportParams>,
) -> Result<HttpResponse, Problem> {
    let name = query.into_inner().format.unwrap_or_else(|| "csv".to_owned());
    let format = Format::named(&name)
        .filter(|_| matches!(name.as_str(), "csv" | "ndjson"))
        .ok_or_else(|| Problem::invalid("format", "must be csv or ndjson"))?;
    let request = pb::ExportProductsRequest { format: format.name().to_owned() };
    let chunks = state.clients.catalog.clone().export_products(caller.authorize(tonic::Request::new(request))).await?;
    // A failure mid-way breaks the response off (the file is visibly incomplete).
    let body = chunks.into_inner().map(|chunk| match chunk {
        Ok(chunk) => Ok(Bytes::from(chunk.data)),
        Err(status) => {
            tracing::warn!(code = ?status.code(), message = status.message(), "an export broke off");
            Err(actix_web::error::ErrorServiceUnavailable("the export broke off"))
        }
    });
    Ok(HttpResponse::Ok()
        .content_type(format.content_type())
        .insert_header((header::CONTENT_DISPOSITION, format!("attachment; filename=\"products.{}\"", format.name())))
        .streaming(body))
}
