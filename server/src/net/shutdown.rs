//! Tells every task that the server is stopping, and lets the server wait for them.
//!
//! Each connection task holds a [`Shutdown`]; it stops reading new requests when it
//! fires, but finishes the request in hand, so an in-flight commit still gets its answer.

use tokio::sync::watch;

/// Fires once; cheap to clone into every task.
#[derive(Clone)]
pub struct Shutdown {
    rx: watch::Receiver<bool>,
}

pub struct Trigger {
    tx: watch::Sender<bool>,
}

pub fn channel() -> (Trigger, Shutdown) {
    let (tx, rx) = watch::channel(false);
    (Trigger { tx }, Shutdown { rx })
}

impl Trigger {
    pub fn fire(&self) {
        let _ = self.tx.send(true);
    }
}

impl Shutdown {
    pub fn is_fired(&self) -> bool {
        *self.rx.borrow()
    }

    /// Returns once the trigger fired (or was dropped).
    pub async fn fired(&mut self) {
        let _ = self.rx.wait_for(|fired| *fired).await;
    }
}

/// Resolves on SIGTERM or SIGINT.
pub async fn signal() -> std::io::Result<&'static str> {
    use tokio::signal::unix::{signal, SignalKind};
    let mut term = signal(SignalKind::terminate())?;
    let mut int = signal(SignalKind::interrupt())?;
    Ok(tokio::select! {
        _ = term.recv() => "SIGTERM",
        _ = int.recv() => "SIGINT",
    })
}
