//! In-process handlers: an embedding application's code run on external tasks,
//! with exactly the lifecycle an HTTP worker has (fetch and lock, then complete,
//! fail or throw a BPMN error), only without HTTP.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use crate::Engine;
use crate::types::{Failure, FetchAndLock, LockedTask, TopicRequest, Variables};

/// What a handler decided about its task.
#[derive(Debug, Clone)]
pub enum Outcome {
    /// Complete the task with these variables.
    Complete(Variables),
    /// Report a failure (retries and retry timeout as in [`Failure`]).
    Failure(Failure),
    /// Throw a BPMN error with this code and message.
    BpmnError {
        /// The error code a boundary event may catch.
        code: String,
        /// The message.
        message: Option<String>,
        /// Variables set before the error is thrown.
        variables: Variables,
    },
}

/// The future a handler returns.
pub type HandlerFuture = Pin<Box<dyn Future<Output = Outcome> + Send>>;

/// Code that works on external tasks of one topic.
pub trait TaskHandler: Send + Sync + 'static {
    /// Works on one locked task.
    fn handle(&self, task: LockedTask) -> HandlerFuture;
}

impl<F, Fut> TaskHandler for F
where
    F: Fn(LockedTask) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Outcome> + Send + 'static,
{
    fn handle(&self, task: LockedTask) -> HandlerFuture {
        Box::pin(self(task))
    }
}

/// How a handler fetches its tasks.
#[derive(Debug, Clone)]
pub struct HandlerOptions {
    /// The worker id its locks carry.
    pub worker_id: String,
    /// How many tasks it locks at once (and runs concurrently).
    pub max_tasks: usize,
    /// How long each lock lasts, in milliseconds.
    pub lock_duration: i64,
}

impl HandlerOptions {
    /// Defaults for `topic`: worker `baton-in-process-<topic>`, 32 tasks, 60 s locks.
    pub fn for_topic(topic: &str) -> Self {
        HandlerOptions {
            worker_id: format!("baton-in-process-{topic}"),
            max_tasks: 32,
            lock_duration: 60_000,
        }
    }
}

impl Engine {
    /// Runs `handler` on every external task of `topic`, from now until the engine is
    /// dropped. Must be called inside a Tokio runtime.
    pub fn register_handler(&self, topic: &str, handler: impl TaskHandler) {
        self.register_handler_with(topic, HandlerOptions::for_topic(topic), handler);
    }

    /// [`Engine::register_handler`] with explicit options.
    pub fn register_handler_with(
        &self,
        topic: &str,
        options: HandlerOptions,
        handler: impl TaskHandler,
    ) {
        let weak = Arc::downgrade(&self.inner);
        let handler: Arc<dyn TaskHandler> = Arc::new(handler);
        let topic = topic.to_owned();
        let mut events = self.task_events();
        let join = tokio::spawn(async move {
            loop {
                let Some(inner) = weak.upgrade() else { return };
                let engine = Engine { inner };
                events.mark_unchanged();
                let request = FetchAndLock {
                    worker_id: options.worker_id.clone(),
                    max_tasks: options.max_tasks,
                    use_priority: true,
                    newest_first: false,
                    topics: vec![TopicRequest {
                        topic: topic.clone(),
                        lock_duration: options.lock_duration,
                        ..TopicRequest::default()
                    }],
                    scope: None,
                };
                let tasks = match engine.fetch_and_lock(request).await {
                    Ok(tasks) => tasks,
                    Err(crate::Error::Closed) => return,
                    Err(e) => {
                        tracing::error!(%topic, error = %e, "in-process handler could not fetch");
                        Vec::new()
                    }
                };
                if tasks.is_empty() {
                    drop(engine);
                    // Woken by new tasks; a timeout catches expired locks and retry timeouts.
                    let _ =
                        tokio::time::timeout(Duration::from_millis(500), events.changed()).await;
                    continue;
                }
                let mut running = tokio::task::JoinSet::new();
                for task in tasks {
                    let engine = engine.clone();
                    let handler = handler.clone();
                    let worker = options.worker_id.clone();
                    running.spawn(async move {
                        let id = task.task.id.clone();
                        let outcome = handler.handle(task).await;
                        let result = match outcome {
                            Outcome::Complete(vars) => engine.complete(&id, &worker, vars, Vec::new()).await,
                            Outcome::Failure(f) => engine.handle_failure(&id, &worker, f).await,
                            Outcome::BpmnError { code, message, variables } => {
                                engine
                                    .handle_bpmn_error(&id, &worker, &code, message.as_deref(), variables)
                                    .await
                            }
                        };
                        if let Err(e) = result {
                            tracing::warn!(task = %id, error = %e, "in-process handler result refused");
                        }
                    });
                }
                while running.join_next().await.is_some() {}
            }
        });
        self.inner
            .handlers
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(join);
    }
}
