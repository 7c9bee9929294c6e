//! Bulk import over a client stream (the kit's [`Import`]), read by the catalog's
//! [`Importer`].

use async_trait::async_trait;
use shop_proto::common::v1::{ImportCounts, ImportRowError};
use shop_service_kit::{Refusal, import::Import};
use tonic::Status;

use crate::{
    error::CatalogError,
    transfer::{ImportError, Importer, RowError},
};

fn refused(err: ImportError) -> Status {
    match err {
        ImportError::Catalog(err) => Status::from(err),
        other => Status::from(CatalogError::from(Refusal::invalid("file", other.to_string()))),
    }
}

fn rows(errors: Vec<RowError>) -> Vec<ImportRowError> {
    errors.into_iter().map(|e| ImportRowError { row: e.row, field: e.field, message: e.message }).collect()
}

#[async_trait]
impl Import for Importer {
    async fn push(&mut self, chunk: &[u8]) -> Result<Vec<ImportRowError>, Status> {
        Importer::push(self, chunk).await.map(rows).map_err(refused)
    }

    async fn finish(&mut self) -> Result<Vec<ImportRowError>, Status> {
        Importer::finish(self).await.map(rows).map_err(refused)
    }

    fn counts(&self) -> ImportCounts {
        let c = Importer::counts(self);
        ImportCounts { rows: c.rows, created: c.created, updated: c.updated, unchanged: c.unchanged, failed: c.failed }
    }
}
