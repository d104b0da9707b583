//! The HTTP server every platform sandbox runs on: a free port of 127.0.0.1, a stop signal
//! that held requests listen to, and a graceful stop when the sandbox is shut down or
//! dropped.

use crate::faults::{FaultAnswers, FaultSwitch, Injector};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::{Json, Router};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// A bound port whose router is not built yet (the router's state wants [`Self::stopping`]).
pub(crate) struct Listener {
    listener: TcpListener,
    pub(crate) address: SocketAddr,
    stop: watch::Sender<bool>,
    faults: FaultSwitch,
}

impl Listener {
    pub(crate) async fn bind() -> std::io::Result<Listener> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let address = listener.local_addr()?;
        let (stop, _) = watch::channel(false);
        Ok(Listener {
            listener,
            address,
            stop,
            faults: FaultSwitch::default(),
        })
    }

    /// Becomes `true` when the sandbox stops: requests held by a fault end then.
    pub(crate) fn stopping(&self) -> watch::Receiver<bool> {
        self.stop.subscribe()
    }

    /// The sandbox's fault switch (tests flip it while the sandbox runs).
    pub(crate) fn faults(&self) -> FaultSwitch {
        self.faults.clone()
    }

    /// The sandbox's faults at work: a timeout holds a request for `hold` (or until the
    /// sandbox stops); 5xx and 429 are worded by `answers`.
    pub(crate) fn injector(&self, hold: Duration, answers: FaultAnswers) -> Injector {
        Injector {
            switch: self.faults(),
            hold,
            stopping: self.stopping(),
            answers,
        }
    }

    /// `http://ADDRESS` followed by `path`.
    pub(crate) fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.address)
    }

    /// Serves `router` and hands back the running sandbox: `base_url` is this address
    /// followed by `base_path` (where the platform's API lives on its host), `shared` the
    /// state the sandbox's own methods read.
    pub(crate) fn sandbox<S>(
        self,
        name: &'static str,
        base_path: &str,
        shared: Arc<S>,
        router: Router,
    ) -> Sandbox<S> {
        Sandbox {
            base_url: self.url(base_path),
            faults: self.faults(),
            shared,
            server: self.serve(name, router),
        }
    }

    /// Serves `router` until the sandbox stops; `name` labels a server error on stderr.
    fn serve(self, name: &'static str, router: Router) -> Server {
        let mut stopping = self.stop.subscribe();
        let task = tokio::spawn(async move {
            let stopped = async move {
                let _ = stopping.wait_for(|s| *s).await;
            };
            // An accept error ends the sandbox; its clients then see connection errors.
            if let Err(error) = axum::serve(self.listener, router)
                .with_graceful_shutdown(stopped)
                .await
            {
                eprintln!("{name} sandbox stopped: {error}");
            }
        });
        Server {
            stop: self.stop,
            tasks: vec![task],
        }
    }
}

/// A running sandbox of any platform; each module names its own (`CjSandbox` is
/// `Sandbox<cj::Shared>`) and adds the methods that read its state. Dropping it stops the
/// server; [`Sandbox::shutdown`] also waits for it.
pub struct Sandbox<S> {
    /// `http://127.0.0.1:PORT` and the path a client uses as the platform's base URL.
    pub base_url: String,
    /// Flip faults while the sandbox runs.
    pub faults: FaultSwitch,
    pub(crate) shared: Arc<S>,
    pub(crate) server: Server,
}

impl<S> Sandbox<S> {
    /// Binds a free port of 127.0.0.1 and serves `router(shared)` behind the fault layer
    /// (a timeout holds a request for `hold`; 5xx and 429 are worded by `answers`).
    pub(crate) async fn behind_faults(
        name: &'static str,
        base_path: &str,
        hold: Duration,
        answers: FaultAnswers,
        shared: S,
        router: fn(Arc<S>) -> Router,
    ) -> std::io::Result<Self> {
        let listener = Listener::bind().await?;
        let injector = listener.injector(hold, answers);
        let shared = Arc::new(shared);
        let router = injector.around(router(shared.clone()));
        Ok(listener.sandbox(name, base_path, shared, router))
    }

    /// Stops the server and waits for it (and for any task that runs alongside).
    pub async fn shutdown(self) {
        self.server.shutdown().await;
    }
}

/// A JSON answer: `ok` with the body, or the refusal's own status and body (`unknown` when
/// its number is not a status).
pub(crate) fn json_answer(
    result: Result<serde_json::Value, (u16, serde_json::Value)>,
    ok: StatusCode,
    unknown: StatusCode,
) -> Response {
    match result {
        Ok(body) => (ok, Json(body)).into_response(),
        Err((status, body)) => {
            (StatusCode::from_u16(status).unwrap_or(unknown), Json(body)).into_response()
        }
    }
}

/// A running server (and any task that lives as long, such as a webhook sender). Dropping
/// it stops them; [`Server::shutdown`] also waits for them.
pub(crate) struct Server {
    stop: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
}

impl Server {
    /// Becomes `true` when the sandbox stops.
    pub(crate) fn stopping(&self) -> watch::Receiver<bool> {
        self.stop.subscribe()
    }

    /// Runs `task` alongside the server; it is awaited on shutdown.
    pub(crate) fn also(&mut self, task: JoinHandle<()>) {
        self.tasks.push(task);
    }

    /// Stops the server; held requests end at once.
    pub(crate) async fn shutdown(mut self) {
        let _ = self.stop.send(true);
        for task in std::mem::take(&mut self.tasks) {
            let _ = task.await;
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
    }
}
