//! The services identity issues service tokens to (OAuth 2.0 client credentials): each
//! client id is a service's name, with one secret — or two while it is being rotated.

use std::collections::{BTreeMap, HashMap};

use sha2::{Digest, Sha256};
use shop_platform::settings::Secret;
use shop_service_kit::policy::SERVICES;

/// Shortest secret accepted: service secrets are generated, never remembered.
pub const MIN_SECRET_LEN: usize = 32;
/// Longest client id or secret looked at.
const MAX_LEN: usize = 256;

/// Who may ask for service tokens, by digests of their secrets.
#[derive(Default)]
pub struct ServiceClients {
    secrets: HashMap<String, Vec<[u8; 32]>>,
}

impl std::fmt::Debug for ServiceClients {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_set().entries(self.secrets.keys()).finish()
    }
}

fn digest(secret: &str) -> [u8; 32] {
    Sha256::digest(secret.as_bytes()).into()
}

impl ServiceClients {
    /// `configured` maps a service's name to its secret; several secrets separated by
    /// spaces or commas are all accepted (the new one and the old, during a rotation).
    pub fn new(configured: &BTreeMap<String, Secret>) -> anyhow::Result<Self> {
        let mut secrets = HashMap::new();
        for (name, value) in configured {
            anyhow::ensure!(SERVICES.contains(&name.as_str()), "service_clients: {name:?} is not a service");
            let given: Vec<&str> = value.expose().split([' ', ',']).filter(|s| !s.is_empty()).collect();
            anyhow::ensure!(!given.is_empty(), "service_clients.{name}: no secret");
            for secret in &given {
                anyhow::ensure!(
                    (MIN_SECRET_LEN..=MAX_LEN).contains(&secret.len()),
                    "service_clients.{name}: a secret must have {MIN_SECRET_LEN} to {MAX_LEN} characters"
                );
            }
            secrets.insert(name.clone(), given.into_iter().map(digest).collect());
        }
        Ok(Self { secrets })
    }

    /// Whether `secret` is one of `client_id`'s; compared in constant time.
    pub fn authenticate(&self, client_id: &str, secret: &str) -> bool {
        if secret.len() > MAX_LEN {
            return false;
        }
        let given = digest(secret);
        let Some(known) = self.secrets.get(client_id) else { return false };
        known.iter().fold(false, |found, k| found | (k.iter().zip(&given).fold(0u8, |d, (a, b)| d | (a ^ b)) == 0))
    }

    pub fn is_empty(&self) -> bool {
        self.secrets.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn clients(pairs: &[(&str, &str)]) -> anyhow::Result<ServiceClients> {
        ServiceClients::new(&pairs.iter().map(|(n, s)| ((*n).to_owned(), Secret::new(*s))).collect())
    }

    #[test]
    fn a_client_is_known_by_any_of_its_secrets() {
        let (old, new) = ("o".repeat(40), "n".repeat(40));
        let c = clients(&[("order", &format!("{new}, {old}"))]).unwrap();
        assert!(c.authenticate("order", &old) && c.authenticate("order", &new));
        assert!(!c.authenticate("order", &"x".repeat(40)));
        assert!(!c.authenticate("payment", &old), "a secret belongs to its client");
    }

    #[test]
    fn weak_secrets_and_unknown_services_are_refused_at_start() {
        assert!(clients(&[("order", "short")]).is_err());
        assert!(clients(&[("mallory", &"m".repeat(40))]).is_err());
        assert!(clients(&[("order", " , ")]).is_err());
    }
}
