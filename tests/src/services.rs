//! Calling the services over gRPC as the platform's own services do — with a service
//! token obtained from identity by a service's name and secret — or as an outsider on the
//! network with none.

use shop_platform::settings::Secret;
use shop_service_kit::{Clients, Upstream, credentials::generate_secret};

/// Where each service listens, and the client secrets identity knows.
#[derive(Clone)]
pub struct Services {
    pub urls: Vec<(&'static str, String)>,
    pub secrets: Vec<(&'static str, Secret)>,
}

impl Services {
    /// The services of the all-in-one platform.
    pub fn of(platform: &shop::Platform) -> Self {
        Self {
            urls: platform.services.iter().map(|(name, addr)| (*name, format!("http://{addr}"))).collect(),
            secrets: platform.service_secrets.clone(),
        }
    }

    /// A fresh secret for each of `names`.
    pub fn secrets(names: &[&'static str]) -> Vec<(&'static str, Secret)> {
        names.iter().map(|n| (*n, generate_secret())).collect()
    }

    pub fn url(&self, name: &str) -> String {
        self.urls.iter().find(|(n, _)| *n == name).map(|(_, u)| u.clone()).unwrap_or_else(|| panic!("no {name}"))
    }

    pub fn secret(&self, name: &str) -> Secret {
        self.secrets.iter().find(|(n, _)| *n == name).map(|(_, s)| s.clone()).unwrap_or_else(|| panic!("no {name}"))
    }

    /// A channel to `target` whose every call carries `me`'s service token.
    pub fn channel_as(&self, me: &'static str, target: &'static str) -> Upstream {
        let clients = Clients::new(&prometheus::Registry::new(), shop_service_kit::client::DEFAULT_TIMEOUT)
            .and_then(|c| c.authenticated_as(me, self.secret(me), &self.url("identity")))
            .expect("clients");
        clients.upstream(target, &self.url(target)).expect("upstream")
    }

    /// A channel to `target` with no service credential.
    pub fn bare(&self, target: &'static str) -> Upstream {
        let clients = Clients::new(&prometheus::Registry::new(), shop_service_kit::client::DEFAULT_TIMEOUT);
        clients.and_then(|c| c.upstream(target, &self.url(target))).expect("upstream")
    }
}
