//! A TCP forwarder (to PostgreSQL, in these tests) that can be cut, every connection dropped
//! and new ones refused, and restored: a database "going away" without stopping the shared
//! server. Shared by the API and binary test crates.

use std::{
    net::SocketAddr,
    sync::{Arc, Mutex},
};
use tokio::{net::TcpListener, task::JoinHandle};

pub struct CuttableLink {
    pub addr: SocketAddr,
    open: Arc<Mutex<bool>>,
    connections: Arc<Mutex<Vec<JoinHandle<()>>>>,
}

impl CuttableLink {
    /// Listens on `listen` and forwards every connection to `target`.
    pub async fn bind(listen: &str, target: &'static str) -> CuttableLink {
        let listener = TcpListener::bind(listen).await.unwrap();
        let addr = listener.local_addr().unwrap();
        let open = Arc::new(Mutex::new(true));
        let connections: Arc<Mutex<Vec<JoinHandle<()>>>> = Arc::default();
        let (flag, tasks) = (open.clone(), connections.clone());
        tokio::spawn(async move {
            loop {
                let Ok((mut inbound, _)) = listener.accept().await else {
                    return;
                };
                if !*flag.lock().unwrap() {
                    continue; // dropped: the connection is refused
                }
                tasks.lock().unwrap().push(tokio::spawn(async move {
                    if let Ok(mut outbound) = tokio::net::TcpStream::connect(target).await {
                        let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                    }
                }));
            }
        });
        CuttableLink {
            addr,
            open,
            connections,
        }
    }

    pub fn cut(&self) {
        *self.open.lock().unwrap() = false;
        for task in self.connections.lock().unwrap().drain(..) {
            task.abort();
        }
    }

    pub fn restore(&self) {
        *self.open.lock().unwrap() = true;
    }
}
