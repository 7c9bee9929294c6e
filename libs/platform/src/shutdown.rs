//! Graceful shutdown: one token every task watches, tripped by SIGTERM/SIGINT or by code.

use std::time::Duration;

use tokio_util::sync::CancellationToken;

/// Cloneable shutdown trigger and watch.
#[derive(Clone, Default, Debug)]
pub struct Shutdown(CancellationToken);

impl Shutdown {
    pub fn new() -> Self {
        Self::default()
    }

    /// Starts the shutdown; every waiter wakes.
    pub fn trigger(&self) {
        self.0.cancel();
    }

    pub fn is_triggered(&self) -> bool {
        self.0.is_cancelled()
    }

    /// Resolves once shutdown has started.
    pub async fn wait(&self) {
        self.0.cancelled().await;
    }

    /// A child that is triggered with this one but can also be triggered alone.
    pub fn child(&self) -> Self {
        Self(self.0.child_token())
    }

    /// Trips this shutdown at the first SIGTERM or SIGINT.
    pub fn trigger_on_signal(&self) {
        let this = self.clone();
        tokio::spawn(async move {
            signal().await;
            tracing::info!("shutdown signal received");
            this.trigger();
        });
    }
}

/// Waits for SIGINT (Ctrl-C) or SIGTERM.
pub async fn signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = term => {}
    }
}

/// How long in-flight work may take to finish after shutdown starts.
pub const DRAIN_DEADLINE: Duration = Duration::from_secs(20);

/// Awaits `task` for at most `deadline`; reports a drain that overran.
pub async fn drain<F: std::future::Future>(name: &str, deadline: Duration, task: F) {
    if tokio::time::timeout(deadline, task).await.is_err() {
        tracing::warn!(task = name, "drain deadline passed; stopping anyway");
    }
}
