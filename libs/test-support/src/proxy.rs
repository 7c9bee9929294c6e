//! A TCP proxy that a test can switch off and on, to make a real server look unreachable
//! (connections refused, open ones cut) without stopping it.

use std::sync::{
    Arc,
    atomic::{AtomicBool, AtomicU64, Ordering},
};

use tokio::net::{TcpListener, TcpStream};

pub struct Proxy {
    pub port: u16,
    up: Arc<AtomicBool>,
    // Bumped on every switch-off so live connections notice and close.
    epoch: Arc<AtomicU64>,
    task: tokio::task::JoinHandle<()>,
}

impl Proxy {
    /// Listens on a free loopback port and forwards to `target` while up.
    pub async fn start(target: &str, up: bool) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind proxy");
        let port = listener.local_addr().expect("proxy addr").port();
        let state = Arc::new(AtomicBool::new(up));
        let epoch = Arc::new(AtomicU64::new(0));
        let target = target.to_owned();
        let (s, e) = (state.clone(), epoch.clone());
        let task = tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                if !s.load(Ordering::SeqCst) {
                    drop(client);
                    continue;
                }
                let (target, e) = (target.clone(), e.clone());
                tokio::spawn(async move {
                    let Ok(server) = TcpStream::connect(&target).await else {
                        return;
                    };
                    let started = e.load(Ordering::SeqCst);
                    let pipe = async {
                        let (mut a, mut b) = (client, server);
                        let _ = tokio::io::copy_bidirectional(&mut a, &mut b).await;
                    };
                    let cut = async {
                        while e.load(Ordering::SeqCst) == started {
                            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
                        }
                    };
                    tokio::select! { () = pipe => {}, () = cut => {} }
                });
            }
        });
        Self { port, up: state, epoch, task }
    }

    /// Refuses new connections and cuts open ones.
    pub fn down(&self) {
        self.up.store(false, Ordering::SeqCst);
        self.epoch.fetch_add(1, Ordering::SeqCst);
    }

    pub fn up(&self) {
        self.up.store(true, Ordering::SeqCst);
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.down();
        self.task.abort();
    }
}
