//! Typed settings, layered: struct defaults → optional TOML file → `SHOP_…` environment.
//!
//! Nested keys use a double underscore in the environment: `SHOP_MONGO__URL` sets
//! `mongo.url`. The file is `$SHOP_CONFIG` when set, else `config/<service>.toml` if present.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize, de::DeserializeOwned};

/// Loads `T` for `service`: `defaults`, then the config file, then the environment.
pub fn load<T>(service: &str, defaults: &T) -> anyhow::Result<T>
where
    T: Serialize + DeserializeOwned,
{
    let file = std::env::var("SHOP_CONFIG").unwrap_or_else(|_| format!("config/{service}.toml"));
    layered(defaults, Some(&file), std::env::vars())
}

fn layered<T>(defaults: &T, file: Option<&str>, vars: impl Iterator<Item = (String, String)>) -> anyhow::Result<T>
where
    T: Serialize + DeserializeOwned,
{
    let mut builder = config::Config::builder().add_source(config::Config::try_from(defaults)?);
    if let Some(file) = file {
        builder = builder.add_source(config::File::with_name(file).required(false));
    }
    let built = builder
        .add_source(
            config::Environment::with_prefix("SHOP")
                .prefix_separator("_")
                .separator("__")
                .try_parsing(true)
                .source(Some(setting_vars(vars))),
        )
        .build()?;
    let given: serde_json::Value = built.clone().try_deserialize()?;
    let settings: T = built.try_deserialize()?;
    let unknown = unknown_keys(&given, &serde_json::to_value(&settings)?, "");
    if !unknown.is_empty() {
        anyhow::bail!("unknown settings: {}", unknown.join(", "));
    }
    Ok(settings)
}

/// Keys given that the settings type does not have (typos must not pass silently).
fn unknown_keys(given: &serde_json::Value, known: &serde_json::Value, path: &str) -> Vec<String> {
    let (Some(given), Some(known)) = (given.as_object(), known.as_object()) else {
        return Vec::new();
    };
    given
        .iter()
        .flat_map(|(key, value)| {
            let full = if path.is_empty() { key.clone() } else { format!("{path}.{key}") };
            match known.get(key) {
                Some(inner) => unknown_keys(value, inner, &full),
                None => vec![full],
            }
        })
        .collect()
}

/// `SHOP_` variables that are not settings: the config file path and the test harness's.
const NOT_SETTINGS: &[&str] = &["SHOP_CONFIG", "SHOP_TEST_", "SHOP_STATE_DIR"];

fn setting_vars(vars: impl Iterator<Item = (String, String)>) -> std::collections::HashMap<String, String> {
    vars.filter(|(k, v)| {
        k.starts_with("SHOP_") && !NOT_SETTINGS.iter().any(|n| k.starts_with(n)) && !service_link(k, v)
    })
    .collect()
}

/// Whether a variable is one Kubernetes injects for every Service in the namespace (a
/// Service `shop-identity` gives `SHOP_IDENTITY_SERVICE_HOST`, `…_SERVICE_PORT[_<NAME>]`,
/// `SHOP_IDENTITY_PORT=tcp://…` and `…_PORT_<n>_<PROTO>[_ADDR|_PORT|_PROTO]`): they are
/// not settings, and must never stop a pod from starting.
fn service_link(key: &str, value: &str) -> bool {
    const PROTOCOLS: [&str; 3] = ["TCP", "UDP", "SCTP"];
    if key.ends_with("_SERVICE_HOST") || key.ends_with("_SERVICE_PORT") || key.contains("_SERVICE_PORT_") {
        return true;
    }
    // `…_PORT_<n>_<PROTO>` and its `_ADDR`, `_PORT`, `_PROTO` companions.
    let numbered = key.split("_PORT_").skip(1).any(|tail| {
        let mut parts = tail.split('_');
        let number = parts.next().is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()));
        let protocol = parts.next().is_some_and(|p| PROTOCOLS.contains(&p));
        let rest: Vec<&str> = parts.collect();
        number && protocol && matches!(rest.as_slice(), [] | ["ADDR" | "PORT" | "PROTO"])
    });
    numbered
        || (key.ends_with("_PORT") && ["tcp://", "udp://", "sctp://"].iter().any(|scheme| value.starts_with(scheme)))
}

/// Where a listener binds. Port 0 picks a free port (tests).
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Listen {
    pub host: IpAddr,
    pub port: u16,
}

