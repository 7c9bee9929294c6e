//! `<binary> healthcheck`: a container's own health probe, for runtimes that probe by
//! running a command (docker compose). The images carry no shell and no curl, so each
//! binary asks the process listening on its configured port itself, and exits 0 when it
//! answers healthy.

use std::{
    net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr},
    time::Duration,
};

use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::settings::Listen;

/// How long a probe waits for its answer.
pub const TIMEOUT: Duration = Duration::from_secs(2);

/// Whether the binary was started as `<binary> healthcheck`.
pub fn asked() -> bool {
    std::env::args().nth(1).as_deref() == Some("healthcheck")
}

/// The address a probe inside the container dials for a listener: its own host, or
/// loopback when it listens on every address.
pub fn dial(listen: &Listen) -> SocketAddr {
    let host = match listen.host {
        IpAddr::V4(v4) if v4.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
        IpAddr::V6(v6) if v6.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
        host => host,
    };
    SocketAddr::new(host, listen.port)
}

/// Whether `GET path` at `addr` answers 200 within [`TIMEOUT`].
pub async fn http_ok(addr: SocketAddr, path: &str) -> bool {
    let ask = async {
        let mut stream = tokio::net::TcpStream::connect(addr).await?;
        stream.write_all(format!("GET {path} HTTP/1.0\r\nHost: localhost\r\n\r\n").as_bytes()).await?;
        let mut head = [0u8; 12];
        stream.read_exact(&mut head).await?;
        Ok::<bool, std::io::Error>(head.starts_with(b"HTTP/1.") && &head[8..12] == b" 200")
    };
    matches!(tokio::time::timeout(TIMEOUT, ask).await, Ok(Ok(true)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_wildcard_listener_is_probed_on_loopback() {
        assert_eq!(dial(&Listen::any(8080)), "127.0.0.1:8080".parse().unwrap());
        let v6 = Listen { host: IpAddr::V6(Ipv6Addr::UNSPECIFIED), port: 1 };
        assert_eq!(dial(&v6), "[::1]:1".parse().unwrap());
        assert_eq!(dial(&Listen::loopback(9)), "127.0.0.1:9".parse().unwrap());
    }

    #[tokio::test]
    async fn only_a_200_is_healthy() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let serve = tokio::spawn(async move {
            for status in ["200 OK", "503 Service Unavailable"] {
                let (mut conn, _) = listener.accept().await.unwrap();
                let mut request = [0u8; 64];
                let _ = conn.read(&mut request).await.unwrap();
                conn.write_all(format!("HTTP/1.1 {status}\r\ncontent-length: 0\r\n\r\n").as_bytes()).await.unwrap();
            }
        });
        assert!(http_ok(addr, "/readyz").await);
        assert!(!http_ok(addr, "/readyz").await);
        serve.await.unwrap();
        assert!(!http_ok(addr, "/readyz").await, "nobody listening");
    }
}
