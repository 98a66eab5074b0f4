//! Cancelling a run: a token the host keeps (Ctrl-C in the CLI calls [`CancelToken::cancel`])
//! and the run watches between and during steps.

use tokio::sync::watch;

/// A cancel signal shared by a run, its children and the host.
#[derive(Clone, Debug)]
pub struct CancelToken {
    sender: std::sync::Arc<watch::Sender<bool>>,
}

impl Default for CancelToken {
    fn default() -> Self {
        Self::new()
    }
}

impl CancelToken {
    /// A token not yet cancelled.
    pub fn new() -> Self {
        Self { sender: std::sync::Arc::new(watch::channel(false).0) }
    }

    /// Cancels the run.
    pub fn cancel(&self) {
        self.sender.send_replace(true);
    }

    /// Whether the run was cancelled.
    pub fn is_cancelled(&self) -> bool {
        *self.sender.borrow()
    }

    /// Completes when the run is cancelled.
    pub async fn cancelled(&self) {
        let mut receiver = self.sender.subscribe();
        // The sender lives as long as the token, so waiting cannot fail.
        let _ = receiver.wait_for(|cancelled| *cancelled).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cancelling_wakes_waiters() {
        let runtime = crate::host::virtual_runtime().unwrap();
        runtime.block_on(async {
            let token = CancelToken::new();
            let waiter = tokio::spawn({
                let token = token.clone();
                async move { token.cancelled().await }
            });
            assert!(!token.is_cancelled());
            token.cancel();
            waiter.await.unwrap();
            assert!(token.is_cancelled());
        });
    }
}