impl Listen {
    pub const fn loopback(port: u16) -> Self {
        Self { host: IpAddr::V4(Ipv4Addr::LOCALHOST), port }
    }

    pub const fn any(port: u16) -> Self {
        Self { host: IpAddr::V4(Ipv4Addr::UNSPECIFIED), port }
    }

    pub fn addr(&self) -> SocketAddr {
        SocketAddr::new(self.host, self.port)
    }
}

/// Logging and tracing.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TelemetrySettings {
    /// An `EnvFilter` directive, e.g. `info,shop_catalog=debug`. `RUST_LOG` wins when set.
    pub log_filter: String,
    /// `json` (default) or `pretty`.
    pub log_format: LogFormat,
    /// OTLP/gRPC endpoint for trace export, e.g. `http://otel-collector:4317`; off when empty.
    pub otlp_endpoint: Option<String>,
}

impl Default for TelemetrySettings {
    fn default() -> Self {
        Self { log_filter: "info".into(), log_format: LogFormat::Json, otlp_endpoint: None }
    }
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Json,
    Pretty,
}

/// A secret setting (a password, a key): never printed.
#[derive(Clone, Deserialize)]
#[serde(transparent)]
pub struct Secret(SecretString);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(SecretString::from(value.into()))
    }

    pub fn expose(&self) -> &str {
        self.0.expose_secret()
    }
}

impl Serialize for Secret {
    /// Serialises the real value: only used to feed defaults into the layered loader.
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.expose())
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("***")
    }
}

/// A connection URL that may carry credentials: never printed in full.
#[derive(Clone, Deserialize)]
#[serde(transparent)]
pub struct SecretUrl(SecretString);

impl SecretUrl {
    pub fn new(url: impl Into<String>) -> Self {
        Self(SecretString::from(url.into()))
    }

    pub fn expose(&self) -> &str {
        self.0.expose_secret()
    }

    /// The URL with any `user:password@` part masked, for logs.
    pub fn redacted(&self) -> String {
        let url = self.expose();
        match (url.find("://"), url.rfind('@')) {
            (Some(scheme), Some(at)) if at > scheme => {
                format!("{}://***@{}", &url[..scheme], &url[at + 1..])
            }
            _ => url.to_owned(),
        }
    }
}

impl Serialize for SecretUrl {
    /// Serialises the real value: only used to feed defaults into the layered loader.
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.expose())
    }
}

impl std::fmt::Debug for SecretUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.redacted())
    }
}

/// Storage, broker and cache backends: the real servers, or embedded ones for the
/// all-in-one mode and unit tests.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BackendSettings {
    /// MongoDB URL; absent means the embedded in-memory store.
    pub mongo_url: Option<SecretUrl>,
    /// Database name of this service.
    pub mongo_database: String,
    /// RabbitMQ URL; absent means the in-process bus.
    pub amqp_url: Option<SecretUrl>,
    /// Redis URL; absent means in-memory caches and limiters.
    pub redis_url: Option<SecretUrl>,
    /// Run this service's MongoDB transactions one at a time. Only for servers that cannot
    /// interleave transactions on one database (the stand-in the tests run on).
    pub mongo_serial_transactions: bool,
    /// A file to append the shape of every query sent to MongoDB to (an index audit; see
    /// `shop_storage::audit`).
    pub mongo_query_log: Option<String>,
}

impl BackendSettings {
    pub fn embedded(database: &str) -> Self {
        Self {
            mongo_url: None,
            mongo_database: database.to_owned(),
            amqp_url: None,
            redis_url: None,
            mongo_serial_transactions: false,
            mongo_query_log: None,
        }
    }
}

/// A backend a fleet binary needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Mongo,
    Amqp,
    Redis,
}

impl Backend {
    /// The environment variable that names it.
    pub const fn key(self) -> &'static str {
        match self {
            Self::Mongo => "SHOP_BACKENDS__MONGO_URL",
            Self::Amqp => "SHOP_BACKENDS__AMQP_URL",
            Self::Redis => "SHOP_BACKENDS__REDIS_URL",
        }
    }
}

