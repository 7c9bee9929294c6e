//! The called side of service identity: one table per service saying which services may
//! call each of its RPCs, enforced in front of the handlers.
//!
//! A call to a service-only RPC must carry a service token (see `shop_auth::service`)
//! issued to one of the services the table names and meant for this service. Without one
//! it gets `UNAUTHENTICATED`, or `PERMISSION_DENIED` when it carries only a user's token;
//! with another service's it gets `PERMISSION_DENIED`. The end user's token, when the
//! call acts for a user, is checked by the handler as before: the table says which services may ask, the handler which
//! user may have what.
//!
//! A table must name every RPC of its service, no more: [`Policy::guard`] refuses to start
//! a service whose table and contract disagree.

use std::{
    collections::HashMap,
    future::Future,
    pin::Pin,
    sync::Arc,
    task::{Context, Poll},
};

use prost::Message;
use shop_auth::{Verifier, service};
use tonic::{Status, server::NamedService};

/// Who may call one RPC.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Allow {
    /// Whoever reaches the port: for what needs no prior credential (public keys, the
    /// token endpoint itself, whose client secret is the credential).
    Anyone,
    /// Only these services.
    Services(&'static [&'static str]),
}

/// The services a token may be issued to (and, but for the gateway, be issued for).
pub const SERVICES: &[&str] =
    &["gateway", "identity", "catalog", "inventory", "order", "payment", "notification", "analytics"];

/// Only the gateway: what end users reach through the REST API.
pub const GATEWAY: Allow = Allow::Services(&["gateway"]);

/// Which services may call each RPC of one service.
#[derive(Debug, Clone, Copy)]
pub struct Policy {
    /// The gRPC service's full name (`shop.inventory.v1.InventoryService`).
    pub service: &'static str,
    /// Its short name, the audience of the tokens it accepts (`inventory`).
    pub callee: &'static str,
    /// Each RPC by its method name (`Reserve`), and who may call it.
    pub rules: &'static [(&'static str, Allow)],
}

impl Policy {
    /// Who may call `method`.
    pub fn allowed(&self, method: &str) -> Option<Allow> {
        self.rules.iter().find(|(name, _)| *name == method).map(|(_, allow)| *allow)
    }

    /// `server` behind this policy, its callers' service tokens checked by `verifier`.
    pub fn guard<S: NamedService>(&self, verifier: Arc<Verifier>, server: S) -> anyhow::Result<Guarded<S>> {
        anyhow::ensure!(S::NAME == self.service, "the policy of {} guards {}", self.service, S::NAME);
        self.check()?;
        let rules = self.rules.iter().map(|(method, allow)| (format!("/{}/{method}", self.service), *allow)).collect();
        let gate = Gate { rules, verifier, validation: service::validation(self.callee) };
        Ok(Guarded { inner: server, gate: Arc::new(gate) })
    }

    /// The table names every RPC of the contract once, and only known services.
    pub fn check(&self) -> anyhow::Result<()> {
        let methods = contract_methods(self.service)?;
        let named: Vec<&str> = self.rules.iter().map(|(m, _)| *m).collect();
        let missing: Vec<&String> = methods.iter().filter(|m| !named.contains(&m.as_str())).collect();
        let extra: Vec<&&str> = named.iter().filter(|n| !methods.iter().any(|m| m == *n)).collect();
        anyhow::ensure!(missing.is_empty(), "the policy of {} has no rule for {missing:?}", self.service);
        anyhow::ensure!(extra.is_empty(), "the policy of {} names unknown RPCs {extra:?}", self.service);
        for (i, (method, allow)) in self.rules.iter().enumerate() {
            anyhow::ensure!(!named[..i].contains(method), "the policy of {} names {method} twice", self.service);
            if let Allow::Services(callers) = allow {
                let unknown: Vec<&&str> = callers.iter().filter(|c| !SERVICES.contains(c)).collect();
                anyhow::ensure!(unknown.is_empty(), "{method}: unknown services {unknown:?}");
            }
        }
        Ok(())
    }
}

/// The RPC names of `service` in the platform's contract.
pub fn contract_methods(service: &str) -> anyhow::Result<Vec<String>> {
    let set = prost_types::FileDescriptorSet::decode(shop_proto::FILE_DESCRIPTOR_SET)?;
    let found = set
        .file
        .iter()
        .flat_map(|file| file.service.iter().filter(move |s| format!("{}.{}", file.package(), s.name()) == service));
    let methods: Vec<String> = found.flat_map(|s| s.method.iter().map(|m| m.name().to_owned())).collect();
    anyhow::ensure!(!methods.is_empty(), "no service {service} in the contract");
    Ok(methods)
}

struct Gate {
    rules: HashMap<String, Allow>,
    verifier: Arc<Verifier>,
    validation: jsonwebtoken::Validation,
}

impl Gate {
    /// Whether the call may reach the handler; if not, the refusal.
    async fn admit(&self, path: &str, headers: &http::HeaderMap) -> Result<(), Status> {
        let callers = match self.rules.get(path) {
            Some(Allow::Anyone) => return Ok(()),
            Some(Allow::Services(callers)) => callers,
            None => return Err(Status::unimplemented("no such method")),
        };
        let Some(token) = headers.get(service::HEADER).and_then(|v| v.to_str().ok()) else {
            return Err(if headers.contains_key("authorization") {
                Status::permission_denied("this method is for services, not users")
            } else {
                Status::unauthenticated("a service credential is required")
            });
        };
        let claims = self
            .verifier
            .verify_service(token, &self.validation)
            .await
            .map_err(|err| Status::unauthenticated(format!("service credential refused: {err}")))?;
        if callers.contains(&claims.sub.as_str()) {
            Ok(())
        } else {
            Err(Status::permission_denied(format!("{} may not call this method", claims.sub)))
        }
    }
}

/// A gRPC server behind its [`Policy`].
#[derive(Clone)]
pub struct Guarded<S> {
    inner: S,
    gate: Arc<Gate>,
}

impl<S: NamedService> NamedService for Guarded<S> {
    const NAME: &'static str = S::NAME;
}

type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send>>;

impl<S, B> tower::Service<http::Request<B>> for Guarded<S>
where
    S: tower::Service<http::Request<B>, Response = http::Response<tonic::body::Body>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    B: Send + 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = BoxFuture<Result<S::Response, S::Error>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: http::Request<B>) -> Self::Future {
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let gate = self.gate.clone();
        Box::pin(async move {
            match gate.admit(req.uri().path(), req.headers()).await {
                Ok(()) => inner.call(req).await,
                Err(status) => Ok(status.into_http()),
            }
        })
    }
}