impl BackendSettings {
    /// Refuses to start a fleet binary on an embedded stand-in for a backend it needs
    /// unless `SHOP_EMBEDDED=true` says so: two replicas on in-memory stores are two
    /// diverging shops that lose their data at every restart.
    pub fn require(&self, embedded: bool, needs: &[Backend]) -> anyhow::Result<()> {
        if embedded {
            return Ok(());
        }
        let missing: Vec<&str> = needs
            .iter()
            .filter(|b| match b {
                Backend::Mongo => self.mongo_url.is_none(),
                Backend::Amqp => self.amqp_url.is_none(),
                Backend::Redis => self.redis_url.is_none(),
            })
            .map(|b| b.key())
            .collect();
        anyhow::ensure!(
            missing.is_empty(),
            "{} not set: give the backend's URL, or SHOP_EMBEDDED=true to run on in-memory stand-ins \
             (one process, nothing kept at exit)",
            missing.join(", ")
        );
        Ok(())
    }
}

impl Default for BackendSettings {
    fn default() -> Self {
        Self::embedded("shop")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Serialize, Deserialize, PartialEq)]
    #[serde(deny_unknown_fields)]
    struct Sample {
        http: Listen,
        name: String,
    }

    fn sample(vars: &[(&str, &str)]) -> anyhow::Result<Sample> {
        let defaults = Sample { http: Listen::loopback(8080), name: "shop".into() };
        let env = vars.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned()));
        layered(&defaults, None, env)
    }

    #[test]
    fn environment_overrides_nested_defaults() {
        let s = sample(&[("SHOP_HTTP__PORT", "9090"), ("SHOP_TEST_MONGO_URL", "x"), ("PATH", "/bin")]).unwrap();
        assert_eq!(s.http.port, 9090);
        assert_eq!(s.name, "shop");
    }

    #[test]
    fn kubernetes_service_links_are_not_settings() {
        let injected = [
            ("SHOP_IDENTITY_SERVICE_HOST", "10.0.0.11"),
            ("SHOP_IDENTITY_SERVICE_PORT", "50051"),
            ("SHOP_IDENTITY_SERVICE_PORT_GRPC", "50051"),
            ("SHOP_IDENTITY_PORT", "tcp://10.0.0.11:50051"),
            ("SHOP_IDENTITY_PORT_50051_TCP", "tcp://10.0.0.11:50051"),
            ("SHOP_IDENTITY_PORT_50051_TCP_PROTO", "tcp"),
            ("SHOP_IDENTITY_PORT_50051_TCP_PORT", "50051"),
            ("SHOP_IDENTITY_PORT_50051_TCP_ADDR", "10.0.0.11"),
            ("SHOP_GATEWAY_PORT_8080_TCP_ADDR", "10.0.0.12"),
            ("SHOP_HTTP__PORT", "9090"),
        ];
        let s = sample(&injected).unwrap();
        assert_eq!(s.http.port, 9090, "settings still apply beside them");
        // A setting that merely ends in _PORT is still read (and a typo still refused).
        assert!(sample(&[("SHOP_HTTP_PORT", "9090")]).is_err());
        assert!(sample(&[("SHOP_HTTP__PORT_X", "1")]).is_err());
    }

    #[test]
    fn a_fleet_binary_needs_its_backends_or_an_explicit_embedded() {
        let none = BackendSettings::embedded("catalog");
        let err = none.require(false, &[Backend::Mongo, Backend::Amqp]).unwrap_err().to_string();
        assert!(err.contains("SHOP_BACKENDS__MONGO_URL, SHOP_BACKENDS__AMQP_URL not set"), "{err}");
        assert!(err.contains("SHOP_EMBEDDED=true"), "{err}");
        none.require(true, &[Backend::Mongo, Backend::Redis]).unwrap();
        let some = BackendSettings { redis_url: Some(SecretUrl::new("redis://cache")), ..none };
        some.require(false, &[Backend::Redis]).unwrap();
        assert!(some.require(false, &[Backend::Redis, Backend::Amqp]).is_err());
    }

    #[test]
    fn an_unknown_setting_is_an_error() {
        assert!(sample(&[("SHOP_HTTP__PROT", "9090")]).is_err());
    }

    #[test]
    fn redacted_url_hides_credentials() {
        let url = SecretUrl::new("amqp://guest:secret@rabbit:5672/%2f");
        assert_eq!(url.redacted(), "amqp://***@rabbit:5672/%2f");
        assert!(!format!("{url:?}").contains("secret"));
        assert_eq!(SecretUrl::new("redis://cache:6379").redacted(), "redis://cache:6379");
    }
}
